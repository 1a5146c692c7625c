"""`govstats compile` for gk2021: the national tables, prose, cross-year warnings."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl

from govstats.actions import compile_year
from govstats.core.output import write_workbook
from govstats.formats import load_format
from govstats.publish.template_xlsx import build_template
from tests.gk2021_data import consistent_2021

FMT = load_format("gk2021")
UNITS = [
    ("G", "某县人民政府", "本级", "政府"),
    ("D1", "某县财政局", "本级", "政府工作部门"),
    ("T1", "某镇人民政府", "乡镇（街道）", "乡镇（街道）"),
]


def write_year(root: Path, year: int, changes=None, units=UNITS) -> None:
    folder = root / "inputs" / str(year)
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["单位代码,单位名称,层级,类别", *(",".join(u) for u in units)]
    (folder / "units.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for code, name, *_ in units:
        values = {**consistent_2021(), **(changes or {}).get(code, {})}
        write_workbook(
            build_template(FMT, year, code, name, values=values),
            folder / f"{code}.xlsx",
        )


def test_compile_2025_figures_and_tables(tmp_path):
    write_year(tmp_path, 2025)
    result = compile_year(2025, tmp_path / "inputs", tmp_path / "outputs")
    assert result.compiled and not result.partial
    out = tmp_path / "outputs" / "2025"
    figures = json.loads((out / "figures.json").read_text(encoding="utf-8"))
    assert figures["format"] == "gk2021"
    assert figures["government"] == "某县人民政府"
    city = figures["city"]
    assert city["t3.new.total"] == 48 and city["t3.new.org"] == 12
    assert city["t3.r.deny.total"] == 3  # a derived subtotal, by code
    assert city["t4.suit.total"] == 9
    assert city["zd.fees_10k_yuan"] == "37.0368"
    assert figures["groups"]["层级=乡镇（街道）"]["t3.new.total"] == 16
    assert (
        figures["derived"]["t3.r.public.total/t3.r.total.total"]["printed"] == "43.8%"
    )
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "本年度办理完结48件，其中予以公开21件，占43.8%" in report
    assert "| （七）总计 | 39 | 9 | 0 | 0 | 0 | 0 | 48 |" in report
    # tables.xlsx: the national table with live totals.
    wb = openpyxl.load_workbook(out / "tables.xlsx")
    t3 = wb["三、收到和处理政府信息公开申请情况"]
    assert t3["K8"].value == "=SUM(E8:J8)"  # a row total: T3-ROW
    assert t3["E31"].value == "=SUM(E10:E30)"  # （七）总计 of 自然人: T3-RES
    t4 = wb["四、政府信息公开行政复议、行政诉讼情况"]
    assert t4["G8"].value == "=SUM(C8:F8)"


def test_cross_year_rules_warn(tmp_path):
    write_year(tmp_path, 2024)
    assert compile_year(2024, tmp_path / "inputs", tmp_path / "outputs").compiled
    # 2025 carries in what 2024 carried out (natural 2, business 1), new requests
    # adjusted so that T3-ID holds; only the finance bureau says 5 instead of 2.
    follow_on = {
        "t3.carried_in.natural": 2, "t3.carried_in.business": 1, "t3.carried_in.total": 3,
        "t3.new.natural": 13, "t3.new.business": 3, "t3.new.total": 16,
        "zd.normative.in_force": 45,  # 41 + 6 issued - 2 repealed
    }  # fmt: skip
    changes = {code: dict(follow_on) for code, *_ in UNITS}
    changes["D1"].update(
        {
            "t3.carried_in.natural": 5,
            "t3.carried_in.total": 6,
            "t3.new.natural": 10,
            "t3.new.total": 13,
        }  # fmt: skip
    )
    write_year(tmp_path, 2025, changes)
    result = compile_year(2025, tmp_path / "inputs", tmp_path / "outputs")
    assert result.compiled
    warnings = [
        (p.file.rsplit("/", 1)[-1], p.code, p.rule, p.indicator, p.found, p.expected)
        for p in result.report.problems
    ]
    assert warnings == [
        (
            "D1.xlsx",
            "prior-year-mismatch",
            "T3-CARRY",
            "t3.carried_in.natural",
            "5",
            "2",
        ),
        ("D1.xlsx", "prior-year-mismatch", "T3-CARRY", "t3.carried_in.total", "6", "3"),
        # The sums too: 2025's report carries in 3 more than 2024's carried out
        # (issue 19).
        (
            "figures.json",
            "prior-year-total-mismatch",
            "T3-CARRY",
            "t3.carried_in.natural",
            "9",
            "6",
        ),
        (
            "figures.json",
            "prior-year-total-mismatch",
            "T3-CARRY",
            "t3.carried_in.total",
            "12",
            "9",
        ),
    ]
    p = result.report.problems[0]
    assert p.severity == "warning"
    assert "上年四、结转下年度继续办理（自然人）" in p.message()


def test_cross_year_rules_skipped_without_last_year(tmp_path):
    write_year(tmp_path, 2025)
    result = compile_year(2025, tmp_path / "inputs", tmp_path / "outputs")
    assert result.report.problems == []


def test_compile_2020_with_the_trial_format(tmp_path):
    fmt = load_format("gk2019")
    folder = tmp_path / "inputs" / "2020"
    folder.mkdir(parents=True)
    lines = ["单位代码,单位名称,层级,类别", *(",".join(u) for u in UNITS)]
    (folder / "units.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    base = consistent_2021()
    values = {k: v for k, v in base.items() if not k.startswith("t3.r.other.")}
    for col in (
        "natural",
        "business",
        "research",
        "nonprofit",
        "legal",
        "other",
        "total",
    ):
        values[f"t3.r.other.{col}"] = base[f"t3.r.other.other.{col}"]
    for code, name, *_ in UNITS:
        write_workbook(
            build_template(fmt, 2020, code, name, values=values),
            folder / f"{code}.xlsx",
        )
    result = compile_year(2020, tmp_path / "inputs", tmp_path / "outputs")
    assert result.compiled
    report = (tmp_path / "outputs" / "2020" / "report.md").read_text(encoding="utf-8")
    assert "其他处理3件，占6.3%" in report
    assert "| （六）其他处理 | 3 | 0 | 0 | 0 | 0 | 0 | 3 |" in report
    assert "**第二十条第（九）项**" in report
