"""Inspecting a workbook's zip package before any parser inflates it (issue 6).

An ``.xlsx``/``.xlsm``/``.ods`` file is a zip of XML parts. A hostile or damaged one
can be small on disk yet inflate to gigabytes (a *zip bomb*), declare an XML entity
that expands a billion times, or place one value at ``XFD1048576`` so that calamine,
which stores a sheet as a dense grid, asks for 550 GB and aborts the process. None
of that can be caught after the fact, so every part is checked here first:

1. the end-of-central-directory record: how many parts, how big the directory;
2. every part's *declared* size and compression ratio, before inflating anything;
3. every part inflated from its raw deflate stream with a cap, so that a part whose
   header lies about its size is stopped at the limit (the declared size is never
   trusted), and fed as it inflates to expat, which refuses any DTD (no entity is
   ever declared, so none can expand or point outside the file);
4. the extent of every sheet (the last row and column holding a value, counted as
   calamine counts them), stopped as soon as it passes the limits.

Nothing is extracted to disk. A part of up to 1 MiB (every part of an ordinary
workbook) is inflated whole, with the same caps, and parsed by expat in one call
without a Python handler per element; its extent is then read off the bytes by a
few regular expressions, which stand for the element-by-element scan only where they
provably give its result (see :func:`_extent_of`); anything unusual, or an extent
beyond a limit, and the part is scanned again element by element. Such a part is in
memory whole, with a small tuple per cell while its extent is read (about 20 MB
for 1 MiB of empty cells; under 0.4 MB to scan the whole template). A larger part
is inflated and parsed a chunk (64 KB) at a time, so that at most one chunk is in
memory. The result says which sheets are too large to read, by name.

A part found clean is remembered by its packed bytes (with its name, method, size
and CRC): the parts a template fixes are the same in every unit's workbook, and a
compile then scans them once, checking only the limits again for each workbook. A
worksheet that differs from the last one of its name only in its text (other
numbers, another unit's name) is recognised as such without being parsed again
(see :class:`_Layout`).
"""

from __future__ import annotations

import posixpath
import re
import struct
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from itertools import compress
from typing import Any
from xml.parsers import expat

from govstats.core.limits import DEFAULT_LIMITS, MIB, Limits
from govstats.core.locations import column_number
from govstats.core.problems import GovstatsError, Problem

__all__ = ["PackageScan", "ScanMemory", "SheetExtent", "scan_package"]


_RATIO_FROM = 1 * MIB
_CHUNK = 64 * 1024
# Parts up to this size (unpacked) are inflated whole and scanned in one go.
_WHOLE = 1 * MIB
_EOCD = b"PK\x05\x06"
_EOCD64_LOCATOR = b"PK\x06\x07"
_EOCD64 = b"PK\x06\x06"
_LOCAL = b"PK\x03\x04"
_CENTRAL = b"PK\x01\x02"
_STORED, _DEFLATED = 0, 8
_SHEET_ROOTS = {"worksheet", "dialogsheet", "macrosheet", "chartsheet"}
_VALUE_CHILDREN = {"v", "is"}
_ODS_NS_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
# Parts a reader (calamine, openpyxl) always parses, besides the sheets.
_READ_PARTS = {
    "[Content_Types].xml",
    "xl/workbook.xml",
    "xl/_rels/workbook.xml.rels",
    "xl/sharedStrings.xml",
    "xl/styles.xml",
    "content.xml",
}


@dataclass
class SheetExtent:
    """How far the values of one sheet reach (1-based), as far as it was scanned."""

    part: str
    rows: int = 0
    columns: int = 0
    cells: int = 0
    too_large: bool = False
    # the unpacked size when the part itself is too large to be scanned
    size: int = 0
    # its bytes hold "[", "|" or a character reference: a formula of it may
    # reach outside the workbook (read.formulas looks; see _may_link)
    links: bool = False
    # The layout this sheet has (it is the layout's own sheet, or differs from
    # it only in its text), and its runs of text (None: the layout's own): what
    # govstats.read.layouts reads its values from.
    layout: _Layout | None = field(default=None, repr=False, compare=False)
    runs: list[bytes] | None = field(default=None, repr=False, compare=False)
    # the runs that differ from the layout's
    changed: list[int] = field(default_factory=list, repr=False, compare=False)


@dataclass
class PackageScan:
    """What the inspection found: the sheets by name, and those too large to read."""

    parts: int = 0
    unpacked: int = 0
    # the kind of workbook: "xlsx" (also .xlsm) or "ods"
    kind: str = "xlsx"
    # the workbook holds VBA macros (xl/vbaProject.bin); they are never run
    macros: bool = False
    # cells (<c>, <table:table-cell>) seen in all sheets so far
    written: int = 0
    # sheet name → extent (xlsx: from workbook.xml and its rels; ods: content.xml)
    sheets: dict[str, SheetExtent] = field(default_factory=dict)
    # what every part is checked against
    limits: Limits = DEFAULT_LIMITS
    # earlier workbooks' parts and layouts (none: every part is scanned)
    memory: ScanMemory | None = field(default=None, repr=False, compare=False)
    # every part scanned element by element: the reference scan
    streaming: bool = field(default=False, repr=False, compare=False)
    # With a memory, of an .xlsx: every part a reader's values depend on but the
    # sheets and the shared strings, as (name, method, packed bytes); and the
    # shared strings' (method, size, packed bytes). govstats.read.layouts reads
    # a sheet off its layout only in a workbook with the same frame.
    frame: tuple[tuple[str, int, bytes], ...] = field(
        default=(), repr=False, compare=False
    )
    strings: tuple[int, int, bytes] | None = field(
        default=None, repr=False, compare=False
    )

    @property
    def cells(self) -> int:
        """Cells (with or without a value) in all sheets, as far as scanned."""
        return sum(e.cells for e in self.sheets.values())


@dataclass
class _Entry:
    name: str
    method: int
    flags: int
    packed: int
    size: int
    offset: int
    crc: int

    @property
    def is_sheet(self) -> bool:
        """Where Excel, WPS and LibreOffice put worksheets (the message only)."""
        return self.name.startswith("xl/worksheets/") and self.name.endswith(".xml")


class _Refused(Exception):
    """Raised inside an expat handler to stop parsing at once."""

    def __init__(self, code: str, found: str, expected: str = "") -> None:
        super().__init__(found)
        self.code, self.found, self.expected = code, found, expected


class _Rescan(Exception):
    """A part scanned whole needs the element-by-element scan (see _scan_part)."""


def _refuse(path: str, code: str, found: str, expected: str = "") -> GovstatsError:
    return GovstatsError(Problem.make(code, file=path, found=found, expected=expected))


# The zip directory


def _entries(data: bytes, path: str, limits: Limits) -> list[_Entry]:
    """The central directory, read by hand so that its size is checked first."""

    def damaged(found: str) -> GovstatsError:
        return _refuse(path, "file-unreadable", found)

    at = data.rfind(_EOCD, max(0, len(data) - 22 - 65535))
    if at < 0 or len(data) - at < 22:
        raise damaged("no zip directory (truncated?)")
    (_, _, _, _, count, cd_size, cd_offset, _) = struct.unpack(
        "<4sHHHHIIH", data[at : at + 22]
    )
    if count == 0xFFFF or cd_size == 0xFFFFFFFF or cd_offset == 0xFFFFFFFF:
        # Zip64: the real numbers are in the zip64 end record.
        loc = at - 20
        if loc < 0 or data[loc : loc + 4] != _EOCD64_LOCATOR:
            raise damaged("bad zip64 directory")
        (rec,) = struct.unpack("<Q", data[loc + 8 : loc + 16])
        if rec + 56 > len(data) or data[rec : rec + 4] != _EOCD64:
            raise damaged("bad zip64 directory")
        count, cd_size, cd_offset = struct.unpack("<QQQ", data[rec + 32 : rec + 56])
    if count > limits.parts:
        raise _refuse(path, "zip-bomb", f"{count} parts", f"{limits.parts} parts")
    if cd_offset + cd_size > len(data):
        raise damaged("zip directory beyond the end of the file (truncated?)")
    entries: list[_Entry] = []
    pos, end = cd_offset, cd_offset + cd_size
    while pos < end:
        if data[pos : pos + 4] != _CENTRAL or pos + 46 > end:
            raise damaged("damaged zip directory")
        (flags, method, _, _, crc, packed, size, n, m, k) = struct.unpack(
            "<HHHHIIIHHH", data[pos + 8 : pos + 34]
        )
        (offset,) = struct.unpack("<I", data[pos + 42 : pos + 46])
        name = data[pos + 46 : pos + 46 + n].decode("utf-8", "replace")
        extra = data[pos + 46 + n : pos + 46 + n + m]
        size, packed, offset = _zip64_sizes(extra, size, packed, offset)
        entries.append(_Entry(name, method, flags, packed, size, offset, crc))
        pos += 46 + n + m + k
        if len(entries) > limits.parts:
            raise _refuse(
                path, "zip-bomb", f"> {limits.parts} parts", f"{limits.parts}"
            )
    return entries


def _zip64_sizes(extra: bytes, size: int, packed: int, offset: int) -> tuple[int, ...]:
    """Sizes from the zip64 extra field where the 32-bit ones are saturated."""
    pos = 0
    while pos + 4 <= len(extra):
        tag, length = struct.unpack("<HH", extra[pos : pos + 4])
        body = extra[pos + 4 : pos + 4 + length]
        if tag == 1:
            fields = [size, packed, offset]
            at = 0
            for i, value in enumerate(fields):
                if value == 0xFFFFFFFF and at + 8 <= len(body):
                    (fields[i],) = struct.unpack("<Q", body[at : at + 8])
                    at += 8
            return tuple(fields)
        pos += 4 + length
    return size, packed, offset


def _check_declared(entries: list[_Entry], path: str, limits: Limits) -> set[str]:
    """Refuse on the declared sizes alone, before inflating a byte.

    :returns: the worksheet parts too large to scan (a million rows): the sheet is
        then not read, with ``sheet-too-large``, rather than the whole file refused.
    """
    total = 0
    oversized: set[str] = set()
    for e in entries:
        if e.flags & 0x1:
            raise _refuse(path, "file-encrypted", e.name)
        if e.method not in (_STORED, _DEFLATED):
            raise _refuse(path, "file-unreadable", f"{e.name}: compression {e.method}")
        if e.is_sheet and _oversize(e.size, e.packed, limits):
            oversized.add(e.name)
        else:
            _check_size(path, e.name, e.size, e.packed, limits)
        total += e.size
        if total > limits.unpacked_bytes:
            raise _refuse(
                path,
                "zip-bomb",
                f"> {_mib(total)} unpacked",
                _mib(limits.unpacked_bytes),
            )
    return oversized


def _oversize(size: int, packed: int, limits: Limits) -> bool:
    return size > limits.part_bytes or (
        size > _RATIO_FROM and size > limits.ratio * max(packed, 1)
    )


def _check_size(path: str, name: str, size: int, packed: int, limits: Limits) -> None:
    if size > limits.part_bytes:
        raise _refuse(path, "zip-bomb", f"{name} {_mib(size)}", _mib(limits.part_bytes))
    if size > _RATIO_FROM and size > limits.ratio * max(packed, 1):
        raise _refuse(
            path,
            "zip-bomb",
            f"{name} {_mib(size)} ({size // max(packed, 1)}:1)",
            f"{limits.ratio}:1",
        )


def _mib(n: int) -> str:
    return f"{n / MIB:.1f} MiB"


# Inflating, with caps that do not trust the headers


def _packed(data: bytes, e: _Entry, path: str) -> bytes:
    """A part's packed bytes, as its local header places them."""
    if data[e.offset : e.offset + 4] != _LOCAL:
        raise _refuse(path, "file-unreadable", f"{e.name}: damaged entry")
    n, m = struct.unpack("<HH", data[e.offset + 26 : e.offset + 30])
    start = e.offset + 30 + n + m
    raw = data[start : start + e.packed]
    if len(raw) < e.packed:
        raise _refuse(path, "file-unreadable", f"{e.name}: truncated")
    return raw


def _inflate(data: bytes, e: _Entry, path: str, cap: int) -> Iterator[bytes]:
    """Yield the inflated chunks of one part, never more than the limits allow."""
    raw = _packed(data, e, path)
    out = crc = 0
    if e.method == _STORED:
        for i in range(0, len(raw), _CHUNK):
            chunk = raw[i : i + _CHUNK]
            out += len(chunk)
            crc = zlib.crc32(chunk, crc)
            if out > cap:
                raise _too_big(path, e, out, cap)
            yield chunk
    else:
        inflater = zlib.decompressobj(-15)
        pos = 0
        while not inflater.eof:
            if inflater.unconsumed_tail:
                feed = inflater.unconsumed_tail
            elif pos < len(raw):
                feed, pos = raw[pos : pos + _CHUNK], pos + _CHUNK
            else:
                raise _refuse(path, "file-unreadable", f"{e.name}: truncated")
            try:
                # max_length bounds what one call may produce: a kilobyte of a bomb
                # never becomes more than one chunk in memory.
                chunk = inflater.decompress(feed, _CHUNK)
            except zlib.error as exc:
                raise _refuse(path, "file-unreadable", f"{e.name}: {exc}") from None
            out += len(chunk)
            if out > cap:
                raise _too_big(path, e, out, cap)
            crc = zlib.crc32(chunk, crc)
            if chunk:
                yield chunk
    if out != e.size:
        # The header lied; what a parser would get is not what was checked.
        raise _refuse(
            path, "zip-bomb", f"{e.name}: {out} bytes, declared {e.size}", str(e.size)
        )
    if crc != e.crc:
        raise _refuse(path, "file-unreadable", f"{e.name}: CRC mismatch (damaged)")


def _inflate_small(raw: bytes, e: _Entry, cap: int) -> bytes | None:
    """A part of up to one chunk packed, inflated in one call: the bytes
    :func:`_inflate` would yield, joined (its first chunk is then their first
    :data:`_CHUNK` bytes); None wherever :func:`_inflate` would refuse the part,
    for the streaming scan to say why."""
    if e.method == _STORED:
        body = raw
    else:
        inflater = zlib.decompressobj(-15)
        try:
            body = inflater.decompress(raw, cap + 1)
        except zlib.error:
            return None
        if not inflater.eof:
            return None  # truncated, or beyond the cap
    if len(body) > cap or len(body) != e.size or zlib.crc32(body) != e.crc:
        return None
    return body


def _too_big(path: str, e: _Entry, out: int, cap: int) -> GovstatsError:
    return _refuse(
        path, "zip-bomb", f"{e.name}: > {_mib(out)}, declared {_mib(e.size)}", _mib(cap)
    )


# XML: no DTD, and the extent of sheets


def _local(name: str) -> str:
    """A name without its namespace: "uri c" (.ods) or "x:c" (.xlsx) → "c"."""
    return name.rpartition(" ")[2].rpartition(":")[2]


class _ColumnNumbers(dict[str, int]):
    """Column letters → number, each worked out once (within a bound)."""

    def __missing__(self, letters: str) -> int:
        number = column_number(letters)
        if len(self) < 10_000:  # a hostile file could invent endless letters
            self[letters] = number
        return number


# Names met in sheets, namespace-qualified ("uri c") → local ("c"), and column
# letters → numbers: both repeat on every row, so each is worked out once.
_NAMES: dict[str, str] = {}
_COLUMNS = _ColumnNumbers()
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _local_cached(name: str) -> str:
    local = _local(name)
    if len(_NAMES) < 10_000:  # a hostile file could invent endless names
        _NAMES[name] = local
    return local


class _Xml:
    """Feeds one part to expat: refuses a DTD, notes the root, scans sheets.

    :param whole: the part is parsed in one call and a sheet's extent is read off
        its bytes afterwards (:func:`_extent_of`): no handler per element.
    """

    def __init__(self, name: str, scan: PackageScan, whole: bool = False) -> None:
        self.name = name
        self.scan = scan
        self.whole = whole
        self._cells_max = scan.limits.cells
        self._sheet_cells_max = scan.limits.sheet_rows * scan.limits.sheet_columns
        self.root = ""
        self.extent: SheetExtent | None = None
        self.rels: dict[str, tuple[str, str]] = {}
        self.sheets: list[tuple[str, str]] = []
        self.ods_tables: dict[str, SheetExtent] = {}
        # Only an .ods is read by namespace; an .xlsx by local names, as calamine
        # reads it, and expat then parses a sheet a quarter faster.
        if scan.kind == "ods":
            p = expat.ParserCreate(namespace_separator=" ")
        else:
            p = expat.ParserCreate()
        p.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        p.StartDoctypeDeclHandler = self._doctype
        p.EntityDeclHandler = self._entity
        p.ExternalEntityRefHandler = self._external
        p.StartElementHandler = self._root_start
        p.buffer_text = False
        self.parser = p
        # scanning state
        self._row = 0
        self._col = 0
        self._pending: tuple[int, int] | None = None
        self._ods: SheetExtent | None = None
        self._ods_rows = 1
        self.broken = False
        self._in_cell = False
        # a sheet's bytes, when scanned whole (for _Layout)
        self.body = b""

    def feed(self, chunk: bytes, path: str, final: bool = False) -> None:
        """Parse the next chunk; damaged XML refuses the file when a reader needs
        the part, and is otherwise left alone (a legacy VML drawing often is)."""
        try:
            self.parser.Parse(chunk, final)
        except expat.ExpatError as exc:
            if self.name in _READ_PARTS or self.root in _SHEET_ROOTS:
                found = f"{self.name}: XML {expat.ErrorString(exc.code)}"
                raise _refuse(path, "file-unreadable", found) from None
            self.broken = True

    def close(self) -> None:
        """Let go of the parser once the part is parsed.

        Its handlers are this object's bound methods: a reference cycle, which
        only the garbage collector frees, and with it the parser's buffers (as
        large as the part parsed whole). A compile collects rarely (the CLI's
        thresholds), so a worker reading hundreds of workbooks held them all:
        about 170 kB a workbook. Without its handlers, the parser goes with the
        last reference to this object.
        """
        p = self.parser
        p.StartDoctypeDeclHandler = None
        p.EntityDeclHandler = None
        p.ExternalEntityRefHandler = None
        p.StartElementHandler = None
        p.EndElementHandler = None

    def _doctype(self, *args: Any) -> None:
        raise _Refused("unsafe-xml", f"{self.name}: DOCTYPE")

    def _entity(self, name: str, *args: Any) -> None:
        raise _Refused("unsafe-xml", f"{self.name}: ENTITY {name}")

    def _external(self, *args: Any) -> int:
        raise _Refused("unsafe-xml", f"{self.name}: external entity")

    def _root_start(self, name: str, attrs: dict[str, str]) -> None:
        self.root = _local(name)
        p = self.parser
        if self.root in _SHEET_ROOTS:
            self.extent = SheetExtent(self.name)
            p.StartElementHandler = None if self.whole else self._sheet_start
            p.EndElementHandler = None if self.whole else self._sheet_end
        elif self.root == "Relationships":
            p.StartElementHandler = self._rel_start
        elif self.root == "workbook":
            p.StartElementHandler = self._workbook_start
        elif self.root == "document-content":
            p.StartElementHandler = self._ods_start
            p.EndElementHandler = self._ods_end
        else:
            # Any other part only needs the DTD check: expat alone, at C speed.
            p.StartElementHandler = None

    def _rel_start(self, name: str, attrs: dict[str, str]) -> None:
        if _local(name) == "Relationship" and "Id" in attrs:
            self.rels[attrs["Id"]] = (attrs.get("Target", ""), attrs.get("Type", ""))

    def _workbook_start(self, name: str, attrs: dict[str, str]) -> None:
        if _local(name) == "sheet":
            rid = next((v for k, v in attrs.items() if _local(k) == "id"), "")
            self.sheets.append((attrs.get("name", ""), rid))

    # xlsx sheets: a cell counts when it has a value (<v>, <is>), as calamine counts
    # it; one without ``r`` takes the next position, as calamine places it.
    def _sheet_start(self, name: str, attrs: dict[str, str]) -> None:
        # Called for every element of a sheet: kept lean (names and column
        # letters are looked up once each, then from a dict).
        local = _NAMES.get(name) or _local_cached(name)
        if local == "c":
            if self._in_cell:
                # calamine would give the outer cell the value that follows the
                # inner one: a far cell could hide behind a near one.
                found = f"{self.name}: <c> inside <c> ({attrs.get('r', '')[:20]})"
                raise _Refused("file-unreadable", found)
            self._in_cell = True
            ext = self.extent
            assert ext is not None
            ext.cells += 1
            self.scan.written += 1
            if self.scan.written > self._cells_max:
                raise _Refused("workbook-too-large", *_cells_text(self.scan.limits))
            if ext.cells > self._sheet_cells_max:
                self._too_large(ext)
            ref = attrs.get("r")
            if ref is None:
                self._col += 1
                row = self._row
            else:
                row, self._col = self._position(ref)
                if row > self._row:
                    self._row = row
            self._pending = (row, self._col)
        elif local == "row":
            self._pending = None
            r = attrs.get("r")
            if r is None:
                self._row += 1
            elif r.isdecimal() and len(r) <= 10:  # isdigit() takes "²": int() not
                self._row = int(r)
            else:
                raise _Refused("file-unreadable", f"{self.name}: row '{r[:20]}'")
            self._col = 0
        elif self._pending is not None and local in _VALUE_CHILDREN:
            ext = self.extent
            assert ext is not None
            row, col = self._pending
            self._pending = None
            if row > ext.rows:
                ext.rows = row
            if col > ext.columns:
                ext.columns = col
            if (
                ext.rows > self.scan.limits.sheet_rows
                or ext.columns > self.scan.limits.sheet_columns
            ):
                self._too_large(ext)

    def _sheet_end(self, name: str) -> None:
        if (_NAMES.get(name) or _local_cached(name)) == "c":
            self._in_cell = False

    def _position(self, ref: str) -> tuple[int, int]:
        digits = ref.lstrip(_LETTERS)
        letters = ref[: len(ref) - len(digits)]
        col = _COLUMNS.get(letters)
        if col is None:
            if not 1 <= len(letters) <= 7 or not letters.isascii():
                raise _Refused("file-unreadable", f"{self.name}: cell '{ref[:20]}'")
            col = _COLUMNS[letters]
        if not digits.isdigit() or not digits.isascii() or len(digits) > 10:
            raise _Refused("file-unreadable", f"{self.name}: cell '{ref[:20]}'")
        return int(digits), col

    def _too_large(self, ext: SheetExtent) -> None:
        ext.too_large = True
        # Nothing more to learn from this part: stop parsing it.
        self.parser.StartElementHandler = None
        self.parser.EndElementHandler = None

    # ods: rows and cells repeat (number-rows-repeated); a cell counts when it has a
    # value type or content, so LibreOffice's trailing empty repeats do not.
    def _ods_start(self, name: str, attrs: dict[str, str]) -> None:
        uri, _, local = name.rpartition(" ")
        if uri != _ODS_NS_TABLE:
            if self._pending is not None:
                self._count_ods_cell()
            return
        if local == "table":
            self._ods = SheetExtent(self.name)
            self.ods_tables[attrs.get(f"{_ODS_NS_TABLE} name", "")] = self._ods
            self._row = 0
        elif local == "table-row" and self._ods is not None:
            self._ods_rows = self._repeat(attrs, "number-rows-repeated")
            self._row += 1
            self._col = 0
        elif local in ("table-cell", "covered-table-cell") and self._ods is not None:
            n = self._repeat(attrs, "number-columns-repeated")
            self._pending = (self._col + 1, n)
            self._col += n
            self._ods.cells += 1
            self.scan.written += 1
            if self.scan.written > self.scan.limits.cells:
                raise _Refused("workbook-too-large", *_cells_text(self.scan.limits))
            if (
                self._ods.cells
                > self.scan.limits.sheet_rows * self.scan.limits.sheet_columns
            ):
                self._ods.too_large = True
            if any(k.endswith(" value-type") for k in attrs):
                self._count_ods_cell()

    def _ods_end(self, name: str) -> None:
        uri, _, local = name.rpartition(" ")
        if uri != _ODS_NS_TABLE:
            return
        if local in ("table-cell", "covered-table-cell"):
            self._pending = None
        elif local == "table-row":
            self._row += self._ods_rows - 1
            self._ods_rows = 1

    def _count_ods_cell(self) -> None:
        ext, pending = self._ods, self._pending
        self._pending = None
        if ext is None or pending is None:
            return
        first, n = pending
        ext.rows = max(ext.rows, self._row + self._ods_rows - 1)
        ext.columns = max(ext.columns, first + n - 1)
        if (
            ext.rows > self.scan.limits.sheet_rows
            or ext.columns > self.scan.limits.sheet_columns
        ):
            ext.too_large = True

    def _repeat(self, attrs: dict[str, str], key: str) -> int:
        value = attrs.get(f"{_ODS_NS_TABLE} {key}", "1")
        if not value.isdecimal() or len(value) > 10 or int(value) < 1:
            raise _Refused("file-unreadable", f"{self.name}: {key}='{value[:20]}'")
        return int(value)


def _looks_like_xml(head: bytes) -> bool:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    return text.startswith(b"<") or head[:2] in (b"\xff\xfe", b"\xfe\xff", b"<\0")


@dataclass
class _Part:
    """What the scan of one XML part tells the rest: a sheet's extent, the
    relationships, workbook.xml's sheets, an .ods's tables."""

    extent: SheetExtent | None = None
    rels: dict[str, tuple[str, str]] = field(default_factory=dict)
    sheets: list[tuple[str, str]] = field(default_factory=list)
    ods_tables: dict[str, SheetExtent] = field(default_factory=dict)


def _part(xml: _Xml | None) -> _Part | None:
    if xml is None:
        return None
    return _Part(xml.extent, xml.rels, xml.sheets, xml.ods_tables)


@dataclass
class _Known:
    """A part scanned whole and found clean, and what its scan found.

    The same packed bytes, method, size and CRC inflate to the same bytes, which
    parse the same way: such a part needs no second scan, only the limits checked
    again against what this workbook has used so far.
    """

    size: int
    xml: bool
    extent: SheetExtent | None
    rels: dict[str, tuple[str, str]]
    sheets: list[tuple[str, str]]

    def fits(self, scan: PackageScan) -> bool:
        """Whether the scan of the part in this workbook would pass every limit
        (as :func:`_scan_whole` and :func:`_extent_of` check them)."""
        if self.size > _room(scan):
            return False
        ext = self.extent
        if ext is None:
            return True
        rows, columns = scan.limits.sheet_rows, scan.limits.sheet_columns
        return (
            ext.cells <= rows * columns
            and scan.written + ext.cells <= scan.limits.cells
            and ext.rows <= rows
            and ext.columns <= columns
        )

    def apply(self, scan: PackageScan) -> _Part | None:
        scan.unpacked += self.size
        if not self.xml:
            return None
        extent = None
        if self.extent is not None:
            extent = replace(self.extent)
            scan.written += extent.cells
        return _Part(extent, dict(self.rels), list(self.sheets))


_KNOWN_PART_MAX = 64 * 1024  # packed bytes of a part that may be remembered
_BOOKS_MAX = 16  # frames whose sheets are remembered (ScanMemory.book)
_LAYOUT_MAX = 64 * 1024  # bytes of a sheet kept as a layout
_Key = tuple[str, int, int, int, bytes]  # name, method, size, CRC, packed bytes


class ScanMemory:
    """What scanning earlier workbooks found, to scan the next ones faster.

    - *Known parts*: parts scanned whole and found clean, by (name, method,
      size, CRC, packed bytes). The parts a template fixes (theme, styles,
      workbook, relationships, the instructions sheet) are the same bytes in
      every unit's workbook, and are then scanned once, not once a workbook.
      Least recently used first out, within a bound on the packed bytes kept.
    - *Layouts*: the last worksheet of each part name scanned whole
      (:class:`_Layout`), a bounded few.

    One memory serves one run (a validation, a compile, a worker's share of
    one) and may be shared by threads. :func:`scan_package` without a memory
    is the plain scan that every faster path must equal.
    """

    def __init__(self, known_bytes: int = 4 * MIB, layouts: int = 64) -> None:
        self.known: dict[_Key, _Known] = {}
        self.known_bytes = 0
        self.known_max = known_bytes
        self.layouts: dict[str, _Layout] = {}
        self.layouts_max = layouts
        self.books: dict[tuple[tuple[str, int, bytes], ...], list[Any]] = {}
        self._lock = threading.Lock()

    def remember(self, key: _Key, known: _Known) -> None:
        with self._lock:
            if key in self.known:
                return  # another thread scanned the same part meanwhile
            while self.known and self.known_bytes + len(key[4]) > self.known_max:
                oldest = next(iter(self.known))
                del self.known[oldest]
                self.known_bytes -= len(oldest[4])
            self.known[key] = known
            self.known_bytes += len(key[4])

    def recall(self, key: _Key) -> _Known | None:
        """A part met before in these bytes, made the most recently used."""
        with self._lock:
            known = self.known.pop(key, None)
            if known is not None:
                self.known[key] = known
            return known

    def layout(self, name: str) -> _Layout | None:
        return self.layouts.get(name)

    def book(self, frame: tuple[tuple[str, int, bytes], ...]) -> list[Any] | None:
        """The sheets (name, chart sheet, visible) of a workbook of this frame,
        as calamine listed them (govstats.read.excel)."""
        return self.books.get(frame)

    def keep_book(
        self, frame: tuple[tuple[str, int, bytes], ...], sheets: list[Any]
    ) -> None:
        with self._lock:
            if len(self.books) < _BOOKS_MAX:
                self.books[frame] = sheets

    def keep_layout(self, name: str, xml: _Xml) -> _Layout | None:
        """Keep a sheet scanned whole as the layout of its part name, unless the
        layout kept has the same number of tags (the next sheet is compared with
        it, and most likely has the same markup); the layout kept, if it was."""
        assert xml.extent is not None
        tags = xml.body.count(b"<")
        with self._lock:
            kept = self.layouts.get(name)
            if kept is not None and kept.tags == tags and kept.markup != []:
                return None
            if kept is None and len(self.layouts) >= self.layouts_max:
                return None
            layout = self.layouts[name] = _Layout(xml.body, tags, replace(xml.extent))
            return layout


# Sheets that differ only in their text from one scanned before


@dataclass
class _Layout:
    """A worksheet scanned whole, kept to recognise the next sheet of the same
    part name that differs from it only in its text (its numbers, a unit's name):
    every unit's workbook of a template, filled in.

    Such a sheet needs neither expat nor the extent's patterns again. Where this
    sheet has no comment, CDATA, DTD or processing instruction (no "<!", no "<?"
    after the declaration) and no ">" in an attribute value, it splits into
    runs of text between a ">" and a "<" (:data:`_TEXT`) and the markup around
    them, and a sheet with the same markup, the same runs in the same places,
    and the same bytes up to the end of its root element's start tag has the
    very same tags (text after the last tag, not being followed by a "<", stays
    in the markup). Its text is checked where it differs from this one's (the
    rest is text expat has read): if it holds only characters XML allows (no
    control character, no "]]>", no U+FFFE or U+FFFF, an "&" only in a
    predefined entity or a reference to an allowed character:
    :func:`_plain_text`) and is UTF-8, the sheet is well-formed as this one is,
    and since the extent is read off the tags alone (text holds no "<"), it has
    this one's. Anything else, and it is scanned as any part is.
    """

    body: bytes
    tags: int  # its count of "<"
    extent: SheetExtent
    # its markup and its text, made when a sheet is first compared with it
    # (_ready); no markup when it cannot stand for other sheets
    markup: list[bytes] | None = None
    texts: list[bytes] = field(default_factory=list)
    head: bytes = b""  # the bytes up to the end of the root element's start tag
    references: set[bytes] = field(default_factory=set)  # found good (_plain_text)
    # the values of a sheet of this layout, read by calamine
    # (govstats.read.layouts.Memo)
    memo: Any = field(default=None, repr=False, compare=False)

    def read(self, body: bytes, scan: PackageScan) -> _Part | None:
        """What scanning ``body`` whole would give, or None to scan it."""
        if body.count(b"<") != self.tags or not self._ready():
            return None
        if not body.startswith(self.head):
            return None
        runs = _TEXT.split(body)
        if runs[0::2] != self.markup:
            return None
        changed = [
            i
            for i, (text, was) in enumerate(zip(runs[1::2], self.texts, strict=True))
            if text != was
        ]
        text = b"".join(runs[2 * i + 1] for i in changed)
        if not _plain_text(text, self.references):
            return None
        try:
            text.decode("utf-8")
        except UnicodeDecodeError:
            return None
        known = _Known(len(body), True, self.extent, {}, [])
        if not known.fits(scan):
            return None
        part = known.apply(scan)
        if part is not None and part.extent is not None:
            # Where no formula's text changed, the formulas are the layout's.
            formulas = any(_in_formula(runs[2 * i]) for i in changed)
            part.extent.links = _may_link(body) if formulas else self.extent.links
            part.extent.layout = self
            part.extent.runs = runs[1::2]
            part.extent.changed = changed
        return part

    def _ready(self) -> bool:
        if self.markup is None:
            body = self.body
            start = utf8_prolog_end(body)
            root = -1 if start is None else body.find(b"<", start)
            clean = (
                root >= 0
                and b"<!" not in body
                and body.find(b"<?", start) < 0
                and not _VALUE_GT.search(body)
            )
            # up to the end of the root element's start tag (with no ">" in an
            # attribute's value, the first ">" after it): compared first, cheaply.
            # Set before the markup, which says all are ready (another thread
            # may be reading this layout meanwhile).
            self.head = body[: body.find(b">", root) + 1]
            runs = _TEXT.split(body) if clean else []
            self.texts = runs[1::2]
            self.markup = runs[0::2]
        return bool(self.markup)


def _in_formula(markup: bytes) -> bool:
    """Whether the text after ``markup`` (the markup before a run of text, up to
    the ">" that ends its last tag) is a formula's: its last tag opens an ``f``
    element (``<f>``, ``<x:f t="shared" ...>``)."""
    return _FORMULA_START.fullmatch(markup, max(0, markup.rfind(b"<"))) is not None


# A run of text between two tags, kept by split() (:class:`_Layout`).
_TEXT = re.compile(rb"(>[^<]+<)")
# a ">" inside an attribute's value (or in text that looks like one)
_VALUE_GT = re.compile(rb"""=[ \t\r\n]*(?:"[^"<]*>|'[^'<]*>)""")
# every byte but the control characters XML forbids, and "&" (a reference)
_XML_CHARS = bytes(
    b for b in range(256) if b >= 0x20 and b != ord("&") or b in (0x09, 0x0A, 0x0D)
)
_NOT_TEXT = (b"]]>", b"\xef\xbf\xbe", b"\xef\xbf\xbf")  # and U+FFFE, U+FFFF
# A reference that needs no DTD: one of the five predefined entities, or a
# character's number (whether that character is allowed is checked apart).
_REFERENCE = re.compile(rb"&(?:#[0-9]{1,8}|#x[0-9A-Fa-f]{1,7}|amp|lt|gt|quot|apos);")
_REFERENCES_KEPT = 1 << 12  # references known good, a layout's at most


def _plain_text(body: bytes, good: set[bytes]) -> bool:
    """Whether ``body``, runs of text in the markup of a sheet expat parsed,
    keeps it well-formed: only characters XML allows, and "&" only in references
    that stand for one (lxml, and so openpyxl, writes every character beyond
    ASCII as ``&#NNNNN;``).

    :param good: references found good before (the same characters come back
        from sheet to sheet); those found good here are added, up to a bound.
    """
    odd = body.translate(None, _XML_CHARS)
    if odd.strip(b"&") or any(x in body for x in _NOT_TEXT):
        return False
    if not odd:
        return True
    found = _REFERENCE.findall(body)
    if len(found) != len(odd):  # an "&" that starts no reference
        return False
    for ref in set(found).difference(good):
        if ref[1:2] == b"#" and not _xml_char(
            int(ref[3:-1], 16) if ref[2:3] == b"x" else int(ref[2:-1])
        ):
            return False
        if len(good) < _REFERENCES_KEPT:
            good.add(ref)
    return True


def _xml_char(code: int) -> bool:
    """Whether XML 1.0 allows the character ``code`` (its production Char)."""
    return (
        code in (0x9, 0xA, 0xD)
        or 0x20 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or 0x10000 <= code <= 0x10FFFF
    )


def _scan_part(data: bytes, e: _Entry, path: str, scan: PackageScan) -> _Part | None:
    """Inflate one part, counting every byte, and parse it when it is XML.

    A part of up to :data:`_WHOLE` bytes is first scanned whole; where that cannot
    stand for the element-by-element scan (anything unusual, refused, or near a
    limit), it is scanned again the streaming way, from the state before, which
    then decides, so that the outcome is always the streaming scan's. With a
    :class:`ScanMemory`, a part met before in the same bytes is not scanned
    again, nor a worksheet that differs only in its text from the last one of
    its name (:class:`_Layout`). A scan with ``streaming`` set (the reference
    the faster paths are tested against) scans every part the streaming way.

    :returns: what the parse found, or None for a part that is not XML (a
        picture, ``vbaProject.bin``): it is inflated and counted, not parsed.
    """
    if e.size > _WHOLE or scan.streaming:
        return _part(_scan_streaming(data, e, path, scan))
    written = scan.written  # an .ods content.xml counts cells as it parses
    memory = scan.memory
    key = None
    if memory is not None and e.packed <= _KNOWN_PART_MAX:
        try:
            # (an .ods is parsed by namespace, an .xlsx not: kept apart)
            name = e.name if scan.kind == "xlsx" else f"{scan.kind}:{e.name}"
            key = (name, e.method, e.size, e.crc, _packed(data, e, path))
        except GovstatsError:
            pass  # the streaming scan says why
        else:
            known = memory.recall(key)
            if known is not None and known.fits(scan):
                return known.apply(scan)
    small = None
    layout = memory.layout(e.name) if memory and scan.kind == "xlsx" else None
    if layout is not None and key is not None:
        small = _inflate_small(key[4], e, _whole_cap(e, scan))
        part = None if small is None else layout.read(small, scan)
        if part is not None:
            return part
    try:
        xml = _scan_whole(data, e, path, scan, None if key is None else key[4], small)
    except _Rescan:
        scan.written = written
        return _part(_scan_streaming(data, e, path, scan))
    if memory is None:
        return _part(xml)
    if xml is not None and xml.body and scan.kind == "xlsx":
        kept = memory.keep_layout(e.name, xml)
        if kept is not None and xml.extent is not None:
            xml.extent.layout = kept
    if key is not None and (xml is None or xml.root != "document-content"):
        extent = None if xml is None or xml.extent is None else replace(xml.extent)
        rels = dict(xml.rels) if xml is not None else {}
        sheets = list(xml.sheets) if xml is not None else []
        memory.remember(key, _Known(e.size, xml is not None, extent, rels, sheets))
    return _part(xml)


def _room(scan: PackageScan) -> int:
    """What the next part may inflate to: the limit of a part, and what is left
    of the workbook's."""
    return min(scan.limits.part_bytes, scan.limits.unpacked_bytes - scan.unpacked)


def _whole_cap(e: _Entry, scan: PackageScan) -> int:
    """What a part scanned whole may inflate to. The declared size caps it: a
    part that inflates to more is refused anyway, by the streaming scan, and
    never held whole."""
    return min(_room(scan), e.size)


def _scan_whole(
    data: bytes,
    e: _Entry,
    path: str,
    scan: PackageScan,
    raw: bytes | None = None,
    small: bytes | None = None,
) -> _Xml | None:
    """:func:`_scan_part` for a small part: inflated whole, parsed in one call.

    :param raw: the part's packed bytes, when already taken.
    :param small: the part inflated by :func:`_inflate_small`, when already done.
    :raises _Rescan: on anything but a clean parse of a part within every limit;
        ``scan`` is then as it was, but for ``written``, which the caller restores.
    """
    cap = _whole_cap(e, scan)
    if e.packed <= _CHUNK:
        if small is None:
            try:
                small = _inflate_small(raw or _packed(data, e, path), e, cap)
            except GovstatsError:
                raise _Rescan from None
        if small is None:
            raise _Rescan
        first, body = small[:_CHUNK], small
    else:
        try:
            chunks = list(_inflate(data, e, path, cap))
        except GovstatsError:
            raise _Rescan from None
        first, body = (chunks or [b""])[0], b"".join(chunks)
    if not body or not _looks_like_xml(first):
        scan.unpacked += len(body)
        return None
    xml = _Xml(e.name, scan, whole=True)
    try:
        xml.parser.Parse(body, True)
    except (expat.ExpatError, _Refused):
        raise _Rescan from None
    finally:
        xml.close()
    if xml.extent is not None:
        if not _extent_of(body, xml.extent, scan):
            raise _Rescan
        xml.extent.links = _may_link(body)
        if xml.root == "worksheet" and len(body) <= _LAYOUT_MAX:
            xml.body = body
    scan.unpacked += len(body)
    return xml


def _scan_streaming(
    data: bytes, e: _Entry, path: str, scan: PackageScan
) -> _Xml | None:
    """:func:`_scan_part` a chunk at a time, each element of a sheet in turn."""
    xml: _Xml | None = None
    binary = False
    cap = _room(scan)
    last = b""  # the previous chunk's end, for a reference across two chunks
    try:
        for chunk in _inflate(data, e, path, cap):
            scan.unpacked += len(chunk)
            if xml is None and not binary:
                if _looks_like_xml(chunk):
                    xml = _Xml(e.name, scan)
                else:
                    binary = True
            if xml is None or xml.broken:
                continue
            xml.feed(chunk, path)
            if xml.extent is not None and not xml.extent.links:
                xml.extent.links = _may_link_chunk(last + chunk)
            last = chunk[-12:]
            if xml.extent is not None and xml.extent.too_large:
                # The sheet will not be read: the rest of it need not be inflated.
                return xml
        if xml is not None and not xml.broken:
            xml.feed(b"", path, final=True)
        return xml
    finally:
        if xml is not None:
            xml.close()


# The extent of a sheet read off its bytes. What makes it exact: once expat has
# parsed the part without error, and it holds no comment, CDATA section, processing
# instruction or DTD (no "<!", no "<?" after the XML declaration) and is UTF-8,
# every "<" followed by a name starts an element, and attribute values hold no "<".
# So counting "<c" and "<row" (with any prefix) counts exactly the elements the
# streaming scan sees, and an attribute list read from such a "<" up to an r
# attribute, each value taken whole within its quotes, is the element's own: a tag
# whose r is missing or not a plain position is not matched, and the counts differ.
_WS = rb"[ \t\r\n]"
_END = rb"[ \t\r\n/>]"  # what may follow an element's name
_PREFIX = rb"(?:[^ \t\r\n<>/:!?=\"']++:)?"
_ATTRIBUTE = rb"%s++[^ \t\r\n=/>]++%s*+=%s*+(?:\"[^\"]*+\"|'[^']*+')" % ((_WS,) * 3)
_POSITION = rb"([A-Za-z]{1,7})([0-9]{1,10})"  # what the streaming scan accepts
_PROLOG = re.compile(rb"(?:\xef\xbb\xbf)?(?:<\?xml%s[^<>?]*\?>)?" % _WS)
_ENCODING = re.compile(rb"encoding%s*=%s*[\"']([^\"']*)" % (_WS, _WS))
# Any <c>, <row>, <v> or <is> with a prefix (x:c) has this in its tag.
_PREFIXED = re.compile(rb":(?:c|row|v|is)%s" % _END)


def _value_mark(prefix: bytes) -> bytes:
    """Captures "<" (else nothing) when, after a cell's tag, a <v> or <is> starts
    before the next <c> or <row>: the streaming scan's pending cell gets a value."""
    return rb"(?:(?=[^<]*+(?:<(?!%s(?:c|row|v|is)%s)[^<]*+)*+(<)%s(?:v|is)%s))?" % (
        prefix,
        _END,
        prefix,
        _END,
    )


# After a cell's r (in _PLAIN) and only when no value mark was captured (group 3),
# since a cell with one counts anyway: captures "<" when the tag is not
# self-closing and a cell's start tag comes before any cell's end tag, a cell
# inside this one (see _NESTED).
_NESTED_MARK = (
    rb"(?(3)|(?:(?=(?:[^>\"']++|\"[^\"]*+\"|'[^']*+')*+(?<!/)>"
    rb"(?:[^<]++|<(?!/?c%s))*+(<)c%s))?)" % (_END, _END)
)
# Tags as Excel and openpyxl write them, in one pass: a cell's letters, digits and
# value mark where r comes first in double quotes, and as odd (then the general
# patterns) any other cell tag, a row tag whose r does not come first (a row whose
# r does is not matched at all), "<!" or "<?".
_PLAIN = re.compile(
    rb'<(?:c r="%s"%s%s|(c%s|row(?! r="[0-9]{1,10}")%s|[!?]))'
    % (_POSITION, _value_mark(b""), _NESTED_MARK, _END, _END)
)
# Tags of any form: prefixes, r anywhere among the attributes, either quotes.
_R = rb"(?:%s)*?%s++r%s*+=%s*+([\"'])" % (_ATTRIBUTE, _WS, _WS, _WS)
_CELL_TAG = re.compile(rb"<%sc%s" % (_PREFIX, _END))
_ROW_TAG = re.compile(rb"<%srow%s" % (_PREFIX, _END))
_ROW_R = re.compile(rb"<%srow%s[0-9]{1,10}\1" % (_PREFIX, _R))
_CELL_R = re.compile(rb"<%sc%s%s\1%s" % (_PREFIX, _R, _POSITION, _value_mark(_PREFIX)))

# A cell's start tag (not self-closing), then anything but a cell's start or end
# tag, then a cell's start tag: a cell inside a cell. (After expat, with no
# comment, CDATA or processing instruction, every "<" starts a tag, and an
# attribute value holds no "<".)
_NESTED = re.compile(
    rb"<%sc(?:%s)*+%s*+>(?:[^<]++|<(?!/?%sc%s))*+<%sc%s"
    % (_PREFIX, _ATTRIBUTE, _WS, _PREFIX, _END, _PREFIX, _END)
)


_Found = tuple[tuple[bytes, ...], tuple[bytes, ...], tuple[bytes, ...]]


def _cells_of(body: bytes, start: int) -> _Found | None:
    """Every cell's column letters, row digits and value mark, or None unless every
    cell and row has a valid r and no cell is inside another."""
    if not _PREFIXED.search(body, start):
        found = _PLAIN.findall(body, start)
        if not found:
            return (), (), ()
        letters, digits, valued, nested, odd = zip(*found, strict=True)
        if any(nested):
            return None
        if not any(odd):
            return letters, digits, valued
    if b"<!" in body or body.find(b"<?", start) >= 0:
        return None
    if _NESTED.search(body, start):
        return None
    cells = _CELL_R.findall(body, start)
    if len(cells) != len(_CELL_TAG.findall(body, start)):
        return None
    if len(_ROW_R.findall(body, start)) != len(_ROW_TAG.findall(body, start)):
        return None
    if not cells:
        return (), (), ()
    _, letters, digits, valued = zip(*cells, strict=True)
    return letters, digits, valued


def _may_link(body: bytes) -> bool:
    """Whether a sheet's formulas may reach outside the workbook (issue 21): in
    Excel's grammar every external reference names its workbook in brackets
    (``[1]Sheet1!A1``, ``'C:\\x\\[a.xlsx]Sheet1'!A1``) and every DDE call has a
    ``|`` (``cmd|'/c calc'!A0``), either of which a character reference
    (``&#124;``) may stand for. Only the text of formula elements is searched:
    a label written as character references (``&#34920;1``, as openpyxl writes
    inline strings) is no formula, and a sheet without formulas needs no
    parse of them."""
    if b"f" not in body:
        return False
    return any(_LINK_MARK.search(text) for text in _FORMULA_TEXT.findall(body))


def _may_link_chunk(chunk: bytes) -> bool:
    """:func:`_may_link` for a chunk of a sheet too large to hold whole: any
    bracket, bar or reference to one, in a formula or not (the chunk may cut an
    element in two)."""
    return _LINK_MARK.search(chunk) is not None


# A bracket, a bar, or a character reference to one (&#124; &#91; &#x7C; &#x5B;).
_LINK_MARK = re.compile(rb"[\[|]|&#(?:0*(?:124|91)|[xX]0*(?:7[cC]|5[bB]));")
# The text of each formula element (<f>, <x:f ...>) of a sheet.
_FORMULA_TEXT = re.compile(rb"<(?:[^\s<>/:!?]+:)?f(?:[ \t\r\n][^>]*)?>([^<]*)<")
# The start tag of a formula element, but its ">".
_FORMULA_START = re.compile(rb"<(?:[^\s<>/:!?]+:)?f(?:[ \t\r\n][^>]*)?")


def utf8_prolog_end(body: bytes) -> int | None:
    """Where the XML declaration of a UTF-8 part ends (0 without one), or None
    when the part declares another encoding or is UTF-16."""
    prolog = _PROLOG.match(body)
    assert prolog is not None  # every part of it is optional
    encoding = _ENCODING.search(prolog.group())
    if encoding is not None and encoding.group(1).lower() != b"utf-8":
        return None
    if b"\0" in body:
        return None  # UTF-16: every "<" is followed by a NUL
    return prolog.end()


def _extent_of(body: bytes, ext: SheetExtent, scan: PackageScan) -> bool:
    """Fill ``ext`` (and ``scan.written``) as the streaming scan would, from the
    bytes of a sheet expat has parsed without error.

    :returns: False, with nothing changed, unless that is provably exact and the
        sheet within every limit: not for a comment, CDATA, a processing
        instruction, an encoding other than UTF-8, a cell without a valid r, a
        row whose r is not a row number (which the streaming scan may refuse), or
        a sheet or workbook beyond a limit (which it marks or refuses).
    """
    start = utf8_prolog_end(body)
    if start is None:
        return False
    found = _cells_of(body, start)
    if found is None:
        return False
    letters, digits, valued = found
    cells = len(letters)
    max_rows, max_columns = scan.limits.sheet_rows, scan.limits.sheet_columns
    if cells > max_rows * max_columns or scan.written + cells > scan.limits.cells:
        return False
    last_row = max(map(int, set(compress(digits, valued))), default=0)
    last_column = max(
        (_COLUMNS[x.decode()] for x in set(compress(letters, valued))), default=0
    )
    if last_row > max_rows or last_column > max_columns:
        return False
    ext.rows, ext.columns, ext.cells = last_row, last_column, cells
    scan.written += cells
    return True


def scan_package(
    data: bytes,
    path: str,
    kind: str,
    limits: Limits = DEFAULT_LIMITS,
    memory: ScanMemory | None = None,
    streaming: bool = False,
) -> PackageScan:
    """Check a workbook's zip package; refuse it, or say which sheets are too large.

    :param limits: what the package and its parts are checked against.
    :param memory: what earlier scans found, to skip parts met before (the
        outcome is the same with or without it).
    :param streaming: scan every part element by element, never whole: the
        plain reference scan (the outcome is the same).
    :param kind: ``xlsx`` (also .xlsm) or ``ods``, from the file's suffix; the
        package must hold that kind of workbook and no other, since calamine picks
        its reader by content.
    :raises GovstatsError: ``zip-bomb``, ``unsafe-xml``, ``too-many-sheets``,
        ``file-encrypted`` or ``file-unreadable`` for the file as a whole.
    """
    entries = _entries(data, path, limits)
    names = {e.name for e in entries}
    main = {"xlsx": "xl/workbook.xml", "ods": "content.xml"}[kind]
    others = {"xl/workbook.xml", "xl/workbook.bin", "content.xml"} - {main}
    if main not in names:
        raise _refuse(path, "file-unreadable", f"no {main}")
    if names & others:
        found = f"{main} and {', '.join(sorted(names & others))}"
        raise _refuse(path, "file-unreadable", found)
    unscanned = _check_declared(entries, path, limits)
    scan = PackageScan(
        parts=len(entries),
        kind=kind,
        limits=limits,
        memory=memory,
        streaming=streaming,
    )
    scan.macros = any(n.lower().endswith("vbaproject.bin") for n in names)
    rels: dict[str, tuple[str, str]] = {}
    book: list[tuple[str, str]] = []
    sheets: dict[str, SheetExtent] = {}
    ods: dict[str, SheetExtent] = {}
    for e in entries:
        if e.name.endswith("/"):
            continue
        if e.name in unscanned:
            sheets[e.name] = SheetExtent(e.name, too_large=True, size=e.size)
            continue
        try:
            xml = _scan_part(data, e, path, scan)
        except _Refused as exc:
            raise _refuse(path, exc.code, exc.found, exc.expected) from None
        if xml is None:
            continue
        if xml.extent is not None:
            sheets[e.name] = xml.extent
        _check_cells(
            list(sheets.values()) + list(xml.ods_tables.values()), path, limits
        )
        if e.name == "xl/_rels/workbook.xml.rels":
            rels = xml.rels
        elif e.name == "xl/workbook.xml":
            book = xml.sheets
        elif e.name == "content.xml":
            ods = xml.ods_tables
    count = len(ods) if kind == "ods" else len(book)
    if count > limits.sheets:
        raise _refuse(path, "too-many-sheets", str(count), str(limits.sheets))
    scan.sheets = ods if kind == "ods" else _sheets_by_name(book, rels, sheets, path)
    if memory is not None and kind == "xlsx":
        _frame(scan, data, entries, rels, sheets, path)
    return scan


def _frame(
    scan: PackageScan,
    data: bytes,
    entries: list[_Entry],
    rels: dict[str, tuple[str, str]],
    sheets: dict[str, SheetExtent],
    path: str,
) -> None:
    """Set the scan's frame and shared strings (:class:`PackageScan`)."""
    strings = {
        _target(target)
        for target, kind in rels.values()
        if kind.endswith("/sharedStrings")
    }
    frame = []
    for e in entries:
        if e.name.endswith("/") or e.name in sheets or e.name.startswith("docProps/"):
            continue
        if e.name in strings:
            # (where a reader looks for them whatever the relationships say)
            if strings == {"xl/sharedStrings.xml"}:
                scan.strings = (e.method, e.size, _packed(data, e, path))
            continue
        frame.append((e.name, e.method, _packed(data, e, path)))
    scan.frame = tuple(frame)


def _target(target: str) -> str:
    """The part a relationship of xl/workbook.xml names."""
    if target.startswith("/"):
        return posixpath.normpath(target.lstrip("/"))
    return posixpath.normpath(posixpath.join("xl", target))


def _cells_text(limits: Limits) -> tuple[str, str]:
    return f"> {limits.cells} cells", f"{limits.cells} cells"


def _check_cells(extents: list[SheetExtent], path: str, limits: Limits) -> None:
    """Refuse a workbook whose sheets' ranges together are too many cells to hold.

    (The cells written are counted as they are parsed, and stop the scan at once.)
    """
    spanned = sum(e.rows * e.columns for e in extents if not e.too_large)
    if spanned > limits.cells:
        found = f"{spanned} cells"
        raise _refuse(path, "workbook-too-large", found, f"{limits.cells} cells")


def _sheets_by_name(
    book: list[tuple[str, str]],
    rels: dict[str, tuple[str, str]],
    sheets: dict[str, SheetExtent],
    path: str,
) -> dict[str, SheetExtent]:
    """Match workbook.xml's sheets to their parts; every one must have been scanned."""
    out: dict[str, SheetExtent] = {}
    for name, rid in book:
        part = _target(rels.get(rid, ("", ""))[0])
        extent = sheets.get(part)
        if extent is None:
            # A reader would parse a part that was not checked as a sheet (missing,
            # not XML, or not a worksheet): the file is refused rather than trusted.
            found = f"sheet {name}: {part} missing or not a worksheet"
            raise _refuse(path, "file-unreadable", found)
        out[name] = extent
    return out
