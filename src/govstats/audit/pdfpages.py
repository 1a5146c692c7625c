"""A PDF report read from its page geometry: character boxes and ruling lines.

A PDF holds no lines, paragraphs or tables: only characters placed on a page and
strokes drawn between them. Reading its text layer as lines (what pypdf's text
extraction gives) loses what a reader sees: a table's header split over several
lines (结果 / 维持), a row label wrapping onto a second line, a number in a narrow
column wrapping digit by digit and a sentence broken by the margin all turn into
separate lines that read as separate rows or separate claims.

Here the page is read as laid out (pdfplumber, on pdfminer.six, gives each
character's box and each ruling line):

- the tables are found from their ruling lines; each cell's characters, on
  however many lines, are its text, and a cell spanning several rows or columns
  of the grid keeps its spans, as an HTML table's ``rowspan``/``colspan`` do, so
  that :mod:`govstats.audit.layout` reads it like a page's table;
- the characters outside tables are grouped into lines by their position; a line
  that reaches the right edge of the text without ending a sentence was wrapped by
  the layout and is joined to the next one (across a page break too); page numbers
  are left out.

pdfplumber is given a PDF only after :func:`govstats.audit.documents.pdf_document`
has checked it within the limits of :mod:`govstats.audit.limits` (its streams,
operators and nesting, read by pypdf under caps), and only when its content is
small enough for a layout analysis (``pdf_geometry_bytes``); otherwise the text
pypdf extracts is read instead.
"""

from __future__ import annotations

import bisect
import io
import re
from dataclasses import dataclass, field
from typing import Any

__all__ = ["FULL_LINE", "PdfCell", "PdfText", "read_geometry"]

# A PDF line at least this share of the page's longest line was wrapped by the
# layout, not ended by the author: it is joined with the next one.
FULL_LINE = 0.85

# Characters whose tops differ by less than this (points) are on one line.
LINE_TOLERANCE = 3.0
# A line ending within this many character sizes of the text's right edge was
# wrapped by the layout.
WRAP_SIZES = 2.0
# A gap wider than this many character sizes between two characters of a line
# without a table is a cell boundary (a table drawn without ruling lines).
CELL_GAP_SIZES = 2.0
# A gap wider than this many character sizes between two Latin letters or digits
# is a space the PDF did not draw.
SPACE_GAP_SIZES = 0.25
_SENTENCE_END = tuple("。！？；：!?;:")
_PAGE_NUMBER = re.compile(
    r"[-—–\s]*(?:第\s*)?\d{1,4}\s*(?:页)?(?:\s*/\s*(?:共\s*)?\d{1,4}\s*页?)?[-—–\s]*"
)

Char = dict[str, Any]
Box = tuple[float, float, float, float]  # x0, top, x1, bottom


@dataclass
class PdfCell:
    """A cell of a ruled table: its text, spans, and the page, line and column
    of its first character (of its row's when it is empty)."""

    text: str
    page: int
    line: int
    column: int
    rowspan: int = 1
    colspan: int = 1
    left: float = 0.0  # where the cell's box starts and ends on the page
    right: float = 0.0


@dataclass
class PdfText:
    """What a PDF's geometry gives: its text, one paragraph or table row per line,
    the ``(offset, page, line, column)`` anchors of its runs, and its tables."""

    text: str
    anchors: list[tuple[int, int, int, int]]
    tables: list[list[list[PdfCell]]]


@dataclass
class _Item:
    """A line of prose, or a row of a table, at its place on a page."""

    top: float
    text: str
    anchors: list[tuple[int, int, int]]  # (offset in text, line, column)
    right: float = 0.0  # where a prose line ends
    size: float = 0.0  # its characters' size
    row: bool = False  # a table row (never joined to the next line)
    table: int = -1  # the page's table it is a row of


@dataclass
class _Page:
    number: int
    items: list[_Item] = field(default_factory=list)
    # Each table's rows and its left and right edges.
    tables: list[tuple[list[list[PdfCell]], tuple[int, int]]] = field(
        default_factory=list
    )


def read_geometry(data: bytes) -> PdfText:
    """The text and tables of a PDF read from its geometry.

    :raises Exception: whatever pdfminer raises on a file it cannot read; the
        caller falls back to the text pypdf extracts.
    """
    import pdfplumber

    pages: list[_Page] = []
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for number, page in enumerate(pdf.pages, start=1):
            pages.append(_read_page(page, number))
            page.close()
    return _assemble(pages)


def _read_page(page: Any, number: int) -> _Page:
    page = page.dedupe_chars()
    chars: list[Char] = [c for c in page.chars if c.get("upright", True)]
    out = _Page(number)
    positions = _positions(chars)
    # A table of one row is kept: it may be the first row of one that goes on on
    # the next page.
    tables = [t for t in page.find_tables() if len(t.columns) >= 2]
    boxes = [t.bbox for t in tables]
    inside: list[list[Char]] = [[] for _ in tables]
    prose: list[Char] = []
    for c in chars:
        x, y = (c["x0"] + c["x1"]) / 2, (c["top"] + c["bottom"]) / 2
        for k, (x0, top, x1, bottom) in enumerate(boxes):
            if x0 <= x <= x1 and top <= y <= bottom:
                inside[k].append(c)
                break
        else:
            prose.append(c)
    for k, (table, table_chars) in enumerate(zip(tables, inside, strict=True)):
        rows, items, width = _table(table, table_chars, positions)
        out.tables.append((rows, width))
        for row_item in items:
            row_item.table = k
        out.items += items
    for line in _lines(prose):
        item = _prose_line(line, positions)
        if item is not None:
            out.items.append(item)
    out.items.sort(key=_top)
    return out


def _top(item: _Item) -> float:
    return item.top


def _positions(chars: list[Char]) -> dict[int, tuple[int, int]]:
    """The line of the page (1-based, top to bottom) and column of each character,
    as a reader counts them, by ``id``."""
    out: dict[int, tuple[int, int]] = {}
    for number, line in enumerate(_lines(chars), start=1):
        for column, c in enumerate(line, start=1):
            out[id(c)] = (number, column)
    return out


def _lines(chars: list[Char]) -> list[list[Char]]:
    """Characters grouped into lines (tops within LINE_TOLERANCE of the line's
    first), each sorted left to right, the lines top to bottom."""
    lines: list[list[Char]] = []
    top = float("-inf")
    for c in sorted(chars, key=_char_top):
        if c["top"] - top > LINE_TOLERANCE:
            lines.append([])
            top = c["top"]
        lines[-1].append(c)
    for line in lines:
        line.sort(key=_char_x)
    return lines


def _char_top(c: Char) -> float:
    return float(c["top"])


def _char_x(c: Char) -> float:
    return float(c["x0"])


def _latin(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def _line_text(line: list[Char], cells: bool) -> tuple[str, list[int]]:
    """The text of a line of characters and, for each character, its offset in it:
    a space where two Latin letters or digits stand apart, a tab (``cells``) where
    a gap wider than a cell boundary is."""
    parts: list[str] = []
    offsets: list[int] = []
    length = 0
    previous: Char | None = None
    for c in line:
        text = c["text"]
        if previous is not None:
            gap = c["x0"] - previous["x1"]
            size = max(float(c.get("size") or 0), 1.0)
            sep = ""
            if cells and gap > CELL_GAP_SIZES * size:
                sep = "\t"
            elif (
                gap > SPACE_GAP_SIZES * size
                and _latin(previous["text"][-1:])
                and _latin(text[:1])
            ):
                sep = " "
            if sep:
                parts.append(sep)
                length += 1
        offsets.append(length)
        parts.append(text)
        length += len(text)
        previous = c
    return "".join(parts), offsets


def _prose_line(
    line: list[Char], positions: dict[int, tuple[int, int]]
) -> _Item | None:
    text = _line_text(line, cells=True)[0].strip()
    if not text or _PAGE_NUMBER.fullmatch(text):
        return None
    first = next(c for c in line if c["text"].strip())
    number, column = positions[id(first)]
    return _Item(
        top=float(line[0]["top"]),
        text=text,
        anchors=[(0, number, column)],
        right=max(float(c["x1"]) for c in line),
        size=max(float(c.get("size") or 0) for c in line),
    )


def _join_cell_lines(lines: list[str]) -> str:
    """The lines of a cell as one text: run together (a label or a number wrapped
    by a narrow column: 结果 / 维持, 1 / 2), with a space between Latin words."""
    out = ""
    for line in lines:
        line = line.strip()
        if not line:
            continue
        if (
            out
            and _latin(out[-1])
            and _latin(line[0])
            and not (out[-1].isdigit() and line[0].isdigit())
        ):
            out += " "
        out += line
    return out


def _table(
    table: Any, chars: list[Char], positions: dict[int, tuple[int, int]]
) -> tuple[list[list[PdfCell]], list[_Item], tuple[int, int]]:
    """A ruled table as rows of cells with their spans (the positions a merged cell
    covers left out, as HTML marks it up), and its rows as lines of text."""
    cells: list[Box] = [
        (float(b[0]), float(b[1]), float(b[2]), float(b[3])) for b in table.cells
    ]
    xs = sorted({round(c[0], 1) for c in cells})
    ys = sorted({round(c[1], 1) for c in cells})
    column_of = {x: k for k, x in enumerate(xs)}
    row_of = {y: r for r, y in enumerate(ys)}
    grid: dict[tuple[int, int], Box] = {}
    for c in cells:
        grid[(row_of[round(c[1], 1)], column_of[round(c[0], 1)])] = c
    right = max(c[2] for c in cells)
    bottom = max(c[3] for c in cells)
    col_edges = [*xs, right]
    row_edges = [*ys, bottom]
    by_cell: dict[tuple[int, int], list[Char]] = {}
    for ch in chars:
        x, y = (ch["x0"] + ch["x1"]) / 2, (ch["top"] + ch["bottom"]) / 2
        r = bisect.bisect_right(ys, y) - 1
        k = bisect.bisect_right(xs, x) - 1
        # The cell whose box holds the character: the one starting at or before it
        # in both directions (a merged cell starts above or left of it).
        found = None
        for (rr, kk), held in _candidates(grid, r, k):
            if held[0] <= x <= held[2] and held[1] <= y <= held[3]:
                found = (rr, kk)
                break
        if found is not None:
            by_cell.setdefault(found, []).append(ch)
    rows: list[list[PdfCell]] = []
    items: list[_Item] = []
    for r, top in enumerate(ys):
        row: list[PdfCell] = []
        texts: list[str] = []
        anchors: list[tuple[int, int, int]] = []
        length = 0
        row_position: tuple[int, int] | None = None
        for k in range(len(xs)):
            box = grid.get((r, k))
            if box is None:
                continue
            colspan = _span(col_edges, box[0], box[2])
            rowspan = _span(row_edges, box[1], box[3])
            content = by_cell.get((r, k), [])
            lines = _lines(content)
            text = _join_cell_lines([_line_text(ln, cells=False)[0] for ln in lines])
            if content:
                first = lines[0][0]
                line, column = positions.get(id(first), (0, 1))
                row_position = row_position or (line, column)
            else:
                line, column = row_position or (0, 1)
            row.append(PdfCell(text, 0, line, column, rowspan, colspan, box[0], box[2]))
            if text:
                if texts:
                    length += 1
                anchors.append((length, line, column))
                texts.append(text)
                length += len(text)
        rows.append(row)
        if texts:
            items.append(
                _Item(top=top, text="\t".join(texts), anchors=anchors, row=True)
            )
    # Cells still without a line (a row of empty cells above the first text) take
    # the table's first.
    first_line = next((a[1] for i in items for a in i.anchors), 0)
    for row in rows:
        for cell in row:
            if cell.line == 0:
                cell.line = first_line
    return rows, items, (round(xs[0]), round(right))


def _candidates(
    grid: dict[tuple[int, int], Box], r: int, k: int
) -> list[tuple[tuple[int, int], Box]]:
    """The cells that may hold grid position (r, k): the one starting there, then
    those starting above or to the left of it (merged cells), nearest first."""
    out = []
    for rr in range(r, -1, -1):
        for kk in range(k, -1, -1):
            box = grid.get((rr, kk))
            if box is not None:
                out.append(((rr, kk), box))
        if out and rr < r - 64:
            break
    return out


def _span(edges: list[float], start: float, end: float) -> int:
    """How many grid positions a cell from ``start`` to ``end`` covers."""
    a = bisect.bisect_left(edges, round(start, 1) - 0.5)
    b = bisect.bisect_left(edges, end - 0.5)
    return max(b - a, 1)


def _respan(rows: list[list[PdfCell]]) -> None:
    """The column spans of a table joined from parts on two pages: each part
    knows only the column lines it draws (a page that prints no row of the
    narrower label columns draws none between them), so every cell's span is
    counted again on the column lines of both.

    The same line may be drawn a little apart on the two pages (LibreOffice
    widened a column of a table's second page by 1.3 pt): lines nearer than
    :data:`_SAME_LINE` are one.
    """
    edges: list[float] = []
    for x in sorted({c.left for row in rows for c in row}):
        if not edges or x - edges[-1] > _SAME_LINE:
            edges.append(x)
    for row in rows:
        for c in row:
            a = bisect.bisect_left(edges, c.left - _SAME_LINE)
            b = bisect.bisect_left(edges, c.right - _SAME_LINE)
            c.colspan = max(b - a, 1)


# Points between two column lines of a table's parts on two pages that are the
# same line (no column of a report is this narrow).
_SAME_LINE = 3.0


def _assemble(pages: list[_Page]) -> PdfText:
    """One document: prose lines joined where the layout wrapped them, table rows
    one per line with their cells apart by tabs."""
    prose = [i for p in pages for i in p.items if not i.row]
    edge = max((i.right for i in prose), default=0.0)
    parts: list[str] = []
    anchors: list[tuple[int, int, int, int]] = []
    tables: list[list[list[PdfCell]]] = []
    length = 0
    joined = False  # the last line was joined to what follows
    last_edges: tuple[int, int] | None = None  # of the table the last page ended with
    for page in pages:
        longest = max((len(i.text) for i in page.items if not i.row), default=0)
        # A table that goes on from the foot of the last page to the head of
        # this one (its edges where the last one's were) is one table.
        follows = (
            last_edges is not None
            and page.items
            and page.items[0].table == 0
            and all(
                abs(a - b) <= 2
                for a, b in zip(page.tables[0][1], last_edges, strict=True)
            )
        )
        for k, (table, _width) in enumerate(page.tables):
            for row in table:
                for cell in row:
                    cell.page = page.number
            if k == 0 and follows:
                tables[-1].extend(table)
                _respan(tables[-1])
            else:
                tables.append(table)
        last = page.items[-1] if page.items else None
        last_edges = (
            page.tables[last.table][1] if last is not None and last.table >= 0 else None
        )
        for item in page.items:
            if joined and item.row:
                parts.append("\n")
                length += 1
            for offset, line, column in item.anchors:
                anchors.append((length + offset, page.number, line, column))
            parts.append(item.text)
            length += len(item.text)
            # Wrapped: it reaches the right edge of the text, or (a layout that
            # does not justify its lines) holds nearly as many characters as the
            # page's longest line.
            joined = (
                not item.row
                and (
                    item.right >= edge - WRAP_SIZES * max(item.size, 1.0)
                    or len(item.text) >= FULL_LINE * longest
                )
                and not item.text.endswith(_SENTENCE_END)
            )
            if not joined:
                parts.append("\n")
                length += 1
    return PdfText("".join(parts).rstrip("\n"), anchors, tables)
