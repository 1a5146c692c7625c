"""Live checks of the blank workbook: the format's rules as spreadsheet formulas.

Each rule kind turns a :class:`~govstats.formats.Rule` and a mapping *indicator
code → cell reference* into formulas
(:meth:`govstats.formats.rules.RuleKind.formula`): the two sides the rule
compares, whether it holds, and their difference. The same formulas serve twice: with references into
the table sheet (``$D$4``) for the conditional formatting that turns a cell red or
amber the moment a clerk types, and with sheet-qualified references
(``'表3 依申请公开情况'!$D$4``) for the 校验 sheet, one row per rule with ✓ / ✗ and
the difference. Nothing is written per format: every check comes from the rules
that ``schemas/*.yaml`` declares.

The formulas use only ``SUM``, ``IF``, ``ABS``, ``AND``, ``OR``, ``NOT``, ``COUNT``
and ``COUNTIF``, which Excel (2007 on), WPS and LibreOffice all evaluate: no dynamic
arrays, no macros. They are a help while typing; ``govstats validate`` still
decides, and reads a workbook whose formulas were deleted or overwritten as before
(the 校验 sheet holds no indicator code and no value cell holds a formula).

A rule that reads last year's figures (``prev:``) cannot be checked in one year's
workbook and is left out; the compile checks it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from govstats.formats import PREV, Format, Rule
from govstats.formats.formulas import Refs, quoted, runs
from govstats.formats.rules import kind_of

__all__ = [
    "CHECK_SHEET",
    "add_checks",
    "checkable",
]

CHECK_SHEET = "校验"
# What the result column shows: the rule holds, a hard rule fails, a soft rule
# fails (explain it in 说明), a soft rule fails and its 说明 explains it (validate
# lists it as a note), a cell it reads holds no number (validate reports it).
PASS, FAIL, WARN, NOTED, INCOMPLETE = "✓", "✗", "⚠", "已说明", "缺数"


def checkable(fmt: Format) -> list[Rule]:
    """The rules one year's workbook can check: those not reading last year's."""
    return [r for r in fmt.rules if not any(c.startswith(PREV) for c in r.codes)]


# References


# The checks in a template


@dataclass(frozen=True)
class Place:
    """Where a template put an indicator: its sheet, value cell and 说明 cell."""

    sheet: str
    row: int
    column: int
    remark_column: int


RED = {"fill": "FFC7CE", "font": "9C0006"}
AMBER = {"fill": "FFEB9C", "font": "9C5700"}
CHECK_COLUMNS = (
    ("规则", 16),
    ("级别", 6),
    ("工作表", 24),
    ("检查", 44),
    ("本项", 10),
    ("比较", 10),
    ("差额", 8),
    ("结果", 6),
    ("处理意见", 40),
)
RESULT_COLUMN = 8  # 结果
FIRST_CHECK_ROW = 4


def add_checks(wb: Any, fmt: Format, places: Mapping[str, Place]) -> None:
    """Add the live checks to a template: the 校验 sheet after the tables, and on
    each table sheet the conditional formatting of the cells every rule reads.

    :param places: where the template put each indicator, by code.
    """
    rules = checkable(fmt)
    _check_sheet(wb, fmt, rules, places)
    # Red first: where a hard and a soft rule both fail on a cell, red shows.
    for severity in ("error", "warning"):
        for rule in rules:
            if rule.severity == severity:
                _highlight(wb, rule, places)


def _highlight(wb: Any, rule: Rule, places: Mapping[str, Place]) -> None:
    """Colour the cells of ``rule`` on their sheet while it fails (red for an error,
    amber and the subject's 说明 cell for a warning)."""
    from openpyxl.formatting.rule import FormulaRule

    from govstats.core.locations import column_letter

    here = places[rule.subject].sheet
    # A rule over two sheets would name the other one (Excel 2010 on allows it);
    # every rule of the formats declared so far stays on one sheet.
    ref = {code: _on(places[code], here) for code in rule.codes}
    f = kind_of(rule).formula(rule, ref)
    failing = [_complete(ref, rule), f"NOT({f.passes})"]
    if rule.severity != "error":  # explained in the subject's 说明: no more amber
        failing.append(f'{_remark(places[rule.subject], here)}=""')
    formula = f"AND({','.join(failing)})"
    cells = [
        f"{column_letter(p.column)}{p.row}"
        for code in dict.fromkeys(rule.codes)
        for p in (places[code],)
        if p.sheet == here
    ]
    colours = RED if rule.severity == "error" else AMBER
    if rule.severity != "error":
        subject = places[rule.subject]
        cells.append(f"{column_letter(subject.remark_column)}{subject.row}")
    ws = wb[here]
    ws.conditional_formatting.add(
        " ".join(dict.fromkeys(cells)),
        FormulaRule(formula=[formula], **_differential(colours)),
    )


def _on(place: Place, sheet: str) -> str:
    """A cell as a formula on ``sheet`` names it: bare there, qualified elsewhere."""
    from govstats.core.locations import column_letter

    cell = f"${column_letter(place.column)}${place.row}"
    return cell if place.sheet == sheet else f"{quoted(place.sheet)}!{cell}"


def _remark(place: Place, sheet: str) -> str:
    """The 说明 cell beside an indicator's value, as a formula on ``sheet`` names it."""
    return _on(replace(place, column=place.remark_column), sheet)


def _complete(ref: Refs, rule: Rule) -> str:
    """TRUE when every cell the rule reads holds a number (else validate does not
    evaluate the rule: the cell has its own problem)."""
    codes = list(dict.fromkeys(rule.codes))
    return f"COUNT({','.join(runs([ref[c] for c in codes]))})={len(codes)}"


def _differential(colours: Mapping[str, str]) -> dict[str, Any]:
    from openpyxl.styles import Font, PatternFill

    # Both colours of the pattern: Excel paints a conditional solid fill with the
    # background colour, LibreOffice with either.
    fill = PatternFill(
        fill_type="solid", start_color=colours["fill"], end_color=colours["fill"]
    )
    return {"fill": fill, "font": Font(color=colours["font"], bold=True)}


def _check_sheet(
    wb: Any, fmt: Format, rules: list[Rule], places: Mapping[str, Place]
) -> None:
    """The 校验 sheet: every rule with its cells, both sides, ✓ / ✗ and the
    difference, computed live from the table sheets."""
    from openpyxl.formatting.rule import FormulaRule

    from govstats.core.locations import column_letter
    from govstats.core.output import put, put_formula
    from govstats.core.problems import catalogue
    from govstats.publish.sheet_style import print_setup, protect, styles

    st = styles()
    # Right after the tables it checks.
    index = max(wb.sheetnames.index(t.sheet) for t in fmt.tables) + 1
    ws = wb.create_sheet(CHECK_SHEET, index)
    last = FIRST_CHECK_ROW + len(rules) - 1
    result = column_letter(RESULT_COLUMN)
    results = f"${result}${FIRST_CHECK_ROW}:${result}${max(last, FIRST_CHECK_ROW)}"
    ws.cell(
        1,
        1,
        "校验：本表随填报自动计算，✓ 为通过，✗ 为错误（须改正），⚠ 为提示（请在“说明”列注明原因），"
        f"{NOTED} 为提示已在“说明”列注明原因",
    ).font = st["header_font"]
    ws.merge_cells(
        start_row=1, start_column=1, end_row=1, end_column=len(CHECK_COLUMNS)
    )
    put_formula(
        ws,
        2,
        1,
        f'="错误 {FAIL}："&COUNTIF({results},"{FAIL}")&" 项；'
        f'提示 {WARN}："&COUNTIF({results},"{WARN}")&" 项"',
    )
    ws.merge_cells(
        start_row=2, start_column=1, end_row=2, end_column=len(CHECK_COLUMNS)
    )
    for c, (title, width) in enumerate(CHECK_COLUMNS, start=1):
        cell = ws.cell(FIRST_CHECK_ROW - 1, c, title)
        cell.font, cell.fill, cell.border = (
            st["header_font"],
            st["header_fill"],
            st["border"],
        )
        cell.alignment = st["center"]
        ws.column_dimensions[column_letter(c)].width = width
    kinds = catalogue()
    for r, rule in enumerate(rules, start=FIRST_CHECK_ROW):
        here = places[rule.subject].sheet
        qualified = {code: _on(places[code], "") for code in rule.codes}
        bare = {code: _on(places[code], here) for code in rule.codes}
        kind = kind_of(rule)
        f, shown = kind.formula(rule, qualified), kind.formula(rule, bare)
        hard = rule.severity == "error"
        problem = kinds[kind.problem]
        put(ws, r, 1, rule.key)
        ws.cell(r, 2, "错误" if hard else "提示")
        put(ws, r, 3, here)
        text = shown.text.replace("$", "")
        put(ws, r, 4, text)
        # Wrapped text does not grow its row by itself in every viewer.
        lines = -(-len(text) // CHECK_COLUMNS[3][1])
        if lines > 1:
            ws.row_dimensions[r].height = 15 * lines
        put_formula(ws, r, 5, f"={f.found}")
        put_formula(ws, r, 6, f"={f.expected}")
        if f.difference:
            put_formula(ws, r, 7, f"={f.difference}")
        failed = f'"{FAIL}"'
        if not hard:
            remark = _remark(places[rule.subject], "")
            failed = f'IF({remark}="","{WARN}","{NOTED}")'
        put_formula(
            ws,
            r,
            RESULT_COLUMN,
            f'=IF({_complete(qualified, rule)},IF({f.passes},"{PASS}",{failed}),'
            f'"{INCOMPLETE}")',
        )
        # A quote in a formula's text is written twice.
        hint = (problem.title["zh"] if hard else problem.description["zh"]).replace(
            '"', '""'
        )
        put_formula(
            ws,
            r,
            9,
            f'=IF(OR(${result}{r}="{PASS}",${result}{r}="{NOTED}"),"",'
            f'IF(${result}{r}="{INCOMPLETE}","有单元格不是数值","{hint}"))',
        )
        decimals = max(fmt.indicators[c].places for c in rule.codes)
        for c in range(1, len(CHECK_COLUMNS) + 1):
            cell = ws.cell(r, c)
            cell.border = st["border"]
            if c in (4, 9):
                cell.alignment = st["wrap"]
            elif c in (5, 6, 7):
                cell.number_format = "0" if not decimals else "0." + "0" * decimals
            elif c in (2, RESULT_COLUMN):
                cell.alignment = st["center"]
    if rules:
        area = f"A{FIRST_CHECK_ROW}:{column_letter(len(CHECK_COLUMNS))}{last}"
        for mark, colours in ((FAIL, RED), (WARN, AMBER)):
            ws.conditional_formatting.add(
                area,
                FormulaRule(
                    formula=[f'${result}{FIRST_CHECK_ROW}="{mark}"'],
                    **_differential(colours),
                ),
            )
    if any(r not in rules for r in fmt.rules):
        ws.cell(
            last + 2, 1, "注：与上年数据比较的规则由汇总单位在汇总时核对，不在本表。"
        )
    ws.freeze_panes = f"A{FIRST_CHECK_ROW}"
    ws.print_title_rows = f"{FIRST_CHECK_ROW - 1}:{FIRST_CHECK_ROW - 1}"
    print_setup(ws)
    protect(ws)
