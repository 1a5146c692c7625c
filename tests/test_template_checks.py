"""The blank workbook checks itself while the clerk types (issue 17).

The format's rules as live formulas (the 校验 sheet, red and amber cells), computed
by LibreOffice and compared with ``govstats validate``, rule by rule, in both
directions; protection, printing and size of the template; and a workbook whose
formulas were deleted or overwritten read as before.
"""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govstats.actions import validate_workbooks
from govstats.core.output import workbook_bytes, write_workbook
from govstats.formats import Format, Rule, load_format
from govstats.formats.formulas import total_of
from govstats.formats.rules import KINDS, kind_of
from govstats.publish.template_checks import (
    CHECK_SHEET,
    FIRST_CHECK_ROW,
    RESULT_COLUMN,
    checkable,
)
from govstats.publish.template_xlsx import build_template
from govstats.synthetic import complete_totals
from tests.libreoffice import convert, sheet_as_csv, soffice

FORMATS = {"gk2008": 2017, "gk2019": 2019, "gk2021": 2025}
ALLOWED_FUNCTIONS = {"SUM", "IF", "ABS", "AND", "OR", "NOT", "COUNT", "COUNTIF"}


def template(format_id: str, values: dict[str, Any] | None = None, **kw: Any) -> Any:
    return build_template(
        load_format(format_id), FORMATS[format_id], "U1", "单位", values, **kw
    )


# The formulas of each rule kind


def rule(kind: str, **params: Any) -> Rule:
    codes = tuple(
        c for v in params.values() for c in (v if isinstance(v, tuple) else (v,))
    )
    return Rule(
        id="R", kind=kind, severity="error", subject="a", codes=codes, params=params
    )


def formulas(r: Rule):
    return kind_of(r).formula(r, REFS)


REFS = {"a": "$D$4", "b": "$D$5", "c": "$D$6", "d": "$D$7", "e": "'表 2'!$E$9"}


def test_every_rule_kind_has_formulas():
    for name, kind in KINDS.items():
        spec, _good, _bad = kind.example
        refs = {c: f"$D${i}" for i, c in enumerate("abct", start=4)}
        from govstats.formats.rules import build_rule

        f = kind.formula(build_rule({"id": "R", **spec}, list("abct")), refs)
        assert f.passes and f.text, name


def test_sum_formulas_write_adjacent_cells_as_a_range():
    f = kind_of(r := rule("sum", total="a", parts=("b", "c", "d", "e"))).formula(
        r, REFS
    )
    assert f.found == "$D$4"
    assert f.expected == "SUM($D$5:$D$7,'表 2'!$E$9)"
    assert f.passes == "$D$4=SUM($D$5:$D$7,'表 2'!$E$9)"
    assert f.difference == "$D$4-SUM($D$5:$D$7,'表 2'!$E$9)"


def test_balance_le_ge_formulas():
    f = kind_of(r := rule("balance", left=("a", "b"), right=("c", "e"))).formula(
        r, REFS
    )
    assert f.passes == "SUM($D$4:$D$5)=SUM($D$6,'表 2'!$E$9)"
    f = formulas(rule("le", part=("b",), whole=("a",)))
    assert (f.passes, f.difference) == ("$D$5<=$D$4", "$D$5-$D$4")
    f = formulas(rule("ge", a="a", b="b"))
    assert f.passes == "$D$4>=$D$5"
    assert formulas(rule("eq", a="a", b="c")).passes == "$D$4=$D$6"


def test_change_formula_multiplies_the_limit_out():
    f = kind_of(r := rule("change", value="a", base="b", limit=Decimal("0.5"))).formula(
        r, REFS
    )
    assert f.passes == "OR($D$5=0,ABS($D$4-$D$5)*2<=$D$5*1)"


def test_single_part_formula():
    f = kind_of(r := rule("single_part", total="a", parts=("b", "c"), min=50)).formula(
        r, REFS
    )
    assert f.passes == "NOT(AND($D$4>50,IF($D$5>0,1,0)+IF($D$6>0,1,0)=1))"
    assert f.difference == ""


def test_a_row_of_cells_is_one_range():
    refs = {c: f"${c.upper()}$8" for c in "efgh"}
    assert total_of(refs, ("e", "f", "g", "h")) == "SUM($E$8:$H$8)"
    assert total_of(refs, ("e", "g")) == "SUM($E$8,$G$8)"


# The template


@pytest.mark.parametrize("format_id", FORMATS)
def test_check_sheet_lists_every_rule_of_the_year(format_id):
    fmt = load_format(format_id)
    ws = template(format_id)[CHECK_SHEET]
    keys = [
        ws.cell(r, 1).value
        for r in range(FIRST_CHECK_ROW, FIRST_CHECK_ROW + len(checkable(fmt)))
    ]
    assert keys == [r.key for r in checkable(fmt)]
    cross_year = [r for r in fmt.rules if r not in checkable(fmt)]
    assert all(any(c.startswith("prev:") for c in r.codes) for r in cross_year)
    assert bool(cross_year) == (
        ws.cell(len(keys) + FIRST_CHECK_ROW + 1, 1).value is not None
    )


def test_gk2021_table_three_and_four_are_live():
    keys = {r.key for r in checkable(load_format("gk2021"))}
    ws = template("gk2021")[CHECK_SHEET]
    rows = {ws.cell(r, 1).value: r for r in range(FIRST_CHECK_ROW, ws.max_row + 1)}
    assert {"T3-ROW@new", "T3-ROW@r.total", "T3-ROW@carried_out"} <= keys
    assert {"T3-ID@natural", "T3-ID@total", "T4@review", "T4@suit_after_review"} <= keys
    # 新收 + 上年结转 = （七）总计 + 结转下年度, in column 总计 of table 三.
    r = rows["T3-ID@total"]
    sheet = "'三、收到和处理政府信息公开申请情况'"
    assert ws.cell(r, 5).value == f"=SUM({sheet}!$K$8:$K$9)"
    assert ws.cell(r, 6).value == f"=SUM({sheet}!$K$31:$K$32)"
    assert ws.cell(r, 4).value == "SUM(K8:K9) = SUM(K31:K32)"
    # 行政复议: 总计 = 结果维持 + 结果纠正 + 其他结果 + 尚未审结.
    r, sheet = rows["T4@review"], "'四、政府信息公开行政复议、行政诉讼情况'"
    assert ws.cell(r, 5).value == f"={sheet}!$G$8"
    assert ws.cell(r, 6).value == f"=SUM({sheet}!$C$8:$F$8)"


@pytest.mark.parametrize("format_id", FORMATS)
def test_formulas_use_plain_functions_only(format_id):
    wb = template(format_id)
    formulas = [
        c.value
        for ws in wb.worksheets
        for row in ws.iter_rows()
        for c in row
        if c.data_type == "f"
    ]
    formulas += [
        f
        for ws in wb.worksheets
        for cf in ws.conditional_formatting
        for r in cf.rules
        for f in r.formula
    ]
    assert len(formulas) > 3 * len(checkable(load_format(format_id)))
    used = {name for f in formulas for name in re.findall(r"([A-Z]+)\(", f)}
    assert used <= ALLOWED_FUNCTIONS


@pytest.mark.parametrize("format_id", FORMATS)
def test_every_rule_colours_its_cells(format_id):
    fmt = load_format(format_id)
    wb = template(format_id)
    colours = []
    for table in fmt.tables:
        for cf in wb[table.sheet].conditional_formatting:
            for r in cf.rules:
                colours.append(r.dxf.fill.fgColor.rgb[-6:])
    rules = checkable(fmt)
    assert sorted(colours) == sorted(
        "FFC7CE" if r.severity == "error" else "FFEB9C" for r in rules
    )


def test_a_soft_rule_colours_the_remark_to_write():
    wb = template("gk2008")
    ws = wb["表3 依申请公开情况"]
    amber = [
        str(cf.sqref)
        for cf in ws.conditional_formatting
        for r in cf.rules
        if r.dxf.fill.fgColor.rgb.endswith("FFEB9C")
    ]
    # SQ-OPEN (已答复 >= 收到): both cells and 已答复's 说明; SQ-ONE-CHANNEL.
    assert "D4 D9 E9" in amber
    assert any(s.startswith("D4 D5") and s.endswith("E4") for s in amber)


@pytest.mark.parametrize("format_id", FORMATS)
def test_only_values_and_remarks_are_editable(format_id):
    fmt = load_format(format_id)
    wb = template(format_id)
    for ws in wb.worksheets:
        assert ws.protection.sheet and not ws.protection.password, ws.title
        assert ws.protection.insertRows and ws.protection.insertColumns
        assert ws.protection.deleteRows and ws.protection.deleteColumns
    for table in fmt.tables:
        ws = wb[table.sheet]
        unlocked = [c for row in ws.iter_rows() for c in row if not c.protection.locked]
        numbers = [c for c in unlocked if isinstance(c.value, int | float)]
        assert len(numbers) == len(table.indicators)
        assert all(c.value is None for c in unlocked if c not in numbers)
    check = wb[CHECK_SHEET]
    assert all(c.protection.locked for row in check.iter_rows() for c in row)


@pytest.mark.parametrize("format_id", FORMATS)
def test_every_sheet_prints_to_the_page_width(format_id):
    fmt = load_format(format_id)
    wb = template(format_id)
    for ws in wb.worksheets:
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0)
    for table in fmt.tables:
        ws = wb[table.sheet]
        single = len(table.blocks) == 1
        assert bool(ws.print_title_rows) == single, table.sheet
    assert wb[CHECK_SHEET].print_title_rows == "$3:$3"


def test_long_labels_wrap_on_rows_tall_enough():
    ws = template("gk2008")["表3 依申请公开情况"]
    row = next(r for r in range(4, 20) if ws.cell(r, 2).value == "sq.out.other")
    assert ws.cell(row, 1).alignment.wrap_text
    assert ws.row_dimensions[row].height >= 30
    # The code column: kept (validation reads it), narrow, small and grey.
    assert ws.column_dimensions["B"].width < 20
    assert ws.cell(row, 2).font.color.rgb.endswith("808080")


@pytest.mark.parametrize("format_id", FORMATS)
def test_template_stays_small(format_id):
    assert len(workbook_bytes(template(format_id))) < 60_000


# validate still decides


def _report(wb: Any, tmp_path: Path, year: int) -> list[list[Any]]:
    path = tmp_path / "unit.xlsx"
    write_workbook(wb, path)
    return validate_workbooks([path], year=year).report.flatten(
        ["code", "sheet", "cell", "rule"]
    )


def _sabotage(wb: Any, how: str) -> None:
    from govstats.publish.template_checks import CHECK_SHEET

    if how == "sheet deleted":
        wb.remove(wb[CHECK_SHEET])
    elif how == "formulas typed over":
        for row in wb[CHECK_SHEET].iter_rows():
            for c in row:
                if c.data_type == "f":
                    c.value = "✓" if c.column == RESULT_COLUMN else 0
    elif how == "formatting cleared":
        for ws in wb.worksheets:
            ws.conditional_formatting = type(ws.conditional_formatting)()


@pytest.mark.parametrize(
    "how", ["sheet deleted", "formulas typed over", "formatting cleared"]
)
def test_validate_reads_a_workbook_whose_checks_were_broken_as_before(tmp_path, how):
    from tests.conftest import consistent_values, set_value

    values = {**consistent_values(), "sq.received": 13}
    plain = _report(template("gk2008", values, checks=False), tmp_path, 2017)
    wb = template("gk2008", values)
    _sabotage(wb, how)
    # A formula in a value cell keeps today's treatment too.
    set_value(wb, "zd.total", "=SUM(D5:D11)")
    before = template("gk2008", values, checks=False)
    set_value(before, "zd.total", "=SUM(D5:D11)")
    assert _report(wb, tmp_path, 2017) == _report(before, tmp_path, 2017)
    assert ["total-mismatch", "表3 依申请公开情况", "D4", "SQ-CH-SUM"] in plain
    assert [
        "formula-no-value",
        "表1 主动公开政府信息情况",
        "D4",
        "formula-no-value",
    ] in (_report(wb, tmp_path, 2017))


# The differential test: LibreOffice's 校验 against govstats validate


def _cases(fmt: Format) -> st.SearchStrategy[tuple[dict[str, Any], Any]]:
    """Figures whose totals add up, and maybe one planted mistake in one rule."""
    totals = {r.params["total"] for r in fmt.rules if r.kind == "sum"}
    leaves = sorted(c for c in fmt.indicators if c not in totals)

    def number(code: str) -> st.SearchStrategy[int | Decimal]:
        ind = fmt.indicators[code]
        low = -30 if ind.signed else 0
        whole = st.integers(low, 60) | st.integers(51, 150)
        if ind.places:
            return st.integers(0, 10**6).map(lambda n: Decimal(n).scaleb(-ind.places))
        return whole

    figures = st.lists(st.sampled_from(leaves), max_size=10, unique=True).flatmap(
        lambda codes: st.fixed_dictionaries({c: number(c) for c in codes})
    )
    rules = checkable(fmt)
    mistake = st.none() | st.tuples(
        st.sampled_from(rules).flatmap(lambda r: st.sampled_from(r.codes)),
        st.sampled_from([-3, -1, 1, 2, 7]),
    )
    return st.tuples(figures, mistake)


def _filled(fmt: Format, figures: dict[str, Any], mistake: Any) -> dict[str, Any]:
    values = complete_totals(figures, fmt)
    if mistake is not None:
        code, delta = mistake
        planted = values.get(code, 0) + delta
        if planted >= 0 or fmt.indicators[code].signed:
            values[code] = planted
    return values


EXAMPLES = 16  # per format: 48 workbooks, one LibreOffice start-up


def _draw(fmt: Format, drawn: list[tuple[Format, dict[str, Any]]]) -> None:
    """Draw EXAMPLES workbooks of ``fmt`` into ``drawn``.

    Drawn first and converted all at once: a LibreOffice start-up per example would
    take minutes. A disagreement names its workbook's figures instead of being
    shrunk by hypothesis.
    """

    @settings(
        max_examples=EXAMPLES, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(case=_cases(fmt))
    def draw(case: Any) -> None:
        drawn.append((fmt, _filled(fmt, *case)))

    draw()


@pytest.fixture(scope="module")
def recalculated(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Any, ...]]:
    """Hypothesis-drawn workbooks of every format, filled and recalculated by
    LibreOffice in one run: ``(format, values, written path, recalculated path)``."""
    tmp = tmp_path_factory.mktemp("livecheck")
    drawn: list[tuple[Format, dict[str, Any]]] = []
    for format_id in FORMATS:
        _draw(load_format(format_id), drawn)
    paths = []
    for i, (fmt, values) in enumerate(drawn):
        path = tmp / f"{i:03d}-{fmt.id}.xlsx"
        write_workbook(build_template(fmt, FORMATS[fmt.id], "U1", "单位", values), path)
        paths.append(path)
    out = sheet_as_csv(paths, CHECK_SHEET, tmp)
    return [(fmt, v, p, o) for (fmt, v), p, o in zip(drawn, paths, out, strict=True)]


def _verdicts(path: Path, fmt: Format) -> dict[str, tuple[Any, ...]]:
    """Rule key → (result, 本项, 比较, 差额) as the recalculated 校验 sheet shows them
    (an .xlsx LibreOffice saved, or the sheet as CSV)."""
    if path.suffix == ".csv":
        lines = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    else:
        ws = openpyxl.load_workbook(path, data_only=True)[CHECK_SHEET]
        lines = [list(row) for row in ws.iter_rows(values_only=True)]
    out = {}
    for line in lines[FIRST_CHECK_ROW - 1 : FIRST_CHECK_ROW - 1 + len(checkable(fmt))]:
        out[line[0]] = (line[RESULT_COLUMN - 1], *line[4:7])
    return out


@soffice
def test_libreoffice_checks_agree_with_validate_rule_by_rule(recalculated):
    failing = {"sum": 0, "other": 0}
    by_file: dict[str, list[Any]] = {}
    for format_id, year in FORMATS.items():
        files = [w for fmt, _, w, _ in recalculated if fmt.id == format_id]
        for p in validate_workbooks(files, year=year).report.problems:
            by_file.setdefault(p.file, []).append(p)
    for fmt, values, written, computed in recalculated:
        problems = by_file.get(str(written), [])
        broken = {(p.rule, p.indicator): p for p in problems if p.rule}
        shown = _verdicts(computed, fmt)
        for r in checkable(fmt):
            result, found, expected, difference = shown[r.key]
            problem = broken.get((r.id, r.subject))
            where = f"{fmt.id} {r.key} in {written.name} with {values}"
            if problem is None:
                assert result == "✓", where
                continue
            assert result == ("✗" if r.severity == "error" else "⚠"), where
            failing["sum" if r.kind == "sum" else "other"] += 1
            if r.kind in ("sum", "balance", "le", "ge"):
                assert (Decimal(str(found)), Decimal(str(expected))) == (
                    Decimal(problem.found),
                    Decimal(problem.expected),
                ), where
                assert Decimal(str(difference)) == Decimal(str(found)) - Decimal(
                    str(expected)
                )
        # Nothing else of the workbook is a problem: every rule was evaluated.
        assert all(p.rule and p.severity in ("error", "warning") for p in problems)
    # Both directions were exercised: planted mistakes and rules that hold.
    assert failing["sum"] and failing["other"]


@soffice
def test_template_opens_in_libreoffice_as_it_was_made(tmp_path):
    """Every format's blank template opens, recalculates to all ✓, and keeps its
    sheets, protection, colours and print titles through LibreOffice."""
    paths = []
    for format_id in FORMATS:
        path = tmp_path / f"{format_id}.xlsx"
        write_workbook(template(format_id), path)
        paths.append(path)
    for format_id, made, opened in zip(
        FORMATS, paths, convert(paths, "xlsx", tmp_path), strict=True
    ):
        fmt = load_format(format_id)
        a, b = openpyxl.load_workbook(made), openpyxl.load_workbook(opened)
        assert b.sheetnames == a.sheetnames
        for ws in a.worksheets:
            other = b[ws.title]
            assert other.protection.sheet, ws.title
            assert len(list(other.conditional_formatting)) == len(
                list(ws.conditional_formatting)
            ), ws.title
        results = {v[0] for v in _verdicts(opened, fmt).values()}
        assert results == {"✓"}


@soffice
def test_a_soft_rule_explained_in_its_remark_is_shown_as_explained(tmp_path):
    """SQ-OPEN fails (3 requests received, none answered): ⚠ with what to do while
    the 说明 of 已答复 is empty; once it is written, 已说明 with nothing to do, as
    validate then lists the failure as a note, not a warning."""
    fmt = load_format("gk2008")
    values = complete_totals({"sq.ch.in_person": 3}, fmt)
    paths = []
    for name, remark in (("open", None), ("explained", "3件均在办理中")):
        wb = build_template(fmt, 2017, f"U-{name}", "单位", values)
        if remark is not None:
            ws = wb["表3 依申请公开情况"]
            ws["E9"] = remark  # the 说明 cell on 已答复's row (D9)
        paths.append(tmp_path / f"{name}.xlsx")
        write_workbook(wb, paths[-1])
    severities = [
        [(p.rule, p.severity) for p in f.problems]
        for f in validate_workbooks(paths, year=2017).report.files
    ]
    assert severities == [[("SQ-OPEN", "warning")], [("SQ-OPEN", "note")]]
    shown = []
    for csv_path in sheet_as_csv(paths, CHECK_SHEET, tmp_path / "out"):
        lines = list(csv.reader(io.StringIO(csv_path.read_text(encoding="utf-8"))))
        (line,) = [x for x in lines if x and x[0] == "SQ-OPEN"]
        shown.append((line[RESULT_COLUMN - 1], line[RESULT_COLUMN]))
    assert shown[0][0] == "⚠" and shown[0][1]
    assert shown[1] == ("已说明", "")
