"""Writing outputs: atomically, and byte-identical for the same content.

Every file is written to a temporary file in the target folder and moved into place
with :func:`os.replace`, so a reader (or a crash) never sees half a file. Workbooks
are saved through :func:`workbook_bytes`, which removes what openpyxl would make
differ between two runs: the save time in ``docProps/core.xml`` and the zip entries'
timestamps.
"""

from __future__ import annotations

import functools
import io
import itertools
import os
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from govstats.core.locations import column_letter, column_number

__all__ = [
    "FIXED_TIME",
    "MadeRows",
    "Row",
    "Streamed",
    "atomic_write",
    "normal_mode",
    "reproducible_zip",
    "put",
    "put_formula",
    "sheet_text",
    "workbook_bytes",
    "write_workbook",
]

# The timestamp every generated workbook carries (zip entries and core properties).
FIXED_TIME = (2000, 1, 1, 0, 0, 0)
# A formula cell without its result, as openpyxl writes it: `<v />` with the standard
# library's XML writer, `<v></v>` with lxml's (which openpyxl uses when installed).
_FORMULA_CELL = re.compile(rb'<c r="([A-Z]+[0-9]+)"[^>]*><f>[^<]*</f>(<v ?/>|<v></v>)')
_CORE_TIME = re.compile(
    rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:(created|modified)>)"
)


class Streamed:
    """An output made as it is written: its bytes come in pieces, from
    ``pieces()`` each time it is called, and are never held whole (issue 18:
    figures.json takes 2 kB a unit)."""

    def __init__(self, pieces: Callable[[], Iterable[bytes]]) -> None:
        self.pieces = pieces

    def __bytes__(self) -> bytes:
        # Held once (b"".join would hold the list of pieces beside it).
        out = io.BytesIO()
        for piece in self.pieces():
            out.write(piece)
        return out.getvalue()


def atomic_write(path: str | Path, data: bytes | str) -> None:
    """Write ``data`` to ``path`` so that it is either wholly there or not at all."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        # mkstemp makes the file 0600; a template or an annotated copy is to be
        # shared like any file the user saves (issue 16).
        os.chmod(tmp, normal_mode())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def normal_mode(directory: bool = False) -> int:
    """The mode a file (or folder) the user creates gets: 0666 (0777) less the umask."""
    return (0o777 if directory else 0o666) & ~_umask()


@functools.cache
def _umask() -> int:
    # The only way to read the umask is to set it; done once, at the first write.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


Row = Sequence[str | int | float | None]


class MadeRows:
    """Rows made as they are written (``make()``, called once): ``count`` rows,
    each with a value in its first cell, none wider than ``width`` cells. The
    rows of many units are then never all held at once (issue 18)."""

    def __init__(self, count: int, width: int, make: Callable[[], Iterable[Row]]):
        self.count = count
        self.width = width
        self.make = make


def workbook_bytes(
    wb: Any,
    cached: dict[tuple[str, str], float] | None = None,
    rows: Mapping[str, Sequence[Row] | MadeRows] | None = None,
) -> bytes:
    """Save an openpyxl workbook to bytes that depend only on its content.

    :param cached: values to store as the cached results of formula cells, by
        ``(sheet title, A1 reference)``. openpyxl writes formulas without a result,
        so a viewer that does not recalculate (a previewer, pandas) would show
        nothing; with the cached value it shows the number.
    :param rows: plain rows (text and numbers, no styles) to add below the rows of
        a sheet, by sheet title, written exactly as openpyxl writes such cells. For
        a sheet of many rows: openpyxl builds an object per cell, which is slow;
        this writes the XML text directly, a few hundred rows at a time into the
        zip, never the whole sheet at once. openpyxl writing the same cells is the
        reference these bytes must equal (tests/test_output.py).
    """
    buf = io.BytesIO()
    wb.save(buf)
    paths = {
        f"xl/worksheets/sheet{i}.xml": ws.title
        for i, ws in enumerate(wb.worksheets, start=1)
    }
    rows = rows or {}
    extra = {path: rows[title] for path, title in paths.items() if title in rows}

    def fill(name: str, data: bytes) -> bytes | Iterable[bytes]:
        if cached and name in paths:
            data = _fill_cached(data, paths[name], cached)
        if name in extra:
            return _with_rows(data, extra[name])
        return data

    return reproducible_zip(buf.getvalue(), fill)


def reproducible_zip(
    data: bytes, rewrite: Callable[[str, bytes], bytes | Iterable[bytes]] | None = None
) -> bytes:
    """An Office file (a zip) again, with what differs between two saves removed:
    the zip entries' timestamps and permissions, and the save time in
    ``docProps/core.xml``. Entries keep their order; ``rewrite(name, data)`` may
    change an entry's content on the way, and give it in pieces."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as src,
        zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = _CORE_TIME.sub(rb"\g<1>2000-01-01T00:00:00Z\g<3>", body)
            content = body if rewrite is None else rewrite(info.filename, body)
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            if isinstance(content, bytes):
                dst.writestr(entry, content)
                continue
            # Compressed as it comes: the sheet of many units' rows is large, and
            # joined into one piece it would be held twice at its peak. The bytes
            # are those of writestr (zlib's output does not depend on how its
            # input is split; tests/test_output.py checks it).
            with dst.open(entry, "w") as stream:
                for piece in content:
                    stream.write(piece)
    return out.getvalue()


# Rows written as openpyxl writes an unstyled cell (openpyxl/cell/_writer.py):
# text as an inline string (cleaned by sheet_text, as put() cleans it), numbers as
# "%.16g", no cell for None.
# openpyxl closes an empty element with " />" (the standard library's XML writer)
# or "/>" (lxml's, which it uses when lxml is installed): rows follow the sheet's.
_DIMENSION = re.compile(rb'<dimension ref="A1(?::([A-Z]+)([0-9]+))?"( ?)/>')
_ROW_NUMBER = re.compile(rb'<row r="([0-9]+)"')
_ROWS_PER_CHUNK = 500


def _with_rows(xml: bytes, rows: Sequence[Row] | MadeRows) -> Iterator[bytes]:
    """The sheet ``xml`` with ``rows`` added below its last row, in chunks."""
    head, sep, tail = xml.partition(b"</sheetData>")
    found = _DIMENSION.search(head)
    numbers = [int(n) for n in _ROW_NUMBER.findall(head)]
    if not sep or found is None or found.group(1) is None or not numbers:
        raise ValueError("rows can only be added below the rows a sheet has")
    first = max(numbers) + 1
    columns = column_number(found.group(1).decode())
    if isinstance(rows, MadeRows):
        last = first + rows.count - 1
        width = max(columns, rows.width)
        made: Iterable[Row] = rows.make()
    else:
        filled = [i for i, row in enumerate(rows) if any(v is not None for v in row)]
        last = first + filled[-1] if filled else first - 1
        width = max([columns, *(len(rows[i]) for i in filled)])
        made = rows
    letters = [column_letter(c) for c in range(1, width + 1)]
    close = found.group(3).decode() + "/>"
    dimension = f'<dimension ref="A1:{letters[-1]}{last}"{close}'.encode()
    yield head[: found.start()] + dimension + head[found.end() :]
    numbered = enumerate(made, start=first)
    while chunk := list(itertools.islice(numbered, _ROWS_PER_CHUNK)):
        yield "".join(_row_xml(r, row, letters, close) for r, row in chunk).encode()
    yield sep + tail


# Integers that "%.16g" writes as their digits (a double holds them exactly, and
# they have fewer than 17): most cells of a units sheet.
_PLAIN_INT = 2**53


def _row_xml(r: int, values: Row, letters: list[str], close: str) -> str:
    lxml = close == "/>"
    cells = []
    for letter, value in zip(letters, values, strict=False):
        if type(value) is int and -_PLAIN_INT < value < _PLAIN_INT:
            # The common case first, without the checks below (a row per unit,
            # a cell per indicator: most of the sheet's cells).
            cells.append(f'<c r="{letter}{r}" t="n"><v>{value}</v></c>')
            continue
        if value is None:
            continue
        ref = f"{letter}{r}"
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise TypeError(f"cannot write {value!r} as a plain cell")
        if not isinstance(value, str):
            cells.append(f'<c r="{ref}" t="n"><v>{value:.16g}</v></c>')
        elif value == "":  # sheet_text keeps "" as it is
            empty = "></c>" if lxml else " />"
            cells.append(f'<c r="{ref}" t="inlineStr"{empty}')
        else:
            value = sheet_text(value)  # as put() writes text
            stripped = value.strip()
            # lxml's writer keeps the spaces of text that is only spaces too.
            keep = stripped != value and (bool(stripped) or lxml)
            space = ' xml:space="preserve"' if keep else ""
            text = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            if lxml:  # lxml writes \r and every character beyond ASCII as a reference
                text = text.replace("\r", "&#13;")
                text = text.encode("ascii", "xmlcharrefreplace").decode("ascii")
            cells.append(
                f'<c r="{ref}" t="inlineStr"><is><t{space}>{text}</t></is></c>'
            )
    return f'<row r="{r}">{"".join(cells)}</row>' if cells else ""


def _fill_cached(xml: bytes, title: str, cached: dict[tuple[str, str], float]) -> bytes:
    def fill(m: re.Match[bytes]) -> bytes:
        value = cached.get((title, m.group(1).decode()))
        if value is None:
            return m.group(0)
        return m.group(0).replace(m.group(2), b"<v>" + repr(value).encode() + b"</v>")

    return _FORMULA_CELL.sub(fill, xml)


def write_workbook(wb: Any, path: str | Path) -> None:
    """Save an openpyxl workbook atomically and reproducibly."""
    atomic_write(path, workbook_bytes(wb))


# Characters XML 1.0 cannot carry: openpyxl raises on them (IllegalCharacterError).
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# Excel's limit for the text of one cell.
CELL_TEXT_MAX = 32767


def sheet_text(text: str) -> str:
    """Text as a workbook can hold it: characters XML forbids become U+FFFD and it
    is cut to Excel's 32,767 characters (text from a hostile input can be both)."""
    return _ILLEGAL.sub("\ufffd", text)[:CELL_TEXT_MAX]


def put(ws: Any, row: int, col: int, value: Any) -> Any:
    """Write a value into a cell; text always stays text.

    openpyxl turns any string starting with ``=`` into a formula. Text that came from
    a workbook (a unit name, a remark, a message quoting one) must never become a
    formula in an output a person opens, so strings are stored as strings, cleaned
    by :func:`sheet_text`.
    """
    cell = ws.cell(row=row, column=col)
    if isinstance(value, str):
        cell.value = sheet_text(value)
        cell.data_type = "s"
    else:
        cell.value = value
    return cell


def put_formula(ws: Any, row: int, col: int, formula: str) -> Any:
    """Write a formula of govstats' own making (never text from an input)."""
    if not formula.startswith("="):
        raise ValueError(f"not a formula: {formula!r}")
    cell = ws.cell(row=row, column=col)
    cell.value = formula
    return cell
