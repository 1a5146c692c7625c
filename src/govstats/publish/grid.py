"""Tables of the report as grids of cells, merged as the format prints them.

A :class:`Grid` is what report.html and report.docx draw: rows of cells, each cell
with its column and row span. It is computed from the format declaration alone (a
block's column groups become merged header cells, its row groups merged row
headings), so a new format needs no layout code. The blank workbook merges its
headings with the same :func:`heading_span`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from govstats.formats import Block, ReportTable, Table

if TYPE_CHECKING:
    from govstats.aggregate import Figures

__all__ = ["Cell", "Grid", "GridRow", "format_grid", "heading_span", "share_grid"]


@dataclass(frozen=True)
class Cell:
    """One drawn cell; ``head`` for a heading (th), ``code`` for a figure's cell."""

    text: str
    colspan: int = 1
    rowspan: int = 1
    head: bool = False
    code: str = ""


@dataclass(frozen=True)
class GridRow:
    """A row of a grid; ``kind`` is ``title`` (a block's title), ``head`` or ``body``."""

    cells: tuple[Cell, ...]
    kind: str = "body"


@dataclass(frozen=True)
class Grid:
    """A table as drawn: ``width`` columns, rows whose cells may span several."""

    id: str
    caption: str
    width: int
    rows: tuple[GridRow, ...]
    unit: str = ""
    notes: tuple[str, ...] = ()


def heading_span(paths: list[tuple[str, ...]], start: int, level: int) -> int:
    """The last index from ``start`` whose heading path agrees up to ``level``:
    the extent of a merged heading cell."""
    end = start
    while (
        end + 1 < len(paths)
        and paths[end + 1][: level + 1] == paths[start][: level + 1]
    ):
        end += 1
    return end


def format_grid(table: Table, value: Callable[[str], str]) -> Grid:
    """A table of the format, its blocks one under the other, filled by ``value``.

    Every block has the table's label columns (as many as the deepest row heading)
    and as many value columns as the widest block; a narrower block's last column
    spans the rest, as the national table 二 prints its one-column blocks.
    """
    label_cols = max(len(r.groups) for b in table.blocks for r in b.rows) + 1
    values = max(len(b.columns) for b in table.blocks)
    rows: list[GridRow] = []
    notes: list[str] = []
    for block in table.blocks:
        if block.title:
            width = label_cols + values
            rows.append(
                GridRow((Cell(block.title, colspan=width, head=True),), "title")
            )
        rows += _header(block, label_cols, values)
        rows += _body(block, label_cols, values, value)
        if block.note:
            notes.append(block.note)
    if table.note:
        notes.append(table.note)
    return Grid(
        id=table.id,
        caption=table.sheet,
        width=label_cols + values,
        rows=tuple(rows),
        # A unit in the caption only when every figure has it (table 二 mixes 件
        # and 万元, and says so in its column headings).
        unit=table.unit if all(i.unit == table.unit for i in table.indicators) else "",
        notes=tuple(notes),
    )


def _header(block: Block, label_cols: int, values: int) -> list[GridRow]:
    """The header rows: the corner, then the column headings level by level.

    A column whose heading path is shorter than the deepest leaves rows free. Its
    last group takes them (grows down) when every column under that group is as
    shallow: 行政复议 over two rows, its results on the third, as table 四 prints
    it. Otherwise the column's own label takes them (grows up): 自然人 beside
    法人或其他组织 in table 三.
    """
    paths = [(*c.groups, c.label) for c in block.columns]
    depth = max(len(p) for p in paths)
    # Per column: the index of the heading that takes the free rows.
    takes = []
    for i, path in enumerate(paths):
        last_group = len(path) - 2
        if last_group >= 0:
            first = i
            while (
                first > 0
                and paths[first - 1][: last_group + 1] == path[: last_group + 1]
            ):
                first -= 1
            end = heading_span(paths, first, last_group)
            if all(len(p) == len(path) for p in paths[first : end + 1]):
                takes.append(last_group)
                continue
        takes.append(len(path) - 1)
    grid: list[list[Cell]] = [[] for _ in range(depth)]
    grid[0].append(Cell(block.row_header, colspan=label_cols, rowspan=depth, head=True))
    for level in range(depth):
        c = 0
        while c < len(paths):
            path = paths[c]
            free = depth - len(path)
            # Which heading of this column is drawn in header row `level`.
            index = level if level <= takes[c] else level - free
            top = index if index <= takes[c] else index + free
            if index >= len(path) or top != level:
                c += 1
                continue
            end = c if index == len(path) - 1 else heading_span(paths, c, index)
            span = end - c + 1
            if end == len(paths) - 1:
                span += values - len(paths)
            rowspan = free + 1 if index == takes[c] else 1
            grid[level].append(
                Cell(path[index], colspan=span, rowspan=rowspan, head=True)
            )
            c = end + 1
    return [GridRow(tuple(cells), "head") for cells in grid]


def _body(
    block: Block, label_cols: int, values: int, value: Callable[[str], str]
) -> list[GridRow]:
    """The rows: row headings merged down over the rows they head (the label spans
    the label columns its groups leave free), then the figures."""
    paths = [(*r.groups, r.label) for r in block.rows]
    out: list[GridRow] = []
    for i, row in enumerate(block.rows):
        path = paths[i]
        cells: list[Cell] = []
        for level, text in enumerate(path):
            if i > 0 and paths[i - 1][: level + 1] == path[: level + 1]:
                continue
            end = heading_span(paths, i, level)
            colspan = label_cols - level if level == len(path) - 1 else 1
            cells.append(Cell(text, colspan=colspan, rowspan=end - i + 1, head=True))
        for c, col in enumerate(block.columns):
            code = block.code(row.code, col.code)
            extra = values - len(block.columns) if c == len(block.columns) - 1 else 0
            cells.append(Cell(value(code), colspan=1 + extra, code=code))
        out.append(GridRow(tuple(cells)))
    return out


def share_grid(
    figures: Figures, table: ReportTable, value: Callable[[str], str]
) -> Grid:
    """A standard table of the report (``report.tables`` of the format): 项目,
    数量 and, where the report prints shares, 占比; a row per part, then 合计."""
    from govstats.aggregate import label_of, share_sum_note

    fmt = figures.fmt
    unit = (
        fmt.indicators[table.parts[0]].unit if table.parts[0] in fmt.indicators else ""
    )
    head = [
        Cell("项目", head=True),
        Cell(f"数量（{unit}）" if unit else "数量", head=True),
    ]
    if table.shares:
        head.append(Cell("占比", head=True))
    rows = [GridRow(tuple(head), "head")]
    for code in table.parts:
        cells = [Cell(label_of(fmt, code), head=True), Cell(value(code), code=code)]
        if table.shares:
            share = figures.share(code, table.total)
            cells.append(Cell(share.printed, code=share.id))
        rows.append(GridRow(tuple(cells)))
    total = [
        Cell(f"合计：{label_of(fmt, table.total)}", head=True),
        Cell(value(table.total), code=table.total),
    ]
    if table.shares:
        total.append(Cell(""))
    rows.append(GridRow(tuple(total)))
    note = share_sum_note(figures, table.id).strip("（）")
    return Grid(
        id=table.id,
        caption=table.title,
        width=len(head),
        rows=tuple(rows),
        unit=unit,
        notes=(note,) if note else (),
    )
