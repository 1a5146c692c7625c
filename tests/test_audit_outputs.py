"""`govstats audit YEAR`: outputs re-derived from their inputs (issue 4)."""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govstats.actions import audit_outputs, compile_year
from govstats.cli import app
from govstats.core.output import write_workbook
from govstats.formats import load_format
from govstats.publish.template_xlsx import build_template
from tests.conftest import consistent_values
from tests.test_compile import ROSTER, write_year

runner = CliRunner()
ROOT = Path(__file__).parents[1]
FMT = load_format("gk2008")
SHEET_ZD = "三(一) 主动公开政府信息数量及类别"


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    """The demo inputs of 2017 compiled once; each test works on a copy."""
    root = tmp_path_factory.mktemp("demo")
    shutil.copytree(ROOT / "inputs" / "2017", root / "inputs" / "2017")
    assert compile_year(2017, root / "inputs", root / "outputs").compiled
    return root


@pytest.fixture
def year(demo, tmp_path) -> Path:
    shutil.copytree(demo / "inputs", tmp_path / "inputs")
    shutil.copytree(demo / "outputs", tmp_path / "outputs")
    return tmp_path


def run(root: Path, *args: str):
    return runner.invoke(
        app,
        [
            "audit",
            "2017",
            "--inputs",
            str(root / "inputs"),
            "--outputs",
            str(root / "outputs"),
            *args,
        ],
    )


def audit(root: Path):
    return audit_outputs(2017, root / "inputs", root / "outputs")


def edit_sheet_xml(path: Path, sheet: str, edit) -> None:
    """Change a sheet's XML in place, as Excel saving an edit would (cached values
    of other formulas stay as they were; openpyxl would drop them all)."""
    import openpyxl

    # openpyxl names the parts sheet1.xml, sheet2.xml, … in workbook order.
    number = openpyxl.load_workbook(path, read_only=True).sheetnames.index(sheet) + 1
    with zipfile.ZipFile(path) as src:
        items = {i.filename: src.read(i.filename) for i in src.infolist()}
    name = f"xl/worksheets/sheet{number}.xml"
    items[name] = edit(items[name].decode()).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for filename, data in items.items():
            dst.writestr(filename, data)


# A fresh compile passes


def test_fresh_compile_passes(year):
    result = run(year)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"✓ {year / 'outputs' / '2017'}：0 处有误，0 处提示"
    assert re.fullmatch(r"共比对 \d+ 项：\d+ 项一致，0 项不一致。", lines[1])
    assert len(lines) == 2


# The three acceptance scenarios


def test_number_edited_in_report_md(year):
    path = year / "outputs" / "2017" / "report.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("受理政府信息公开申请527件", "受理政府信息公开申请529件")
    )
    lines = path.read_text(encoding="utf-8").splitlines()
    row = next(i for i, ln in enumerate(lines) if "申请529件" in ln) + 1
    col = lines[row - 1].index("529") + 1
    report = audit(year)
    assert report.flatten(("code", "where", "claimed", "recomputed")) == [
        ["output-edited", f"{row}:{col}", "529", "527"]
    ]
    result = run(year)
    assert result.exit_code == 1
    assert result.stdout.splitlines()[1] == (
        f"  错误  report.md {row}:{col}  output-edited  report.md {row}:{col}为 529，"
        "按输入重新计算应为 527：输出在汇总后被改动。"
    )


def test_number_edited_in_report_html(year):
    path = year / "outputs" / "2017" / "report.html"
    text = path.read_text(encoding="utf-8")
    assert "申请527件" in text
    path.write_text(text.replace("申请527件", "申请529件", 1), encoding="utf-8")
    lines = path.read_text(encoding="utf-8").splitlines()
    row = next(i for i, ln in enumerate(lines) if "申请529件" in ln) + 1
    col = lines[row - 1].index("529") + 1
    assert audit(year).flatten(("code", "where", "claimed", "recomputed")) == [
        ["output-edited", f"{row}:{col}", "529", "527"]
    ]


def test_number_edited_in_report_docx(year):
    import docx

    path = year / "outputs" / "2017" / "report.docx"
    document = docx.Document(str(path))
    run = next(r for p in document.paragraphs for r in p.runs if "申请527件" in r.text)
    run.text = run.text.replace("申请527件", "申请529件", 1)
    document.save(str(path))
    report = audit(year)
    assert report.flatten(("code", "claimed", "recomputed")) == [
        ["output-edited", "529", "527"]
    ]
    assert report.findings[0].where.file == str(path)


def test_line_changed_otherwise_in_report_md(year):
    path = year / "outputs" / "2017" / "report.md"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].replace("四舍五入", "截尾")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (check,) = audit(year).findings
    col = lines[2].index("截尾") + 1
    assert (check.code, str(check.where)) == ("output-edited", f"3:{col}")
    assert check.claimed.startswith("…") and "截尾" in check.claimed


def test_share_edited_in_tables_xlsx(year):
    path = year / "outputs" / "2017" / "tables.xlsx"
    # The share as the report prints it, typed over: 70.3% → 70.2%.
    edit_sheet_xml(path, SHEET_ZD, lambda x: x.replace("<t>70.3%</t>", "<t>70.2%</t>"))
    report = audit(year)
    assert report.flatten(("code", "where", "claimed", "recomputed")) == [
        ["share-formula-mismatch", f"{SHEET_ZD}!E9", "70.2%", "70.3%"]
    ]
    assert report.findings[0].message() == (
        f"{SHEET_ZD}!E9为 70.2%，但公式 D9=C9/C$10 按表中数量算出 70.3%。"
    )


def test_share_formula_replaced_by_a_typed_number(year):
    path = year / "outputs" / "2017" / "tables.xlsx"
    edit_sheet_xml(
        path,
        SHEET_ZD,
        lambda x: re.sub(
            r'<c r="D9"[^>]*><f>[^<]*</f><v>[^<]*</v></c>',
            '<c r="D9"><v>0.702</v></c>',
            x,
        ),
    )
    report = audit(year)
    assert report.flatten(("code", "where", "claimed", "recomputed"))[0] == [
        "formula-replaced",
        f"{SHEET_ZD}!D9",
        "0.702",
        "=C9/C$10",
    ]
    # The total of the shares, =SUM(D3:D9), now caches a value its cells no
    # longer give: the workbook was not recalculated.
    assert [c.code for c in report.findings] == [
        "formula-replaced",
        "share-formula-mismatch",
    ]


def test_count_edited_without_recalculation(year):
    path = year / "outputs" / "2017" / "tables.xlsx"
    edit_sheet_xml(
        path,
        SHEET_ZD,
        lambda x: x.replace(
            '<c r="C9" t="n"><v>16152</v>', '<c r="C9" t="n"><v>16252</v>'
        ),
    )
    report = audit(year)
    codes = {(c.code, str(c.where).split("!")[1]) for c in report.findings}
    assert ("output-edited", "C9") in codes  # the count itself
    assert ("share-formula-mismatch", "D9") in codes  # its share's stale cache
    assert ("share-formula-mismatch", "E9") in codes  # 报告采用 against the formula


def test_workbook_changed_after_the_compile(year):
    folder = year / "inputs" / "2017"
    path = folder / "430200-001.xlsx"
    before = path.read_bytes()
    from govstats.read.workbook import load_unit

    unit = load_unit(path, FMT)
    values = {c: v.value for c, v in unit.cells.items() if v.value is not None}
    values["zd.news"] += 10
    values["zd.total"] += 10
    wb = build_template(FMT, 2017, unit.unit_code, unit.unit_name, values=values)
    write_workbook(wb, path)
    assert path.read_bytes() != before
    report = audit(year)
    first = report.findings[0]
    assert (first.code, first.where.file) == ("input-changed", str(path))
    assert first.claimed != first.recomputed
    codes = {c.code for c in report.findings}
    assert codes == {"input-changed", "output-outdated"}
    assert ["output-outdated", "city.zd.total", "22966", "22976"] in report.flatten(
        ("code", "where", "claimed", "recomputed")
    )
    result = run(year, "--lang", "en")
    assert result.exit_code == 1
    assert result.stdout.splitlines()[1].startswith(
        "  error  430200-001.xlsx  input-changed  Input '430200-001.xlsx' changed "
        "after the compile (SHA-256 "
    )


# Other changes


def test_inputs_added_and_removed(tmp_path):
    write_year(tmp_path)
    compile_year(2017, tmp_path / "inputs", tmp_path / "outputs")
    folder = tmp_path / "inputs" / "2017"
    (folder / "D2.xlsx").rename(folder / "D2-renamed.xlsx")
    report = audit(tmp_path)
    assert [
        (c.code, c.detail("label")) for c in report.findings if c.kind == "input"
    ] == [
        ("input-added", "D2-renamed.xlsx"),
        ("input-removed", "D2.xlsx"),
    ]


def test_figures_json_edited_breaks_a_rule(tmp_path):
    write_year(tmp_path, units=ROSTER[:1])
    compile_year(2017, tmp_path / "inputs", tmp_path / "outputs")
    path = tmp_path / "outputs" / "2017" / "figures.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["city"]["zd.total"] = 60
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    report = audit(tmp_path)
    assert report.flatten(("code", "where", "claimed", "recomputed", "rule")) == [
        ["total-mismatch", "city.zd.total", "60", "59", "ZD-SUM"],
        ["output-edited", "city.zd.total", "60", "59", "recomputed from the inputs"],
    ]


def test_inputs_now_invalid(tmp_path):
    write_year(tmp_path, units=ROSTER[:1])
    compile_year(2017, tmp_path / "inputs", tmp_path / "outputs")
    wb = build_template(
        FMT, 2017, "G", "某市人民政府", values={**consistent_values(), "zd.total": 1}
    )
    write_workbook(wb, tmp_path / "inputs" / "2017" / "G.xlsx")
    report = audit(tmp_path)
    assert [c.code for c in report.findings] == ["inputs-invalid", "input-changed"]


def test_missing_output_file(tmp_path):
    write_year(tmp_path, units=ROSTER[:1])
    compile_year(2017, tmp_path / "inputs", tmp_path / "outputs")
    (tmp_path / "outputs" / "2017" / "summary.xlsx").unlink()
    assert audit(tmp_path).flatten(("code",)) == [["output-missing"]]


def test_half_even_compile_is_audited_with_its_own_rounding(tmp_path):
    write_year(tmp_path, units=ROSTER[:1])
    compile_year(2017, tmp_path / "inputs", tmp_path / "outputs", rounding="half-even")
    assert audit(tmp_path).findings == []


# CLI contracts


def test_json_equals_library_result(tmp_path):
    write_year(tmp_path, units=ROSTER[:1])
    compile_year(2017, tmp_path / "inputs", tmp_path / "outputs")
    report_md = tmp_path / "outputs" / "2017" / "report.md"
    report_md.write_text(report_md.read_text(encoding="utf-8").replace("12件", "13件"))
    result = run(tmp_path, "--format", "json", "--lang", "en")
    assert result.exit_code == 1
    expected = audit(tmp_path).to_dict("en")
    assert json.loads(result.stdout) == expected
    assert expected["findings"][0]["location"]["line"] is not None


def test_not_compiled_yet_is_a_usage_error(tmp_path):
    write_year(tmp_path, units=ROSTER[:1])
    result = run(tmp_path)
    assert result.exit_code == 2
    out = tmp_path / "outputs" / "2017"
    assert result.stderr == (
        f"govstats: {out}: “{out}”中没有汇总输出（figures.json），请先运行 govstats compile。\n"
    )


def test_stale_caches_shown_as_the_report_prints_them(year):
    # Issue 16, point 12: a stale share printed as a percentage (not
    # 0.7033174...), a stale total as a count (not 22966.0).
    path = year / "outputs" / "2017" / "tables.xlsx"
    edit_sheet_xml(
        path,
        SHEET_ZD,
        lambda x: x.replace(
            '<c r="C9" t="n"><v>16152</v>', '<c r="C9" t="n"><v>16252</v>'
        ),
    )
    found = {
        str(c.where).split("!")[1]: (c.claimed, c.recomputed)
        for c in audit(year).findings
        if c.code == "share-formula-mismatch"
    }
    # 16152/22966 = 70.330…% cached; 16252/23066 = 70.459…% on the edited count.
    assert found["D9"] == ("70.3%", "70.5%")
    assert found["C10"] == ("22966", "23066")
    result = run(year)
    assert "0.70" not in result.stdout and "22966.0" not in result.stdout


def test_number_text_of_a_cached_value():
    from fractions import Fraction

    from govstats.audit.outputs import _float_text, _shown_pair

    assert _float_text(22976.0) == "22976"
    assert _float_text(0.5) == "0.5"
    assert _float_text(1e-05) == "0.00001"
    # Two shares equal at the format's decimal get one more until they differ.
    assert _shown_pair(0.70331, Fraction(70334, 100000), "0.0%") == [
        "70.331%",
        "70.334%",
    ]
    assert _shown_pair(0.0213266016713092, Fraction(1, 40), "0.0%") == [
        "2.1%",
        "2.5%",
    ]
    assert _shown_pair(22976.0, Fraction(22986), "General") == ["22976", "22986"]
