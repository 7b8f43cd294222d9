"""`openidv verify`: the pipeline on local images, shaped as the API's full-status."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from openidv.api.views import full_status_view
from openidv.pipeline.run import analyse_images, conclude
from openidv.store.models import Verification, utcnow


def verify_images(
    images: dict[str, np.ndarray], *, country: Optional[str], document_type: Optional[str]
) -> dict[str, Any]:
    started = utcnow()
    token_type = "IDENTIFICATION" if "FACE" in images else "DOCUMENT"
    analysed = analyse_images(
        images, token_type=token_type, declared_country=country, declared_type=document_type
    )
    analysis = conclude(analysed, token_type=token_type, token_request={})
    # An unsaved row, so the output is built by exactly the code the API uses.
    record = Verification(
        scan_ref="local",
        client_id="local",
        token_type=token_type,
        token_request={"country": country},
        status=analysis.decision.status,
        country=country or analysis.document.issuing_country,
        document_type=document_type or analysis.images.detected_type,
        attempt_count=1,
        start_time=started,
        finish_time=utcnow(),
        auto_document=analysis.document.validity,
        auto_face=analysis.face.result,
        fraud_tags=list(analysis.fraud_tags),
        mismatch_tags=list(analysis.mismatch_tags),
        suspicion_reasons=list(analysis.suspicion_reasons),
        document_data=analysis.images.document_data,
        manual_data={},
    )
    return full_status_view(record)
