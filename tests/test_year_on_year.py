"""Year on year and open data (issue 19) on the shipped demo years 2024 and 2025.

2025 compiled after 2024 states how each figure the format compares moved; without
2024 nothing is said. The data package of every compile validates with frictionless;
`govstats trend` reads the packages back; the audits find an edited change.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govstats.actions import audit_outputs, audit_text, compile_year, trend
from govstats.cli import app

ROOT = Path(__file__).parents[1]
GOLDEN = Path(__file__).parent / "golden" / "compile-2025"

SENTENCE = (
    "与2024年相比，新收政府信息公开申请173件，比上年增加38件，增长28.1%；"
    "办结政府信息公开申请176件，比上年增加46件，增长35.4%；"
    "政府信息公开行政复议12件，比上年减少2件，下降14.3%；"
    "政府信息公开行政诉讼5件，比上年增加4件，增长400.0%；"
    "制发行政规范性文件22件，与上年持平。"
)


def _inputs(root: Path, *years: int) -> Path:
    for year in years:
        shutil.copytree(ROOT / "inputs" / str(year), root / "inputs" / str(year))
    return root


@pytest.fixture(scope="module")
def two_years(tmp_path_factory) -> Path:
    """A folder with inputs/ and outputs/ of 2024 and then 2025 compiled."""
    root = _inputs(tmp_path_factory.mktemp("years"), 2024, 2025)
    for year in (2024, 2025):
        result = compile_year(year, root / "inputs", root / "outputs")
        assert result.compiled and result.report.stats["warnings"] == 0
    return root


def test_report_states_the_changes(two_years):
    out = two_years / "outputs" / "2025"
    assert SENTENCE in (out / "report.md").read_text(encoding="utf-8")
    html = (out / "report.html").read_text(encoding="utf-8")
    assert f"<p>{SENTENCE}</p>" in html
    # The two-year chart: last year's bar, then this year's, per figure charted.
    assert 'data-chart="years" data-bars="8"' in html
    assert (
        "新收政府信息公开申请（2024年）135件；新收政府信息公开申请（2025年）173件"
        in html
    )


def test_figures_json_records_both_years(two_years):
    figures = json.loads(
        (two_years / "outputs" / "2025" / "figures.json").read_text(encoding="utf-8")
    )
    yoy = figures["year_on_year"]
    assert yoy["previous"]["year"] == 2024
    # Named from outputs/2025/, so that the outputs folder can move.
    assert yoy["previous"]["file"] == "../2024/figures.json"
    assert yoy["previous"]["given"] is False
    review = yoy["changes"]["t4.review.total"]
    assert (review["previous"], review["current"], review["difference"]) == (14, 12, -2)
    assert (review["value"], review["printed"], review["direction"]) == (
        "-14.3",
        "14.3%",
        "减少",
    )
    assert list(yoy["changes"]) == [
        "t3.new.total",
        "t3.r.total.total",
        "t4.review.total",
        "t4.suit.total",
        "zd.normative.issued",
    ]


def test_without_last_year_nothing_is_said(tmp_path):
    root = _inputs(tmp_path, 2025)
    result = compile_year(2025, root / "inputs", root / "outputs")
    out = root / "outputs" / "2025"
    assert result.compiled
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "与上年比较" not in report and "比上年" not in report
    assert "year_on_year" not in (out / "figures.json").read_text(encoding="utf-8")
    assert not (out / "datapackage" / "changes.csv").exists()
    # Byte for byte the golden files (2024 compiled first) without the year-on-year
    # paragraph and chart: nothing else of the report depends on last year.
    golden_md = (GOLDEN / "report.md").read_text(encoding="utf-8")
    assert golden_md.replace(f"### 与上年比较\n\n{SENTENCE}\n\n", "") == report
    golden_html = (GOLDEN / "report.html").read_text(encoding="utf-8")
    start = golden_html.index('\n<section id="s1-years">')
    end = golden_html.index("</section>", start) + len("</section>")
    html = (out / "report.html").read_text(encoding="utf-8")
    assert golden_html[:start] + golden_html[end:] == html


def test_previous_summary_workbook_gives_the_same_sentences(two_years, tmp_path):
    # issue 19: --previous with last year's summary.xlsx, as govstats writes it.
    root = _inputs(tmp_path, 2025)
    summary = two_years / "outputs" / "2024" / "summary.xlsx"
    result = compile_year(2025, root / "inputs", root / "outputs", previous=summary)
    assert result.report.stats["warnings"] == 0
    report = (root / "outputs" / "2025" / "report.md").read_text(encoding="utf-8")
    assert SENTENCE in report


def test_previous_from_zero_and_carry_over_mismatch(two_years, tmp_path):
    # Last year's figures.json edited: no suit in 2024, and 3 requests carried
    # out where 2025 carries in 11: the increase from 0 has no percentage, and
    # the sums' cross-year check warns (prior-year-total-mismatch).
    data = json.loads(
        (two_years / "outputs" / "2024" / "figures.json").read_text(encoding="utf-8")
    )
    data["city"]["t4.suit.total"] = 0
    data["city"]["t3.carried_out.total"] = 3
    previous = tmp_path / "figures-2024.json"
    previous.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    root = _inputs(tmp_path, 2025)
    result = compile_year(2025, root / "inputs", root / "outputs", previous=previous)
    report = (root / "outputs" / "2025" / "report.md").read_text(encoding="utf-8")
    assert "政府信息公开行政诉讼5件，比上年增加5件；" in report
    assert result.report.flatten(
        ["code", "file", "indicator", "found", "expected"]
    ) == [
        [
            "prior-year-total-mismatch",
            str(previous),
            "t3.carried_in.total",
            "11",
            "3",
        ]
    ]
    problem = result.report.errors + result.report.warnings
    assert problem[0].message("zh") == (
        "本年汇总的“二、上年结转政府信息公开申请数量（总计）”为 11，但2024年报告的"
        "“四、结转下年度继续办理（总计）”为 3，两年报告不衔接，请核实。"
    )


def test_previous_of_another_year_is_refused(two_years, tmp_path):
    from govstats.core.problems import GovstatsError

    root = _inputs(tmp_path, 2025)
    with pytest.raises(GovstatsError) as caught:
        compile_year(
            2025,
            root / "inputs",
            root / "outputs",
            previous=two_years / "outputs" / "2025" / "figures.json",
        )
    assert [p.code for p in caught.value.problems] == ["year-mismatch"]


# Audits


def test_audit_finds_an_edited_change(two_years, tmp_path):
    root = tmp_path / "copy"
    shutil.copytree(two_years, root)
    assert audit_outputs(2025, root / "inputs", root / "outputs").valid
    report = root / "outputs" / "2025" / "report.md"
    report.write_text(
        report.read_text(encoding="utf-8").replace("增长28.1%", "增长28.7%"),
        encoding="utf-8",
    )
    found = audit_outputs(2025, root / "inputs", root / "outputs")
    assert [(c.code, c.claimed, c.recomputed) for c in found.errors] == [
        ("output-edited", "28.7%", "28.1%")
    ]


def test_audit_finds_an_edited_figure_of_the_open_data(two_years, tmp_path):
    root = tmp_path / "copy"
    shutil.copytree(two_years, root)
    csv_path = root / "outputs" / "2025" / "datapackage" / "groups.csv"
    lines = csv_path.read_text(encoding="utf-8").splitlines(keepends=True)
    cells = lines[1].split(",")
    at = next(
        i for i, c in enumerate(cells) if c.strip().isdigit() and c.strip() != "0"
    )
    was = cells[at].strip()
    cells[at] = str(int(was) + 2) + cells[at][len(cells[at].rstrip()) :]
    lines[1] = ",".join(cells)
    csv_path.write_text("".join(lines), encoding="utf-8")
    found = audit_outputs(2025, root / "inputs", root / "outputs")
    assert [(c.code, c.where.file, c.where.line) for c in found.errors] == [
        ("output-edited", str(csv_path), 2)
    ]
    assert [(c.claimed, c.recomputed) for c in found.errors] == [
        (str(int(was) + 2), was)
    ]


def test_audit_text_checks_the_changes(two_years, tmp_path):
    text = (two_years / "outputs" / "2025" / "report.md").read_text(encoding="utf-8")
    path = tmp_path / "report.md"
    path.write_text(text, encoding="utf-8")
    right = audit_text(path, explain=True)
    assert right.valid
    changes = [c for c in right.checks if c.kind == "change"]
    assert [(c.status, c.claimed) for c in changes] == [
        ("right", "28.1%"),
        ("right", "35.4%"),
        ("right", "14.3%"),
        ("right", "400.0%"),
    ]
    path.write_text(text.replace("增长35.4%", "增长35.6%"), encoding="utf-8")
    wrong = audit_text(path)
    assert [(c.code, c.claimed, c.recomputed) for c in wrong.errors] == [
        ("change-mismatch", "35.6%", "35.4%")
    ]


def test_audit_after_last_year_recompiled(two_years, tmp_path):
    # 2024's figures.json changed after 2025 was compiled: 2025's statements are
    # outdated, told with the file, never as edited.
    root = tmp_path / "copy"
    shutil.copytree(two_years, root)
    last = root / "outputs" / "2024" / "figures.json"
    data = json.loads(last.read_text(encoding="utf-8"))
    data["city"]["t4.review.total"] = 15
    last.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    found = audit_outputs(2025, root / "inputs", root / "outputs")
    codes = {c.code for c in found.errors}
    assert "input-changed" in codes and "output-edited" not in codes


# Open data


def test_datapackage_validates_with_frictionless(two_years):
    frictionless = pytest.importorskip("frictionless")
    for year in (2024, 2025):
        path = two_years / "outputs" / str(year) / "datapackage" / "datapackage.json"
        report = frictionless.validate(str(path))
        assert report.valid, report.flatten(["type", "note"])
        assert [t.name for t in report.tasks] == (
            ["figures", "groups", "percentages", "units"]
            if year == 2024
            else ["figures", "groups", "percentages", "changes", "units"]
        )


def test_datapackage_is_the_same_bytes_twice(two_years, tmp_path):
    root = _inputs(tmp_path, 2024)
    compile_year(2024, root / "inputs", root / "outputs")
    ours = root / "outputs" / "2024" / "datapackage"
    theirs = two_years / "outputs" / "2024" / "datapackage"
    assert sorted(p.name for p in ours.iterdir()) == sorted(
        p.name for p in theirs.iterdir()
    )
    for path in ours.iterdir():
        assert path.read_bytes() == (theirs / path.name).read_bytes(), path.name


# Trend

TREND_HEAD = """\
指标代码                                  2024      2025  指标
zd.rules.issued                              0         0  规章（本年制发件数）
zd.rules.repealed                            0         0  规章（本年废止件数）
zd.rules.in_force                            0         0  规章（现行有效件数）
zd.normative.issued                         22        22  行政规范性文件（本年制发件数）
zd.normative.repealed                        6         8  行政规范性文件（本年废止件数）
zd.normative.in_force                      134       148  行政规范性文件（现行有效件数）
zd.license                               10148     11061  行政许可（本年处理决定数量）
zd.penalty                               15756     17177  行政处罚（本年处理决定数量）
zd.coercion                                488       529  行政强制（本年处理决定数量）
zd.fees_10k_yuan                      587.3367  640.7310  行政事业性收费（本年收费金额（单位：万元））
"""


def test_trend_text(two_years):
    runner = CliRunner()
    result = runner.invoke(
        app, ["trend", "2023", "2025", "--outputs", str(two_years / "outputs")]
    )
    assert result.exit_code == 0
    assert result.stdout.startswith(TREND_HEAD)
    assert "t3.new.total                               135       173" in result.stdout
    assert result.stderr == (
        "govstats：以下年度未汇总（没有 outputs/<年度>/datapackage/），未列出：2023\n"
    )


def test_trend_csv_and_json(two_years):
    runner = CliRunner()
    outputs = str(two_years / "outputs")
    csv_out = runner.invoke(
        app, ["trend", "2024", "2025", "--outputs", outputs, "--format", "csv"]
    )
    assert csv_out.exit_code == 0
    lines = csv_out.stdout.splitlines()
    assert lines[:3] == [
        "指标代码,指标,2024,2025",
        "zd.rules.issued,规章（本年制发件数）,0,0",
        "zd.rules.repealed,规章（本年废止件数）,0,0",
    ]
    assert (
        "zd.fees_10k_yuan,行政事业性收费（本年收费金额（单位：万元））,587.3367,640.7310"
        in lines
    )
    json_out = runner.invoke(
        app, ["trend", "2024", "2025", "--outputs", outputs, "--format", "json"]
    )
    assert json_out.exit_code == 0
    data = json.loads(json_out.stdout)
    # Parity: the JSON is the library's result as data.
    assert data == trend(2024, 2025, outputs).to_dict()
    by_code = {f["code"]: f for f in data["figures"]}
    assert by_code["t3.new.total"]["values"] == {"2024": 135, "2025": 173}
    assert by_code["zd.fees_10k_yuan"]["values"] == {
        "2024": "587.3367",
        "2025": "640.7310",
    }
    assert data["years"] == [2024, 2025] and data["missing"] == []


def test_trend_without_any_year(tmp_path):
    result = CliRunner().invoke(
        app, ["trend", "2010", "2011", "--outputs", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"govstats: {tmp_path}/2010: “{tmp_path}/2010”中没有汇总输出（figures.json），"
        "请先运行 govstats compile。\n"
    )
