"""`govstats compile` on small synthetic years: outputs, failures, partial, roll-up."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from govstats.actions import compile_year, validate_workbooks
from govstats.cli import app
from govstats.core.output import write_workbook
from govstats.formats import load_format
from govstats.pipeline import DATAPACKAGE_FILES, OUTPUT_FILES
from govstats.publish.template_xlsx import build_template
from tests.conftest import consistent_values

runner = CliRunner()
FMT = load_format("gk2008")

ROSTER = [
    ("G", "某市人民政府", "市本级", "市政府"),
    ("D1", "某市财政局", "市本级", "市政府工作部门"),
    ("D2", "某市教育局", "市本级", "市政府工作部门"),
    ("C1", "某县人民政府", "县市区", "县市区政府"),
]


def write_year(root: Path, units=ROSTER, values=None, year=2017) -> Path:
    """inputs/<year>/ with a roster and one consistent workbook per unit."""
    folder = root / "inputs" / str(year)
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["单位代码,单位名称,层级,类别"] + [",".join(u) for u in units]
    (folder / "units.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for code, name, *_ in units:
        unit_values = {**consistent_values(), **(values or {}).get(code, {})}
        wb = build_template(FMT, year, code, name, values=unit_values)
        write_workbook(wb, folder / f"{code}.xlsx")
    return folder


def digest(folder: Path) -> dict[str, str]:
    return {
        # datapackage/ (issue 19) by its files, named from the folder
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def run(root: Path, *args: str):
    return runner.invoke(
        app,
        [
            "compile",
            "2017",
            "--inputs",
            str(root / "inputs"),
            "--outputs",
            str(root / "outputs"),
            *args,
        ],
    )


def test_compile_writes_every_output(tmp_path):
    write_year(tmp_path)
    result = run(tmp_path)
    assert result.exit_code == 0, result.output
    out = tmp_path / "outputs" / "2017"
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [*OUTPUT_FILES, "datapackage"]
    )
    # gk2008 compares nothing with last year: no changes.csv (issue 19).
    assert sorted(p.name for p in (out / "datapackage").iterdir()) == [
        "datapackage.json",
        "figures.csv",
        "groups.csv",
        "percentages.csv",
        "units.csv",
    ]
    figures = json.loads((out / "figures.json").read_text(encoding="utf-8"))
    assert figures["city"]["sq.received"] == 48
    assert figures["city"]["zd.portal_visits"] == "50.00"
    assert figures["groups"]["层级=市本级"]["sq.received"] == 36
    assert figures["groups"]["层级=市本级,类别=市政府工作部门"]["sq.received"] == 24
    assert figures["groups"]["类别=市政府"]["sq.answered"] == 12
    assert figures["derived"]["sq.ch.in_person/sq.received"] == {
        "id": "sq.ch.in_person/sq.received",
        "kind": "share",
        "label": "当面申请",
        "group": "",
        "numerator": {"code": "sq.ch.in_person", "value": "12"},
        "denominator": {"code": "sq.received", "value": "48"},
        "formula": "sq.ch.in_person / sq.received × 100",
        "places": 1,
        "rounding": "half-up",
        "value": "25.0",
        "printed": "25.0%",
    }
    assert [u["code"] for u in figures["units"]] == ["C1", "D1", "D2", "G"]
    assert (
        figures["units"][0]["sha256"]
        == hashlib.sha256(
            (tmp_path / "inputs" / "2017" / "C1.xlsx").read_bytes()
        ).hexdigest()
    )
    assert set(figures["inputs"]) == {
        "units.csv",
        "C1.xlsx",
        "D1.xlsx",
        "D2.xlsx",
        "G.xlsx",
    }
    assert result.stdout.splitlines()[0] == "2017年汇总：4 个单位纳入汇总"


def test_rerun_gives_identical_bytes(tmp_path):
    write_year(tmp_path)
    run(tmp_path)
    first = digest(tmp_path / "outputs" / "2017")
    assert run(tmp_path).exit_code == 0
    assert digest(tmp_path / "outputs" / "2017") == first


def test_outputs_are_the_same_without_a_child_process(tmp_path, monkeypatch):
    # The report and its tables are built by a forked child that made ready
    # while the workbooks were read, and tables.xlsx by a child of it, where it
    # is safe (govstats.publish.background); where it is not, the same bytes come
    # from the parent.
    import govstats.pipeline
    import govstats.publish.background
    from govstats.pipeline import compile_in_memory

    write_year(tmp_path)
    _, forked = compile_in_memory(2017, tmp_path / "inputs", tmp_path / "outputs")
    # Many units: tables.xlsx is built by the compile itself, not by a child.
    monkeypatch.setattr(govstats.pipeline, "TABLES_CHILD_MAX", 0)
    _, many = compile_in_memory(2017, tmp_path / "inputs", tmp_path / "outputs")
    assert many == forked
    monkeypatch.setattr(govstats.publish.background, "can_fork", lambda: False)
    _, serial = compile_in_memory(2017, tmp_path / "inputs", tmp_path / "outputs")
    assert (
        list(forked)
        == list(serial)
        == [
            *OUTPUT_FILES,
            *(n for n in DATAPACKAGE_FILES if n != "datapackage/changes.csv"),
        ]
    )
    assert forked == serial


def test_tables_have_formulas_with_cached_values(tmp_path):
    import python_calamine as pc

    write_year(tmp_path)
    run(tmp_path)
    path = tmp_path / "outputs" / "2017" / "tables.xlsx"
    ws = openpyxl.load_workbook(path)["四(一) 政府信息公开申请渠道"]
    assert ws["D3"].value == "=C3/C$7"
    assert ws["C7"].value == "=SUM(C3:C6)"
    assert ws["E3"].value == "25.0%"
    grid = (
        pc.CalamineWorkbook.from_path(str(path)).get_sheet_by_name(ws.title).to_python()
    )
    assert grid[2][3] == 0.25  # the cached value a viewer shows without recalculating
    assert grid[6][2] == 48


def test_errors_block_and_leave_previous_outputs(tmp_path):
    write_year(tmp_path)
    run(tmp_path)
    before = digest(tmp_path / "outputs" / "2017")
    # A workbook becomes unreadable (a sync tool truncated it): nothing is written.
    broken = tmp_path / "inputs" / "2017" / "D2.xlsx"
    broken.write_bytes(broken.read_bytes()[:500])
    result = run(tmp_path)
    assert result.exit_code == 1
    assert "file-unreadable" in result.stdout
    assert "汇总未进行" in result.stdout
    assert digest(tmp_path / "outputs" / "2017") == before


def test_partial_compiles_valid_units_and_says_so(tmp_path):
    write_year(tmp_path, values={"D2": {"sq.received": 99}})
    (tmp_path / "inputs" / "2017" / "C1.xlsx").unlink()
    result = run(tmp_path, "--partial")
    # Issue 16: a partial compile that published exits 0, with what it left out.
    assert result.exit_code == 0
    assert result.stderr == (
        "govstats：部分汇总已写出，2 个单位未纳入汇总（2 个错误，1 个警告）。\n"
    )
    out = tmp_path / "outputs" / "2017"
    figures = json.loads((out / "figures.json").read_text(encoding="utf-8"))
    assert figures["partial"] is True
    assert figures["excluded"] == ["某市教育局", "某县人民政府"]
    assert figures["city"]["sq.received"] == 24
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "以下单位未纳入本次汇总：某市教育局、某县人民政府" in report
    wb = openpyxl.load_workbook(out / "tables.xlsx")
    assert wb.worksheets[0]["A2"].value == "部分汇总：未纳入 某市教育局、某县人民政府"
    validation = json.loads((out / "validation.json").read_text(encoding="utf-8"))
    assert [p["code"] for p in validation["files"][0]["problems"]] == [
        "unit-not-submitted"
    ]


def test_roster_problems_block(tmp_path):
    folder = write_year(tmp_path)
    wb = build_template(FMT, 2017, "X9", "不在名册的单位", values=consistent_values())
    write_workbook(wb, folder / "X9.xlsx")
    wb = build_template(FMT, 2017, "D1", "某市财政局", values=consistent_values())
    write_workbook(wb, folder / "D1-copy.xlsx")
    result = run(tmp_path, "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    codes = [p["code"] for f in data["validation"]["files"] for p in f["problems"]]
    assert codes == ["unit-duplicate", "unit-not-in-roster"]
    assert data["compiled"] is False
    assert not (tmp_path / "outputs" / "2017").exists()


def test_missing_roster_is_a_usage_error(tmp_path):
    (tmp_path / "inputs" / "2017").mkdir(parents=True)
    result = run(tmp_path)
    assert result.exit_code == 2
    assert "units.csv" in result.stderr


@pytest.mark.parametrize(
    ("rounding", "printed"), [("half-up", "6.3%"), ("half-even", "6.2%")]
)
def test_rounding_option(tmp_path, rounding, printed):
    # 1 of 16 requests in person: exactly 6.25 %.
    values = {
        "sq.received": 16,
        "sq.ch.in_person": 1,
        "sq.ch.fax": 0,
        "sq.ch.online": 15,
        "sq.ch.letter": 0,
        "sq.answered": 16,
        "sq.out.already_public": 6,
    }
    write_year(tmp_path, units=ROSTER[:1], values={"G": values})
    assert run(tmp_path, "--rounding", rounding).exit_code == 0
    report = (tmp_path / "outputs" / "2017" / "report.md").read_text(encoding="utf-8")
    assert f"当面申请1件，占{printed}" in report


def test_summary_validates_and_rolls_up(tmp_path):
    # A county compiles its departments; the city takes the county's summary.
    county = tmp_path / "county"
    county_units = [
        ("430281", "醴陵市人民政府", "市本级", "市政府"),
        ("430281-01", "醴陵市财政局", "市本级", "市政府工作部门"),
        ("430281-02", "醴陵市教育局", "市本级", "市政府工作部门"),
    ]
    extra = {"430281-02": {"fy.complaints": 3, "sf.fees": Decimal("12.50")}}
    write_year(county, units=county_units, values=extra)
    assert compile_year(2017, county / "inputs", county / "outputs").compiled
    summary = county / "outputs" / "2017" / "summary.xlsx"
    report = validate_workbooks([summary], year=2017).report
    assert report.valid and report.problems == []

    city_units = [
        ROSTER[0],
        ROSTER[1],
        ("430281", "醴陵市人民政府", "县市区", "县市区政府"),
    ]
    via_summary = tmp_path / "via-summary"
    folder = write_year(via_summary, units=city_units[:2])
    (folder / "units.csv").write_text(
        "单位代码,单位名称,层级,类别\n"
        + "\n".join(",".join(u) for u in city_units)
        + "\n",
        encoding="utf-8",
    )
    (folder / "430281.xlsx").write_bytes(summary.read_bytes())
    direct = tmp_path / "direct"
    write_year(
        direct,
        units=city_units[:2]
        + [(c, n, "县市区", "县市区政府") for c, n, *_ in county_units],
        values=extra,
    )
    a = compile_year(2017, via_summary / "inputs", via_summary / "outputs")
    b = compile_year(2017, direct / "inputs", direct / "outputs")
    assert a.figures is not None and b.figures is not None
    assert a.figures.city == b.figures.city
    assert a.figures.city["sf.fees"] == Decimal("12.50")
    assert a.figures.value("sq.received", "层级=县市区") == 36


def test_lock_refuses_a_second_compile(tmp_path):
    from govstats.core.lock import exclusive

    write_year(tmp_path)
    (tmp_path / "outputs").mkdir()
    with exclusive(tmp_path / "outputs" / ".2017.lock"):
        result = run(tmp_path)
    assert result.exit_code == 2
    assert "正在被另一次汇总写入" in result.stderr


def test_figures_json_written_unit_by_unit_is_json_dumps():
    # figures.json is encoded a unit at a time to bound memory (issue 5): the
    # bytes must be those of encoding the whole document at once.
    from govstats.publish.figures_json import figures_json, json_bytes, json_pieces

    unit = {
        "code": 'A"1',
        "name": "某\n局\\ \x00units",
        "values": {"zd.total": 3, "sf.fees": "1.50"},
        "empty": {},
        "list": [],
    }
    data = {"format": "gk2008", "units": [unit, {**unit, "code": "B"}], "inputs": {}}
    assert figures_json(data) == json_bytes(data)
    assert figures_json({**data, "units": []}) == json_bytes({**data, "units": []})
    # Many units go in several pieces (issue 18), each unit whole.
    many = {**data, "units": [{**unit, "code": f"U{i}"} for i in range(2000)]}
    pieces = list(json_pieces({**many, "units": iter(many["units"])}, "units"))
    assert len(pieces) > 2 and b"".join(pieces) == json_bytes(many)
    # validation.json's files hold lists of problems.
    files = [{"path": "a.xlsx", "problems": [{"code": "x", "row": 3}]}, {"path": "b"}]
    report = {"valid": False, "stats": {"files": 2}, "files": files}
    assert b"".join(json_pieces(report, "files")) == json_bytes(report)
    # A value that holds the marker itself falls back to encoding at once.
    marked = {**data, "government": "\x00units"}
    assert figures_json(marked) == json_bytes(marked)
    # The units come one at a time from figures_dict: the same bytes.
    for whole in (data, marked):
        once = {**whole, "units": iter(whole["units"])}
        assert figures_json(once) == json_bytes(whole)


_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.text(max_size=8),
    st.decimals(allow_nan=False, allow_infinity=False, places=2).map(str),
)
_objects = st.recursive(
    st.dictionaries(st.text(max_size=6), _scalars, max_size=5),
    lambda inner: st.dictionaries(
        st.text(max_size=6), _scalars | inner | st.lists(_scalars), max_size=5
    ),
    max_leaves=20,
)


@given(_objects, st.integers(min_value=0, max_value=3))
def test_indented_is_json_dumps_with_indent(obj, level):
    # figures.json's unit blocks go through the C encoder with the indentation in
    # its separators (issue 5): the text must be json.dumps(indent=2)'s.
    from govstats.publish.figures_json import _indented

    expected = json.dumps(obj, ensure_ascii=False, indent=2)
    assert _indented(obj, level) == expected.replace("\n", "\n" + "  " * level)


def test_templates_are_compiled_while_the_workbooks_are_read(tmp_path, monkeypatch):
    """_prepare (run while workers read) leaves the report's templates compiled
    for the compile's tail; a broken custom template is left to raise there."""
    import jinja2

    from govstats import pipeline
    from govstats.publish.environment import report_environment

    report_environment.cache_clear()
    pipeline._prepare(None, "gk2008")

    def no_parsing(*args: object) -> None:
        raise AssertionError("compiled again")

    env = report_environment(None)
    monkeypatch.setattr(jinja2.Environment, "_parse", no_parsing)
    for name in ("report.html.j2", "report.md.j2"):
        assert env.get_template(f"gk2008/{name}").render is not None
    monkeypatch.undo()
    broken = tmp_path / "gk2008"
    broken.mkdir()
    (broken / "report.md.j2").write_text("{% if %}", encoding="utf-8")
    pipeline._prepare(tmp_path, "gk2008")
    with pytest.raises(jinja2.TemplateSyntaxError):
        report_environment(tmp_path).get_template("gk2008/report.md.j2")


def test_a_document_made_ahead_gives_the_same_report_docx():
    """word.prepare() makes the blank document while the workers read; the report
    built from it is the one built from a document made on the spot."""
    from govstats.publish import report_docx as word

    html = "<html><head><title>t</title></head><body><main><h1>标题</h1><p>正文</p></main></body></html>"
    word._BLANK.clear()
    word.prepare()
    word.prepare()  # one is enough
    assert len(word._BLANK) == 1
    ahead = word.html_docx(html)
    assert word._BLANK == []
    assert word.html_docx(html) == ahead


def test_a_year_without_inputs_is_refused_and_leaves_no_outputs(tmp_path):
    """A mistyped year: file-not-found, and no outputs folder nor lock made."""
    from govstats.core.problems import GovstatsError

    (tmp_path / "inputs").mkdir()
    with pytest.raises(GovstatsError) as refused:
        compile_year(2071, tmp_path / "inputs", tmp_path / "outputs")
    assert refused.value.problem.code == "file-not-found"
    assert refused.value.problem.file == str(tmp_path / "inputs" / "2071")
    assert not (tmp_path / "outputs").exists()
    result = runner.invoke(
        app, ["compile", "2071", "--inputs", str(tmp_path / "inputs")]
    )
    assert result.exit_code == 2
    assert "2071" in result.stderr


def test_a_partial_compile_with_no_valid_unit_exits_as_invalid_data(tmp_path):
    # Issue 13: the exit code comes from the problem's category. No valid unit
    # is a fault of the inputs (data: 1), not of the command (usage or file: 2).
    write_year(tmp_path, units=ROSTER[:1], values={"G": {"sq.received": 99}})
    result = run(tmp_path, "--partial")
    assert result.exit_code == 1
    assert "没有通过校验的工作簿，无法汇总" in result.stderr
    assert not (tmp_path / "outputs" / "2017").exists()
    (tmp_path / "inputs" / "2017" / "units.csv").unlink()
    assert run(tmp_path).exit_code == 2  # a file that is missing


def test_a_csv_made_in_pieces_is_the_csv_made_at_once():
    import csv
    import io

    from govstats.publish.datapackage import _csv_pieces

    header = ["unit_code", "名称", "x"]
    rows = [[f"S{i:06d}", f"单位,“{i}”\n", str(i * 7)] for i in range(5000)]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    pieces = list(_csv_pieces(header, lambda: iter(rows)))
    assert len(pieces) > 2  # more than 64 kB: several pieces
    assert b"".join(pieces) == buf.getvalue().encode()
