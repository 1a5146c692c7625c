"""The blank yearly workbook a department fills (统计报表 layout).

One sheet per table, each headed by its table number and title, then rows of
``指标名称 | 代码 | 计量单位 | 本年 | 说明``. Value cells are prefilled with 0 and carry
Excel data validation; label and code cells are locked, value and remark cells are
not, and every sheet is protected without a password, so a clerk can type figures
and remarks but cannot break the layout by accident.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from govstats.core.output import put
from govstats.formats import Format, Table
from govstats.publish.grid import heading_span
from govstats.publish.sheet_style import indented, print_setup, protect, styles
from govstats.publish.template_checks import Place

__all__ = ["FIRST_ROW", "build_template", "value_cell"]

TITLE_ROW, UNIT_ROW, HEADER_ROW = 1, 2, 3
FIRST_ROW = HEADER_ROW + 1
COLUMN_KEYS = ("label", "code", "unit", "value", "remark")
WIDTHS = {"label": 58, "code": 18, "unit": 10, "value": 14, "remark": 36}

INSTRUCTIONS = [
    "填表说明",
    "",
    "1. 本工作簿用于填报{year}年度政府信息公开工作统计数据，格式为“{title}”。",
    "2. 每张工作表对应一张统计表。请只在“本年”列填写数值、在“说明”列填写说明，其余单元格已锁定。",
    "3. 数值单元格已预填0。没有发生的事项请保留0，不要留空，不要填写文字。",
    "4. 以条、件、场、次、个、项、期计的数值须为整数；以元计的金额和以万人次计的访问量最多保留两位小数。",
    "5. 合计数须等于各分项之和（如“收到政府信息公开申请”等于各申请渠道之和），“其中”项不得大于其总数。",
    "6. 与常规情况不符的数值（如与上年相比变化超过50%、年底仍有未答复的申请）请在“说明”列注明原因。",
    "7. 请勿增删、改名或调整工作表，请勿修改“代码”列：系统按代码识别每一项指标。",
    "8. 填好后可用 govstats validate 检查本工作簿，系统会一次列出全部问题及所在单元格。",
]


def value_cell(table: Table, code: str) -> str:
    """The A1 name of the value cell of ``code`` in a template sheet, e.g. ``D5``."""
    from govstats.core.locations import column_letter

    row = FIRST_ROW + table.codes.index(code)
    return f"{column_letter(COLUMN_KEYS.index('value') + 1)}{row}"


def build_template(
    fmt: Format,
    year: int,
    unit_code: str = "",
    unit_name: str = "",
    values: Mapping[str, int | Decimal] | None = None,
    info: Mapping[str, str] | None = None,
    checks: bool = True,
) -> Any:
    """Build the workbook (an openpyxl ``Workbook``) for one unit and year.

    :param values: figures to fill in instead of 0 (used for demo inputs and summaries).
    :param info: further identification fields by key (``filler``, ``phone``, ``date``).
    :param checks: carry the format's rules as live formulas (the 校验 sheet and
        the red and amber cells, :mod:`govstats.publish.template_checks`).
    """
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    _info_sheet(wb, fmt, year, unit_code, unit_name, dict(info or {}))
    places: dict[str, Place] = {}
    for table in fmt.tables:
        if all(block.is_list for block in table.blocks):
            _table_sheet(wb, fmt, table, year, unit_name, values or {}, places)
        else:
            _matrix_sheet(wb, fmt, table, year, unit_name, values or {}, places)
    _instructions_sheet(wb, fmt, year)
    if checks:
        from govstats.publish.template_checks import add_checks

        add_checks(wb, fmt, places)
    wb.properties.creator = "govstats"
    wb.properties.title = f"{year}年{fmt.title}"
    return wb


# Sheets


def _info_sheet(
    wb: Any,
    fmt: Format,
    year: int,
    unit_code: str,
    unit_name: str,
    info: dict[str, str],
) -> None:
    from openpyxl.worksheet.datavalidation import DataValidation

    st = styles()
    ws = wb.create_sheet(fmt.info_sheet)
    ws["A1"] = f"{year}年政府信息公开工作统计报表 · 基本信息"
    ws["A1"].font = st["title"]
    ws.merge_cells("A1:C1")
    ws["A2"], ws["B2"], ws["C2"] = "项目", "内容", "说明"
    for cell in ws[2]:
        cell.font, cell.fill, cell.border = (
            st["header_font"],
            st["header_fill"],
            st["border"],
        )
    values = {"unit_code": unit_code, "unit_name": unit_name, "year": year, **info}
    for r, f in enumerate(fmt.info_fields, start=3):
        ws.cell(r, 1, f.label).border = st["border"]
        # The unit's name and code come from the command line or a roster: text,
        # never a formula (put), however they begin.
        v = put(ws, r, 2, values.get(f.key, "") or None)
        v.border, v.fill = st["border"], st["input_fill"]
        v.protection = st["unlocked"]
        v.number_format = "@" if f.type != "year" else "0"
        ws.cell(r, 3, "必填" if f.required else "").border = st["border"]
        if f.type == "year":
            dv = DataValidation(
                type="whole", operator="between", formula1="2000", formula2="2100"
            )
            dv.error, dv.errorTitle = "报告年度应为四位年份。", "报告年度"
            ws.add_data_validation(dv)
            dv.add(v.coordinate)
    ws.column_dimensions["A"].width = 16
    ws.column_dimensions["B"].width = 40
    ws.column_dimensions["C"].width = 10
    ws.freeze_panes = "A3"
    print_setup(ws)
    protect(ws)


def _table_sheet(
    wb: Any,
    fmt: Format,
    table: Table,
    year: int,
    unit_name: str,
    values: Mapping[str, int | Decimal],
    places: dict[str, Place],
) -> None:
    from openpyxl.worksheet.datavalidation import DataValidation

    from govstats.core.locations import column_letter

    st = styles()
    ws = wb.create_sheet(table.sheet)
    last = column_letter(len(COLUMN_KEYS))
    ws["A1"] = table.sheet
    ws["A1"].font = st["title"]
    ws["A1"].alignment = st["center"]
    ws.merge_cells(f"A{TITLE_ROW}:{last}{TITLE_ROW}")
    put(ws, UNIT_ROW, 1, f"填报单位：{unit_name}")
    ws.cell(UNIT_ROW, 4, f"{year}年度")
    for c, key in enumerate(COLUMN_KEYS, start=1):
        cell = ws.cell(HEADER_ROW, c, fmt.columns[key])
        cell.font, cell.fill, cell.border = (
            st["header_font"],
            st["header_fill"],
            st["border"],
        )
        cell.alignment = st["center"]
        ws.column_dimensions[column_letter(c)].width = WIDTHS[key]
    whole = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0")
    whole.error = "请填写大于或等于0的整数。"
    decimal = DataValidation(
        type="decimal", operator="greaterThanOrEqual", formula1="0"
    )
    decimal.error = "请填写大于或等于0的数值（最多两位小数）。"
    for dv in (whole, decimal):
        dv.errorTitle, dv.showErrorMessage = "数值有误", True
        ws.add_data_validation(dv)
    value_col = COLUMN_KEYS.index("value") + 1
    for r, ind in enumerate(table.indicators, start=FIRST_ROW):
        label = ws.cell(r, 1, ind.label)
        label.alignment = indented(ind.indent)
        # Wrapped labels do not grow their row by themselves in every viewer.
        lines = -(-(2 * len(ind.label) + 4 * ind.indent) // WIDTHS["label"])
        if lines > 1:
            ws.row_dimensions[r].height = 15 * lines
        # The code stays (validation finds figures by it), small and grey.
        ws.cell(r, 2, ind.code).font = st["small"]
        places[ind.code] = Place(ws.title, r, value_col, value_col + 1)
        ws.cell(r, 3, ind.unit).alignment = st["center"]
        v = ws.cell(r, value_col, _cell_number(values.get(ind.code, 0)))
        v.fill = st["input_fill"]
        v.number_format = "0" if ind.is_count else "0.00"
        remark = ws.cell(r, value_col + 1)
        for cell in (v, remark):
            cell.protection = st["unlocked"]
        for c in range(1, len(COLUMN_KEYS) + 1):
            ws.cell(r, c).border = st["border"]
        (whole if ind.is_count else decimal).add(v.coordinate)
    if table.note:
        ws.cell(FIRST_ROW + len(table.indicators) + 1, 1, f"注：{table.note}")
    ws.freeze_panes = f"A{FIRST_ROW}"
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    print_setup(ws)
    protect(ws)


_CN_DIGITS = "零一两三四五六七八九"


def _validations(ws: Any, fmt: Format) -> dict[tuple[int, bool], Any]:
    """One Excel data validation per kind of number the format allows: by decimals,
    and whether it may be negative (a change such as 本年增/减)."""
    from openpyxl.worksheet.datavalidation import DataValidation

    out = {}
    kinds = sorted({(ind.places, ind.signed) for ind in fmt.indicators.values()})
    for places, signed in kinds:
        kind = "whole" if places == 0 else "decimal"
        if signed:
            dv = DataValidation(
                type=kind, operator="between", formula1="-1E+15", formula2="1E+15"
            )
            dv.error = "请填写整数，减少时填负数。"
        else:
            dv = DataValidation(type=kind, operator="greaterThanOrEqual", formula1="0")
            dv.error = "请填写大于或等于0的整数。"
        if places:
            dv.error = dv.error.replace(
                "整数", f"数值（最多{_CN_DIGITS[places]}位小数）"
            )
        dv.errorTitle, dv.showErrorMessage = "数值有误", True
        ws.add_data_validation(dv)
        out[(places, signed)] = dv
    return out


def _matrix_sheet(
    wb: Any,
    fmt: Format,
    table: Table,
    year: int,
    unit_name: str,
    values: Mapping[str, int | Decimal],
    places: dict[str, Place],
) -> None:
    """A table laid out as the national format prints it, plus a code row and column.

    Each block: its title, the header rows (group cells merged over the columns they
    head), a row with 代码 and the column codes, then one row per row code with the
    row headings merged as the format prints them. A clerk recognises the table; the
    codes let govstats find every cell wherever rows or columns are moved.
    """
    from govstats.core.locations import column_letter

    st = styles()
    small = st["small"]
    ws = wb.create_sheet(table.sheet)
    dvs = _validations(ws, fmt)
    label_cols = max(len(r.groups) for b in table.blocks for r in b.rows) + 1
    width = label_cols + 1 + max(len(b.columns) for b in table.blocks) + 1
    ws.cell(TITLE_ROW, 1, table.sheet).font = st["title"]
    ws.cell(TITLE_ROW, 1).alignment = st["center"]
    ws.merge_cells(
        start_row=TITLE_ROW, start_column=1, end_row=TITLE_ROW, end_column=width
    )
    put(ws, UNIT_ROW, 1, f"填报单位：{unit_name}")
    unit_note = f"单位：{table.unit}" if table.unit else ""
    ws.cell(UNIT_ROW, width, f"{year}年度 {unit_note}".strip())
    r = UNIT_ROW + 2
    first_data = None

    def box(row: int, col: int, text: str, end_row: int, end_col: int) -> None:
        cell = ws.cell(row, col, text)
        cell.font, cell.fill = st["header_font"], st["header_fill"]
        cell.alignment = st["heading"]
        for rr in range(row, end_row + 1):
            for cc in range(col, end_col + 1):
                ws.cell(rr, cc).border = st["border"]
        if (row, col) != (end_row, end_col):
            ws.merge_cells(
                start_row=row, start_column=col, end_row=end_row, end_column=end_col
            )

    for block in table.blocks:
        code_col = label_cols + 1
        first_value = code_col + 1
        remark_col = first_value + len(block.columns)
        if block.title:
            ws.cell(r, 1, block.title).font = st["header_font"]
            r += 1
        depth = max(len(c.groups) for c in block.columns) + 1
        col_paths = [(*c.groups, c.label) for c in block.columns]
        row_paths = [(*r.groups, r.label) for r in block.rows]
        # Header: the row-heading corner, then the column headings level by level.
        box(r, 1, block.row_header, r + depth, label_cols)
        for level in range(depth):
            c = 0
            while c < len(block.columns):
                col, path = block.columns[c], col_paths[c]
                if level >= len(path):
                    c += 1
                    continue
                if level == len(path) - 1:  # the label: down to the last header row
                    box(
                        r + level,
                        first_value + c,
                        col.label,
                        r + depth - 1,
                        first_value + c,
                    )
                    c += 1
                    continue
                span = heading_span(col_paths, c, level)
                box(
                    r + level,
                    first_value + c,
                    path[level],
                    r + level,
                    first_value + span,
                )
                c = span + 1
        box(r, remark_col, fmt.columns["remark"], r + depth - 1, remark_col)
        # The code row: 代码 above the row codes, the column codes above the values.
        codes_row = r + depth
        ws.cell(codes_row, code_col, fmt.columns["code"]).font = st["header_font"]
        for c, col in enumerate(block.columns):
            ws.cell(codes_row, first_value + c, col.code).font = small
        ws.cell(codes_row, remark_col, fmt.columns["remark"]).font = small
        r = codes_row + 1
        if first_data is None:
            first_data = r
        # Rows, with their headings merged down over the rows they head.
        top = r
        for i, row in enumerate(block.rows):
            path = row_paths[i]
            for level, text in enumerate(path):
                starts = i == 0 or row_paths[i - 1][: level + 1] != path[: level + 1]
                if not starts:
                    continue
                end = heading_span(row_paths, i, level)
                last_col = label_cols if level == len(path) - 1 else level + 1
                cell = ws.cell(top + i, level + 1, text)
                cell.alignment = st["wrap"]
                if (i, level + 1) != (end, last_col):
                    ws.merge_cells(
                        start_row=top + i,
                        start_column=level + 1,
                        end_row=top + end,
                        end_column=last_col,
                    )
            # Wrapped headings do not grow their row by themselves in every viewer.
            label_width = 40 + 14 * (label_cols - len(path))
            lines = -(-2 * len(path[-1]) // label_width)
            if lines > 1:
                ws.row_dimensions[top + i].height = 15 * lines
            ws.cell(top + i, code_col, row.code).font = small
            for c, col in enumerate(block.columns):
                ind = table.cells[(row.code, col.code)]
                v = ws.cell(
                    top + i, first_value + c, _cell_number(values.get(ind.code, 0))
                )
                places[ind.code] = Place(ws.title, v.row, v.column, remark_col)
                v.fill = st["input_fill"]
                v.number_format = "0" if ind.is_count else "0." + "0" * ind.places
                v.protection = st["unlocked"]
                dvs[(ind.places, ind.signed)].add(v.coordinate)
            ws.cell(top + i, remark_col).protection = st["unlocked"]
            for c in range(1, remark_col + 1):
                ws.cell(top + i, c).border = st["border"]
        r = top + len(block.rows) + 1
        if block.note:
            ws.cell(r, 1, f"注：{block.note}")
            r += 1
    if table.note:
        ws.cell(r, 1, f"注：{table.note}")
    for c in range(1, label_cols + 1):
        ws.column_dimensions[column_letter(c)].width = 40 if c == label_cols else 14
    ws.column_dimensions[column_letter(label_cols + 1)].width = 16
    for c in range(label_cols + 2, width):
        ws.column_dimensions[column_letter(c)].width = 11
    ws.column_dimensions[column_letter(width)].width = 24
    if len(table.blocks) == 1 and first_data is not None:
        ws.freeze_panes = f"{column_letter(label_cols + 2)}{first_data}"
        # The first block's headings repeat on every printed page.
        ws.print_title_rows = f"{UNIT_ROW + 2}:{first_data - 1}"
    print_setup(ws)
    protect(ws)


def _cell_number(value: int | Decimal) -> int | float:
    """A value as Excel stores it: an int, or a float for an amount with decimals."""
    if isinstance(value, Decimal):
        if value == value.to_integral_value():
            return int(value)
        # Excel stores numbers as doubles; repr round-trips two-decimal amounts.
        return float(value)
    return int(value)


def _instructions_sheet(wb: Any, fmt: Format, year: int) -> None:
    ws = wb.create_sheet("填表说明")
    for r, line in enumerate(INSTRUCTIONS, start=1):
        ws.cell(r, 1, line.format(year=year, title=fmt.title))
    ws["A1"].font = styles()["title"]
    ws.column_dimensions["A"].width = 110
    print_setup(ws)
    protect(ws)
