"""The fast synchronous photo check of /process (SPEC 3.2): a document on FRONT, a face on FACE.

A failure is answered with 200 and an error body, and the token stays usable, so the
partner can send better photos.
"""

from __future__ import annotations

from typing import Mapping

from openidv.api.errors import PhotoNotAccepted
from openidv.api.images import UploadedImage


def validate_photos(uploads: Mapping[str, UploadedImage]) -> None:
    from openidv.pipeline.document import has_document
    from openidv.pipeline.face import has_face

    # Not under the pipeline's MODELS_LOCK: a running job would hold it for a second or
    # more. has_face uses its own detector; has_document only RapidOCR's text detector,
    # whose ONNX Runtime session is safe to call from several threads.
    front, face = uploads.get("FRONT"), uploads.get("FACE")
    document_found = front is None or has_document(front.pixels)
    face_found = document_found and (face is None or has_face(face.pixels))
    if not document_found:
        raise PhotoNotAccepted("DOC_NOT_FOUND", "No document was found on the FRONT image")
    if not face_found:
        raise PhotoNotAccepted("NO_FACE_FOUND", "No face was found on the FACE image")
