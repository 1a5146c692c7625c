"""Live checks of the blank workbook: the format's rules as spreadsheet formulas.

Each rule kind has one function here, keyed by its name in :data:`FORMULAS`, that
turns a :class:`~govstats.formats.Rule` and a mapping *indicator code → cell
reference* into :class:`CheckFormulas`: the two sides the rule compares, whether it
holds, and their difference. The same function serves twice: with references into
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

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from govstats.formats import PREV, Format, Rule

__all__ = [
    "CHECK_SHEET",
    "FORMULAS",
    "CheckFormulas",
    "add_checks",
    "checkable",
    "rule_formulas",
]

CHECK_SHEET = "校验"
# What the result column shows: the rule holds, a hard rule fails, a soft rule
# fails (explain it in 说明), a cell it reads holds no number (validate reports it).
PASS, FAIL, WARN, INCOMPLETE = "✓", "✗", "⚠", "缺数"


@dataclass(frozen=True)
class CheckFormulas:
    """A rule as formula expressions (without the leading ``=``).

    :param found: the side of the rule's subject, e.g. the total.
    :param expected: what it is compared with, e.g. the sum of the parts.
    :param passes: a boolean expression, TRUE when the rule holds.
    :param difference: ``found`` minus ``expected`` where that means something,
        else ``""``.
    :param text: the rule as the 校验 sheet states it to a clerk (``D4 = SUM(D5:D8)``).
    """

    found: str
    expected: str
    passes: str
    difference: str
    text: str


Refs = Mapping[str, str]
FormulaOf = Callable[[Rule, Refs], CheckFormulas]


# One function per rule kind (see govstats.rules for what each kind checks).


def sum_formulas(rule: Rule, ref: Refs) -> CheckFormulas:
    """``sum``: total = Σ parts."""
    total, parts = ref[rule.params["total"]], total_of(ref, rule.parts)
    return CheckFormulas(
        total, parts, f"{total}={parts}", f"{total}-{parts}", f"{total} = {parts}"
    )


def balance_formulas(rule: Rule, ref: Refs) -> CheckFormulas:
    """``balance``: Σ left = Σ right (新收 + 结转 = 办结 + 结转下年度)."""
    left = total_of(ref, rule.params["left"])
    right = total_of(ref, rule.params["right"])
    return CheckFormulas(
        left, right, f"{left}={right}", f"{left}-{right}", f"{left} = {right}"
    )


def le_formulas(rule: Rule, ref: Refs) -> CheckFormulas:
    """``le``: Σ part ≤ Σ whole (a 其中 item is no larger than its whole)."""
    part = total_of(ref, rule.params["part"])
    whole = total_of(ref, rule.params["whole"])
    return CheckFormulas(
        part, whole, f"{part}<={whole}", f"{part}-{whole}", f"{part} ≤ {whole}"
    )


def ge_formulas(rule: Rule, ref: Refs) -> CheckFormulas:
    """``ge``: a ≥ b."""
    a, b = ref[rule.params["a"]], ref[rule.params["b"]]
    return CheckFormulas(a, b, f"{a}>={b}", f"{a}-{b}", f"{a} ≥ {b}")


def eq_formulas(rule: Rule, ref: Refs) -> CheckFormulas:
    """``eq``: a = b."""
    a, b = ref[rule.params["a"]], ref[rule.params["b"]]
    return CheckFormulas(a, b, f"{a}={b}", f"{a}-{b}", f"{a} = {b}")


def change_formulas(rule: Rule, ref: Refs) -> CheckFormulas:
    """``change``: |value − base| ≤ limit × base, or base = 0.

    The limit is written as the fraction p/q and multiplied out, as the validation
    does, so no decimal fraction is rounded in the comparison.
    """
    value, base = ref[rule.params["value"]], ref[rule.params["base"]]
    num, den = Fraction(rule.params["limit"]).as_integer_ratio()
    passes = f"OR({base}=0,ABS({value}-{base})*{den}<={base}*{num})"
    text = f"{value} 比 {base} 变化 ≤ {Fraction(rule.params['limit']) * 100}%"
    return CheckFormulas(value, base, passes, f"{value}-{base}", text)


def single_part_formulas(rule: Rule, ref: Refs) -> CheckFormulas:
    """``single_part``: not (total > min and exactly one part above 0)."""
    total = ref[rule.params["total"]]
    nonzero = "+".join(f"IF({ref[p]}>0,1,0)" for p in rule.parts)
    least = rule.params["min"]
    passes = f"NOT(AND({total}>{least},{nonzero}=1))"
    text = f"{total} ≤ {least}，或 {','.join(_runs([ref[p] for p in rule.parts]))} 中多于一项 > 0"
    return CheckFormulas(total, nonzero, passes, "", text)


FORMULAS: dict[str, FormulaOf] = {
    "sum": sum_formulas,
    "balance": balance_formulas,
    "le": le_formulas,
    "ge": ge_formulas,
    "eq": eq_formulas,
    "change": change_formulas,
    "single_part": single_part_formulas,
}


def rule_formulas(rule: Rule, ref: Refs) -> CheckFormulas:
    """The formulas of ``rule`` with its codes' cells as ``ref`` names them."""
    return FORMULAS[rule.kind](rule, ref)


def checkable(fmt: Format) -> list[Rule]:
    """The rules one year's workbook can check: those not reading last year's."""
    return [r for r in fmt.rules if not any(c.startswith(PREV) for c in r.codes)]


# References

_REF = re.compile(r"(?:(?P<sheet>.+)!)?\$?(?P<col>[A-Z]{1,3})\$?(?P<row>\d+)")


def total_of(ref: Refs, codes: tuple[str, ...] | list[str]) -> str:
    """``SUM`` of the cells of ``codes``, adjacent cells of a column or a row written
    as one range (``SUM($D$5:$D$8)``); a single cell stands alone."""
    refs = [ref[c] for c in codes]
    if len(refs) == 1:
        return refs[0]
    return f"SUM({','.join(_runs(refs))})"


def _runs(refs: list[str]) -> list[str]:
    from govstats.problems import column_number

    out: list[str] = []
    run: list[tuple[str, int, int]] = []  # (sheet prefix, column, row)

    def flush() -> None:
        if run:
            sheet, c1, r1 = run[0]
            _, c2, r2 = run[-1]
            first = _absolute(c1, r1)
            out.append(
                f"{sheet}{first}"
                if len(run) == 1
                else f"{sheet}{first}:{_absolute(c2, r2)}"
            )
            run.clear()

    for text in refs:
        m = _REF.fullmatch(text)
        if m is None:  # not a plain cell: keep it as it is
            flush()
            out.append(text)
            continue
        sheet = f"{m['sheet']}!" if m["sheet"] else ""
        cell = (sheet, column_number(m["col"]), int(m["row"]))
        if run and _next(run, cell):
            run.append(cell)
            continue
        flush()
        run.append(cell)
    flush()
    return out


def _next(run: list[tuple[str, int, int]], cell: tuple[str, int, int]) -> bool:
    """True when ``cell`` extends ``run`` down its column or along its row."""
    sheet, col, row = run[-1]
    if cell[0] != sheet:
        return False
    down = cell[1] == col and cell[2] == row + 1
    along = cell[2] == row and cell[1] == col + 1
    if len(run) == 1:
        return down or along
    vertical = run[0][1] == run[1][1]
    return down if vertical else along


def _absolute(col: int, row: int) -> str:
    from govstats.problems import column_letter

    return f"${column_letter(col)}${row}"


def quoted(sheet: str) -> str:
    """A sheet name as a formula names it: ``'表3 依申请公开情况'``."""
    return "'" + sheet.replace("'", "''") + "'"


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

    from govstats.problems import column_letter

    here = places[rule.subject].sheet
    # A rule over two sheets would name the other one (Excel 2010 on allows it);
    # every rule of the formats declared so far stays on one sheet.
    ref = {code: _on(places[code], here) for code in rule.codes}
    f = rule_formulas(rule, ref)
    formula = f"AND({_complete(ref, rule)},NOT({f.passes}))"
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
    from govstats.problems import column_letter

    cell = f"${column_letter(place.column)}${place.row}"
    return cell if place.sheet == sheet else f"{quoted(place.sheet)}!{cell}"


def _complete(ref: Refs, rule: Rule) -> str:
    """TRUE when every cell the rule reads holds a number (else validate does not
    evaluate the rule: the cell has its own problem)."""
    codes = list(dict.fromkeys(rule.codes))
    return f"COUNT({','.join(_runs([ref[c] for c in codes]))})={len(codes)}"


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

    from govstats.io.output import put, put_formula
    from govstats.problems import catalogue, column_letter
    from govstats.rules import PROBLEM_OF_KIND
    from govstats.template import _print_setup, _protect, _styles

    st = _styles()
    # Right after the tables it checks.
    index = max(wb.sheetnames.index(t.sheet) for t in fmt.tables) + 1
    ws = wb.create_sheet(CHECK_SHEET, index)
    last = FIRST_CHECK_ROW + len(rules) - 1
    result = column_letter(RESULT_COLUMN)
    results = f"${result}${FIRST_CHECK_ROW}:${result}${max(last, FIRST_CHECK_ROW)}"
    ws.cell(
        1,
        1,
        "校验：本表随填报自动计算，✓ 为通过，✗ 为错误（须改正），⚠ 为提示（请在“说明”列注明原因）",
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
        f, shown = rule_formulas(rule, qualified), rule_formulas(rule, bare)
        hard = rule.severity == "error"
        problem = kinds[PROBLEM_OF_KIND[rule.kind]]
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
        put_formula(
            ws,
            r,
            RESULT_COLUMN,
            f'=IF({_complete(qualified, rule)},IF({f.passes},"{PASS}",'
            f'"{FAIL if hard else WARN}"),"{INCOMPLETE}")',
        )
        # A quote in a formula's text is written twice.
        hint = (problem.title["zh"] if hard else problem.description["zh"]).replace(
            '"', '""'
        )
        put_formula(
            ws,
            r,
            9,
            f'=IF(${result}{r}="{PASS}","",IF(${result}{r}="{INCOMPLETE}",'
            f'"有单元格不是数值","{hint}"))',
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
    _print_setup(ws)
    _protect(ws)
