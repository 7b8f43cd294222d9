"""Markdown tables of scored MRZ readings: summary, per field, leave-one-source-out folds,
stress set per format and per condition (binned), malformed zones, causes of misses."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np

from benchmarks.mrzeval.loso import Fold
from benchmarks.mrzeval.scoring import FIELDS, Outcome


def pct(n: int, total: int) -> str:
    return f"{100 * n / total:.1f} % ({n}/{total})" if total else "-"


def _times(values: Sequence[float]) -> tuple[str, str]:
    if not values:
        return "-", "-"
    return f"{statistics.median(values):.3f}", f"{float(np.percentile(values, 95)):.3f}"


SUMMARY_HEAD = ("| set | images | exact (all with a visible MRZ) | exact (valid zones) | must fail: not accepted "
                "| wrong but accepted | accepted, truth invalid | MRZ invented | wrong, all checks pass "
                "| s median / p95 | CPU-s median / p95 |\n|---|---|---|---|---|---|---|---|---|---|---|")


def summary_row(name: str, outcomes: Sequence[Outcome]) -> str:
    visible = [o for o in outcomes if o.item.truth is not None and o.item.conditions.get("thumb_over_mrz") is not True]
    readable = [o for o in visible if o.item.truth_valid]
    must_fail = [o for o in outcomes if o not in readable]
    s = _times([o.reading.seconds for o in outcomes])
    c = _times([o.reading.cpu_seconds for o in outcomes])
    return (f"| {name} | {len(outcomes)} | {pct(sum(o.exact for o in visible), len(visible))} "
            f"| {pct(sum(o.exact for o in readable), len(readable))} "
            f"| {pct(sum(not o.reading.accepted for o in must_fail), len(must_fail))} "
            f"| {sum(o.wrong_accepted for o in outcomes)} | {sum(o.invalid_accepted for o in outcomes if o.item.truth)} "
            f"| {sum(o.invented for o in outcomes)} | {sum(o.wrong_checks_pass for o in outcomes)} "
            f"| {s[0]} / {s[1]} | {c[0]} / {c[1]} |")


def field_table(title: str, results: dict[str, Sequence[Outcome]]) -> str:
    """The original per-reader table: exact, per field, wrong-but-accepted, seconds."""
    names = list(results)
    rows = [f"### {title}", "", "| metric | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]

    def row(label: str, fn: Callable[[Sequence[Outcome]], str]) -> None:
        rows.append(f"| {label} | " + " | ".join(fn(results[n]) for n in names) + " |")

    def with_mrz(os: Sequence[Outcome]) -> list[Outcome]:
        return [o for o in os if o.item.truth is not None]

    row("exact MRZ (images with an MRZ)", lambda os: pct(sum(o.exact for o in with_mrz(os)), len(with_mrz(os))))
    for f in FIELDS:
        row(f"field {f}", lambda os, f=f: pct(sum(o.field_hits.get(f, False) for o in with_mrz(os)), len(with_mrz(os))))
    row("no MRZ on the image: none returned", lambda os: pct(sum(o.exact for o in os if o.item.truth is None),
                                                            sum(o.item.truth is None for o in os)))
    row("wrong but accepted", lambda os: str(sum(o.wrong_accepted or o.invalid_accepted for o in os)))
    row("s/image median", lambda os: _times([o.reading.seconds for o in os])[0])
    row("s/image p95", lambda os: _times([o.reading.seconds for o in os])[1])
    row("CPU-s/image median", lambda os: _times([o.reading.cpu_seconds for o in os])[0])
    return "\n".join(rows) + "\n"


def loso_table(folds: Sequence[Fold], default_outcomes: Sequence[Outcome]) -> str:
    rows = ["| held-out source | images | constants chosen on the other sources | their exact "
            "| combinations tied on that | held-out exact | held-out exact, reader's defaults | wrong but accepted |",
            "|---|---|---|---|---|---|---|---|"]
    pooled, pooled_default, n, danger = 0, 0, 0, 0
    for f in folds:
        default = [o for o in default_outcomes if o.item.source == f.source]
        exact, d_exact = sum(o.exact for o in f.outcomes), sum(o.exact for o in default)
        wrong = sum(o.wrong_accepted or o.invalid_accepted for o in f.outcomes)
        chosen = ", ".join(f"{k}={v:g}" for k, v in f.chosen)
        rows.append(f"| {f.source} | {len(f.outcomes)} | {chosen} | {pct(f.train_exact, f.train_total)} "
                    f"| {f.tied_on_exact} | {pct(exact, len(f.outcomes))} | {pct(d_exact, len(default))} | {wrong} |")
        pooled, pooled_default, n, danger = pooled + exact, pooled_default + d_exact, n + len(f.outcomes), danger + wrong
    rows.append(f"| **pooled** | {n} | | | | **{pct(pooled, n)}** | {pct(pooled_default, n)} | {danger} |")
    return "\n".join(rows) + "\n"


def grid_table(results: dict, total: int) -> str:
    sources = sorted({o.item.source for outs in results.values() for o in outs})
    rows = ["| constants | exact on all dev images | " + " | ".join(sources) + " | wrong but accepted |",
            "|---|---|" + "---|" * len(sources) + "---|"]
    for combo, outs in results.items():
        per_source = " | ".join(f"{sum(o.exact for o in outs if o.item.source == s)}/"
                                f"{sum(o.item.source == s for o in outs)}" for s in sources)
        rows.append(f"| {', '.join(f'{k}={v:g}' for k, v in combo)} | {pct(sum(o.exact for o in outs), total)} "
                    f"| {per_source} | {sum(o.wrong_accepted or o.invalid_accepted for o in outs)} |")
    return "\n".join(rows) + "\n"


def _group_table(title: str, outcomes: Sequence[Outcome], key: Callable[[Outcome], str | None],
                 order: Sequence[str] | None = None) -> str:
    groups: dict[str, list[Outcome]] = {}
    for o in outcomes:
        k = key(o)
        if k is not None:
            groups.setdefault(k, []).append(o)
    keys = [k for k in (order or sorted(groups)) if k in groups]
    rows = [f"| {title} | readable | exact | wrong but accepted |", "|---|---|---|---|"]
    for k in keys:
        outs = groups[k]
        rows.append(f"| {k} | {len(outs)} | {pct(sum(o.exact for o in outs), len(outs))} "
                    f"| {sum(o.wrong_accepted for o in outs)} |")
    return "\n".join(rows) + "\n"


def _bin(value: float, edges: Sequence[float], labels: Sequence[str]) -> str:
    for edge, label in zip(edges, labels):
        if value < edge:
            return label
    return labels[-1]


# Condition → (how to bin it, bin order). Values come from the sample's conditions record.
def stressors(c: dict) -> list[str]:
    """The photometric stressors acting on a stress photo (the generator draws 0–2 of them)."""
    active = [("motion", c["motion_px"] > 0), ("defocus", c["defocus_px"] > 0), ("low light", c["light"] < 0.5),
              ("noise", c["noise_sigma"] >= 4), ("glare", c["glare"] > 0), ("thumb", c["thumb"])]
    return [name for name, on in active if on]


CONDITION_BINS: dict[str, tuple[Callable[[dict], str], Sequence[str]]] = {
    "photometric stressors": (lambda c: ", ".join(stressors(c)) or "none", None),
    "perspective tilt": (lambda c: _bin(c["tilt_deg"], (3, 10, 20), ("0–3°", "3–10°", "10–20°", "20–30°")),
                         ("0–3°", "3–10°", "10–20°", "20–30°")),
    "quarter turn": (lambda c: f"{90 * c['quarter_turns']}°", ("0°", "90°", "180°", "270°")),
    "in-plane rotation": (lambda c: _bin(abs(c["rotation_deg"]), (5, 15), ("|r| < 5°", "5–15°", "15–25°")),
                          ("|r| < 5°", "5–15°", "15–25°")),
    "motion blur": (lambda c: _bin(c["motion_px"], (0.5, 4, 7), ("none", "1–4 px", "4–7 px", "7–9 px")),
                    ("none", "1–4 px", "4–7 px", "7–9 px")),
    "defocus": (lambda c: _bin(c["defocus_px"], (0.3, 1.5, 2.25), ("none", "0.5–1.5 px", "1.5–2.25 px", "2.25–3 px")),
                ("none", "0.5–1.5 px", "1.5–2.25 px", "2.25–3 px")),
    "JPEG quality": (lambda c: _bin(c["jpeg_quality"], (35, 45), ("25–34", "35–44", "45–60")), ("25–34", "35–44", "45–60")),
    "light": (lambda c: ("low, gain" if c["camera_gain"] else "low") if c["light"] < 0.5 else "normal",
              ("low", "low, gain", "normal")),
    "noise σ": (lambda c: _bin(c["noise_sigma"], (5, 10), ("0–5", "5–10", "10–15")), ("0–5", "5–10", "10–15")),
    "glare": (lambda c: "none" if not c["glare"] else ("over MRZ" if c["glare_over_mrz"] else "on page"),
              ("none", "on page", "over MRZ")),
    "thumb": (lambda c: "on page" if c["thumb"] else "none", ("none", "on page")),
    "image long side": (lambda c: _bin(max(c["width"], c["height"]), (534, 667), ("400–533", "534–666", "667–800")),
                        ("400–533", "534–666", "667–800")),
    "MRZ character pitch": (lambda c: _bin(c["mrz_char_px"], (6, 8, 10), ("< 6 px", "6–8 px", "8–10 px", ">= 10 px")),
                            ("< 6 px", "6–8 px", "8–10 px", ">= 10 px")),
    "background": (lambda c: c["background"], None),
}


def stress_tables(outcomes: Sequence[Outcome], meta: dict[str, dict]) -> str:
    """Per format, per document property and per condition (readable samples), then the
    samples that must not be accepted."""
    readable = [o for o in outcomes if meta[o.item.name]["expect_readable"]]
    out = ["#### Per format", "", _group_table("format", readable, lambda o: meta[o.item.name]["format"],
                                               ("TD1", "TD2", "TD3", "MRVA", "MRVB"))]
    out += ["#### Per document property", "",
            _group_table("printed-name script", readable, lambda o: meta[o.item.name]["script"]),
            _group_table("TD1 document number", readable, lambda o: (
                ("long (> 9 chars)" if meta[o.item.name]["long_number"] else "<= 9 chars")
                if meta[o.item.name]["format"] == "TD1" else None)),
            _group_table("TD1 optional data", readable, lambda o: (
                ("long" if meta[o.item.name]["long_optional"] else "short/empty")
                if meta[o.item.name]["format"] == "TD1" else None)),
            _group_table("document code", readable, lambda o: (
                "usual (P<, I<, ID, V<, AC, IR)" if meta[o.item.name]["document_code"] in ("P<", "I<", "ID", "V<", "AC", "IR")
                else "other issuer choice"))]
    out += ["#### Per condition (binned)", ""]
    for name, (fn, order) in CONDITION_BINS.items():
        out.append(_group_table(name, readable, lambda o, fn=fn: fn(o.item.conditions), order))
    must_fail = [o for o in outcomes if not meta[o.item.name]["expect_readable"]]
    rows = ["#### Zones that must not be accepted", "",
            "| kind | samples | accepted (dangerous) | returned with every check digit passing |", "|---|---|---|---|"]
    kinds = Counter(meta[o.item.name]["malformation"] or "thumb over MRZ" for o in must_fail)
    for kind in sorted(kinds):
        outs = [o for o in must_fail if (meta[o.item.name]["malformation"] or "thumb over MRZ") == kind]
        rows.append(f"| {kind} | {len(outs)} | {sum(o.reading.accepted for o in outs)} "
                    f"| {sum(o.reading.checks_pass for o in outs)} |")
    out.append("\n".join(rows) + "\n")
    return "\n".join(out)


def causes_table(title: str, outcomes: Sequence[Outcome]) -> str:
    misses = [o for o in outcomes if not o.exact and (o.item.truth is None or o.item.truth_valid)]
    causes = Counter(o.cause.split(":")[0] if o.cause.startswith("location") else o.cause for o in misses)
    rows = [f"| {title}: cause of miss | count | of them accepted |", "|---|---|---|"]
    for cause, n in causes.most_common():
        acc = sum(o.reading.accepted for o in misses if (o.cause.split(":")[0] if o.cause.startswith("location") else o.cause) == cause)
        rows.append(f"| {cause} | {n} | {acc} |")
    return "\n".join(rows) + "\n"


def miss_lines(label: str, outcomes: Sequence[Outcome]) -> list[str]:
    """One line per miss: what was read against the truth, the stage, what differs."""
    out = []
    for o in outcomes:
        if o.exact:
            continue
        flag = " ACCEPTED" if o.reading.accepted else (" checks-pass" if o.reading.checks_pass else "")
        cond = o.item.conditions
        brief = ""
        if cond:
            brief = (f" [tilt {cond['tilt_deg']:.0f}° q{90 * cond['quarter_turns']} rot {cond['rotation_deg']:.0f}° "
                     f"mb {cond['motion_px']:.1f} df {cond['defocus_px']:.1f} jpeg {cond['jpeg_quality']} "
                     f"light {cond['light']:.2f} glare {cond['glare']:.1f}{'(MRZ)' if cond['glare_over_mrz'] else ''} "
                     f"thumb {'MRZ' if cond['thumb_over_mrz'] else int(cond['thumb'])} "
                     f"{cond['width']}x{cond['height']} pitch {cond['mrz_char_px']:.1f}]")
        read = "|".join(o.reading.lines) if o.reading.lines else "-"
        out.append(f"{label} {o.item.name}{brief}{flag}\n    cause: {o.cause or '-'}; {o.diff}\n    read:  {read}"
                   f"\n    truth: {'|'.join(o.item.truth) if o.item.truth else 'no MRZ'}")
    return out
