"""The decision rules, line by line."""

from __future__ import annotations

import pytest

from openidv.pipeline.decision import InconsistentReview, decide, is_resubmission, manual_decision


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


def test_every_review_decision_is_final():
    approve = manual_decision("approve", "DOC_VALIDATED", "FACE_MATCH", face_required=True)
    assert (approve.status, approve.final) == ("APPROVED", True)
    decline = manual_decision("decline", "DOC_EXPIRED", "FACE_MATCH", face_required=True)
    assert (decline.status, decline.final) == ("DENIED", True)
    retake = manual_decision("resubmit", "DOC_VALIDATED", "FACE_TOO_BLURRY", face_required=True)
    assert (retake.status, retake.final) == ("DENIED", True)
    assert is_resubmission("DENIED", "DOC_VALIDATED", "FACE_TOO_BLURRY", face_required=True)
    assert not is_resubmission("DENIED", "DOC_EXPIRED", "FACE_MATCH", face_required=True)


def test_approving_with_tags_stays_suspected():
    d = manual_decision("approve", "DOC_VALIDATED", "FACE_MATCH", face_required=True, fraud_tags=("DUPLICATE_FACE",))
    assert d.status == "SUSPECTED" and d.final


@pytest.mark.parametrize("decision,document,face,required", [
    ("approve", "DOC_VALIDATED", "FACE_TOO_BLURRY", True),   # approve with a failing code
    ("decline", "DOC_VALIDATED", "FACE_TOO_BLURRY", True),   # a photo problem is a resubmission
    ("decline", "DOC_VALIDATED", "FACE_MATCH", True),        # nothing failed, no fraud tag
    ("resubmit", "DOC_EXPIRED", "FACE_MATCH", True),         # not about the photos
    ("resubmit", "DOC_VALIDATED", "FACE_MATCH", True),       # nothing to retake
    ("approve", "DOC_VALIDATED", "FACE_UNCERTAIN", True),    # "could not tell" is no finding
    ("approve", "DOC_VALIDATED", "FACE_NOT_ANALYSED", True), # a selfie was there
    ("approve", "DOC_VALIDATED", "FACE_MATCH", False),       # no selfie to match
    ("maybe", "DOC_VALIDATED", "FACE_MATCH", True),
])
def test_inconsistent_reviews_are_refused(decision, document, face, required):
    with pytest.raises(InconsistentReview):
        manual_decision(decision, document, face, face_required=required)


def test_a_duplicate_may_be_declined_with_passing_codes():
    d = manual_decision("decline", "DOC_VALIDATED", "FACE_MATCH", face_required=True, fraud_tags=("DUPLICATE_FACE",))
    assert d.status == "DENIED"
