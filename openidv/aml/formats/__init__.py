"""Streaming readers of published sanctions/PEP list formats, and what they share: the
format names, limits, errors, a metered file reader and format sniffing."""

from __future__ import annotations

import collections
import enum
import functools
import gzip
import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Callable, Iterator, Optional

from openidv.aml.records import ListedEntity, PartialDate


class ListFormat(str, enum.Enum):
    FTM_JSON = "ftm-json"  # OpenSanctions FollowTheMoney entities, one JSON object a line
    OPENSANCTIONS_CSV = "opensanctions-csv"  # OpenSanctions targets.simple.csv
    UN_XML = "un-xml"  # UN Security Council consolidated list
    EU_XML = "eu-xml"  # EU financial sanctions files (FSF) export
    OFAC_CSV = "ofac-csv"  # US OFAC SDN (sdn.csv, aliases from alt.csv)


# The source name used when the operator gives none.
DEFAULT_SOURCE = {
    ListFormat.FTM_JSON: "opensanctions",
    ListFormat.OPENSANCTIONS_CSV: "opensanctions",
    ListFormat.UN_XML: "un-sc",
    ListFormat.EU_XML: "eu-fsf",
    ListFormat.OFAC_CSV: "us-ofac-sdn",
}


class ListFormatError(ValueError):
    """The file is not a well-formed list of the expected format; the message says where."""


@dataclass(frozen=True)
class ParseLimits:
    """Bounds on what a list file may hold. A file past a hard bound is refused; names past
    the soft bounds are dropped and counted, so one odd entry does not block a whole list."""

    max_bytes: int = 16 * 1024**3  # decompressed; OpenSanctions' largest exports are a few GB
    max_line_chars: int = 8 * 1024**2  # one JSON line (nested entities can be large)
    max_entities: int = 10_000_000
    max_xml_depth: int = 32
    max_names_per_entity: int = 500  # soft: further aliases are dropped
    max_name_chars: int = 300  # soft: a longer "name" is a description, dropped
    max_birth_dates: int = 50  # soft


@dataclass
class ListInfo:
    """What a reader learns about the file while streaming it (filled as it goes)."""

    format: Optional[ListFormat]
    list_date: Optional[str] = None  # the publisher's date of this version, ISO
    entities: int = 0
    skipped: collections.Counter = field(default_factory=collections.Counter)
    sha256: str = ""
    bytes_read: int = 0


class _MeteredReader(io.RawIOBase):
    """Counts and hashes the bytes read through it; refuses to read past the byte limit."""

    def __init__(self, raw: BinaryIO, max_bytes: int) -> None:
        self._raw = raw
        self._max = max_bytes
        self.count = 0
        self.digest = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # noqa: ANN001
        n = self._raw.readinto(buffer)
        if n:
            self.count += n
            if self.count > self._max:
                raise ListFormatError(f"file is larger than the limit of {self._max} bytes")
            self.digest.update(memoryview(buffer)[:n])
        return n or 0

    def close(self) -> None:
        self._raw.close()
        super().close()


_GZIP_MAGIC = b"\x1f\x8b"


def _open_raw(path: Path) -> BinaryIO:
    with path.open("rb") as probe:
        compressed = probe.read(2) == _GZIP_MAGIC
    return gzip.open(path, "rb") if compressed else path.open("rb")  # type: ignore[return-value]


class MeteredFile:
    """A list file opened for one streaming pass (gzip transparently), with size limit,
    SHA-256 of the decompressed bytes and byte count recorded into ``info``."""

    def __init__(self, path: Path, limits: ParseLimits, info: ListInfo) -> None:
        self._meter = _MeteredReader(_open_raw(path), limits.max_bytes)
        self.binary = io.BufferedReader(self._meter, buffer_size=1024 * 1024)
        self._info = info
        self._text: Optional[io.TextIOWrapper] = None

    def text(self) -> io.TextIOWrapper:
        """The file as UTF-8 text (one wrapper, kept here: dropping it would close the file)."""
        if self._text is None:
            # newline="" keeps CSV's quoted line breaks; utf-8-sig drops a byte-order mark.
            self._text = io.TextIOWrapper(self.binary, encoding="utf-8-sig", newline="")
        return self._text

    def finish(self) -> None:
        """Record size and hash; call once the reader has consumed the whole file."""
        stream = self._text or self.binary
        while stream.read(1024 * 1024):  # a reader may stop at the closing element
            pass
        self._info.sha256 = self._meter.digest.hexdigest()
        self._info.bytes_read = self._meter.count

    def close(self) -> None:
        self.binary.close()


_XML_ROOT = re.compile(rb"<([A-Za-z_][\w.:-]*)")
_XML_PREAMBLE = re.compile(rb"^\s*(<\?.*?\?>\s*|<!--.*?-->\s*)*", re.S)


def sniff_format(path: Path) -> ListFormat:
    """Tell the format from the first bytes of the file (after gzip)."""
    with _open_raw(path) as raw:
        head = raw.read(64 * 1024)
    head = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if head.startswith(b"{"):
        return ListFormat.FTM_JSON
    if head.startswith(b"<"):
        match = _XML_ROOT.match(head[_XML_PREAMBLE.match(head).end():])
        root = match.group(1).split(b":")[-1] if match else b""
        if root == b"CONSOLIDATED_LIST":
            return ListFormat.UN_XML
        if root == b"export":
            return ListFormat.EU_XML
        raise ListFormatError(f"XML root element <{root.decode(errors='replace')}> is not a "
                              "UN consolidated list nor an EU FSF export")
    first_line = head.split(b"\n", 1)[0].strip()
    if first_line.startswith(b"id,schema,name"):
        return ListFormat.OPENSANCTIONS_CSV
    if re.match(rb'^\d+,"', first_line):
        return ListFormat.OFAC_CSV
    raise ListFormatError("unknown list format: expected FollowTheMoney JSON lines, an "
                          "OpenSanctions simple CSV, a UN or EU XML file, or an OFAC sdn.csv")


Reader = Callable[[MeteredFile, str, ParseLimits, ListInfo], Iterator[ListedEntity]]


def _reader(fmt: ListFormat) -> Reader:
    from openidv.aml.formats import eu, ftm, ofac, opensanctions_csv, un

    return {
        ListFormat.FTM_JSON: ftm.read_ftm_json,
        ListFormat.OPENSANCTIONS_CSV: opensanctions_csv.read_opensanctions_csv,
        ListFormat.UN_XML: un.read_un_xml,
        ListFormat.EU_XML: eu.read_eu_xml,
        ListFormat.OFAC_CSV: ofac.read_ofac_csv,
    }[fmt]


def read_list(
    path: Path,
    source: str,
    fmt: Optional[ListFormat] = None,
    limits: ParseLimits = ParseLimits(),
    aliases_path: Optional[Path] = None,
) -> tuple[ListInfo, Iterator[ListedEntity]]:
    """Stream the entries of a list file. ``info`` is complete once the iterator is
    exhausted (count, publisher's date, hash). ``aliases_path`` is OFAC's alt.csv."""
    fmt = fmt or sniff_format(path)
    info = ListInfo(format=fmt)
    if aliases_path is not None and fmt is not ListFormat.OFAC_CSV:
        raise ListFormatError("an aliases file is only read with the OFAC format")

    def entities() -> Iterator[ListedEntity]:
        file = MeteredFile(path, limits, info)
        try:
            reader = _reader(fmt)
            if fmt is ListFormat.OFAC_CSV:
                reader = functools.partial(reader, aliases_path=aliases_path)
            stream = reader(file, source, limits, info)
            for entity in stream:
                info.entities += 1
                if info.entities > limits.max_entities:
                    raise ListFormatError(f"more than {limits.max_entities} entries")
                yield entity
            file.finish()
        except UnicodeDecodeError as exc:
            raise ListFormatError(f"not UTF-8 text (byte {exc.start} of a read block)") from None
        finally:
            file.close()

    return info, entities()


def bounded_names(names: list[str], limits: ParseLimits, info: ListInfo) -> list[str]:
    """Names without blanks and repeats, within the soft limits (the rest counted)."""
    kept: list[str] = []
    seen: set[str] = set()
    for raw in names:
        name = " ".join(raw.split())
        if not name or name in seen:
            continue
        if len(name) > limits.max_name_chars:
            info.skipped["name_too_long"] += 1
            continue
        if len(kept) >= limits.max_names_per_entity:
            info.skipped["names_over_limit"] += 1
            continue
        seen.add(name)
        kept.append(name)
    return kept


def bounded_dates(dates: list[Optional[PartialDate]], limits: ParseLimits, info: ListInfo) -> tuple[PartialDate, ...]:
    """Parsed dates without repeats, within the soft limit."""
    kept = tuple(dict.fromkeys(d for d in dates if d))
    if len(kept) > limits.max_birth_dates:
        info.skipped["birth_dates_over_limit"] += len(kept) - limits.max_birth_dates
    return kept[: limits.max_birth_dates]
