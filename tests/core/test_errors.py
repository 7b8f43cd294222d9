"""The error answers: one documented section per identifier, and each body links to it."""

from __future__ import annotations

import re

from openidv.core import errors
from tests.conftest import REPO_ROOT


def _identifiers() -> set[str]:
    found = {cls.identifier for cls in vars(errors).values()
             if isinstance(cls, type) and issubclass(cls, errors.ApiError)}
    return found | {"DOC_NOT_FOUND", "NO_FACE_FOUND"}  # photo validation's own identifiers


def test_every_identifier_has_a_section_in_docs_errors_md() -> None:
    headings = set(re.findall(r"^## ([A-Z_]+)$", (REPO_ROOT / "docs" / "errors.md").read_text(), re.M))
    assert _identifiers() <= headings, _identifiers() - headings


def test_an_error_body_links_to_its_own_section() -> None:
    body = errors.error_body(errors.TokenNotValid("Token has already been used"))
    assert body["documentation"].endswith("docs/errors.md#token_not_valid")
    assert body["identifier"] == "TOKEN_NOT_VALID" and body["severity"] == "NOT_SEVERE"
