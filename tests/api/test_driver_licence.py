"""A North American driving licence end to end: its barcode read by the worker in both modes,
and by `openidv verify`."""

from __future__ import annotations

import json

import cv2
import pytest

from tests.api.test_process import b64, new_token
from tests.pipeline.test_barcode_side import licence


def _jpeg(image) -> bytes:  # noqa: ANN001
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 92])
    assert ok
    return data.tobytes()


@pytest.mark.slow
def test_a_licence_is_verified_from_its_barcode_through_process(service, partner) -> None:
    holder, front, back = licence("api-licence")
    with service.client(partner) as c:
        token = new_token(c, tokenType="DOCUMENT")
        r = c.post("/api/v2/process", json={
            "authToken": token["authToken"], "country": "US", "documentType": "DRIVER_LICENSE",
            "images": {"FRONT": b64(_jpeg(front)), "BACK": b64(_jpeg(back))}, "skipAnalysis": True})
        assert r.status_code == 200 and not r.content, r.text
    status = service.wait_for_status(partner, token["scanRef"])
    assert status["autoDocument"] == "DOC_VALIDATED", status
    with service.client(partner) as c:
        data = c.post("/api/v2/data", json={"scanRef": token["scanRef"]}).json()
    assert data["docLastName"] == holder.last_name and data["docNumber"] == holder.number
    assert data["docIssuingCountry"] == "US" and data["docType"] == "DRIVER_LICENSE"


@pytest.mark.slow
def test_openidv_verify_reads_a_licence(tmp_path) -> None:
    from tests.test_cli import run

    holder, front, back = licence("cli-licence")
    (tmp_path / "front.jpg").write_bytes(_jpeg(front))
    (tmp_path / "back.jpg").write_bytes(_jpeg(back))
    out = run("verify", "--front", str(tmp_path / "front.jpg"), "--back", str(tmp_path / "back.jpg"),
              "--country", "US", "--document-type", "DRIVER_LICENSE", env_home=tmp_path)
    full = json.loads(out.stdout)
    assert full["document_validity"] == "DOC_VALIDATED", out.stderr
    assert full["client_identity_document"]["doc_surname"] == holder.last_name
    assert out.returncode == 0 and out.stderr.strip().splitlines()[-1].startswith("APPROVED")
