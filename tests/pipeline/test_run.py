"""The pipeline's entry point: face work done beside the document gives the in-line result."""

from __future__ import annotations

import threading
import time

import pytest

from openidv.pipeline import run
from openidv.pipeline.document import portrait
from tests.support import synthetic
from openidv.pipeline.images import read_image_file


@pytest.mark.slow
@pytest.mark.parametrize("quarter_turns", [0, 1])
def test_face_work_beside_the_document_gives_the_in_line_result(
        quarter_turns, test_data_dir, ocr_engines, ocr_b_font, portrait_face, monkeypatch):
    engines = ocr_engines
    # Upright, the portrait's face is searched for once, beside the OCR, in the box the
    # document step then reports; on a page photographed sideways that early box is not
    # the reported one, and the face step searches the right box itself.
    page, _ = synthetic.make_document("TD3", portrait=portrait_face, seed=8,
                                      degradation=synthetic.Degradation(quarter_turns=quarter_turns))
    selfie = read_image_file(str(test_data_dir / "faces" / "deepface" / "img2.jpg"))
    searches = []
    real_search = portrait.find_document_face
    monkeypatch.setattr(portrait, "find_document_face", lambda *a: searches.append(a[2]) or real_search(*a))
    analysed = run.analyse_images(engines, {"FRONT": page, "FACE": selfie}, token_type="IDENTIFICATION",
                                  declared_country=None, declared_type=None)
    assert analysed.document.portrait_image == "FRONT"
    assert searches[-1] == analysed.document.portrait_box
    if quarter_turns == 0:
        assert len(searches) == 1
    in_line = run.analyse_face_images(engines, {"FRONT": page, "FACE": selfie}, analysed.document,
                                      face_required=True)
    assert analysed.face.result == in_line.result == "FACE_MATCH"
    assert analysed.face.distance == pytest.approx(in_line.distance, abs=1e-9)
    assert analysed.face.selfie_embedding == in_line.selfie_embedding
    assert analysed.seconds["selfie"] > 0


def test_a_failing_document_step_waits_for_the_selfie_before_returning(monkeypatch):
    # No work of a job may outlive it: the selfie thread is drained even when the document
    # stage raises.
    finished = threading.Event()

    def slow_selfie(engines, image):  # noqa: ANN001, ANN202
        time.sleep(0.3)
        finished.set()
        raise RuntimeError("selfie failed too")

    def broken_document(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise ValueError("document step failed")

    monkeypatch.setattr(run, "analyse_selfie", slow_selfie)
    monkeypatch.setattr(run, "analyse_document", broken_document)
    with pytest.raises(ValueError, match="document step failed"):
        run.analyse_images(object(), {"FRONT": object(), "FACE": object()}, token_type="IDENTIFICATION",
                           declared_country=None, declared_type=None)
    assert finished.is_set()
