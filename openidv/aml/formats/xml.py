"""Streaming over the entries of a list's XML file with bounded memory, refusing DTDs and
entities (no entity expansion, no external fetches)."""

from __future__ import annotations

from typing import BinaryIO, Callable, Iterator
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from openidv.aml.formats import ListFormatError, ParseLimits


def local_name(tag: str) -> str:
    """The tag without its namespace: ``{http://…/export}sanctionEntity`` -> ``sanctionEntity``."""
    return tag.rsplit("}", 1)[-1]


def child(elem: Element, name: str) -> Element | None:
    for sub in elem:
        if local_name(sub.tag) == name:
            return sub
    return None


def children(elem: Element, name: str) -> list[Element]:
    return [sub for sub in elem if local_name(sub.tag) == name]


def text_of(elem: Element | None) -> str:
    return " ".join((elem.text or "").split()) if elem is not None else ""


def iter_entries(
    binary: BinaryIO,
    root_name: str,
    entry_names: frozenset[str],
    limits: ParseLimits,
    on_root: Callable[[Element], None],
) -> Iterator[tuple[int, Element]]:
    """Yield (ordinal, element) for each complete entry element, then drop it from memory.
    The root's attributes go to ``on_root`` before any entry."""
    stack: list[Element] = []
    ordinal = 0
    try:
        for event, elem in iterparse(binary, events=("start", "end"), forbid_dtd=True):
            if event == "start":
                if not stack:
                    if local_name(elem.tag) != root_name:
                        raise ListFormatError(f"root element is <{local_name(elem.tag)}>, expected <{root_name}>")
                    on_root(elem)
                stack.append(elem)
                if len(stack) > limits.max_xml_depth:
                    raise ListFormatError(f"elements nested deeper than {limits.max_xml_depth} levels")
                continue
            stack.pop()
            if local_name(elem.tag) in entry_names and stack:
                ordinal += 1
                yield ordinal, elem
                stack[-1].clear()  # entries already read are not kept
    except ParseError as exc:
        line, column = exc.position
        raise ListFormatError(f"XML is not well-formed at line {line}, column {column}") from None
    except DefusedXmlException as exc:
        raise ListFormatError(f"XML refused: {type(exc).__name__} (DTDs and entities are not accepted)") from None
