"""SPEC section 6, line by line."""

from __future__ import annotations

import pytest

from openidv.pipeline.decision import decide, overall_after_review


@pytest.mark.parametrize("doc", ["DOC_NOT_FOUND", "DOC_NOT_SUPPORTED", "DOC_EXPIRED", "COUNTRY_MISMATCH",
                                 "DOC_TYPE_MISMATCH"])
def test_hard_document_failures_deny(doc):
    d = decide(doc, "FACE_MATCH", face_required=True)
    assert d.status == "DENIED" and d.final and doc in d.reasons[0].detail


# FAKE_FACE comes from a reviewer (the passive liveness model never gives it).
@pytest.mark.parametrize("face", ["FACE_MISMATCH", "NO_FACE_FOUND", "FAKE_FACE", "TOO_MANY_FACES"])
def test_hard_face_failures_deny(face):
    assert decide("DOC_VALIDATED", face, face_required=True).status == "DENIED"


def test_everything_passing_approves():
    d = decide("DOC_VALIDATED", "FACE_MATCH", face_required=True)
    assert d.status == "APPROVED" and d.final


def test_document_token_needs_no_face():
    assert decide("DOC_VALIDATED", "FACE_NOT_ANALYSED", face_required=False).status == "APPROVED"
    assert decide("DOC_VALIDATED", "FACE_NOT_ANALYSED", face_required=True).status == "REVIEWING"


def test_tags_make_it_suspected():
    assert decide("DOC_VALIDATED", "FACE_MATCH", face_required=True, mismatch_tags=("NAME",)).status == "SUSPECTED"
    assert decide("DOC_VALIDATED", "FACE_MATCH", face_required=True, fraud_tags=("DUPLICATE_FACE",)).status == "SUSPECTED"


@pytest.mark.parametrize("doc, face, review", [
    ("DOC_VALIDATED", "FACE_UNCERTAIN", ()),
    ("DOC_VALIDATED", "FACE_TOO_BLURRY", ()),
    ("MRZ_OCR_READING_ERROR", "FACE_MATCH", ()),
    ("DOC_NOT_ANALYSED", "FACE_NOT_ANALYSED", ()),
    ("DOC_VALIDATED", "FACE_MATCH", ("surname readings disagree",)),
])
def test_uncertain_results_go_to_review(doc, face, review):
    d = decide(doc, face, face_required=True, needs_review=review)
    assert d.status == "REVIEWING" and not d.final


def test_partner_policies():
    assert decide("DOC_VALIDATED", "FACE_MATCH", face_required=True, review_policy="review_all").status == "REVIEWING"
    assert decide("DOC_VALIDATED", "FACE_MATCH", face_required=True, review_policy="review_failed").status == "APPROVED"
    assert decide("DOC_EXPIRED", "FACE_MATCH", face_required=True, review_policy="review_failed").status == "REVIEWING"


def test_manual_results_replace_automatic_ones():
    d = overall_after_review("DOC_VALIDATED", "FACE_UNCERTAIN", None, "FACE_MATCH", face_required=True)
    assert d.status == "APPROVED" and d.final
    d = overall_after_review("DOC_VALIDATED", "FACE_MATCH", "DOC_EXPIRED", None, face_required=True)
    assert d.status == "DENIED"
