"""Scoring one MRZ reading against ground truth: exact, accepted, dangerous errors, and
which stage of the reader a miss comes from (location, format, recognition, repair).

Ground truth is parsed with the stress generator's own ICAO code, never the reader's.
"""

from __future__ import annotations

import difflib
import functools
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.mrzstress import icao

FIELDS = ("document_number", "date_of_birth", "date_of_expiry", "surname", "given_names",
          "nationality_code", "issuing_code", "sex")


@dataclass(frozen=True)
class Item:
    """One image to read: its truth (None: the image shows no MRZ) and where it comes from."""

    name: str
    path: Path
    truth: tuple[str, ...] | None
    source: str
    conditions: dict = field(default_factory=dict, compare=False)  # stress set: how it was taken

    @property
    def truth_valid(self) -> bool:
        return self.truth is not None and not icao.problems(self.truth)


@dataclass(frozen=True)
class Reading:
    lines: tuple[str, ...] | None
    fields: dict[str, str]
    accepted: bool  # handed out without review: checks pass, readings agree, dates exist
    checks_pass: bool  # every check digit verifies (agreement and dates not considered)
    seconds: float
    cpu_seconds: float = 0.0
    detail: dict = field(default_factory=dict)  # reader internals for the miss analysis


@functools.lru_cache(maxsize=1)
def _engines():  # noqa: ANN202
    """The models, loaded once for every read of a run."""
    from openidv.pipeline.engines import Engines

    return Engines()


def read_openidv(path: Path, today) -> Reading:  # noqa: ANN001  (datetime.date)
    """openidv's ``read_mrz`` on a decoded image; 'accepted' as analyse_document decides it:
    no failing check digit, no field the two readings disagree on, no unprotected field
    with look-alike characters, both dates exist."""
    from openidv.pipeline.document import read_mrz
    from openidv.pipeline.images import read_image_file

    image = read_image_file(str(path))
    start, cpu_start = time.perf_counter(), time.process_time()
    result = read_mrz(_engines(), image, today=today)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    loc = result.location
    detail = {"error": result.error, "located": loc is not None,
              "zone_lines": len(loc.lines) if loc is not None else 0,
              "location_format": loc.fmt if loc is not None else None,
              "rotation": loc.work.rotation * 90 if loc is not None else None,
              "primary": list(result.primary), "secondary": list(result.secondary)}
    data = result.data
    if data is None:
        return Reading(None, {}, False, False, seconds, cpu, detail)
    lines = tuple(data.lines)
    checks = data.all_check_digits_valid
    detail.update(format=data.format, unconfirmed=list(data.unconfirmed_fields),
                  unprotected=list(data.unprotected_fields),
                  failing=[k for k, ok in data.check_digits.items() if not ok],
                  dates=[data.date_of_birth, data.date_of_expiry])
    accepted = checks and not data.unconfirmed_fields and not data.unprotected_fields \
        and data.date_of_birth is not None and data.date_of_expiry is not None
    return Reading(lines, icao.fields(lines), accepted, checks, seconds, cpu, detail)


@dataclass(frozen=True)
class Outcome:
    """One item scored."""

    item: Item
    reading: Reading
    exact: bool
    wrong_accepted: bool  # valid truth, read differently, accepted: the dangerous error
    wrong_checks_pass: bool  # valid truth, read differently, every check digit passes
    invalid_accepted: bool  # truth invalid (or no MRZ), yet accepted
    invented: bool  # no MRZ on the image, yet one was returned
    field_hits: dict[str, bool]
    cause: str = ""  # for a miss: the stage it came from
    diff: str = ""


def score(item: Item, reading: Reading) -> Outcome:
    if item.truth is None:
        return Outcome(item, reading, reading.lines is None, False, False, reading.accepted,
                       reading.lines is not None, {}, "" if reading.lines is None else "validation: MRZ invented",
                       "" if reading.lines is None else "|".join(reading.lines))
    exact = reading.lines == item.truth
    valid = item.truth_valid
    truth_fields = icao.fields(item.truth)
    hits = {f: reading.fields.get(f) == truth_fields.get(f) for f in FIELDS}
    cause, diff = ("", "") if exact else classify(item.truth, reading)
    return Outcome(item, reading, exact, valid and reading.accepted and not exact,
                   valid and reading.checks_pass and not exact, not valid and reading.accepted,
                   False, hits, cause, diff)


# ---------------------------------------------------------------------------------------
# Where a miss comes from


def _clean(text: str) -> str:
    text = text.upper().replace("«", "<<").replace(" ", "")
    return "".join(ch for ch in text if ch in icao.MRZ_CHARACTERS)


def _aligned(raw: str, truth: str) -> list[str | None]:
    """For each column of ``truth``, the character ``raw`` has there (None if unaligned)."""
    if len(raw) == len(truth):
        return list(raw)
    out: list[str | None] = [None] * len(truth)
    for tag, a0, a1, b0, b1 in difflib.SequenceMatcher(a=truth, b=raw, autojunk=False).get_opcodes():
        if tag == "equal" or (tag == "replace" and a1 - a0 == b1 - b0):
            for k in range(a1 - a0):
                out[a0 + k] = raw[b0 + k]
    return out


def _field_at(fmt: str, line: int, col: int) -> str:
    if fmt == "TD1":
        if line == 0:
            return "code" if col < 5 else "number" if col < 15 else "optional"
        if line == 1:
            return ("birth" if col < 7 else "sex" if col == 7 else "expiry" if col < 15 else
                    "nationality" if col < 18 else "optional" if col < 29 else "composite")
        return "names"
    if line == 0:
        return "code" if col < 5 else "names"
    return ("number" if col < 10 else "nationality" if col < 13 else "birth" if col < 20 else
            "sex" if col == 20 else "expiry" if col < 28 else "optional")


def _runs(cols: list[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for c in cols:
        if runs and c == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], c)
        else:
            runs.append((c, c))
    return runs


def classify(truth: tuple[str, ...], reading: Reading) -> tuple[str, str]:
    """(stage, what differs) for a reading that is not exact."""
    d = reading.detail
    fmt = icao.format_of(truth)
    if not d:
        return "other reader", ""
    if fmt is None:
        return "truth has no ICAO shape", f"line lengths {[len(t) for t in truth]}"
    if any(set(t) - icao.MRZ_CHARACTERS for t in truth):
        return "truth holds non-MRZ characters", "".join(sorted(set("".join(truth)) - icao.MRZ_CHARACTERS))
    if not d.get("located"):
        return "location: no zone found", ""
    if reading.lines is None:
        if d.get("zone_lines", 0) < len(truth):
            return f"location: {d.get('zone_lines')} of {len(truth)} lines found", ""
        return "format inference: no format fits the readings", f"location said {d.get('location_format')}"
    if d.get("format") != fmt:
        if d.get("zone_lines", 0) != len(truth):
            return f"location: {d.get('zone_lines')} of {len(truth)} lines, read as {d.get('format')}", ""
        return f"format inference: read as {d.get('format')}", ""
    wrong, engines_saw = [], 0
    parts = []
    for ln, (got, want) in enumerate(zip(reading.lines, truth)):
        cols = [c for c in range(len(want)) if got[c] != want[c]]
        if not cols:
            continue
        raws = [_aligned(_clean(r[ln]), want) for r in (d.get("primary", []), d.get("secondary", []))
                if len(r) > ln]
        for c in cols:
            wrong.append(c)
            engines_saw += any(raw[c] == want[c] for raw in raws)
        for a, b in _runs(cols):
            parts.append(f"L{ln + 1}c{a + 1}-{b + 1} {_field_at(fmt, ln, a)}: {got[a:b + 1]!r} for {want[a:b + 1]!r}")
    stage = "repair/combination" if engines_saw else "recognition"
    if engines_saw and engines_saw < len(wrong):
        stage = "recognition + repair/combination"
    return stage, "; ".join(parts)
