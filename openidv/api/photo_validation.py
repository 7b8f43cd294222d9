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

    front = uploads.get("FRONT")
    if front is not None and not has_document(front.pixels):
        raise PhotoNotAccepted("DOC_NOT_FOUND", "No document was found on the FRONT image")
    face = uploads.get("FACE")
    if face is not None and not has_face(face.pixels):
        raise PhotoNotAccepted("NO_FACE_FOUND", "No face was found on the FACE image")
