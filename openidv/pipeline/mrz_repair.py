"""Turning OCR readings of an MRZ into its lines: glyph folding, repair by the character class
of each position, and agreement between two independent readings.

A check digit is only ever *verified*, never used to search for a substitution that happens
to pass: a choice is made between characters that an engine actually read.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Sequence

from openidv.pipeline.mrz import (
    ALPHABET, ANY, DIGITS, DIGITS_0_9, FILLER, FORMAT_SHAPES, LAYOUTS, LETTERS, SEX, FieldSpec, field_verifies,
    is_known_country_code, parse_mrz, position_classes,
)
from openidv.pipeline.results import MrzData

# Confusions of the OCR engines seen on MRZ text, mapped within a character class.
DIGIT_FOR_LETTER = {"O": "0", "Q": "0", "D": "0", "U": "0", "I": "1", "L": "1", "T": "1",
                    "Z": "2", "B": "8", "S": "5", "G": "6", "A": "4"}
LETTER_FOR_DIGIT = {"0": "O", "1": "I", "2": "Z", "4": "A", "5": "S", "6": "G", "8": "B"}
# Two readings of a field with a check digit that differ in more characters than this are
# a disagreement, whichever of them verifies: a check digit catches every single wrong
# character, but a reading wrong in several places passes it by chance one time in ten,
# so it may only choose between readings that are nearly the same.
MAX_DIFFERENCES_CHECK_DIGIT_SETTLES = 2
# Characters of an OCR-B pair the engines confuse (the two sides of the tables above).
LOOKALIKE_CHARACTERS = frozenset(DIGIT_FOR_LETTER) | frozenset(DIGIT_FOR_LETTER.values()) \
    | frozenset(LETTER_FOR_DIGIT) | frozenset(LETTER_FOR_DIGIT.values())
# Visa formats: their optional data has no check digit, not even a composite one.
UNCHECKED_OPTIONAL_DATA_FORMATS = ("MRVA", "MRVB")
# Glyphs a reader may return for the filler '<' (OCR-B '<' resembles them at low resolution).
FILLER_LOOKALIKES = set("KCSX") | {"«", "‹", "{", "(", "[", "£", "€"}
# Lower-case glyphs a reader may return for the filler (only beside a filler: see fold_glyphs).
LOWERCASE_FILLER_LOOKALIKES = frozenset("ce")
# Non-MRZ glyphs mapped to what they stand for before anything else.
GLYPH_FOLDING = {"«": "<<", "‹": "<", "{": "<", "(": "<", "[": "<", "£": "<", "€": "<",
                 " ": "", "Φ": "D", "Ø": "0", "Ñ": "N", "|": "I", "$": "S"}


def fold_glyphs(text: str) -> str:
    """Upper-case and map non-MRZ glyphs an OCR engine may return onto MRZ characters."""
    return "".join(GLYPH_FOLDING.get(ch, ch) for ch in _lowercase_fillers(text).upper())


def _lowercase_fillers(text: str) -> str:
    """Lower-case 'c' and 'e' inside a filler run are fillers; elsewhere they stay letters.

    An MRZ has no lower case. A small, blurred OCR-B '<' is read as 'c' or 'e' inside a
    filler run, but so may a C or E of a name be read lower case ("<<eRIKA"): only a run
    of them with a filler (or a glyph folded into one) on both sides, or on one side and
    the end of the line on the other, is taken for filler.
    """
    out = list(text)
    i = 0
    while i < len(text):
        if text[i] not in LOWERCASE_FILLER_LOOKALIKES:
            i += 1
            continue
        j = i
        while j < len(text) and text[j] in LOWERCASE_FILLER_LOOKALIKES:
            j += 1
        before = text[i - 1] if i > 0 else ""
        after = text[j] if j < len(text) else ""
        edges = (_is_filler_glyph(before) or before == "", _is_filler_glyph(after) or after == "")
        if all(edges) and (before or after):
            out[i:j] = FILLER * (j - i)
        i = j
    return "".join(out)


def _is_filler_glyph(ch: str) -> bool:
    return ch != "" and set(GLYPH_FOLDING.get(ch, ch)) == {FILLER}


def clean_line(text: str) -> str:
    """OCR text → MRZ characters only (glyph folding; anything else dropped)."""
    return "".join(ch for ch in fold_glyphs(text) if ch in ALPHABET)


def fits_class(ch: str, cls: str) -> bool:
    """Whether a character is legal in a column of class ``cls``."""
    if ch == FILLER:
        return True
    if cls == DIGITS:
        return ch in DIGITS_0_9
    if cls == LETTERS:
        return "A" <= ch <= "Z"
    if cls == SEX:
        return ch in "MFX"
    return ch in ALPHABET


def repair_char(ch: str, cls: str) -> str:
    """Map one character onto its column's class (O→0 in digit columns, 0→O in letter ones).

    The mapping depends only on the character and the column, never on any check digit.
    """
    if fits_class(ch, cls):
        return ch
    if cls == DIGITS:
        return DIGIT_FOR_LETTER.get(ch, ch)
    if cls in (LETTERS, SEX):
        return LETTER_FOR_DIGIT.get(ch, ch)
    return ch


def repair_by_class(line: str, classes: str) -> str:
    """:func:`repair_char` on every column of a line."""
    return "".join(repair_char(ch, cls) for ch, cls in zip(line, classes)) + line[len(classes):]


def repair_filler_runs(line: str, classes: str) -> str:
    """Turn K/C/S/X read inside filler runs back into '<'.

    In name fields, names end at the first '<<<' (ICAO separates words by one filler and
    the two name parts by two), so a K/C/S/X after it is a misread filler. Elsewhere a
    single K/C/S/X with fillers on both sides inside a run of three or more is one.
    """
    chars = list(line)
    n = min(len(chars), len(classes))
    name_start = None
    for i in range(n - 2):
        if classes[i] == LETTERS and "".join(chars[i : i + 3]) == FILLER * 3:
            name_start = i
            break
    if name_start is not None:
        for i in range(name_start, n):
            if classes[i] != LETTERS:
                break
            if chars[i] in FILLER_LOOKALIKES:
                chars[i] = FILLER
    for i in range(1, n - 1):
        if chars[i] in FILLER_LOOKALIKES and chars[i - 1] == FILLER and chars[i + 1] == FILLER:
            left = i >= 2 and chars[i - 2] == FILLER
            right = i + 2 < n and chars[i + 2] == FILLER
            if (left or right) and classes[i] in (ANY, LETTERS):
                chars[i] = FILLER
    return "".join(chars)


def end_names_at_filler_run(line: str, fmt: str, line_no: int) -> str:
    """Everything after the first '<<<' of the name field is filler.

    ICAO separates name words by one filler and the two name parts by two, so the name
    ends at the first run of three: letters read after it are filler misread in a dark or
    blurred photo, never a name word, and kept they would give the holder invented names.
    The field runs to the end of its line in every format. A '?' (no character aligned
    there) stays as it is.
    """
    start = next((s.start for s in LAYOUTS[fmt] if s.name == "names" and s.line == line_no), None)
    return line if start is None else _clear_after_name_end(line, start)


def _clear_after_name_end(text: str, start: int) -> str:
    """``text`` with everything after the first '<<<' from column ``start`` on made filler."""
    cut = text.find(FILLER * 3, start)
    if cut < 0 or not text[start:cut].strip(FILLER + "?"):
        return text  # no name before the run: nothing to go by
    return text[:cut] + "".join(ch if ch == "?" else FILLER for ch in text[cut:])


def fit_line_length(line: str, length: int) -> str:
    """Fit a reading to the format length; the longest filler run absorbs the difference.

    Spurious or dropped characters are nearly always fillers in a long run; taking them
    out of (or adding them to) that run keeps the check digits at the end in their columns.
    """
    if len(line) == length:
        return line
    runs = [(m_end - m_start, m_start) for m_start, m_end in _filler_runs(line)]
    if len(line) > length:
        excess = len(line) - length
        for run_len, start in sorted(runs, reverse=True):
            if run_len >= excess + 1:
                return line[:start] + line[start + excess :]
        return line[:length]
    missing = length - len(line)
    if runs:
        run_len, start = max(runs)
        if run_len >= 2:
            return line[:start] + FILLER * missing + line[start:]
    return line + FILLER * missing


def _filler_runs(line: str) -> list[tuple[int, int]]:
    runs, i = [], 0
    while i < len(line):
        if line[i] == FILLER:
            j = i
            while j < len(line) and line[j] == FILLER:
                j += 1
            runs.append((i, j))
            i = j
        else:
            i += 1
    return runs


def align_to(primary: str, secondary: str) -> list[str | None]:
    """For each column of ``primary``, the character ``secondary`` has there (None if unaligned)."""
    if len(primary) == len(secondary):
        return list(secondary)
    out: list[str | None] = [None] * len(primary)
    matcher = difflib.SequenceMatcher(a=primary, b=secondary, autojunk=False)
    for tag, a0, a1, b0, b1 in matcher.get_opcodes():
        if tag == "equal" or (tag == "replace" and a1 - a0 == b1 - b0):
            for k in range(a1 - a0):
                out[a0 + k] = secondary[b0 + k]
    return out


def normalise_reading(raw_lines: Sequence[str], fmt: str) -> tuple[str, ...]:
    """Raw OCR lines → lines of the format's length, repaired by class and filler runs."""
    _, length = FORMAT_SHAPES[fmt]
    return tuple(_repair_reading(fit_line_length(clean_line(raw), length), cls, fmt, line_no)
                 for line_no, (raw, cls) in enumerate(zip(raw_lines, position_classes(fmt))))


def _repair_reading(line: str, classes: str, fmt: str, line_no: int,
                    other: Sequence[str | None] | None = None) -> str:
    """One line of one reading, fitted to its format: class repair, filler runs, name end."""
    line = repair_filler_runs(_repair_line(line, classes, fmt, line_no, other), classes)
    return end_names_at_filler_run(line, fmt, line_no)


def _country_columns(fmt: str) -> list[tuple[int, int, int]]:
    return [(s.line, s.start, s.end) for s in LAYOUTS[fmt]
            if s.name in ("issuing_code", "nationality_code")]


def _repair_line(line: str, classes: str, fmt: str, line_no: int, other: Sequence[str | None] | None = None) -> str:
    """Class repair, except where issuers are known to print outside the class.

    A state code is only changed into a *known* state code (a Romanian ID card prints
    digits in the nationality columns). The second character of the document code is left
    as read when the other reading (``other``) has the same character there: the US
    permanent-resident card prints "C1". A letter that both readings saw in a digit column
    is left as read: two engines agreeing on a letter is evidence that a letter is printed
    there (a malformed or forged zone), and mapping it onto a digit would invent one whose
    check digit may well pass (G and 6 have the same check-digit value).
    """
    repaired = list(repair_by_class(line, classes))
    if other is not None:
        for col, (ch, cls) in enumerate(zip(line, classes)):
            if cls == DIGITS and "A" <= ch <= "Z" and col < len(other) and other[col] == ch:
                repaired[col] = ch
    if line_no == 0 and len(line) > 1 and other is not None and len(other) > 1 and other[1] == line[1]:
        repaired[1] = line[1]
    for ln, start, end in _country_columns(fmt):
        if ln != line_no:
            continue
        raw, new = line[start:end], "".join(repaired[start:end])
        if raw != new and not is_known_country_code(new):
            repaired[start:end] = list(raw)
    return "".join(repaired)


def _field_spans(fmt: str) -> list[FieldSpec]:
    return list(LAYOUTS[fmt])


def combine_readings(
    primary: Sequence[str],
    secondary: Sequence[str] | None,
    fmt: str,
    *,
    today: dt.date | None = None,
    method: str = "",
) -> MrzData:
    """Merge two independent readings of one zone into one verified result.

    Both readings are repaired by character class. Where they still differ in a column and
    exactly one of them read a character legal for that column, that one is taken (the
    other engine's character needed mapping, so it is the weaker evidence). A field with a
    check digit is then verified; if the readings still differ on it in at most
    ``MAX_DIFFERENCES_CHECK_DIGIT_SETTLES`` characters, the reading whose own check digit
    verifies it is taken (if exactly one does) — a choice between two observed readings,
    never a search over substitutions; further apart, the field is unconfirmed. A field
    without a check digit is confirmed only when both readings agree on it; otherwise it is
    listed in ``unconfirmed_fields``.
    """
    _, length = FORMAT_SHAPES[fmt]
    classes = position_classes(fmt)
    raw_a = [fit_line_length(clean_line(t), length) for t in primary]
    have_b = secondary is not None and len(secondary) == len(primary) and any(secondary)
    raw_b: list[list[str | None]] = []
    for ln, line_a in enumerate(raw_a):
        if have_b:
            raw_b.append(align_to(line_a, clean_line(secondary[ln])))  # type: ignore[index]
        else:
            raw_b.append([None] * length)
    lines_a = [list(_repair_reading(line, cls, fmt, i, raw_b[i])) for i, (line, cls) in enumerate(zip(raw_a, classes))]
    lines_b: list[list[str | None]] = []
    for i, (row, cls) in enumerate(zip(raw_b, classes)):
        text = "".join(ch if ch is not None else "?" for ch in row)
        lines_b.append([None if ch == "?" else ch for ch in _repair_reading(text, cls, fmt, i, raw_a[i])])

    # Column by column: prefer the reading that needed no class mapping.
    for ln in range(len(lines_a)):
        for col in range(length):
            a_ch, b_ch = lines_a[ln][col], lines_b[ln][col]
            if b_ch is None or a_ch == b_ch:
                continue
            a_native = fits_class(raw_a[ln][col], classes[ln][col])
            b_native = raw_b[ln][col] is not None and fits_class(raw_b[ln][col], classes[ln][col])
            if b_native and not a_native:
                lines_a[ln][col] = b_ch
            elif a_native and not b_native:
                lines_b[ln][col] = a_ch
    unconfirmed: list[str] = []
    chosen_secondary: list[str] = []
    for spec in _field_spans(fmt):
        cols = list(range(spec.start, spec.end)) + ([spec.check] if spec.check is not None else [])
        val_a = "".join(lines_a[spec.line][c] for c in cols)
        b_chars = [lines_b[spec.line][c] for c in cols]
        val_b = None if any(ch is None for ch in b_chars) else "".join(b_chars)  # type: ignore[arg-type]
        if spec.name == "names":
            dropped = not have_b or _unaligned_text_within(
                _clear_after_name_end(raw_a[spec.line], spec.start),
                _clear_after_name_end(clean_line(secondary[spec.line]), spec.start),  # type: ignore[index]
                spec.start, spec.end)
            if dropped or not _names_confirmed(val_a, b_chars):
                unconfirmed.append(spec.name)
            continue
        if val_b == val_a:
            continue
        if spec.check is None:
            if spec.name in ("issuing_code", "nationality_code") and val_b is not None:
                known = _known_code_from_readings(val_a, val_b)
                if known is not None:
                    for c, ch in zip(cols, known):
                        lines_a[spec.line][c] = ch
            unconfirmed.append(spec.name)
            continue
        differing = sum(ch is None or ch != a_ch for a_ch, ch in zip(val_a, b_chars))
        if differing > MAX_DIFFERENCES_CHECK_DIGIT_SETTLES:
            unconfirmed.append(spec.name)  # too far apart for a check digit to pick one
            continue
        ok_a = field_verifies(spec.name, val_a[:-1], val_a[-1])
        ok_b = val_b is not None and field_verifies(spec.name, val_b[:-1], val_b[-1])
        if ok_b and not ok_a:
            for c, ch in zip(cols, val_b):  # type: ignore[arg-type]
                lines_a[spec.line][c] = ch
            chosen_secondary.append(spec.name)
        elif ok_a == ok_b:
            unconfirmed.append(spec.name)  # both verify or neither: the readings disagree
    final = tuple("".join(line) for line in lines_a)
    if not have_b:
        unconfirmed = [s.name for s in LAYOUTS[fmt] if s.check is None]
    note = method
    if chosen_secondary:
        note += f"; secondary reading taken for {','.join(chosen_secondary)}"
    return parse_mrz(final, today=today, unconfirmed_fields=_public_names(unconfirmed),
                     unprotected_fields=unprotected_fields(final, fmt), method=note)


def unprotected_fields(lines: Sequence[str], fmt: str) -> tuple[str, ...]:
    """Fields that neither a check digit nor the agreement of two readings can confirm.

    A visa's optional data may hold letters and digits alike and no check digit covers it:
    where it holds one of a look-alike pair (O/0, I/1, S/5 …), both engines misread it the
    same way often enough that their agreement proves nothing.
    """
    if fmt not in UNCHECKED_OPTIONAL_DATA_FORMATS:
        return ()
    spec = next(s for s in LAYOUTS[fmt] if s.name == "optional_data")
    value = lines[spec.line][spec.start:spec.end]
    return ("optional_data",) if set(value) & LOOKALIKE_CHARACTERS else ()


def _known_code_from_readings(val_a: str, val_b: str) -> str | None:
    """The one state code made of characters either reading saw in each column, if unique.

    Only when the primary reading is no known code; the field stays unconfirmed anyway.
    """
    if is_known_country_code(val_a):
        return None
    options = [""]
    for ca, cb in zip(val_a, val_b):
        options = [o + ch for o in options for ch in dict.fromkeys((ca, cb))]
    known = [o for o in options if is_known_country_code(o)]
    return known[0] if len(known) == 1 else None


def _names_confirmed(val_a: str, b_chars: Sequence[str | None]) -> bool:
    """Whether the secondary reading, aligned column by column, confirms the primary's names."""
    return all(b == a for a, b in zip(val_a, b_chars)) or _same_printed_name(val_a, b_chars)


def _unaligned_text_within(primary: str, secondary: str, start: int, end: int) -> bool:
    """Whether the secondary reading holds letters or digits that align to no column of the
    primary inside the field ``[start, end)`` — a name word the primary did not read, which
    a column alignment drops. What it read before the line's first character (text beside
    the zone) does not count.

    A filler one reading has and the other lacks *inside* the printed name (before the
    first ``<<<``) counts too: ``MAEKINEN<THORA`` (one surname of two words) and
    ``MAEKINEN<<THORA`` (surname and given name) are different names, although every
    letter aligns.
    """
    name_end = primary.find(FILLER * 3, start)
    name_end = end if name_end < 0 else min(name_end, end)
    matcher = difflib.SequenceMatcher(a=primary, b=secondary, autojunk=False)
    for tag, a0, a1, b0, b1 in matcher.get_opcodes():
        if tag == "equal" or (tag == "replace" and a1 - a0 == b1 - b0):
            continue
        inside_name = max(start, 1) <= a0 < name_end and a0 > start
        if inside_name and FILLER in primary[a0:a1] + secondary[b0:b1]:
            return True
        if tag == "delete":
            continue
        if max(start, 1) <= a0 <= end and secondary[b0:b1].strip(FILLER):
            return True
    return False


def _same_printed_name(val_a: str, b_chars: Sequence[str | None]) -> bool:
    """Names agree up to the end of the printed name; after it only fillers (or nothing)."""
    printed = len(val_a.rstrip(FILLER))
    same = all(b_chars[i] == val_a[i] for i in range(printed))
    rest = all(ch is None or ch == FILLER or ch in FILLER_LOOKALIKES for ch in b_chars[printed:])
    return same and rest


def _public_names(fields: Sequence[str]) -> tuple[str, ...]:
    """Map layout field names onto MrzData attribute names (names → surname, given_names)."""
    out: list[str] = []
    for name in fields:
        if name == "names":
            out += ["surname", "given_names"]
        elif name == "optional_data_2":
            out.append("optional_data")
        else:
            out.append(name)
    return tuple(dict.fromkeys(out))
