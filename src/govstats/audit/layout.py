"""Reading the tables of a published report by the labels its format declares.

A report prints tables 二, 三 and 四 of the national format as HTML tables (cells
merged across rows and columns), as Markdown tables, or as text with a table row on
each line and its cells apart by tabs or spaces (a PDF's text layer, a copy out of a
word processor). Nothing here knows a label: every row, column and group heading,
and the code each figure is read into (``t3.new.natural``), comes from the format
declaration; ``audit.tables`` names the tables to read.

How a table is read:

1. The document's rows. An HTML table becomes a grid first: a cell merged across
   rows or columns fills every position it covers. A text line is split into cells.
   A row's *label cells* are its leading cells with words in them; the cells after
   them are its *value cells*.
2. Each row is matched to a row of the format by its label: the label cells joined
   (a heading split over merged cells, 三、本年度办理结果 / （三）不予公开 /
   1.属于国家秘密, or all in one cell) against the row's label preceded by any of
   its group headings, compared by :func:`~govstats.audit.labels.label_key`. A text
   label broken over two lines is joined again. A row the format lacks is looked up
   in the other audited formats that have the same table (the 2019 single row
   （六）其他处理), whose layout the table then follows. A misprinted label is read
   as the nearest declared one, with a note.
3. The columns of a block are read from the header rows above its first row: the
   headings over each column (group headings, label) must name one column of the
   block each. When they do not (spans lost in a text copy) and a row has as many
   cells as the block has columns, the format's column order is used: the national
   format fixes it. A row without a label (table 四 prints none) belongs to the
   one-row block whose column headings stand above it.
4. A value cell holds a whole or decimal number, or nothing: a blank (or a dash) is
   reported, since a blank is not a zero.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal

from govstats.audit.documents import Document, SourceCell
from govstats.audit.findings import Check
from govstats.audit.labels import LabelIndex, Nearest, label_key
from govstats.core.locations import Location
from govstats.formats import Block, Column, Format, Row, Table

__all__ = ["PublishedTables", "read_tables", "stated_year"]

# Blank cells a blank-cells finding names (the others are counted).
BLANKS_NAMED = 8
# Header rows looked at above a block's first row (table 三 has three).
HEADER_ROWS = 6
# What a line that may hold a value cell has (normalized): a digit, a dash, a tab
# or a Markdown pipe.
_CAPABLE = re.compile(r"[\d\t|\-—–/]")
# Cells of a text line read as a table row (the national tables have 20 columns
# at most): a line of more is prose, read as one cell.
CELLS_MAX = 256
# Grid positions merged cells may fill: per cell of the table, and at least.
GRID_FACTOR, GRID_MIN = 16, 10_000
_NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?")
_IDEOGRAPH = re.compile("[\u4e00-\u9fff]")
# A figure and the unit its column counts in, which does not scale it.
_WITH_UNIT = re.compile(
    r"([^\u4e00-\u9fff]*?\d)\s*(?:万元|元|件|条|个|人次|人|次|宗|项|份|家|户|篇)"
)
# A cell holding only these says "nothing": read as a blank, not as a zero.
_DASHES = frozenset("-—–－/／")
# Headings joined in one Markdown cell (govstats' own report.md: 行政复议·总计).
_JOINED = re.compile(r"[·•]")
_TITLE_YEAR = re.compile(
    r"((?:19|20)\d{2})\s*年度?[^。\n]{0,40}?政府信息公开[^。\n]{0,10}?报告"
)
_PERIOD_YEAR = re.compile(r"((?:19|20)\d{2})年1月1日起?至\1年12月31日")


def stated_year(text: str) -> int | None:
    """The year a report is for, from its title (…2025年政府信息公开工作年度报告) or
    from its period (2025年1月1日至2025年12月31日); None when it states neither."""
    for pattern in (_TITLE_YEAR, _PERIOD_YEAR):
        m = pattern.search(unicodedata.normalize("NFKC", text))
        if m:
            return int(m.group(1))
    return None


@dataclass
class PublishedTables:
    """The figures of a report's tables, read by code.

    :param fmt: the format the report's year picks (the latest one without a year).
    :param layouts: the format each table read is laid out in, by table id (another
        format than ``fmt`` when the table keeps an older layout).
    :param where: the cell of each figure, with its table number and the names of
        its row and column (as the format names them, whatever the print).
    :param checks: what reading found: blank cells, misprinted labels, outdated
        layouts, rows missing.
    """

    fmt: Format
    year: int | None
    figures: dict[str, Decimal] = field(default_factory=dict)
    where: dict[str, Location] = field(default_factory=dict)
    layouts: dict[str, Format] = field(default_factory=dict)
    blanks: set[str] = field(default_factory=set)
    checks: list[Check] = field(default_factory=list)


# Cells and rows as printed


@dataclass(frozen=True)
class _Cell:
    text: str
    where: Location
    origin: int  # the cells of one merged source cell share it
    col: int  # grid column (HTML), or position from the right (text)

    @property
    def key(self) -> str:
        return label_key(self.text)


@dataclass
class _Line:
    cells: list[_Cell]
    grid: bool
    labels: list[_Cell] = field(default_factory=list)
    values: list[_Cell] = field(default_factory=list)

    def __post_init__(self) -> None:
        # Label cells, and the empty cells before or between them: a heading
        # merged over several rows whose other rows print an empty cell in its
        # place (a page copied from a word processor) leaves no value there.
        cells = self.cells
        i = 0
        while i < len(cells):
            if not cells[i].text:
                j = i
                while j < len(cells) and not cells[j].text:
                    j += 1
                if j == len(cells) or _is_value(cells[j].text):
                    break
                i = j
            if _is_value(cells[i].text):
                break
            if not self.labels or self.labels[-1].origin != cells[i].origin:
                self.labels.append(cells[i])
            i += 1
        self.values = cells[i:]

    @property
    def label(self) -> str:
        return " ".join(c.text for c in self.labels)

    @property
    def key(self) -> str:
        return "".join(c.key for c in self.labels)

    @property
    def has_numbers(self) -> bool:
        return any(_number(c.text) is not None for c in self.values)

    def slots(self) -> list[_Cell]:
        """The value cells, one per source cell."""
        out: list[_Cell] = []
        for c in self.values:
            if not out or out[-1].origin != c.origin:
                out.append(c)
        return out


def _clean(text: str) -> str:
    return unicodedata.normalize("NFKC", text).replace(" ", "").replace("\u00a0", "")


def _number(text: str) -> Decimal | None:
    if _IDEOGRAPH.search(text):
        # A figure printed with its unit (36000元, 12件) is that figure; no other
        # ideograph is part of a number, even after NFKC: no need to NFKC it.
        m = _WITH_UNIT.fullmatch(text.strip())
        if m is None:
            return None
        text = m.group(1)
    clean = _clean(text)
    if not _NUMBER.fullmatch(clean):
        return None
    return Decimal(clean.replace(",", ""))


def _is_value(text: str) -> bool:
    if _IDEOGRAPH.search(text):
        return _number(text) is not None
    clean = _clean(text).strip()
    return not clean or set(clean) <= _DASHES or _number(clean) is not None


def _grid_lines(
    rows: list[list[SourceCell]], path: str, first_origin: int
) -> tuple[list[_Line], int]:
    """An HTML table as rows of a grid: a merged cell fills every position."""
    grid: list[dict[int, _Cell]] = [{} for _ in rows]
    origin = first_origin
    # Positions a table's merged cells may fill: GRID_FACTOR per cell marked up
    # (and GRID_MIN), so that spans (up to 1000 each way) cannot blow a small
    # page up into a huge grid; a span beyond it fills one position.
    room = max(GRID_MIN, GRID_FACTOR * sum(len(row) for row in rows))
    for r, row in enumerate(rows):
        c = 0
        for cell in row:
            while c in grid[r]:
                c += 1
            where = Location(
                file=path, page=cell.page or None, line=cell.line, column=cell.column
            )
            rowspan, colspan = min(cell.rowspan, len(rows) - r), cell.colspan
            if rowspan * colspan > room:
                rowspan = colspan = 1
            room -= rowspan * colspan
            for dr in range(rowspan):
                for dc in range(colspan):
                    grid[r + dr].setdefault(
                        c + dc, _Cell(cell.text, where, origin, c + dc)
                    )
            origin += 1
            c += colspan
    lines = [_Line(sorted(cells.values(), key=_col), grid=True) for cells in grid]
    return lines, origin


_PROSE = _Line([], grid=False)


def _col(cell: _Cell) -> int:
    return cell.col


def _text_sequences(doc: Document) -> list[list[_Line]]:
    """The lines of a text or Markdown document as rows, in runs between blank
    lines; a Markdown table's |---| line is left out."""
    from govstats.audit.claims import normalize

    sequences: list[list[_Line]] = []
    current: list[_Line] = []
    single: set[int] = set()  # indexes in current of Markdown rows of one cell
    offset = origin = 0
    lines = doc.text.split("\n")
    needed = _near_values(normalize(doc.text).split("\n"))
    for line, keep in zip(lines, needed, strict=True):
        if not keep and line.strip():
            # Prose far from any line that may hold a figure: it can be no row,
            # header or broken label of a table; one shared row without cells
            # stands for it (issue 20: a page of 400,000 lines holds no table).
            offset += len(line) + 1
            current.append(_PROSE)
            continue
        cells = _split_line(line, offset, doc, origin)
        offset += len(line) + 1
        if cells is None:
            if current:
                sequences.append(_regrouped(current, single))
            current, single = [], set()
        elif cells:
            origin += len(cells)
            if len(cells) == 1 and line.lstrip().startswith("|"):
                single.add(len(current))
            current.append(_Line(cells, grid=False))
    if current:
        sequences.append(_regrouped(current, single))
    return sequences


# Fewer cells than this, one a line, are no table laid out a cell a line.
_SINGLE_RUN_MIN = 3


def _regrouped(lines: list[_Line], single: set[int]) -> list[_Line]:
    """``lines`` with each run of Markdown rows of one cell (a table copied one cell
    a line, ``| 规章 |`` / ``| 0 |`` / ``| 0 |``) made rows again: a label starts a
    row and the figures or blanks after it are its cells; the labels before the
    first row with figures are its header, one row."""
    if len(single) < _SINGLE_RUN_MIN:
        return lines
    out: list[_Line] = []
    i = 0
    while i < len(lines):
        j = i
        while j < len(lines) and j in single:
            j += 1
        if j - i < _SINGLE_RUN_MIN:
            out.append(lines[i])
            i += 1
            continue
        rows: list[list[_Cell]] = []
        for line in lines[i:j]:
            cell = line.cells[0]
            if rows and (not cell.text or _is_value(cell.text)):
                rows[-1].append(cell)
            else:
                rows.append([cell])
        head = 0
        while head < len(rows) and len(rows[head]) == 1:
            head += 1
        if head > 1 and head < len(rows):  # the header's cells, then row labels
            rows[: head - 1] = [[r[0] for r in rows[: head - 1]]]
        for row in rows:
            cells = [replace(c, col=k - len(row)) for k, c in enumerate(row)]
            out.append(_Line(cells, grid=False))
        i = j
    return out


def _near_values(lines: list[str]) -> list[bool]:
    """For each line (normalized), whether it may hold a value cell (a digit, a
    dash, a tab or a pipe) or stands HEADER_ROWS above such a line or just below
    one: the lines a table is read from."""
    capable = [bool(_CAPABLE.search(line)) for line in lines]
    needed = [False] * len(lines)
    upcoming = -(HEADER_ROWS + 1)  # distance to the next capable line, backwards
    for i in range(len(lines) - 1, -1, -1):
        upcoming = i if capable[i] else upcoming
        near_below = upcoming >= 0 and upcoming - i <= HEADER_ROWS
        needed[i] = near_below or (i > 0 and capable[i - 1])
    return needed


def _split_line(
    line: str, offset: int, doc: Document, origin: int
) -> list[_Cell] | None:
    """The cells of a text line: Markdown pipes, else tabs, else spaces (the label
    is then the words before the trailing figures). None for a blank line; ``[]``
    for a Markdown rule line."""
    if not line.strip():
        return None
    spans: list[tuple[int, int]]
    stripped = line.strip()
    if max(line.count("|"), line.count("\t")) > CELLS_MAX or (
        len(line.split(maxsplit=CELLS_MAX)) > CELLS_MAX
    ):
        # Prose, not a table row: one cell (counted without listing its words).
        start = len(line) - len(line.lstrip())
        spans = [(start, start + len(stripped))]
    elif stripped.startswith("|"):
        spans = _pipe_spans(line)
        if all(re.fullmatch(r"\s*:?-{3,}:?\s*", line[a:b]) for a, b in spans):
            return []
    elif "\t" in line:
        spans, start = [], 0
        for part in line.split("\t"):
            spans.append((start, start + len(part)))
            start += len(part) + 1
    else:
        tokens = [(m.start(), m.end()) for m in re.finditer(r"\S+", line)]
        n = len(tokens)
        while n and _is_value(line[tokens[n - 1][0] : tokens[n - 1][1]]):
            n -= 1
        if 0 < n < len(tokens):
            spans = [(tokens[0][0], tokens[n - 1][1]), *tokens[n:]]
        else:
            spans = tokens
    cells = []
    for i, (a, b) in enumerate(spans):
        text = line[a:b]
        lead = len(text) - len(text.lstrip())
        text = text.strip().replace("\\|", "|")
        cells.append(
            _Cell(text, doc.locate(offset + a + lead), origin + i, i - len(spans))
        )
    return cells


def _pipe_spans(line: str) -> list[tuple[int, int]]:
    bars = [m.start() for m in re.finditer(r"(?<!\\)\|", line)]
    spans = [(a + 1, b) for a, b in itertools.pairwise(bars)]
    if line.rstrip()[-1:] != "|" and bars:
        spans.append((bars[-1] + 1, len(line)))
    return spans


# The format's labels


@dataclass(frozen=True)
class _Place:
    """A row of a format's table."""

    fmt: Format
    table: Table
    block: Block
    row: Row

    @property
    def name(self) -> str:
        """The row as the format's indicators and report.md name it: its label,
        after its last group heading when it has two (（三）不予公开 1.属于国家秘密)."""
        row = self.row
        return f"{row.groups[-1]} {row.label}" if len(row.groups) > 1 else row.label


@dataclass(frozen=True)
class _Match:
    """A row of the document matched to a row of a format."""

    place: _Place
    at: Location  # its label cell (its first figure when it has no label)
    printed: str  # its label as printed, the halves of a broken label joined
    misprint: Nearest[_Place] | None = None
    key: str = ""  # the label key it was found by


class _Rows:
    """The rows of a format's audited tables, by label key and group headings."""

    def __init__(self, fmt: Format, tables: tuple[Table, ...]) -> None:
        self.fmt, self.tables = fmt, tables
        exact: list[tuple[str, str, _Place]] = []
        bare: list[tuple[str, str, _Place]] = []
        groups: set[str] = set()
        for table in tables:
            for block in table.blocks:
                for row in block.rows:
                    place = _Place(fmt, table, block, row)
                    key = label_key(row.label)
                    bare.append((key, row.label, place))
                    groups.update(label_key(g) for g in row.groups)
                    for n in range(len(row.groups) + 1):
                        for heads in itertools.combinations(row.groups, n):
                            exact.append((label_key("".join(heads)) + key, "", place))
        self.exact = LabelIndex(exact)
        self.bare = LabelIndex(bare)
        self.groups = sorted(groups, key=len, reverse=True)

    def find(self, key: str) -> list[_Place]:
        """The rows a label names: with its group headings (in any of the ways a
        report joins them), or once they are left out (a heading printed twice)."""
        found = self.exact.exact(key)
        if not found and self._bare_key(key) != key:
            found = self.bare.exact(self._bare_key(key))
        return found

    def nearest(self, key: str) -> Nearest[_Place] | None:
        """The row a misprinted label stands for, its group headings left out."""
        return self.bare.nearest(self._bare_key(key))

    def _bare_key(self, key: str) -> str:
        # Group headings are stripped by moving an offset, not by copying the key
        # once per heading (a key may repeat a heading a million times).
        at = 0
        stripped = True
        while stripped and at < len(key):
            stripped = False
            for g in self.groups:
                if key.startswith(g, at) and len(key) - at > len(g):
                    at, stripped = at + len(g), True
                    break
        return key[at:]


def _audited(fmt: Format) -> tuple[Table, ...]:
    return tuple(t for t in fmt.tables if t.id in fmt.audit.tables)


def _other_layouts(fmt: Format) -> list[_Rows]:
    """The rows of the tables other audited formats share with ``fmt`` (same id,
    same title): a report may print a table in another year's layout."""
    from govstats.formats import list_formats, load_format

    mine = {(t.id, t.title) for t in _audited(fmt)}
    out = []
    for fid in list_formats():
        other = load_format(fid)
        shared = tuple(t for t in _audited(other) if (t.id, t.title) in mine)
        if other is not fmt and shared:
            out.append(_Rows(other, shared))
    return out


def _pick_format(year: int | None) -> Format | None:
    from govstats.core.problems import GovstatsError
    from govstats.formats import format_for_year, list_formats, load_format

    if year is None:
        # No year stated: the format in force now, the one that starts last.
        return max((load_format(f) for f in list_formats()), key=_first_year)
    try:
        return format_for_year(year)
    except GovstatsError:
        return None


def _first_year(fmt: Format) -> int:
    return fmt.first_year


# Reading


def read_tables(doc: Document) -> PublishedTables | None:
    """Read the tables of a published report by the labels of its format.

    :returns: None when the report's format names no table to audit (the
        statistical forms of gk2008), else what was read (possibly nothing).
    """
    year = stated_year(doc.text)
    fmt = _pick_format(year)
    if fmt is None or not fmt.audit.tables:
        return None
    reader = _Reader(doc, fmt, year)
    reader.read()
    return reader.result


class _Reader:
    def __init__(self, doc: Document, fmt: Format, year: int | None) -> None:
        self.doc = doc
        self.result = PublishedTables(fmt=fmt, year=year)
        self.primary = _Rows(fmt, _audited(fmt))
        self.others = _other_layouts(fmt)
        self.first_cell: dict[str, Location] = {}
        self.read_rows: dict[str, set[str]] = {}
        # The blank cells of each table, reported together once it is read.
        self.blank_cells: dict[str, list[Check]] = {}
        self.filled: set[str] = set()  # tables with a figure read

    def sources(self) -> Iterator[list[list[_Line]]]:
        """Where to look for the tables: an HTML page's tables as marked up (its
        text lines are paragraphs, unless no table is found in the markup: a page
        laid out with tables may hold the report's tables as text); any other
        document line by line. Each is read only when the one before held none."""
        if self.doc.tables:
            grids, origin = [], 0
            for rows in self.doc.tables:
                lines, origin = _grid_lines(rows, self.doc.path, origin)
                grids.append(lines)
            yield grids
        yield _text_sequences(self.doc)

    def read(self) -> None:
        matched: list[tuple[list[_Line], int, _Match]] = []
        for sequences in self.sources():
            for seq in sequences:
                matched += [(seq, i, m) for i, m in self._match_sequence(seq)]
            if matched:
                break
        layouts = self._layouts([m for _, _, m in matched])
        self.result.layouts = {tid: fmt for tid, (fmt, _) in layouts.items()}
        headers: dict[tuple[int, int], _Columns] = {}
        for seq, i, m in matched:
            place = self._in_layout(m, layouts[m.place.table.id][0])
            key = (id(seq), id(place.block))
            if key not in headers:
                headers[key] = _Columns(place.block, _header_above(seq, i))
                self._column_notes(headers[key], place.table)
            self._read_row(seq[i], m, place, headers[key])
        self._layout_notes(layouts)
        self._blank_findings()
        self._missing_rows()

    # Rows

    def _match_sequence(self, seq: list[_Line]) -> list[tuple[int, _Match]]:
        out: list[tuple[int, _Match]] = []
        previous: _Place | None = None
        for i, line in enumerate(seq):
            if not line.values:
                continue
            if not line.labels:
                # A row of figures, or of blanks only in a marked-up table (table
                # 四 left unfilled), under the headings of a one-row block.
                if line.has_numbers or (
                    line.grid and not any(c.text for c in line.values)
                ):
                    match = self._unlabelled(seq, i)
                    if match is not None:
                        out.append((i, match))
                continue
            match = self._match_label(seq, i, previous)
            if match is not None:
                out.append((i, match))
                previous = match.place
        return out

    def _match_label(
        self, seq: list[_Line], i: int, previous: _Place | None
    ) -> _Match | None:
        line = seq[i]
        last = line.labels[-1]
        # (key, label as printed, where the printed label starts)
        candidates = [(line.key, last.text, last.where)]
        if not line.grid:
            # A text label broken over two lines: its first half on a line of its
            # own above, or its second half below.
            if i > 0 and _fragment(seq[i - 1]):
                half = seq[i - 1].labels[0]
                candidates.append(
                    (half.key + line.key, half.text + last.text, half.where)
                )
            if i + 1 < len(seq) and _fragment(seq[i + 1]):
                half = seq[i + 1].labels[0]
                candidates.append(
                    (line.key + half.key, last.text + half.text, last.where)
                )
        for rows in (self.primary, *self.others):
            for key, printed, at in candidates:
                found = rows.find(key)
                if found:
                    return _Match(_closest(found, previous), at, printed, key=key)
        for rows in (self.primary, *self.others):
            for key, printed, at in candidates:
                near = rows.nearest(key)
                if near is not None:
                    return _Match(near.value, at, printed, misprint=near, key=key)
        return None

    def _unlabelled(self, seq: list[_Line], i: int) -> _Match | None:
        """A row of figures without a label: the row of the one-row block whose
        column headings stand above it (table 四)."""
        header = _header_above(seq, i)
        if not header:
            return None
        slots = len(seq[i].slots())
        for rows in (self.primary, *self.others):
            for table in rows.tables:
                for block in table.blocks:
                    if len(block.rows) != 1:
                        continue
                    cols = _Columns(block, header)
                    if cols.by_header or (
                        cols.names_all and slots == len(block.columns)
                    ):
                        place = _Place(rows.fmt, table, block, block.rows[0])
                        return _Match(place, seq[i].values[0].where, "")
        return None

    def _layouts(self, matches: list[_Match]) -> dict[str, tuple[Format, _Match]]:
        """The format each table is laid out in: another format's when one of its
        rows is only in that one (its first such row is kept for the note)."""
        out: dict[str, tuple[Format, _Match]] = {}
        primary = self.result.fmt
        for m in matches:
            tid = m.place.table.id
            if tid not in out or (
                out[tid][0] is primary and m.place.fmt is not primary
            ):
                out[tid] = (m.place.fmt, m)
        return out

    def _in_layout(self, m: _Match, fmt: Format) -> _Place:
        """The same row in the format the table is laid out in, whose block gives
        its columns and the codes of its figures: found by its label there (a row
        of both formats may have two codes: 行政事业性收费), else by its code."""
        place = m.place
        if place.fmt is fmt:
            return place
        rows = next(r for r in (self.primary, *self.others) if r.fmt is fmt)
        found = [p for p in rows.find(m.key) if p.table.id == place.table.id]
        if found:
            return found[0]
        table = next(t for t in fmt.tables if t.id == place.table.id)
        for block in table.blocks:
            for row in block.rows:
                if row.code == place.row.code:
                    return _Place(fmt, table, block, row)
        return place

    # Cells

    def _read_row(self, line: _Line, m: _Match, place: _Place, cols: _Columns) -> None:
        tid = place.table.id
        block = place.block
        codes = [block.code(place.row.code, c.code) for c in block.columns]
        if any(c in self.result.figures or c in self.result.blanks for c in codes):
            return  # the table printed twice: the first one is read
        row_label = place.name
        self.first_cell.setdefault(tid, m.at)
        self.read_rows.setdefault(tid, set()).add(place.row.code)
        if m.misprint is not None:
            self._misprint(place.table, m.at, m.printed, m.misprint)
        cells = cols.read(line)
        if cells is None:
            self._blank(place.table, m.at, row_label, "?", "", codes)
            return
        names = _column_names(block)
        for col, code in zip(block.columns, codes, strict=True):
            cell = cells.get(col.code)
            name = names[col.code]
            where = replace(
                cell.where if cell is not None else m.at,
                table=place.table.number,
                table_row=row_label,
                table_column=name,
            )
            value = _number(cell.text) if cell is not None else None
            if value is None:
                text = cell.text if cell is not None else ""
                self._blank(place.table, where, row_label, name, text, [code])
                continue
            self.result.figures[code] = value
            self.result.where[code] = where
            self.filled.add(tid)

    def _blank(
        self,
        table: Table,
        where: Location,
        row: str,
        column: str,
        text: str,
        codes: list[str],
    ) -> None:
        from govstats.audit.judging import PLACEHOLDERS

        self.result.blanks.update(codes)
        placeholder = bool(PLACEHOLDERS.search(unicodedata.normalize("NFKC", text)))
        self.blank_cells.setdefault(table.id, []).append(
            Check.make(
                "table",
                "note" if placeholder else "wrong",  # XX: the text audit reports it
                "blank-cell",
                replace(where, table=table.number, table_row=row, table_column=column),
                snippet=f"表{table.number} {row} | {column}",
                claimed=text,
                recomputed="",
                rule="a blank is not a zero",
                context={"table": table.number, "row": row, "column": column},
            )
        )

    def _blank_findings(self) -> None:
        """One finding per table for its blank cells: the cell itself when it is
        the only one, else how many and which (a page of 135 blank cells gets one
        finding, not 135); a table without a single figure is an unfilled
        template, said once. Placeholders (XX) are left to the text audit."""
        for tid, cells in self.blank_cells.items():
            blank = [c for c in cells if c.status == "wrong"]
            if tid not in self.filled:
                number = dict(cells[0].context)["table"]
                self.result.checks.append(
                    replace(
                        cells[0],
                        status="wrong",
                        code="table-unfilled",
                        snippet=f"表{number}",
                        claimed=str(len(cells)),
                        rule="a table of the format is filled in",
                        context=(("count", str(len(cells))), ("table", number)),
                    )
                )
            elif len(blank) == 1:
                self.result.checks.append(blank[0])
            elif blank:
                context = dict(blank[0].context)
                named = [
                    f"{dict(c.context)['row']}｜{dict(c.context)['column']}"
                    for c in blank
                ]
                detail = "；".join(named[:BLANKS_NAMED])
                if len(named) > BLANKS_NAMED:
                    detail += f"；…（+{len(named) - BLANKS_NAMED}）"
                self.result.checks.append(
                    replace(
                        blank[0],
                        code="blank-cells",
                        claimed=str(len(blank)),
                        context=tuple(
                            sorted(
                                {
                                    **context,
                                    "count": str(len(blank)),
                                    "detail": detail,
                                }.items()
                            )
                        ),
                    )
                )

    def _misprint(
        self,
        table: Table,
        where: Location,
        printed: str,
        near: Nearest[_Place] | Nearest[Column],
    ) -> None:
        self.result.checks.append(
            Check.make(
                "table",
                "note",
                "label-misspelled",
                replace(where, table=table.number, table_row=printed),
                snippet=f"表{table.number} {printed}",
                claimed=printed,
                recomputed=near.label,
                rule="nearest declared label",
                context={"table": table.number, "detail": f"{near.ratio:.2f}"},
            )
        )

    def _column_notes(self, cols: _Columns, table: Table) -> None:
        for where, printed, near in cols.misprints:
            self._misprint(table, where, printed, near)

    def _layout_notes(self, layouts: dict[str, tuple[Format, _Match]]) -> None:
        fmt, year = self.result.fmt, self.result.year
        for _tid, (layout, m) in sorted(layouts.items()):
            if layout is fmt or year is None or year <= layout.last_year:
                continue
            printed = m.printed or m.place.name
            self.result.checks.append(
                Check.make(
                    "table",
                    "note",
                    "layout-outdated",
                    replace(m.at, table=m.place.table.number, table_row=printed),
                    snippet=f"表{m.place.table.number} {printed}",
                    claimed=printed,
                    recomputed=str(year),
                    rule=f"{layout.id} → {fmt.id}",
                    context={
                        "table": m.place.table.number,
                        "other_label": layout.title,
                        "whole_label": fmt.title,
                    },
                )
            )

    def _missing_rows(self) -> None:
        for tid, layout in self.result.layouts.items():
            table = next(t for t in layout.tables if t.id == tid)
            for block in table.blocks:
                for row in block.rows:
                    if row.code in self.read_rows.get(tid, set()):
                        continue
                    name = _Place(layout, table, block, row).name
                    self.result.checks.append(
                        Check.make(
                            "table",
                            "note",
                            "table-row-missing",
                            replace(
                                self.first_cell.get(tid, Location(self.doc.path)),
                                table=table.number,
                                table_row=name,
                            ),
                            snippet=f"表{table.number} {name}",
                            claimed="",
                            recomputed=name,
                            rule="every row of the format",
                            context={"table": table.number, "row": name},
                        )
                    )


def _closest(found: list[_Place], previous: _Place | None) -> _Place:
    """Of rows with one label, the one in the table read just before."""
    if previous is not None:
        for p in found:
            if p.table.id == previous.table.id:
                return p
    return found[0]


def _fragment(line: _Line) -> bool:
    """A text line holding only part of a label."""
    return not line.values and len(line.labels) == 1


def _header_above(seq: list[_Line], i: int) -> list[_Line]:
    """The header rows above row ``i``: the rows without figures just above it."""
    out: list[_Line] = []
    j = i - 1
    while j >= 0 and len(out) < HEADER_ROWS:
        line = seq[j]
        if line.has_numbers:
            break
        out.insert(0, line)
        j -= 1
    return out


class _Columns:
    """Which value cell of a row holds which column of a block.

    From the header rows: in an HTML grid, every heading above a grid column (merged
    headings fill the columns they span); in text, the cells of the header line just
    above, counted from the right like the values.
    """

    def __init__(self, block: Block, header: list[_Line]) -> None:
        self.block = block
        self.grid = bool(header) and header[0].grid
        self.misprints: list[tuple[Location, str, Nearest[Column]]] = []
        self.by_header: dict[int, str] = {}
        keys = {label_key(g) for c in block.columns for g in c.groups}
        keys |= {label_key(c.label) for c in block.columns}
        printed = {
            label_key(part)
            for line in header
            for cell in line.cells
            for part in _JOINED.split(cell.text)
        }
        self.names_all = bool(header) and keys <= printed
        paths: dict[int, list[_Cell]] = {}
        for line in header if self.grid else header[-1:]:
            for cell in line.cells:
                path = paths.setdefault(cell.col, [])
                if not path or path[-1].origin != cell.origin:
                    path.append(cell)
        mapped: dict[int, str] = {}
        notes: list[tuple[Location, str, Nearest[Column]]] = []
        for col, path in paths.items():
            found = self._column(path, notes)
            if found is not None:
                mapped[col] = found.code
        if set(mapped.values()) == {c.code for c in block.columns}:
            self.by_header = mapped
            self.misprints = notes

    def _column(
        self, path: list[_Cell], notes: list[tuple[Location, str, Nearest[Column]]]
    ) -> Column | None:
        keys = [label_key(p) for c in path for p in _JOINED.split(c.text)]
        keys = [k for k in keys if k]
        if not keys:
            return None
        index = LabelIndex((label_key(c.label), c.label, c) for c in self.block.columns)
        for key in reversed(keys):
            found = index.exact(key)
            if found:
                return _by_groups(found, keys)
        near = index.nearest(keys[-1])
        if near is not None:
            cell = path[-1]
            notes.append((cell.where, cell.text, near))
            return _by_groups([near.value], keys)
        return None

    def read(self, line: _Line) -> dict[str, _Cell] | None:
        """The value cell of each column code; None when the row's cells cannot be
        told apart (fewer or more than the columns, no headings to place them)."""
        if self.by_header:
            if not self.grid and len(line.values) != len(self.by_header):
                return None  # a text row with a cell lost: its figures cannot be placed
            out: dict[str, _Cell] = {}
            for cell in line.values:
                code = self.by_header.get(cell.col)
                if code is not None and code not in out:
                    out[code] = cell
            return out
        slots = line.slots()
        if len(slots) != len(self.block.columns):
            return None
        return {c.code: s for c, s in zip(self.block.columns, slots, strict=True)}


def _column_names(block: Block) -> dict[str, str]:
    """Each column as a clerk names it: its group headings and label joined by ·,
    leaving out the headings every column shares (as report.md prints them)."""
    paths = [(*c.groups, c.label) for c in block.columns]
    shared = 0
    while (
        all(len(p) > shared + 1 for p in paths) and len({p[shared] for p in paths}) == 1
    ):
        shared += 1
    return {
        c.code: "·".join(p[shared:]) for c, p in zip(block.columns, paths, strict=True)
    }


def _by_groups(found: list[Column], keys: list[str]) -> Column | None:
    """Of columns with one label (总计 of 行政复议 and of 行政诉讼), the one whose
    group headings all stand above it."""
    if len(found) == 1:
        return found[0]
    fitting = [c for c in found if all(label_key(g) in keys for g in c.groups)]
    if len(fitting) > 1:
        most = max(len(c.groups) for c in fitting)
        fitting = [c for c in fitting if len(c.groups) == most]
    return fitting[0] if len(fitting) == 1 else None
