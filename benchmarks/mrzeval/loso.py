"""Leave-one-source-out for the MRZ reader: each source of the development images is scored
by a reader whose tunable constants were chosen on the other sources only.

The reader's constants, read from ``openidv/pipeline/document.py`` and ``mrz.py``:

data-tuned (measured on the development images or the reader's synthetic set), re-chosen per fold:
    ZONE_LINE_HEIGHT_PX 40       MRZ band re-read at this line height (40 vs 32: 53 vs 51/54 dev)
    TESSERACT_LINE_HEIGHT_PX 48  line height given to Tesseract (48 vs 36, same measurement)
    GEOMETRIC_MRZ_MIN_ASPECT 11  fast-path "MRZ line by shape" (dev MRZ lines >= 16.6)
    MRZ_CANDIDATE_MIN_ASPECT 6   line counts as an MRZ candidate (dev >= 16.6; split lines)
    WORK_MIN_LONG_SIDE_PX 640    small scans enlarged to this (dev ID-card scans 250 px wide)
data-tuned, not re-chosen (they do not act in read_mrz, only in analyse_document's verdict):
    SHARPNESS_MIN, PORTRAIT_GLARE_MAX_FRACTION, GLARE_*, FAST_CHECK_*
data-derived tables, not re-chosen (no grid: their content is the tuning; listed as a limit
of this evaluation): DIGIT_FOR_LETTER, LETTER_FOR_DIGIT, FILLER_LOOKALIKES, GLYPH_FOLDING
(e.g. Ñ→N), RESIDENCE_PERMIT_CODES_BY_ISSUER (USA C1/C2), LOWERCASE_FILLER_LOOKALIKES (c, e;
only inside a filler run), LOOKALIKE_CHARACTERS (both sides of the first two tables)
inline literals, not patchable without touching the reader (chosen on dev by eye):
    _next_zone_line (length within 20 %, angle within 4°), _pick_zone (mean length >= 40 →
    44-char format, >= 33 → 36-char, median <= 33 → TD1), _format_from_readings (median
    length error <= 4), mrz_text_score (>= 90 % MRZ characters; 28 chars and 8 digits
    without a filler), warp_line pads 0.12 / 0.15 / 0.2, third reading percentiles 2/98
chosen without data (cost or convention):
    mrz_vote (extra readings and column vote, only for zones still unsettled after the third
    reading): VOTE_GLYPH_HEIGHT_PX 28, GLYPH_ROW_INK_SHARE 0.2, GLYPH_SHARE_OF_BOX 0.3–0.85,
    UNSHARP_SIGMA_PX 1.5, UNSHARP_AMOUNT 1.0, BINARISE_OFFSET 10, MAPPED_VOTE_WEIGHT 0.5 (set
    once, none compared on any image; the glyph-band crop itself was designed after looking
    at stress misses among samples 0–199)
    WORK_MAX_LONG_SIDE_PX 1600 (cost), MRZ_FIRST_CANDIDATES 5 (2–3 lines + 2 spare),
    MRZ_LINE_MIN_CHARS 12, ZONE_MARGIN_LINES 1.6, EDGE_MARGIN_LINE_HEIGHTS 0.6,
    MAX_FAILING_CHECK_SHARE 0.5, EXPIRY_MAX_YEARS_AHEAD 50, MRZ_MAX_LINE_GAP 2.6 (ICAO
    line pitch ~1.5 detected heights plus slack), MAX_DIFFERENCES_CHECK_DIGIT_SETTLES 2 (a
    check digit catches any one wrong character; set before any run, not measured)
structural (ICAO 9303): FORMAT_SHAPES, LAYOUTS, COMPOSITES, check-digit weights 7-3-1,
    ALPHABET, SPECIAL_COUNTRY_CODES, RESIDENCE_PERMIT_CODES, DATE_FIELDS,
    UNCHECKED_OPTIONAL_DATA_FORMATS (visas: no composite check digit)
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from benchmarks.mrzeval.scoring import Item, Outcome

# The grid: the values the lead's choice came from, and one step either side.
GRID: dict[str, tuple[float, ...]] = {
    "ZONE_LINE_HEIGHT_PX": (32, 40, 48),
    "TESSERACT_LINE_HEIGHT_PX": (36, 48, 60),
    "GEOMETRIC_MRZ_MIN_ASPECT": (8.0, 11.0, 14.0),
}
QUICK_GRID: dict[str, tuple[float, ...]] = {"ZONE_LINE_HEIGHT_PX": (32, 40)}
# The one constant of GRID that changes any development result (baseline run, 2026-12-01):
# the same folds in a ninth of the time.
ZONE_GRID: dict[str, tuple[float, ...]] = {"ZONE_LINE_HEIGHT_PX": (32, 40, 48)}
# Packages the constants may live in (the document module may become a package).
READER_MODULES = ("openidv.pipeline.document", "openidv.pipeline.mrz", "openidv.pipeline.mrz_repair")


Combo = tuple[tuple[str, float], ...]


def combos(grid: dict[str, tuple[float, ...]]) -> list[Combo]:
    names = list(grid)
    return [tuple(zip(names, values)) for values in itertools.product(*(grid[n] for n in names))]


def _reader_modules() -> list:
    import openidv.pipeline.document  # noqa: F401  (loads the package and its modules)

    return [m for name, m in list(sys.modules.items())
            if m is not None and any(name == p or name.startswith(p + ".") for p in READER_MODULES)]


def current_values(names: Sequence[str]) -> dict[str, float]:
    """The reader's values of ``names`` as the code defines them."""
    out = {}
    for name in names:
        found = [getattr(m, name) for m in _reader_modules() if hasattr(m, name)]
        if not found:
            raise LookupError(f"no reader module defines {name}: update benchmarks/mrzeval/loso.py")
        out[name] = found[0]
    return out


@contextmanager
def patched(combo: Combo) -> Iterator[None]:
    """Set the reader's module constants to ``combo`` for the duration (every module that
    defines one, so a constant imported into a sibling module changes there too)."""
    saved = []
    try:
        for name, value in combo:
            hits = [m for m in _reader_modules() if hasattr(m, name)]
            if not hits:
                raise LookupError(f"no reader module defines {name}: update benchmarks/mrzeval/loso.py")
            for m in hits:
                saved.append((m, name, getattr(m, name)))
                setattr(m, name, type(getattr(m, name))(value))
        yield
    finally:
        for m, name, value in reversed(saved):
            setattr(m, name, value)


def run_grid(items: Sequence[Item], grid: dict[str, tuple[float, ...]],
             measure: Callable[[Sequence[Item]], list[Outcome]]) -> dict[Combo, list[Outcome]]:
    """Every item read once under every combination."""
    results = {}
    for i, combo in enumerate(combos(grid)):
        print(f"  grid {i + 1}/{len(combos(grid))}: {dict(combo)}", file=sys.stderr, flush=True)
        with patched(combo):
            results[combo] = measure(items)
    return results


def _selection_score(outcomes: Sequence[Outcome], combo: Combo, default: dict[str, float],
                     grid: dict[str, tuple[float, ...]]) -> tuple:
    """Exact reads, minus a heavy price per dangerous error; then exact reads the reader
    settled itself (accepted, not sent to review); then field hits; then the combination
    nearest the middle of the grid (which is where the reader's value sits: a tie is
    settled by that convention, not by any image of the held-out source)."""
    exact = sum(o.exact for o in outcomes)
    danger = sum(o.wrong_accepted or o.invalid_accepted for o in outcomes)
    settled = sum(o.exact and o.reading.accepted for o in outcomes)
    fields = sum(sum(o.field_hits.values()) for o in outcomes)
    distance = sum(abs(grid[n].index(v) - (len(grid[n]) - 1) / 2) for n, v in combo)
    return (exact - 10 * danger, settled, fields, -distance)


@dataclass(frozen=True)
class Fold:
    source: str
    chosen: Combo
    train_exact: int
    train_total: int
    outcomes: list[Outcome]
    tied_on_exact: int  # combinations with the chosen one's training score before the tie-breaks


def leave_one_source_out(results: dict[Combo, list[Outcome]], grid: dict[str, tuple[float, ...]]) -> list[Fold]:
    """Per source: choose the combination on the other sources, score this one with it."""
    any_outcomes = next(iter(results.values()))
    sources = sorted({o.item.source for o in any_outcomes})
    default = current_values(list(grid))
    folds = []
    for source in sources:
        def train(outs: list[Outcome]) -> list[Outcome]:
            return [o for o in outs if o.item.source != source]

        scores = {c: _selection_score(train(results[c]), c, default, grid) for c in results}
        chosen = max(results, key=lambda c: scores[c])
        tied = sum(scores[c][0] == scores[chosen][0] for c in results)
        held = [o for o in results[chosen] if o.item.source == source]
        folds.append(Fold(source, chosen, sum(o.exact for o in train(results[chosen])),
                          len(train(results[chosen])), held, tied))
    return folds
