"""`govstats audit --text` on the tables of a published gk2021 report (issue 7, item 5).

The crafted report (tests/gk2021_report.py) prints consistent_2021()'s figures as a
portal does: HTML with merged headings, or text with a table row per line. Without
errors the audit reports nothing; with one error of each kind it reports each, on
its cell, and nothing else.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govstats.actions import audit_text
from govstats.audit.documents import html_document, text_document
from govstats.audit.labels import LabelIndex, label_key
from govstats.audit.layout import read_tables, stated_year
from govstats.audit.text import audit_document
from govstats.cli import app
from govstats.formats import load_format
from tests.gk2021_data import APPLICANTS, consistent_2021
from tests.gk2021_report import PROSE, report

runner = CliRunner()
ROOT = Path(__file__).parents[1]
REPORT_2025 = ROOT / "tests" / "golden" / "compile-2025" / "report.md"
KEYS = ("code", "rule", "table_row", "table_column", "claimed", "recomputed")


def audit(doc):
    return audit_document(doc, explain=True)


def html_report(values, **kw):
    return html_document(report(values, **kw), "report.html")


def text_report(values, sep="\t", **kw):
    return text_document(report(values, html_page=False, sep=sep, **kw), "report.txt")


def flat(result):
    """Each finding: code, rule, the cell's row and column, claimed, recomputed."""
    return [
        [getattr(c, k) if hasattr(c, k) else getattr(c.where, k) for k in KEYS]
        for c in result.findings
    ]


def hard_rule_count(fmt_id: str = "gk2021") -> int:
    return sum(1 for r in load_format(fmt_id).rules if r.severity == "error")


# The correct report: nothing to report


CORRECT = {
    "html": lambda v: html_report(v),
    "tabs": lambda v: text_report(v),
    "spaces": lambda v: text_report(v, sep=" "),
}


@pytest.mark.parametrize("form", sorted(CORRECT))
def test_correct_report_reports_nothing(form):
    values = consistent_2021()
    doc = CORRECT[form](values)
    tables = read_tables(doc)
    # Every cell of tables 二, 三 and 四 is read, by code.
    assert tables.figures == {k: Decimal(str(v)) for k, v in values.items()}
    result = audit(doc)
    assert result.findings == []
    assert result.by_status("unchecked") == []
    # Every hard rule was evaluated (and held), and every prose figure compared.
    rules = [c for c in result.checks if c.kind == "rule"]
    assert len(rules) == hard_rule_count() and all(c.status == "right" for c in rules)
    prose = [c for c in result.checks if c.kind == "prose"]
    assert len(prose) == 24 and all(c.status == "right" for c in prose)


def test_compiled_2025_report_passes_and_reads_as_figures_json():
    # govstats' own report.md: Markdown tables, headings joined by "·" in one cell,
    # （三）不予公开 1.属于国家秘密 joined in one row heading.
    result = audit_text(REPORT_2025, explain=True)
    assert result.findings == []
    doc = text_document(REPORT_2025.read_text(encoding="utf-8"), str(REPORT_2025))
    tables = read_tables(doc)
    city = json.loads((REPORT_2025.parent / "figures.json").read_text())["city"]
    assert tables.figures == {k: Decimal(str(city[k])) for k in tables.figures}
    assert len(tables.figures) == len(load_format("gk2021").indicators)


def _one_cell_a_line(markdown: str) -> str:
    """The report with each table's cells one a line between | marks, as a page's
    table copied by some browsers and editors comes."""
    out = []
    for line in markdown.splitlines():
        if line.startswith("|---"):
            continue
        if line.startswith("|"):
            out += [f"| {c.strip()} |" for c in line.strip().strip("|").split("|")]
        else:
            out.append(line)
    return "\n".join(out) + "\n"


def test_tables_laid_out_one_cell_a_line_read_as_their_rows():
    text = _one_cell_a_line(REPORT_2025.read_text(encoding="utf-8"))
    doc = text_document(text, "report.md")
    tables = read_tables(doc)
    city = json.loads((REPORT_2025.parent / "figures.json").read_text())["city"]
    assert tables.figures == {
        k: Decimal(str(city[k])) for k in city if k in tables.figures
    }
    assert len(tables.figures) == len(load_format("gk2021").indicators)
    assert audit_document(doc).findings == []
    # 行政复议·总计 of table 四 (12) made 13: found on its own line
    lines = text.split("\n")
    at = max(i for i, line in enumerate(lines) if line == "| 12 |")
    lines[at] = "| 13 |"
    found = audit_document(text_document("\n".join(lines), "report.md")).findings
    assert {(c.where.line, c.where.table_column) for c in found} == {
        (at + 1, "行政复议·总计")
    }


def test_label_variants_are_recognised():
    # Half-width punctuation, 一. for 一、, no quotes, a heading and its label
    # joined in one cell, a label broken across two lines.
    values = consistent_2021()
    labels = {
        "new": "一.本年新收政府信息公开申请数量",
        "r.deny.secret": "1．属于国家秘密",
        "r.deny.safety": "3.危及三安全一稳定",
        "r.partial": "（二）部分公开（区分处理的，只计这一\n情形，不计其他情形）",
        "r.refuse.petition": "(五)不予处理 1.信访举报投诉类申请",
    }
    for doc in (html_report(values, labels=labels), text_report(values, labels=labels)):
        tables = read_tables(doc)
        assert len(tables.figures) == len(values)
        assert audit(doc).findings == []


def test_tables_pasted_as_paragraphs_of_a_page_laid_out_with_tables():
    # A portal page whose layout is a <table>, the report's tables pasted as text.
    import html as html_lib

    values = consistent_2021()
    lines = report(values, html_page=False).splitlines()
    page = (
        "<html><body><table><tr><td>首页</td><td>政府信息公开</td></tr></table>\n"
        + "\n".join(f"<p>{html_lib.escape(line)}</p>" for line in lines)
        + "\n</body></html>\n"
    )
    doc = html_document(page, "page.html")
    assert len(read_tables(doc).figures) == len(values)
    assert audit(doc).findings == []


# One error of each kind


def erroneous_values():
    v = consistent_2021()
    # A row 总计 wrong: 重复申请 prints 2, its columns add up to 1.
    v["t3.r.refuse.repeat.total"] = 2
    # The results of 自然人 and 商业企业 no longer add up to （七）总计 (the row's
    # 总计 stays right: one moved between the two columns).
    v["t3.r.unable.not_held.natural"] = 2
    v["t3.r.unable.not_held.business"] = 2
    # T3-ID broken in 自然人 and 商业企业 (上年结转 moved between them).
    v["t3.carried_in.natural"] = 2
    v["t3.carried_in.business"] = 1
    # 行政复议 总计 0 with parts 2 + 1 + 0 + 1 (the published 2023 defect).
    v["t4.review.total"] = 0
    # A blank cell.
    v["t3.r.deny.secret.research"] = None
    # The 2019 single row （六）其他处理 (its three rows summed).
    for col in (*APPLICANTS, "total"):
        v[f"t3.r.other.{col}"] = sum(
            v[f"t3.r.other.{r}.{col}"] for r in ("no_correction", "no_fee", "other")
        )
    return v


ERRONEOUS = {
    # The prose contradicts the table: 上年结转 5 in the text, 3 in the table.
    "prose": (
        PROSE[0].replace("上年结转政府信息公开申请3件", "上年结转政府信息公开申请5件"),
        PROSE[1],
    ),
    "labels": {"r.deny.law": "2.其他法律行政止公开"},
    "layouts": {"t3": "gk2019"},
}

# A wrong figure of table 三 always breaks two rules: its row's and its column's
# (the rules are linearly dependent: the column rules of the six applicant columns
# add up to the rule of the 总计 column whenever the rows add up). So the wrong
# 重复申请 总计 is reported by T3-ROW on its row and by T3-RES on the 总计 column,
# and each error moved between two columns by the rule of each column.
EXPECTED = [
    ["prose-table-mismatch", "prose = table: t3.carried_in.total", "", "", "5件", "3"],
    ["blank-cell", "a blank is not a zero", "（三）不予公开 1.属于国家秘密", "法人或其他组织·科研机构", "", ""],
    ["label-misspelled", "nearest declared label", "2.其他法律行政止公开", "", "2.其他法律行政止公开", "2.其他法律行政法规禁止公开"],
    ["total-mismatch", "T3-ROW", "（五）不予处理 2.重复申请", "总计", "2", "1"],
    ["layout-outdated", "gk2019 → gk2021", "（六）其他处理", "", "（六）其他处理", "2025"],
    ["total-mismatch", "T3-RES", "（七）总计", "自然人", "13", "12"],
    ["total-mismatch", "T3-RES", "（七）总计", "法人或其他组织·商业企业", "3", "4"],
    ["total-mismatch", "T3-RES", "（七）总计", "总计", "16", "17"],
    ["balance-mismatch", "T3-ID", "四、结转下年度继续办理", "自然人", "14", "15"],
    ["balance-mismatch", "T3-ID", "四、结转下年度继续办理", "法人或其他组织·商业企业", "5", "4"],
    ["total-mismatch", "T4", "本年度", "行政复议·总计", "0", "4"],
]  # fmt: skip


@pytest.mark.parametrize("form", ["html", "tabs"])
def test_each_error_is_reported_once_and_nothing_else(form):
    values = erroneous_values()
    make = html_report if form == "html" else text_report
    result = audit(make(values, **ERRONEOUS))
    assert flat(result) == EXPECTED
    assert [c.severity for c in result.findings] == [
        "error", "error", "warning", "error", "warning",
        "error", "error", "error", "error", "error", "error",
    ]  # fmt: skip
    assert not result.valid
    # The prose agrees with the parts of the wrong 行政复议 总计 (4): the table's
    # own finding says what is wrong, not a second one on the prose.
    review = [c for c in result.checks if c.rule == "prose = table: t4.review.total"]
    assert [(c.status, c.claimed) for c in review] == [("right", "4件")]


def test_findings_are_located_at_their_cells_in_the_html_source():
    source = report(erroneous_values(), **ERRONEOUS)
    result = audit(html_document(source, "report.html"))
    lines = source.splitlines()
    at = {(c.code, c.rule, c.where.table_column): c.where for c in result.findings}

    def printed(where, width):
        return lines[where.line - 1][where.column - 1 :][:width]

    assert printed(at["total-mismatch", "T4", "行政复议·总计"], 1) == "0"
    assert printed(at["total-mismatch", "T3-ROW", "总计"], 1) == "2"
    blank = at["blank-cell", "a blank is not a zero", "法人或其他组织·科研机构"]
    assert printed(blank, 9) == "<td></td>"
    misprint = next(c.where for c in result.findings if c.code == "label-misspelled")
    assert printed(misprint, 11) == "2.其他法律行政止公开"
    mismatch = next(c for c in result.findings if c.code == "prose-table-mismatch")
    assert printed(mismatch.where, 2) == "5件"
    assert mismatch.message() == (
        "文中“上年结转政府信息公开申请”为 5件，但表三中“二、上年结转政府信息公开申请数量（总计）”为 3。"
    )


def test_rule_messages_spell_the_rule_out_like_validation():
    result = audit(html_report(erroneous_values(), **ERRONEOUS))
    t4 = next(c for c in result.findings if c.rule == "T4")
    assert t4.snippet == "表四 本年度 | 行政复议·总计"
    assert t4.message() == (
        "“本年度（行政复议·总计）”为 0，但各分项之和为 4（本年度（行政复议·结果维持） 2"
        " + 本年度（行政复议·结果纠正） 1 + 本年度（行政复议·其他结果） 0"
        " + 本年度（行政复议·尚未审结） 1）。"
    )
    t3id = next(c for c in result.findings if c.rule == "T3-ID")
    assert t3id.message() == (
        "勾稽关系不成立：一、本年新收政府信息公开申请数量（自然人） 12 + "
        "二、上年结转政府信息公开申请数量（自然人） 2 = 14，但 （七）总计（自然人） 13 + "
        "四、结转下年度继续办理（自然人） 2 = 15。"
    )


# The format by year, the older layout


def test_year_is_read_from_the_title_or_the_period():
    assert stated_year("某县人民政府\n2025年政府信息公开工作年度报告") == 2025
    assert (
        stated_year("本报告统计期限自２０２３年１月１日至２０２３年１２月３１日。")
        == 2023
    )
    assert stated_year("共收到申请100件。") is None


def test_2019_layout_in_a_2020_report_is_right():
    # A report for 2020 uses gk2019, whose table 三 has the single row （六）.
    values = erroneous_values()
    ok = consistent_2021()
    for col in (*APPLICANTS, "total"):
        ok[f"t3.r.other.{col}"] = values[f"t3.r.other.{col}"]
    doc = html_report(ok, layouts={"t3": "gk2019"}, year=2020)
    tables = read_tables(doc)
    assert tables.fmt.id == "gk2019" and tables.layouts["t3"].id == "gk2019"
    # (Table 二 is printed in the 2021 layout here: gk2019's 二 has other columns.)
    assert [c.code for c in audit(doc).findings if c.where.table != "二"] == []


def test_table_2_in_the_2019_layout_is_read_in_its_own_codes():
    # gk2019's 二 has other columns, and 行政事业性收费 another code (zd.fees).
    values = consistent_2021()
    old = load_format("gk2019").tables[0]
    values.update({code: 1 for code in old.codes})
    doc = text_report(values, layouts={"t2": "gk2019"})
    tables = read_tables(doc)
    assert {c for c in tables.figures if c.startswith("zd.")} == set(old.codes)
    assert flat(audit(doc)) == [
        ["layout-outdated", "gk2019 → gk2021", "规范性文件", "", "规范性文件", "2025"]
    ]


def test_without_a_year_the_current_format_is_used_and_no_layout_warning():
    values = consistent_2021()
    for col in (*APPLICANTS, "total"):
        values[f"t3.r.other.{col}"] = sum(
            values[f"t3.r.other.{r}.{col}"]
            for r in ("no_correction", "no_fee", "other")
        )
    source = report(values, layouts={"t3": "gk2019"}).replace(
        "2025年政府信息公开工作年度报告", "政府信息公开工作年度报告"
    )
    doc = html_document(source, "r.html")
    tables = read_tables(doc)
    assert tables.year is None and tables.fmt.id == "gk2021"
    assert tables.layouts["t3"].id == "gk2019"
    assert audit(doc).findings == []  # the year is not stated: nothing to warn of


def test_gk2008_reports_have_no_tables_to_read():
    doc = text_document("株洲市人民政府\n2017年政府信息公开工作年度报告\n申请 1 2 3")
    assert read_tables(doc) is None


# Blanks, missing rows, claims that cannot be tied


def test_a_blank_in_space_separated_text_cannot_be_placed():
    values = consistent_2021()
    values["t3.r.public.research"] = None
    result = audit(text_report(values, sep=" "))
    assert flat(result) == [
        ["blank-cell", "a blank is not a zero", "（一）予以公开", "?", "", ""]
    ]


def test_a_dash_is_a_blank_not_a_zero():
    values = consistent_2021()
    values["t4.suit_direct.other"] = "—"
    result = audit(html_report(values))
    assert flat(result) == [
        [
            "blank-cell",
            "a blank is not a zero",
            "本年度",
            "行政诉讼·未经复议直接起诉·其他结果",
            "—",
            "",
        ]
    ]


def test_a_row_not_recognised_is_reported_missing():
    values = consistent_2021()
    result = audit(html_report(values, labels={"r.refuse.mass": "4.其他情形"}))
    assert flat(result) == [
        [
            "table-row-missing",
            "every row of the format",
            "（五）不予处理 4.无正当理由大量反复申请",
            "",
            "",
            "（五）不予处理 4.无正当理由大量反复申请",
        ]
    ]
    assert result.valid  # a note: the rules on that row are not checked


def test_a_prose_figure_the_tables_do_not_give_is_not_checked():
    # The report prints no table 四: its prose figures are listed, not flagged.
    values = consistent_2021()
    source = report(values, html_page=False)
    start = source.index("四、政府信息公开行政复议")
    source = source[:start] + source[source.index("五、存在的主要问题") :]
    result = audit(text_document(source, "r.txt"))
    assert result.findings == []
    unchecked = result.by_status("unchecked")
    assert {c.code for c in unchecked} == {"not-in-table"}
    assert [c.claimed for c in unchecked][:2] == ["4件", "2件"]


def test_a_share_without_a_stated_total_is_checked_on_the_table():
    values = consistent_2021()
    prose = ("本年度予以公开7件，占43.8%；部分公开2件，占12.6%。",)
    result = audit(html_report(values, prose=prose))
    assert [[c.code, c.claimed, c.recomputed, c.rule] for c in result.findings] == [
        ["share-mismatch", "12.6%", "12.5%", "share: table t3.r.total.total"]
    ]
    right = [c for c in result.by_status("right") if c.kind == "share"]
    assert [c.message() for c in right] == ["核对无误：7/16 = 43.8%"]


# Labels


def test_label_key_removes_variants_that_carry_no_meaning():
    assert label_key("（三）不予公开 1．属于国家秘密") == label_key(
        "(三)不予公开1.属于国家秘密"
    )
    assert label_key("一、本年新收") == label_key("一．本年新收")
    assert label_key("3.危及“三安全一稳定”") == label_key("3.危及三安全一稳定")
    assert label_key("（二）部分公开（区分处理的，只计这一\n情形）") == label_key(
        "（二）部分公开（区分处理的，只计这一情形）"
    )


@pytest.mark.parametrize("fmt_id", ["gk2021", "gk2019"])
def test_no_declared_label_is_taken_for_another(fmt_id):
    fmt = load_format(fmt_id)
    for table in fmt.tables:
        for block in table.blocks:
            index = LabelIndex(
                (label_key(r.label), r.label, r.code) for r in block.rows
            )
            for row in block.rows:
                key = label_key(row.label)
                near = index.nearest(key)
                assert near is None or near.value == row.code
                # One character dropped or changed: still this row, or none.
                for i in range(len(key)):
                    for typo in (key[:i] + key[i + 1 :], key[:i] + "止" + key[i + 1 :]):
                        near = index.nearest(typo)
                        assert near is None or near.value == row.code, (typo, near)


# CLI


def test_cli_clean_report_exits_0(tmp_path):
    path = tmp_path / "report.html"
    path.write_text(report(consistent_2021()), encoding="utf-8")
    result = runner.invoke(app, ["audit", "--text", str(path)])
    assert result.exit_code == 0
    assert (
        result.stdout.splitlines()
        == [
            f"✓ {path}：0 处有误，0 处提示",
            "共核对 77 处数字表述：77 处无误，0 处有误，0 处提示；0 处未能核对。",  # with the balance of 一
        ]
    )


def test_cli_prints_the_findings_on_their_cells(tmp_path):
    values = consistent_2021()
    values["t4.review.total"] = 0
    values["t3.r.deny.secret.research"] = None
    path = tmp_path / "report.txt"
    path.write_text(
        report(values, html_page=False, prose=ERRONEOUS["prose"]), encoding="utf-8"
    )
    result = runner.invoke(app, ["audit", "--text", str(path)])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"✗ {path}：3 处有误，0 处提示",
        "  错误  3:60  prose-table-mismatch  「上年结转政府信息公开申请5件」  "
        "文中“上年结转政府信息公开申请”为 5件，但表三中“二、上年结转政府信息公开申请数量（总计）”为 3。",
        "  错误  28:22  blank-cell  「表三 （三）不予公开 1.属于国家秘密 | 法人或其他组织·科研机构」  "
        "表三“（三）不予公开 1.属于国家秘密”行“法人或其他组织·科研机构”列没有数字：空白不等于0，"
        "没有发生的事项应填0；涉及该格的规则未核对。",
        "  错误  53:9  total-mismatch  「表四 本年度 | 行政复议·总计」  "
        "“本年度（行政复议·总计）”为 0，但各分项之和为 4（本年度（行政复议·结果维持） 2 + "
        "本年度（行政复议·结果纠正） 1 + 本年度（行政复议·其他结果） 0 + "
        "本年度（行政复议·尚未审结） 1）。",
        # The balance of 一 uses the wrong 上年结转: it follows from the first
        # finding and is not reported again (issue 14).
        "共核对 75 处数字表述：72 处无误，3 处有误，0 处提示；1 处未能核对（使用 --explain 查看）。",
    ]


def test_cli_json_locates_the_cell(tmp_path):
    path = tmp_path / "report.html"
    path.write_text(report(erroneous_values(), **ERRONEOUS), encoding="utf-8")
    result = runner.invoke(app, ["audit", "--text", str(path), "--format", "json"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data == audit_text(path).to_dict()
    t4 = next(f for f in data["findings"] if f["rule"] == "T4")
    assert {k: t4["location"][k] for k in ("table", "table_row", "table_column")} == {
        "table": "四",
        "table_row": "本年度",
        "table_column": "行政复议·总计",
    }


# Prose figures named by other words, and one finding per changed count (issue 14)


def test_prose_figures_summed_or_named_in_short_words_are_compared():
    values = consistent_2021()  # 新收16, 上年结转3, 办结16, 予以公开7, 部分公开2
    prose = (
        "本年度共受理政府信息公开申请19件，已答复16件，其中予以公开及部分公开9件。"
        "来电当场答复40件。",
    )
    result = audit(html_report(values, prose=prose))
    assert result.findings == []
    compared = [(c.claimed, c.rule) for c in result.checks if c.kind == "prose"]
    assert compared == [
        ("19件", "prose = table: t3.received"),  # 新收 + 上年结转
        ("16件", "prose = table: t3.r.total.total"),
        ("9件", "prose = table: t3.r.disclosed.total"),  # (一) + (二)
    ]  # 当场答复 is not the 答复 of table 三
    wrong = (prose[0].replace("及部分公开9件", "及部分公开10件"),)
    result = audit(html_report(values, prose=wrong))
    assert [[c.code, c.claimed, c.recomputed] for c in result.findings] == [
        ["prose-table-mismatch", "10件", "9"]
    ]
    assert result.findings[0].message() == (
        "文中“予以公开及部分公开”为 10件，但表三中“予以公开及部分公开”为 9。"
    )


def test_a_changed_prose_count_is_one_finding():
    values = consistent_2021()
    changed = (
        PROSE[0].replace("新收政府信息公开申请16件", "新收政府信息公开申请18件"),
    )
    result = audit(html_report(values, prose=changed))
    # The balance (18 + 3 ≠ 16 + 3) follows from it; its parts (12 + 4) fewer
    # than 18 are no error of their own.
    assert [[c.code, c.claimed, c.recomputed] for c in result.findings] == [
        ["prose-table-mismatch", "18件", "16"]
    ]
    assert sorted((c.kind, c.code) for c in result.by_status("unchecked")) == [
        ("balance", "follows-table-mismatch"),
        ("enumeration", "parts-not-all"),
    ]
    # A changed part with its share: one finding as well.
    changed = (PROSE[0].replace("予以公开7件", "予以公开8件"),)
    result = audit(html_report(values, prose=changed))
    assert [[c.code, c.claimed, c.recomputed] for c in result.findings] == [
        ["prose-table-mismatch", "8件", "7"]
    ]
