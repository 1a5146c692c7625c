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

from govstats.formats import Format, Table
from govstats.io.output import put

__all__ = ["FIRST_ROW", "build_template", "value_cell"]

TITLE_ROW, UNIT_ROW, HEADER_ROW = 1, 2, 3
FIRST_ROW = HEADER_ROW + 1
COLUMN_KEYS = ("label", "code", "unit", "value", "remark")
WIDTHS = {"label": 58, "code": 24, "unit": 10, "value": 14, "remark": 36}

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
    from govstats.problems import column_letter

    row = FIRST_ROW + table.codes.index(code)
    return f"{column_letter(COLUMN_KEYS.index('value') + 1)}{row}"


def build_template(
    fmt: Format,
    year: int,
    unit_code: str = "",
    unit_name: str = "",
    values: Mapping[str, int | Decimal] | None = None,
    info: Mapping[str, str] | None = None,
) -> Any:
    """Build the workbook (an openpyxl ``Workbook``) for one unit and year.

    :param values: figures to fill in instead of 0 (used for demo inputs and summaries).
    :param info: further identification fields by key (``filler``, ``phone``, ``date``).
    """
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    _info_sheet(wb, fmt, year, unit_code, unit_name, dict(info or {}))
    for table in fmt.tables:
        _table_sheet(wb, fmt, table, year, unit_name, values or {})
    _instructions_sheet(wb, fmt, year)
    wb.properties.creator = "govstats"
    wb.properties.title = f"{year}年{fmt.title}"
    return wb


# Sheets


def _styles() -> dict[str, Any]:
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    thin = Side(style="thin", color="999999")
    return {
        "title": Font(bold=True, size=14),
        "header_font": Font(bold=True),
        "header_fill": PatternFill("solid", fgColor="D9E1F2"),
        "input_fill": PatternFill("solid", fgColor="FFF9E5"),
        "border": Border(left=thin, right=thin, top=thin, bottom=thin),
        "center": Alignment(horizontal="center", vertical="center"),
        "wrap": Alignment(wrap_text=True, vertical="center"),
    }


def _protect(ws: Any) -> None:
    # Protection without a password: it guards against accidents, not people.
    ws.protection.sheet = True
    ws.protection.formatCells = False
    ws.protection.formatColumns = False
    ws.protection.formatRows = False


def _info_sheet(
    wb: Any,
    fmt: Format,
    year: int,
    unit_code: str,
    unit_name: str,
    info: dict[str, str],
) -> None:
    from openpyxl.styles import Protection
    from openpyxl.worksheet.datavalidation import DataValidation

    st = _styles()
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
        v.protection = Protection(locked=False)
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
    _protect(ws)


def _table_sheet(
    wb: Any,
    fmt: Format,
    table: Table,
    year: int,
    unit_name: str,
    values: Mapping[str, int | Decimal],
) -> None:
    from openpyxl.styles import Alignment, Protection
    from openpyxl.worksheet.datavalidation import DataValidation

    from govstats.problems import column_letter

    st = _styles()
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
        label.alignment = Alignment(indent=ind.indent * 2, wrap_text=True)
        ws.cell(r, 2, ind.code)
        ws.cell(r, 3, ind.unit).alignment = st["center"]
        v = ws.cell(r, value_col, _cell_number(values.get(ind.code, 0)))
        v.fill = st["input_fill"]
        v.number_format = "0" if ind.is_count else "0.00"
        remark = ws.cell(r, value_col + 1)
        for cell in (v, remark):
            cell.protection = Protection(locked=False)
        for c in range(1, len(COLUMN_KEYS) + 1):
            ws.cell(r, c).border = st["border"]
        (whole if ind.is_count else decimal).add(v.coordinate)
    if table.note:
        ws.cell(FIRST_ROW + len(table.indicators) + 1, 1, f"注：{table.note}")
    ws.freeze_panes = f"A{FIRST_ROW}"
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    _protect(ws)


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
    ws["A1"].font = _styles()["title"]
    ws.column_dimensions["A"].width = 110
    _protect(ws)
