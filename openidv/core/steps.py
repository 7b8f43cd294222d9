"""Which image steps a submission for a token must, may and cannot have.

One rule for every way in (``/process``, the hosted flow) and for the worker, which checks
the additional steps it was given.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

from openidv.core.vocab import IMAGE_STEPS, TWO_SIDED_TYPES, Step, TokenType, analysed_type


def required_steps(token_type: str, document_type: Optional[str]) -> list[str]:
    """The image steps every submission for this token and document type must have."""
    steps: list[str] = [Step.FRONT]
    if analysed_type(document_type) in TWO_SIDED_TYPES:
        steps.append(Step.BACK)
    if token_type == TokenType.IDENTIFICATION:
        steps.append(Step.FACE)
    return steps


def additional_step_names(
    config: Optional[Mapping[str, Any]], country: Optional[str], document_type: Optional[str]
) -> tuple[str, ...]:
    """The UPLOAD steps a token asks for, for this country and document type.

    ``{COUNTRY or "ALL": {DOC_TYPE or "ALL": {STEP: {"type": "UPLOAD"}}}}``; the most
    specific entry wins. With no declared type, the steps of every type are asked for.
    """
    if not config:
        return ()
    by_type = config.get(country or "") or config.get("ALL") or {}
    if document_type:
        steps = by_type.get(document_type) or by_type.get("ALL") or {}
        return tuple(steps)
    names: dict[str, None] = {}
    for steps in by_type.values():
        names.update(dict.fromkeys(steps))
    return tuple(names)


def capture_steps(
    token_type: str, document_type: str, country: str, additional: Optional[Mapping[str, Any]]
) -> tuple[list[str], list[str]]:
    """(standard steps, additional steps) a person photographs in the hosted flow, in order:
    the required ones (with BACK for two-sided documents), then the token's extra uploads."""
    names = required_steps(token_type, document_type)
    extra = [s for s in additional_step_names(additional, country, document_type) if s not in names]
    return names, extra


def unknown_steps(given: set[str], additional: Optional[Mapping[str, Any]], country: Optional[str],
                  document_type: Optional[str]) -> list[str]:
    """Given steps that are neither standard nor one of the token's additional steps."""
    allowed = set(IMAGE_STEPS) | set(additional_step_names(additional, country, document_type))
    return sorted(given - allowed)
