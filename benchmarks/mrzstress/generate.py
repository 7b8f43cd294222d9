"""Stress samples: a document drawn from a seed, rendered, photographed, with its ground
truth and every condition it was taken under."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass

import numpy as np

from benchmarks.mrzstress import icao
from benchmarks.mrzstress.layout import render_page
from benchmarks.mrzstress.photo import BACKGROUNDS, Conditions, photograph
from benchmarks.mrzstress.truth import Truth, draw_truth

# Share of documents whose zone is deliberately invalid (the reader must not accept them).
MALFORMED_SHARE = 0.08
ASPECTS = (((4, 3), 0.3), ((3, 4), 0.3), ((1, 1), 0.15), ((16, 9), 0.15), ((9, 16), 0.1))


@dataclass(frozen=True)
class StressSample:
    index: int
    seed: int
    truth: Truth
    conditions: Conditions
    layout: str
    jpeg: bytes

    @property
    def name(self) -> str:
        return f"stress_{self.seed}_{self.index:05d}.jpg"

    @property
    def valid(self) -> bool:
        """Whether the printed zone is a valid ICAO zone (check digits, dates, classes)."""
        return self.truth.malformation is None

    @property
    def expect_readable(self) -> bool:
        """Whether an exact read is possible: a valid zone not covered by a thumb."""
        return self.valid and not self.conditions.thumb_over_mrz

    def record(self) -> dict:
        """Ground truth and conditions, JSON-ready."""
        z = self.truth.zone
        return {"name": self.name, "seed": self.seed, "index": self.index, "format": z.fmt,
                "document_code": z.document_code, "issuing_state": z.issuing_state,
                "nationality": z.nationality, "script": self.truth.script, "layout": self.layout,
                "printed_names": [self.truth.printed_surname, self.truth.printed_given],
                "mrz_lines": list(self.truth.lines), "valid": self.valid,
                "problems": icao.problems(self.truth.lines),
                "malformation": self.truth.malformation, "malformation_detail": self.truth.malformation_detail,
                "long_number": self.truth.long_number, "long_optional": self.truth.long_optional,
                "expect_readable": self.expect_readable, "conditions": asdict(self.conditions)}


def _pick(rng: np.random.Generator, weighted):  # noqa: ANN001, ANN202
    values, weights = zip(*weighted)
    p = np.asarray(weights, float)
    return values[int(rng.choice(len(values), p=p / p.sum()))]


# Photometric stressors: each photo gets none, one or two of them at full strength and the
# others mild, so every bin of the report holds photos where a stressor acts (nearly) alone.
STRESSORS = ("motion", "defocus", "low_light", "noise", "glare", "thumb")
STRESSOR_COUNT = ((0, 0.3), (1, 0.45), (2, 0.25))


def draw_conditions(rng: np.random.Generator) -> Conditions:
    """Geometry, size and JPEG quality vary on every photo; photometric stressors as above."""
    aw, ah = _pick(rng, ASPECTS)
    quarter_turns = int(_pick(rng, ((0, 0.55), (1, 0.15), (2, 0.15), (3, 0.15))))
    # Most people turn the phone to match the document (a landscape page upright or upside
    # down in a landscape frame); some do not, and the page then fills less of the frame.
    page_landscape = quarter_turns % 2 == 0
    if (aw > ah) != page_landscape and aw != ah and rng.random() < 0.7:
        aw, ah = ah, aw
    long_side = int(rng.integers(400, 801))
    width, height = (long_side, round(long_side * ah / aw)) if aw >= ah else (round(long_side * aw / ah), long_side)
    active = set(rng.choice(STRESSORS, size=int(_pick(rng, STRESSOR_COUNT)), replace=False).tolist())
    light = float(rng.uniform(0.15, 0.4)) if "low_light" in active else float(rng.uniform(0.6, 1.1))
    glare = float(rng.uniform(0.3, 1.0)) if "glare" in active else 0.0
    thumb = "thumb" in active
    return Conditions(
        width=width, height=height, page_fill=float(rng.uniform(0.6, 0.95)),
        tilt_deg=float(rng.uniform(0, 30)), tilt_axis_deg=float(rng.uniform(0, 360)),
        rotation_deg=float(np.clip(rng.normal(0, 3), -8, 8)) if rng.random() < 0.5 else float(rng.uniform(-25, 25)),
        quarter_turns=quarter_turns,
        motion_px=float(rng.uniform(1, 8)) if "motion" in active else 0.0,
        motion_angle_deg=float(rng.uniform(0, 180)),
        defocus_px=float(rng.uniform(0.5, 2.5)) if "defocus" in active else 0.0,
        jpeg_quality=int(rng.integers(25, 61)), light=light,
        camera_gain=bool(light < 0.5 and rng.random() < 0.6),
        noise_sigma=float(rng.uniform(4, 12)) if "noise" in active else float(rng.uniform(0, 4)),
        glare=glare, glare_over_mrz=bool(glare > 0 and rng.random() < 0.35),
        thumb=thumb, thumb_over_mrz=bool(thumb and rng.random() < 0.15),
        background=str(BACKGROUNDS[int(rng.integers(len(BACKGROUNDS)))]),
    )


def generate(seed: int, index: int) -> StressSample:
    """Sample ``index`` of the set ``seed``: the same bytes every time, in any order."""
    rng = np.random.default_rng([seed, index])
    truth = draw_truth(rng, MALFORMED_SHARE)
    if truth.malformation is not None and not icao.problems(truth.lines):
        raise AssertionError(f"malformed sample {index} is a valid zone: {truth.lines}")
    page = render_page(truth, rng)
    conditions = draw_conditions(rng)
    jpeg, measured = photograph(page, conditions, rng)
    return StressSample(index, seed, truth, measured, page.layout, jpeg)


def generate_set(seed: int, count: int, start: int = 0) -> Iterator[StressSample]:
    for index in range(start, start + count):
        yield generate(seed, index)
