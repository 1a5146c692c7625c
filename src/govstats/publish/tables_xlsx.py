"""``tables.xlsx``: the standard tables with live formulas an auditor can follow.

Every share is an Excel formula (``=C4/C$11``) that also carries its cached value, so
a viewer that does not recalculate shows the number too, and a column beside it
holds the share exactly as the report prints it (exact arithmetic, rounded once).
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from fractions import Fraction
from typing import Any

from govstats.aggregate import (
    Derived,
    Figures,
    format_value,
    label_of,
    places_of,
    printed_rows,
    share_sum_note,
)
from govstats.core.output import MadeRows, Row, put, put_formula, workbook_bytes
from govstats.formats import Group

__all__ = ["share_sum_note", "tables_workbook"]

HEADER = ("项目", "代码", "数量", "占比", "报告采用")


def _cached(num: Decimal, den: Decimal) -> float | None:
    # The value Excel itself computes for =num/den and caches in the file: the double
    # nearest the exact quotient. It is never printed by govstats (the 报告采用
    # column and report.md come from exact arithmetic).
    if den == 0:
        return None
    return float(Fraction(num) / Fraction(den))


def tables_workbook(
    figures: Figures, partial_note: str = "", government: str = ""
) -> bytes:
    """Build ``tables.xlsx`` and return its bytes (reproducible).

    First the format's own tables, laid out as the format prints them, summed, with
    every total a live formula over its parts; then the report's share tables, the
    rates, the sums per group and each unit's figures.
    """
    from openpyxl.styles import Font

    cached: dict[tuple[str, str], float] = {}
    bold = Font(bold=True)
    fmt = figures.fmt
    wb = _format_tables(figures, cached, partial_note, government)
    for table in fmt.report.tables:
        ws = wb.create_sheet(_sheet_name(table.section, table.title))
        put(ws, 1, 1, f"{table.title}（{table.section}）").font = Font(
            bold=True, size=13
        )
        r = 2
        if partial_note:
            put(ws, r, 1, partial_note).font = Font(color="C00000", bold=True)
            r += 1
        for c, head in enumerate(HEADER, start=1):
            put(ws, r, c, head).font = bold
        first = r + 1
        total_row = first + len(table.parts)
        unit = fmt.indicators[table.total].unit
        for i, code in enumerate(table.parts):
            row = first + i
            put(ws, row, 1, label_of(fmt, code))
            put(ws, row, 2, code)
            put(ws, row, 3, _number(figures.value(code), places_of(fmt, code)))
            if table.shares:
                d = figures.share(code, table.total)
                value = _cached(d.num, d.den)
                if value is None:  # a zero base: no share, as in the report
                    put(ws, row, 4, d.printed)
                else:
                    formula = f"=C{row}/C${total_row}"
                    put_formula(ws, row, 4, formula).number_format = "0.0%"
                    cached[(ws.title, f"D{row}")] = value
                put(ws, row, 5, d.printed)
        put(ws, total_row, 1, f"合计：{label_of(fmt, table.total)}").font = bold
        put(ws, total_row, 2, table.total)
        put_formula(ws, total_row, 3, f"=SUM(C{first}:C{total_row - 1})").font = bold
        cached[(ws.title, f"C{total_row}")] = float(figures.value(table.total))
        notes = [f"计量单位：{unit}。汇总单位数：{len(figures.units)}。"]
        if table.shares:
            if figures.value(table.total):
                total_share = f"=SUM(D{first}:D{total_row - 1})"
                put_formula(ws, total_row, 4, total_share).number_format = "0.0%"
                cached[(ws.title, f"D{total_row}")] = 1.0
            note = share_sum_note(figures, table.id)
            if note:
                notes.append("注：" + note.strip("（）"))
        for k, text in enumerate(notes, start=total_row + 2):
            put(ws, k, 1, text)
        _widths(ws)
    _rates_sheet(wb, figures, cached, partial_note)
    _groups_sheet(wb, figures)
    title, rows = _units_sheet(wb, figures)
    _print_setup(wb, fmt.columns["code"])
    return workbook_bytes(wb, cached, rows={title: rows})


def _print_setup(wb: Any, code_label: str) -> None:
    """Every sheet printed one page wide, its header rows repeated on each page
    (issue 16, point 13).

    The header is the rows down to the one that heads the columns (a format
    table's 代码 row, the other sheets' first row in bold); a format table of
    several blocks, each with its own header, repeats only its title rows.
    """
    from govstats.core.print_setup import print_setup

    for ws in wb.worksheets:
        heads = [
            row[0].row
            for row in ws.iter_rows(max_row=min(ws.max_row, 40))
            if any(c.value == code_label for c in row)
        ]
        if len(heads) == 1:
            title_rows = heads[0]
        elif heads:
            title_rows = 2  # the title and 填报单位
        else:
            title_rows = next(
                (
                    row[0].row
                    for row in ws.iter_rows(max_row=min(ws.max_row, 5))
                    if row[0].font is not None and row[0].font.b and row[1].value
                ),
                0,
            )
        print_setup(ws, title_rows)


def _format_tables(
    figures: Figures,
    cached: dict[tuple[str, str], float],
    partial_note: str,
    government: str,
) -> Any:
    """The format's tables as its template lays them out, filled with the sums.

    Each total that a ``sum`` rule of the format defines becomes ``=SUM(...)`` of
    its parts' cells (with its cached value), so an auditor can follow every total
    in the table itself. The cells are found the way a submitted workbook's are:
    by code.
    """
    from openpyxl.styles import Font

    from govstats.formats import PREV
    from govstats.publish.template_xlsx import build_template

    fmt = figures.fmt
    name = f"{government}（{len(figures.units)}个单位汇总）"
    values = {
        code: figures.value(code) if ind.places else int(figures.value(code))
        for code, ind in fmt.indicators.items()
    }
    wb = build_template(fmt, figures.year, unit_name=name, values=values, checks=False)
    for sheet in (fmt.info_sheet, "填表说明"):
        wb.remove(wb[sheet])
    at = _locate(wb, fmt)
    done: set[str] = set()
    for rule in fmt.rules:
        if rule.kind != "sum" or any(c.startswith(PREV) for c in rule.codes):
            continue
        total, parts = rule.params["total"], rule.parts
        sheet, cell = at[total]
        if total in done or any(at[p][0] != sheet for p in parts):
            continue
        ws = wb[sheet]
        put_formula(
            ws, cell.row, cell.column, f"=SUM({_ranges([at[p][1] for p in parts])})"
        )
        cached[(sheet, cell.coordinate)] = float(figures.value(total))
        done.add(total)
    for ws in wb.worksheets:
        ws.protection.sheet = False
        ws.data_validations.dataValidation = []
        if partial_note:
            put(ws, 2, 1, partial_note).font = Font(color="C00000", bold=True)
    return wb


def _locate(wb: Any, fmt: Any) -> dict[str, tuple[str, Any]]:
    """Where each indicator's value cell is in a workbook of the format."""
    from pathlib import Path

    from govstats.read.excel import RawSheet, RawWorkbook
    from govstats.read.workbook import load_unit_from_raw

    sheets = {
        ws.title: RawSheet(
            name=ws.title,
            index=i,
            visible=True,
            grid=[
                ["" if v is None else v for v in row]
                for row in ws.iter_rows(values_only=True)
            ],
        )
        for i, ws in enumerate(wb.worksheets)
    }
    unit = load_unit_from_raw(RawWorkbook(path=Path("tables.xlsx"), sheets=sheets), fmt)
    return {
        code: (c.sheet, wb[c.sheet].cell(c.row, c.column))
        for code, c in unit.cells.items()
    }


def _ranges(cells: list[Any]) -> str:
    """Cells as SUM arguments, runs of adjacent cells written as ranges (E10:E30)."""
    out: list[str] = []
    run: list[Any] = []

    def flush() -> None:
        if not run:
            return
        first, last = run[0], run[-1]
        out.append(
            first.coordinate
            if first is last
            else f"{first.coordinate}:{last.coordinate}"
        )
        run.clear()

    for cell in cells:
        if run:
            prev = run[-1]
            down = cell.column == prev.column and cell.row == prev.row + 1
            right = cell.row == prev.row and cell.column == prev.column + 1
            same_way = len(run) < 2 or (
                (run[1].row - run[0].row, run[1].column - run[0].column)
                == (cell.row - prev.row, cell.column - prev.column)
            )
            if (down or right) and same_way:
                run.append(cell)
                continue
            flush()
        run.append(cell)
    flush()
    return ",".join(out)


def _rates_sheet(
    wb: Any, figures: Figures, cached: dict[tuple[str, str], float], partial_note: str
) -> None:
    from openpyxl.styles import Font

    ws = wb.create_sheet("比率")
    head = (
        "比率",
        "分子代码",
        "分子",
        "分母代码",
        "分母",
        "范围",
        "比率（公式）",
        "报告采用",
        "编号",
    )
    r = 1
    if partial_note:
        put(ws, r, 1, partial_note).font = Font(color="C00000", bold=True)
        r += 1
    for c, text in enumerate(head, start=1):
        put(ws, r, c, text).font = Font(bold=True)
    rates: list[Derived] = [
        d for d in figures.derived.values() if d.kind in ("rate", "change")
    ]
    for row, d in enumerate(rates, start=r + 1):
        put(ws, row, 1, d.label)
        put(ws, row, 2, d.numerator)
        put(ws, row, 3, _number(d.num, 0))
        put(ws, row, 4, d.denominator)
        put(ws, row, 5, _number(d.den, 0))
        put(ws, row, 6, d.group or "全部单位")
        formula = f"=C{row}/E{row}" if d.kind == "rate" else f"=(C{row}-E{row})/E{row}"
        num = d.num - d.den if d.kind == "change" else d.num
        value = _cached(num, d.den)
        if value is None:
            put(ws, row, 7, d.printed)
        else:
            put_formula(ws, row, 7, formula).number_format = "0.0%"
            cached[(ws.title, f"G{row}")] = value
        printed = d.printed
        if d.kind == "change" and d.value is not None:
            printed = f"{d.direction}{d.printed}" if d.value else d.direction
        put(ws, row, 8, printed)
        put(ws, row, 9, d.id)
    _widths(ws)


def _groups_sheet(wb: Any, figures: Figures) -> None:
    from openpyxl.styles import Font

    ws = wb.create_sheet("分组汇总")
    keys = list(figures.sums)
    head = ["指标名称", "代码", "计量单位"] + [
        Group.parse(k).key or "全部单位" for k in keys
    ]
    for c, text in enumerate(head, start=1):
        put(ws, 1, c, text).font = Font(bold=True)
    for r, ind in enumerate(figures.fmt.indicators.values(), start=2):
        put(ws, r, 1, ind.label)
        put(ws, r, 2, ind.code)
        put(ws, r, 3, ind.unit)
        for c, key in enumerate(keys, start=4):
            put(ws, r, c, _number(figures.value(ind.code, key), ind.places))
    ws.freeze_panes = "D2"
    _widths(ws)


def _units_sheet(wb: Any, figures: Figures) -> tuple[str, MadeRows]:
    """The sheet of every unit's figures: its header, and its rows to add on save.

    A row per unit, thousands of them: they are made as they are written by
    :func:`~govstats.core.output.workbook_bytes` (``rows=``), not cell by cell,
    and never all held at once.
    """
    from openpyxl.styles import Font

    ws = wb.create_sheet("分单位明细")
    inds = list(figures.fmt.indicators.values())
    head = ["单位代码", "单位名称", "层级", "类别"] + [i.code for i in inds]
    for c, text in enumerate(head, start=1):
        put(ws, 1, c, text).font = Font(bold=True)
    ws.freeze_panes = "E2"
    codes = [ind.code for ind in inds]
    places = [ind.places for ind in inds]

    def rows() -> Iterator[Row]:
        # Counts as integers, amounts as their text (printed_rows), each as
        # _number() makes it of its Decimal.
        for unit, row in printed_rows(figures, codes, places):
            yield (
                unit.code,
                unit.name,
                unit.level,
                unit.kind,
                *(v if isinstance(v, int) else _amount(v) for v in row),
            )

    return ws.title, MadeRows(len(figures.units), len(head), rows)


def _amount(text: str) -> int | float:
    """An amount printed with its decimals (``12.50``) as _number() gives it: a
    whole number as an int, else a double."""
    whole, _, fraction = text.partition(".")
    return int(whole) if not fraction.strip("0") else float(text)


def _number(value: Decimal, places: int) -> int | float:
    # Excel stores every number as a double; amounts have at most two decimals,
    # which a double holds to well within a cent.
    if places == 0 or value == value.to_integral_value():
        return int(value)
    return float(format_value(value, places))


def _sheet_name(section: str, title: str) -> str:
    # Excel limits sheet names to 31 characters and forbids []:*?/\
    name = f"{section} {title}"
    for ch in "[]:*?/\\":
        name = name.replace(ch, "")
    return name[:31]


def _widths(ws: Any) -> None:
    ws.column_dimensions["A"].width = 48
    for col in "BCDEFGHI":
        ws.column_dimensions[col].width = 16
