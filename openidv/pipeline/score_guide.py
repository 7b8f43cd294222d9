"""What the pipeline's scores mean to a person: one table of score name → label, threshold,
direction and explanation, built from the thresholds the stages themselves use (so the
guide cannot drift from the decision), and a verdict in plain words for a value.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from importlib import resources
from typing import Optional

from openidv.pipeline.document.quality import (
    FAST_CHECK_MIN_TEXT_LINES, PORTRAIT_GLARE_MAX_FRACTION, SHARPNESS_MIN,
)
from openidv.core.vocab import Liveness
from openidv.pipeline.active_liveness import (
    EYES_MOUTH_GAIN_FLAT, EYES_MOUTH_GAIN_PASS, MIN_APPROACH, MIN_APPROACH_TO_FAIL, MIN_FACE_WIDTH_PX, MIN_FRAMES, NOSE_GAIN_FLAT,
    NOSE_GAIN_PASS,
)
from openidv.pipeline.engines import LIVENESS_MODEL_RESOURCE
from openidv.pipeline.face import DETECT_MIN_SCORE, DLIB_OTHER_PERSON_MIN_DISTANCE, DLIB_SAME_PERSON_MAX_DISTANCE
from openidv.pipeline.liveness import LivenessModel
from openidv.pipeline.selfie import (
    FACE_MATCH_MAX_DISTANCE, FACE_MIN_SHARPNESS, FACE_MIN_WIDTH_PX, FACE_MISMATCH_MIN_DISTANCE,
    distance_to_similarity,
)

OK, WARN, BAD, INFO = "ok", "warn", "bad", "info"


@dataclass(frozen=True)
class Rule:
    """How a value is judged. ``higher``: passes at or above ``pass_at``; ``lower``: passes
    at or below it; ``exact``: passes when equal. With ``fail_at``, values between the two
    are the uncertain band and beyond ``fail_at`` fail; without, what does not pass fails."""

    direction: str  # "higher", "lower" or "exact"
    pass_at: float
    fail_at: Optional[float] = None
    pass_text: str = "passes"
    band_text: str = "uncertain: a person decides"
    fail_text: str = "fails"
    pass_level: str = OK
    fail_level: str = BAD

    def judge(self, value: float) -> tuple[str, str]:
        """(level, verdict) of a value."""
        higher = self.direction == "higher"
        if self.direction == "exact":
            passes = value == self.pass_at
        else:
            passes = value >= self.pass_at if higher else value <= self.pass_at
        if passes:
            return self.pass_level, self.pass_text
        if self.fail_at is not None:
            in_band = value >= self.fail_at if higher else value <= self.fail_at
            if in_band:
                return WARN, self.band_text
        return self.fail_level, self.fail_text


@dataclass(frozen=True)
class ScoreGuide:
    key: str
    label: str
    unit: str  # "ratio", "percent", "px", "count", "score"
    explanation: str
    rule: Optional[Rule] = None  # None: shown for context, no threshold
    check: str = ""  # the check whose scores it explains ("" any): one key may mean two things
    # Score keys that hold the thresholds applied when the check ran (pass, fail): when the
    # reason recorded them, they are used instead of today's constants.
    recorded: tuple[Optional[str], Optional[str]] = (None, None)

    def applied(self, scores: Mapping[str, object]) -> "ScoreGuide":
        """This guide with the thresholds the check recorded, where it recorded them."""
        if self.rule is None:
            return self
        pass_key, fail_key = self.recorded
        pass_at = scores.get(pass_key) if pass_key else None
        fail_at = scores.get(fail_key) if fail_key else None
        rule = replace(self.rule, pass_at=float(pass_at) if _is_number(pass_at) else self.rule.pass_at,
                       fail_at=float(fail_at) if _is_number(fail_at) else self.rule.fail_at)
        return replace(self, rule=rule)

    def format(self, value: float) -> str:
        if self.unit == "percent":
            return f"{value * 100:.1f} %"
        if self.unit in ("px", "count"):
            return f"{value:.0f}" + (" px" if self.unit == "px" else "")
        return f"{value:.3f}".rstrip("0").rstrip(".") if abs(value) < 10 else f"{value:.1f}"

    def threshold_text(self) -> str:
        rule = self.rule
        if rule is None:
            return "—"
        sign = {"higher": "≥", "lower": "≤", "exact": "="}[rule.direction]
        text = f"{sign} {self.format(rule.pass_at)}"
        if rule.fail_at is not None:
            other = "<" if rule.direction == "higher" else ">"
            text += f" passes; {other} {self.format(rule.fail_at)} fails"
        return text


@dataclass(frozen=True)
class ScoreReading:
    """One score of one verification, explained."""

    key: str
    label: str
    value: str
    threshold: str
    level: str
    verdict: str
    explanation: str


@functools.lru_cache(maxsize=1)
def liveness_model() -> LivenessModel:
    """The packaged liveness model (its thresholds and how it decides)."""
    text = (resources.files("openidv.pipeline") / "models" / LIVENESS_MODEL_RESOURCE).read_text()
    return LivenessModel.from_dict(json.loads(text))


def _liveness_rule() -> Rule:
    """The liveness verdicts as the model decides: LIVE from ``live_from``; below it either a
    band and FAKE_FACE under ``fake_below``, or (a model that never accuses) only doubt."""
    model = liveness_model()
    if model.decide(0.0) == Liveness.FAKE_FACE:
        return Rule("higher", model.live_from, model.fake_below, pass_text="live face",
                    band_text="not sure: look for paper edges, moiré, screen glare",
                    fail_text="photo of a photo or a screen")
    return Rule("higher", model.live_from, pass_text="live face",
                fail_text="not sure: look for paper edges, moiré, screen glare", fail_level=WARN)


# Score keys that are thresholds recorded beside the scores (the guide shows them as such).
THRESHOLD_KEYS = frozenset({"match_max_distance", "mismatch_min_distance", "liveness_live_from",
                            "selfie_min_sharpness", "selfie_min_face_width"})


def _guides() -> tuple[ScoreGuide, ...]:
    sharp = Rule("higher", SHARPNESS_MIN, pass_text="sharp enough to read",
                 fail_text="too blurry: characters may be misread")
    liveness = ScoreGuide(
        "liveness_score", "Liveness", "percent",
        "Modelled probability that the selfie shows a live face rather than a printed photo or a screen.",
        _liveness_rule(), recorded=("liveness_live_from", None))
    return (
        ScoreGuide("mrz_sharpness", "MRZ sharpness", "ratio",
                   "Edge strength of the machine-readable lines relative to their contrast.", sharp),
        ScoreGuide("text_sharpness", "Text sharpness", "ratio",
                   "Edge strength of the printed text lines (no MRZ was read).", sharp),
        ScoreGuide("portrait_glare", "Glare on the portrait", "percent",
                   "Share of the document portrait washed out by reflections.",
                   Rule("lower", PORTRAIT_GLARE_MAX_FRACTION, pass_text="little glare",
                        fail_text="glare hides the portrait (DOC_FACE_GLARED)")),
        ScoreGuide("portrait_score", "Portrait detection", "score",
                   "How clearly the face detector sees a face on the document (detector margin).",
                   Rule("higher", DETECT_MIN_SCORE, pass_text="portrait found", fail_text="weak detection")),
        ScoreGuide("text_lines", "Text lines found", "count",
                   "Printed lines found on the front; a document has many.",
                   Rule("higher", FAST_CHECK_MIN_TEXT_LINES, pass_text="looks like a document",
                        fail_text="too few lines: no document in the photo")),
        ScoreGuide("similarity", "Face similarity", "percent",
                   "How alike the selfie and the document portrait are (from the embedding distance).",
                   Rule("higher", distance_to_similarity(FACE_MATCH_MAX_DISTANCE),
                        distance_to_similarity(FACE_MISMATCH_MIN_DISTANCE),
                        pass_text="same person", band_text="uncertain: compare the faces yourself",
                        fail_text="different people")),
        liveness,
        replace(liveness, key="liveness"),
        ScoreGuide("selfie_faces", "Faces in the selfie", "count",
                   "Faces the detector found in the selfie; small or blurred background faces do not count.",
                   Rule("exact", 1, pass_text="one face", fail_text="no face, or more than one: see the face result")),
        ScoreGuide("selfie_face_width", "Selfie face width", "px",
                   "Width of the selfie's face; a small face has too little detail to compare.",
                   Rule("higher", FACE_MIN_WIDTH_PX, pass_text="large enough", fail_text="too small to trust"),
                   recorded=("selfie_min_face_width", None)),
        ScoreGuide("selfie_sharpness", "Selfie sharpness", "score",
                   "Detail in the selfie's face (variance of the Laplacian at 128 px).",
                   Rule("higher", FACE_MIN_SHARPNESS, pass_text="sharp enough", fail_text="too soft to trust"),
                   recorded=("selfie_min_sharpness", None)),
        ScoreGuide("selfie_detect_score", "Selfie face detection", "score",
                   "How clearly the face detector sees the selfie's face (detector margin).",
                   Rule("higher", DETECT_MIN_SCORE, pass_text="face found", fail_text="weak detection")),
        ScoreGuide("portrait_face_width", "Portrait face width", "px",
                   "Width of the portrait's face as found on the document image."),
        ScoreGuide("distance", "Face distance", "ratio",
                   "Cosine distance of the SFace embeddings of the selfie and the document portrait; lower is more alike.",
                   Rule("lower", FACE_MATCH_MAX_DISTANCE, FACE_MISMATCH_MIN_DISTANCE, pass_text="same person",
                        band_text="uncertain: compare the faces yourself", fail_text="different people"),
                   check="face", recorded=("match_max_distance", "mismatch_min_distance")),
        ScoreGuide("distance", "Face distance to the other client", "ratio",
                   "Distance of the dlib embeddings of this face and the other client's; lower is more alike.",
                   Rule("lower", DLIB_SAME_PERSON_MAX_DISTANCE, pass_text="the same person (duplicate)",
                        fail_text="different people", pass_level=BAD, fail_level=OK), check="duplicates"),
        ScoreGuide("matches", "Other clients matched", "count", "How many faces of other clients are that close.",
                   check="duplicates"),
        *_active_liveness_guides(),
    )


def _active_liveness_guides() -> tuple[ScoreGuide, ...]:
    """The "move closer" challenge: a real head seen nearer gains perspective (the nose and
    the eyes/mouth grow faster than the cheeks); a photo or a screen keeps its proportions."""
    check = "active_liveness"
    return (
        ScoreGuide("frames", "Challenge frames", "count", "Frames the camera took during the challenge.",
                   check=check),
        ScoreGuide("frames_with_face", "Frames with a face", "count",
                   "Challenge frames in which the face-mesh model found a face.",
                   Rule("higher", MIN_FRAMES, pass_text="enough to compare", fail_text="too few: inconclusive",
                        fail_level=WARN), check=check),
        ScoreGuide("far_face_width", "Face width, farthest frame", "px",
                   "Width of the face when it was farthest from the camera.",
                   Rule("higher", MIN_FACE_WIDTH_PX, pass_text="large enough", fail_text="too small: inconclusive",
                        fail_level=WARN), check=check),
        ScoreGuide("identity_distance", "Challenge face vs selfie", "ratio",
                   "Distance of the dlib embeddings of the face in the challenge frames and the selfie's face.",
                   Rule("lower", DLIB_SAME_PERSON_MAX_DISTANCE, DLIB_OTHER_PERSON_MIN_DISTANCE,
                        pass_text="the same person", band_text="not clearly the same: inconclusive",
                        fail_text="another face: the challenge fails"), check=check),
        ScoreGuide("approach", "Came closer by", "ratio",
                   "How much larger the face became from the farthest to the nearest frames. A flat face "
                   f"counts as a photo or screen only from {MIN_APPROACH_TO_FAIL}× on; below, it is inconclusive.",
                   Rule("higher", MIN_APPROACH, pass_text="came closer", fail_text="not closer: inconclusive",
                        fail_level=WARN), check=check),
        ScoreGuide("depth_gain_eyes_mouth", "Perspective gain, eyes and mouth", "ratio",
                   "How much faster the eyes and mouth grew than the face outline as it came closer.",
                   Rule("higher", EYES_MOUTH_GAIN_PASS, EYES_MOUTH_GAIN_FLAT, pass_text="a real head's depth",
                        band_text="weak depth: inconclusive", fail_text="flat, as a photo or screen"), check=check),
        ScoreGuide("depth_gain_nose", "Perspective gain, nose", "ratio",
                   "How much faster the nose grew than the face outline as it came closer.",
                   Rule("higher", NOSE_GAIN_PASS, NOSE_GAIN_FLAT, pass_text="a real head's depth",
                        band_text="weak depth: inconclusive", fail_text="flat, as a photo or screen"), check=check),
    )


@functools.lru_cache(maxsize=1)
def score_guides() -> dict[tuple[str, str], ScoreGuide]:
    """Every known score by (check, key) — check "" for a key that means the same in any
    check — in the order a reviewer reads them."""
    return {(g.check, g.key): g for g in _guides()}


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def read_score(key: str, value: object, check: str = "", recorded: Optional[Mapping[str, object]] = None
               ) -> ScoreReading:
    """A score explained; an unknown key or a non-number is shown as it is. ``recorded``: the
    other scores of the same check (thresholds it recorded are used)."""
    guides = score_guides()
    guide = guides.get((check, key)) or guides.get(("", key))
    if guide is None or not _is_number(value):
        return ScoreReading(key, key, str(value), "—", INFO, "", "")
    guide = guide.applied(recorded or {})
    number = float(value)  # type: ignore[arg-type]
    level, verdict = guide.rule.judge(number) if guide.rule else (INFO, "for context")
    return ScoreReading(key, guide.label, guide.format(number), guide.threshold_text(), level, verdict,
                        guide.explanation)


def read_scores(check: str, scores: Mapping[str, object]) -> list[ScoreReading]:
    """The scores one check recorded, explained (recorded thresholds are not listed: they
    show as the thresholds; "liveness" repeats "liveness_score")."""
    return [read_score(key, value, check, scores) for key, value in scores.items()
            if key not in THRESHOLD_KEYS and not (key == "liveness" and "liveness_score" in scores)]
