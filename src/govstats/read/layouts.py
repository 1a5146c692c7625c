"""Sheets read off their layout: the values of a sheet that differs from one
calamine read before only in some values, without calamine (issue 18).

Every unit's workbook of a template, filled in, has sheets that differ from the
first unit's only in their text: the figures, the unit's name. The inspection
(:class:`govstats.read.package._Layout`) recognises such a sheet, and gives its
runs of text. Once calamine has read one sheet of a layout, its grid is kept
(:class:`Memo`), and a later sheet of the layout is that grid with the cells
whose text differs read from their text.

Only what can be read exactly as calamine reads it is read so; anything else,
and calamine reads the sheet:

- the workbook's *frame* (every part but the sheets, the shared strings and the
  document properties: workbook, relationships, styles) is byte for byte the
  one of the workbook the grid came from, so that the sheets, their order, and
  which cell shows as a date are the same;
- a changed value is a number (``<v>`` of a cell with no type, or ``n``), a
  shared string, an inline string in one ``<t>``, or a formula's string, in a
  cell with its own position (``r``), where the kept grid holds a value that
  reads back from the kept text the same way (which proves the cell's kind:
  not a date, not trimmed differently);
- a shared string is plain or rich text (runs of ``<t>``), without phonetic
  runs, ``_xHHHH_`` escapes, carriage returns, or white space at either end
  of a ``<t>`` that does not preserve it (calamine trims it);
- a number is a plain decimal, finite, never empty.

A shared-string cell whose text did not change still names another string when
the workbook's strings differ from those of the workbook the grid came from: the
cells naming a string that differs are read again.

calamine is not opened at all for a workbook whose every sheet is read so: it
would refuse a workbook whose shared strings it cannot parse, which the
inspection found well-formed; such a workbook is read here where none of its
sheets' cells names a string that differs.
"""

from __future__ import annotations

import math
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from govstats.core.locations import column_number
from govstats.read.package import utf8_prolog_end

if TYPE_CHECKING:
    from govstats.read.package import PackageScan, SheetExtent, _Layout

__all__ = ["Memo", "read_off_layout", "remember", "shared_strings"]

# What the text of a changed cell is read as.
_NUMBER, _SHARED, _TEXT, _PRESERVED = 1, 2, 3, 4

_NAME = rb"(?:[^\s<>/:!?=\"']+:)?"
# Each tag in a run of markup: closing, name, the rest (the last one is open:
# its ">" starts the text that follows the markup).
_TAG = re.compile(rb"<(/?)" + _NAME + rb"([A-Za-z][\w.-]*)([^<>]*)")
_ATTRIBUTE = re.compile(rb"""\s([A-Za-z:]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_POSITION = re.compile(r"([A-Z]{1,3})([0-9]{1,7})")
_DECIMAL = re.compile(rb"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
_PRESERVE = b' xml:space="preserve"'
_STRING_START = re.compile(rb"<" + _NAME + rb"si[\s/>]")
_STRING = re.compile(rb"<(" + _NAME + rb"si)(?:\s[^>]*)?(?:/>|>.*?</\1\s*>)", re.DOTALL)
_PLAIN = re.compile(rb"<si>(<t(?: xml:space=\"preserve\")?>[^<]*</t>)</si>")
_RICH = re.compile(
    rb"<si>((?:<r>(?:<rPr>(?:<[^<>]*/>)*</rPr>)?<t[^>]*>[^<]*</t></r>)+)</si>"
)
_RUN = re.compile(rb"<t( xml:space=\"preserve\")?>([^<]*)</t>")
_REFERENCE = re.compile(r"&(#x[0-9A-Fa-f]+|#[0-9]+|amp|lt|gt|quot|apos);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
_SPACE = b" \t\r\n"


@dataclass(eq=False)  # one memo is one layout's: compared and hashed as itself
class Memo:
    """A sheet of a layout as calamine read it: its grid, and how to read the
    cells of another sheet of the layout from their text."""

    frame: tuple[tuple[str, int, bytes], ...]
    texts: list[bytes]  # its runs of text
    grid: list[list[Any]]
    merged: list[tuple[int, int, int, int]]
    # run → (kind, 0-based row, 0-based column), for the runs read from text
    cells: dict[int, tuple[int, int, int]]
    # run of a shared-string cell → the entry it named
    shared: dict[int, bytes]
    # the shared strings of the workbook it came from, and which of its runs
    # name each (by index)
    strings: list[bytes]
    naming: dict[int, list[int]]
    # what govstats.read.workbook found reading sheets of this memo
    units: dict[Any, Any] = field(default_factory=dict)


@dataclass(eq=False)
class _Pending:
    """A sheet calamine read, kept to be made its layout's memo when a second
    sheet of the layout comes (most layouts read once never do: a workbook
    validated alone). ``failed``: it cannot serve."""

    frame: tuple[tuple[str, int, bytes], ...]
    runs: list[bytes] | None
    grid: list[list[Any]]
    merged: list[tuple[int, int, int, int]]
    strings: Strings
    failed: bool = False


def remember(
    extent: SheetExtent,
    grid: list[list[Any]],
    merged: list[tuple[int, int, int, int]],
    strings: Strings,
) -> None:
    """Keep a sheet calamine read, to serve as its layout's memo."""
    layout, frame = extent.layout, strings.frame
    if layout is None or not frame:
        return
    memo = layout.memo
    if memo is not None and memo.frame == frame:
        return
    copied = [line[:] for line in grid]
    layout.memo = _Pending(frame, extent.runs, copied, list(merged), strings)


def _memo(layout: _Layout, kept: _Pending) -> Memo | None:
    """The memo of a sheet kept (:func:`remember`), or None where it cannot serve."""
    if not layout._ready():
        return None
    texts = kept.runs if kept.runs is not None else layout.texts
    grid, strings = kept.grid, kept.strings
    cells: dict[int, tuple[int, int, int]] = {}
    shared: dict[int, bytes] = {}
    naming: dict[int, list[int]] = {}
    for run, (kind, row, col) in _cells(layout).items():
        text = texts[run][1:-1]
        value = grid[row][col] if row < len(grid) and col < len(grid[row]) else None
        if kind == _SHARED:
            entries = strings.entries()
            index = int(text) if text.isdigit() else -1
            if entries is None or not 0 <= index < len(entries):
                return None  # calamine's string is not known: never read so
            shared[run] = entries[index]
            naming.setdefault(index, []).append(run)
            read = _shared(entries[index])
        else:
            read = _read(kind, text)
        if read is not None and type(read) is type(value) and read == value:
            cells[run] = (kind, row, col)
    return Memo(
        kept.frame,
        texts,
        grid,
        kept.merged,
        cells,
        shared,
        (strings.entries() or []) if shared else [],
        naming,
    )


def read_off_layout(
    extent: SheetExtent, strings: Strings
) -> (
    tuple[
        list[list[Any]],
        list[tuple[int, int, int, int]],
        Memo,
        frozenset[tuple[int, int]],
    ]
    | None
):
    """The grid and merged ranges calamine would read from the sheet, or None;
    with the memo they came from and the cells (0-based) whose values differ
    from its grid."""
    layout = extent.layout
    memo = None if layout is None else layout.memo
    if memo is None or memo.frame != strings.frame:
        return None
    assert layout is not None
    if isinstance(memo, _Pending):
        if memo.failed:
            return None
        made = _memo(layout, memo)
        if made is None:
            memo.failed = True
            return None
        memo = layout.memo = made
    texts = extent.runs if extent.runs is not None else layout.texts
    if len(texts) != len(memo.texts):
        return None
    if memo.texts is layout.texts:  # the layout's own sheet: its changes known
        changed: Iterable[int] = extent.changed if extent.runs is not None else ()
    else:
        changed = (
            i for i, (a, b) in enumerate(zip(texts, memo.texts, strict=True)) if a != b
        )
    grid = [line[:] for line in memo.grid]
    cells = memo.cells
    differ: set[tuple[int, int]] = set()
    renamed = []  # shared-string cells that name another string than the memo's
    for run in changed:
        if run in memo.shared:
            renamed.append(run)
            continue
        cell = cells.get(run)
        if cell is None:
            return None
        kind, row, col = cell
        value = _read(kind, texts[run][1:-1])
        if value is None:
            return None
        grid[row][col] = value
        differ.add((row, col))
    if memo.shared:
        entries = strings.entries()
        if entries is None:
            return None
        # A cell naming the string the memo's named, at the same index, where
        # the workbook's strings differ from the memo's workbook's.
        for index in strings.differing(memo.strings):
            renamed.extend(memo.naming.get(index, ()))
        for run in renamed:
            text = texts[run][1:-1]
            index = int(text) if text.isdigit() else -1
            if not 0 <= index < len(entries):
                return None
            entry = entries[index]
            if entry == memo.shared[run]:
                continue  # the very string (whatever its index)
            cell = cells.get(run)
            value = None if cell is None else _shared(entry)
            if cell is None or value is None:
                return None
            grid[cell[1]][cell[2]] = value
            differ.add((cell[1], cell[2]))
    return grid, list(memo.merged), memo, frozenset(differ)


class Strings:
    """A workbook's frame (:class:`~govstats.read.package.PackageScan`), and its
    shared strings, split into their entries when first asked."""

    def __init__(self, scan: PackageScan) -> None:
        self._scan = scan
        self.frame = scan.frame
        self._entries: list[bytes] | None = None
        self._done = False
        self._differing: dict[int, list[int]] = {}

    def entries(self) -> list[bytes] | None:
        """Each ``<si>`` element's bytes, in order; None where they cannot be told
        apart exactly (no shared strings, or anything unusual)."""
        if not self._done:
            self._done = True
            self._entries = shared_strings(self._scan.strings)
        return self._entries

    def differing(self, others: list[bytes]) -> list[int]:
        """The indexes at which these strings and ``others`` (another
        workbook's) differ, or either has none."""
        found = self._differing.get(id(others))
        if found is None:
            entries = self.entries() or []
            found = [
                i
                for i, (a, b) in enumerate(zip(entries, others, strict=False))
                if a != b
            ]
            found.extend(range(min(len(entries), len(others)), len(others)))
            self._differing[id(others)] = found
        return found


def shared_strings(part: tuple[int, int, bytes] | None) -> list[bytes] | None:
    """The ``<si>`` elements of a shared-strings part (method, size, packed)."""
    if part is None:
        return None
    method, size, packed = part
    if method == 0:
        body = packed
    elif method == 8:
        inflater = zlib.decompressobj(-15)
        try:
            body = inflater.decompress(packed, size + 1)
        except zlib.error:
            return None
    else:
        return None
    if len(body) != size or b"<!" in body or body.count(b"<?") > 1:
        return None
    if utf8_prolog_end(body) is None:
        return None  # not UTF-8: its bytes are not the strings' own
    if b"<si/>" in body or b":si" in body:
        entries = [m.group(0) for m in _STRING.finditer(body)]
        starts = len(_STRING_START.findall(body))
    else:  # the common case, split faster
        entries = []
        for piece in body.split(b"</si>")[:-1]:
            start = piece.rfind(b"<si")
            if start < 0:
                return None
            entries.append(piece[start:] + b"</si>")
        starts = body.count(b"<si>") + body.count(b"<si ")
    if len(entries) != starts:
        return None  # an element inside another, or one not closed
    return entries


def _cells(layout: _Layout) -> dict[int, tuple[int, int, int]]:
    """The runs of a layout's text that are a cell's value, and how each reads.

    Cells without a position of their own, or at a position met twice, are left
    out (calamine places them by its own rules).
    """
    out: dict[int, tuple[int, int, int]] = {}
    seen: set[tuple[int, int]] = set()
    twice: set[tuple[int, int]] = set()
    cell: tuple[int, int, bytes] | None = None
    markup = layout.markup or []
    for run, piece in enumerate(markup[:-1]):
        # (the "<" of a piece's first tag ends the run of text before it)
        tags = list(_TAG.finditer(b"<" + piece if run else piece))
        for tag in tags[:-1]:
            cell = _cell_after(tag, cell, seen, twice)
        if not tags:
            continue
        last = tags[-1]
        if last.group(2) == b"c":  # text straight inside a cell: not a value
            cell = _cell_after(last, cell, seen, twice)
            continue
        if cell is None or last.group(1):
            continue
        row, col, kind_attr = cell
        name, rest = last.group(2), last.group(3)
        kind = None
        if name == b"v" and not rest.strip():
            kind = {b"": _NUMBER, b"n": _NUMBER, b"s": _SHARED, b"str": _TEXT}.get(
                kind_attr
            )
        elif name == b"t" and kind_attr == b"inlineStr" and len(tags) >= 2:
            before = tags[-2]
            if before.group(2) == b"is" and not before.group(1):
                if not rest:
                    kind = _TEXT
                elif rest == _PRESERVE:
                    kind = _PRESERVED
        if kind is not None:
            out[run] = (kind, row, col)
    return {run: c for run, c in out.items() if (c[1], c[2]) not in twice}


def _cell_after(
    tag: re.Match[bytes],
    cell: tuple[int, int, bytes] | None,
    seen: set[tuple[int, int]],
    twice: set[tuple[int, int]],
) -> tuple[int, int, bytes] | None:
    """The cell whose content follows a tag (None: no cell, or one without its
    own position)."""
    if tag.group(2) != b"c":
        return cell
    rest = tag.group(3)
    if tag.group(1) or rest.rstrip().endswith(b"/"):
        return None
    attributes = {
        m.group(1): m.group(2) if m.group(2) is not None else m.group(3)
        for m in _ATTRIBUTE.finditer(rest)
    }
    found = _POSITION.fullmatch(attributes.get(b"r", b"").decode("latin-1"))
    if found is None:
        return None
    position = int(found.group(2)) - 1, column_number(found.group(1)) - 1
    if position in seen:
        twice.add(position)
    seen.add(position)
    return (*position, attributes.get(b"t", b""))


def _read(kind: int, text: bytes) -> Any:
    """A cell's value from its text, as calamine reads it, or None."""
    if kind == _NUMBER:
        if not _DECIMAL.fullmatch(text):
            return None
        number = float(text)
        return number if math.isfinite(number) else None
    return _text(text, kind == _PRESERVED)


def _shared(entry: bytes) -> str | None:
    """A shared string's text, as calamine reads it, or None."""
    plain = _PLAIN.fullmatch(entry)
    if plain is not None:
        runs = [plain.group(1)]
    else:
        rich = _RICH.fullmatch(entry)
        if rich is None:
            return None
        runs = re.findall(rb"<t[^>]*>[^<]*</t>", rich.group(1))
    parts = []
    for run in runs:
        found = _RUN.fullmatch(run)
        if found is None:
            return None
        part = _text(found.group(2), found.group(1) is not None, empty=True)
        if part is None:
            return None
        parts.append(part)
    return "".join(parts) or None


def _text(text: bytes, preserved: bool, empty: bool = False) -> str | None:
    if not text:
        return "" if empty else None
    if b"\r" in text or b"_x" in text:
        return None
    if not preserved and (text[0] in _SPACE or text[-1] in _SPACE):
        return None
    try:
        decoded = text.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if "&" in decoded:
        decoded = _REFERENCE.sub(_character, decoded)
    return decoded


def _character(match: re.Match[str]) -> str:
    name = match.group(1)
    if name[0] != "#":
        return _ENTITIES[name]
    return chr(int(name[2:], 16) if name[1] in "xX" else int(name[1:]))
