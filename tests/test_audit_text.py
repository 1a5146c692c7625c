"""`govstats audit --text`: the numeric claims of a report's prose (issue 4)."""

from __future__ import annotations

import html
import io
import json
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from govstats.actions import audit_text
from govstats.audit.claims import read_paragraphs
from govstats.audit.documents import html_document, text_document
from govstats.audit.text import audit_document
from govstats.cli import app
from govstats.core.numbers import quantize

runner = CliRunner()
ROOT = Path(__file__).parents[1]
SEED_DIR = Path(__file__).parent / "fixtures" / "seed"
CLEAN = SEED_DIR / "zhuzhou-2017-report.clean.txt"
RAW = SEED_DIR / "zhuzhou-2017-report.txt"


# The wrong shares of the seed (gk2008.md, "Known errors in the seed"):
# (code, claimed, recomputed, snippet).
SEED_FINDINGS = [
    ["share-mismatch", "70.2%", "70.3%", "资讯信息类16152条,占70.2%"],
    ["share-mismatch", "7.1%", "7.0%", "“不予公开”37件,占7.1%"],
]
KEYS = ("code", "claimed", "recomputed", "snippet")


def audit(text: str, explain: bool = True):
    return audit_document(text_document(text, "t.txt"), explain)


def findings(text: str) -> list[list[str]]:
    return audit(text).flatten(("code", "claimed", "recomputed"))


def statuses(text: str, kind: str) -> list[tuple[str, str]]:
    return [(c.status, c.code) for c in audit(text).checks if c.kind == kind]


# The seed: every wrong share, nothing that is right


def test_seed_findings_are_the_known_wrong_shares():
    report = audit_text(CLEAN)
    assert report.flatten(KEYS) == SEED_FINDINGS
    assert [str(c.where) for c in report.findings] == ["55:150", "67:115"]
    # 55:150 is where "70.2%" starts on line 55.
    line = CLEAN.read_text(encoding="utf-8").splitlines()[54]
    assert line[149:154] == "70.2%"


def test_seed_right_claims_are_confirmed_not_flagged():
    report = audit_text(CLEAN, explain=True)
    right = {(c.kind, c.claimed, c.recomputed) for c in report.by_status("right")}
    # 约占1% for 235/22966 and 占 14% for 3197/22966 are right at 0 decimals; 2.3万
    # is the exact sum of its parts, 22966, at its precision.
    assert ("share", "1%", "1%") in right
    assert ("share", "14%", "14%") in right
    assert ("approximation", "2.3万条", "2.3万条") in right
    assert ("share", "2.1%", "2.1%") in right  # base 22966, not the rounded 23000
    assert ("share", "4.2%", "4.2%") in right  # base 527, not the nearer 87
    assert report.stats == {
        "checked": 26,
        "wrong": 2,
        "note": 0,
        "right": 24,
        "unchecked": 5,
    }
    unchecked = [(c.kind, c.claimed, c.code) for c in report.by_status("unchecked")]
    assert unchecked == [
        ("rate", "100%", "no-counts"),
        ("change", "7.3%", "no-previous"),
        ("rate", "99.2%", "no-counts"),
        ("rate", "89.5%", "no-counts"),
        ("enumeration", "133场", "units-differ"),
    ]


def test_raw_seed_gives_the_same_findings():
    # The raw copy has spam slogans (足球365…bat365…) where the city's name was.
    assert audit_text(RAW).flatten(KEYS) == SEED_FINDINGS


def seed_html() -> str:
    """The seed as a portal would publish it: a paragraph per line, entities,
    figures in spans, and a table of counts."""
    body = []
    for line in CLEAN.read_text(encoding="utf-8").splitlines():
        text = html.escape(line).replace("占 14%", "占&nbsp;14%")
        text = text.replace("16152条", "<span>16152</span>条")
        body.append(f"<p style='text-indent:2em'>{text}</p>")
    return (
        "<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>株洲市2017年报告"
        "</title><style>p {margin:0}</style><script>var n = '占99%';</script>"
        "</head>\n<body><div class='article'>\n"
        + "\n".join(body)
        + "\n<table><tr><th>申请方式</th><th>件数</th></tr>"
        "<tr><td>当面申请</td><td>22</td></tr><tr><td>传真申请</td><td>10</td></tr>"
        "</table>\n</div></body></html>\n"
    )


def test_seed_as_html_gives_the_same_findings(tmp_path):
    page = tmp_path / "report.html"
    page.write_text(seed_html(), encoding="utf-8")
    report = audit_text(page)
    assert report.flatten(KEYS) == SEED_FINDINGS
    # Positions are those of the HTML source: line 58 holds the seed's line 55.
    where = report.findings[0].where
    source_line = seed_html().splitlines()[where.line - 1]
    assert source_line[where.column - 1 :].startswith("70.2%")


def test_html_keeps_table_cells_apart():
    doc = html_document(
        "<table><tr><td>当面申请</td><td>22</td><td>4.2%</td></tr>"
        "<tr><td>网络</td><td>5</td></tr></table><p>共收到&#x31;0件</p>"
    )
    assert doc.text == "当面申请\t22\t4.2%\n网络\t5\n共收到10件"
    source = (
        "<table><tr><td>当面申请</td><td>22</td><td>4.2%</td></tr>"
        "<tr><td>网络</td><td>5</td></tr></table><p>共收到&#x31;0件</p>"
    )
    assert doc == html_document(source)
    assert str(doc.locate(doc.text.index("10件"))) == f"1:{source.index('&#x31;') + 1}"
    assert str(doc.locate(doc.text.index("0件"))) == f"1:{source.index('0件') + 1}"


def seed_pdf() -> bytes:
    """The seed rendered as a PDF with a text layer, wrapped as a layout would."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, pagesize=A4, invariant=1)
    y = 800
    for line in CLEAN.read_text(encoding="utf-8").splitlines():
        for i in range(0, len(line), 38):
            if y < 50:
                pdf.showPage()
                y = 800
            pdf.setFont("STSong-Light", 10)
            pdf.drawString(40, y, line[i : i + 38])
            y -= 14
    pdf.showPage()
    pdf.save()
    return buf.getvalue()


def test_seed_as_pdf_gives_the_same_findings(tmp_path):
    path = tmp_path / "report.pdf"
    path.write_bytes(seed_pdf())
    report = audit_text(path)
    # Lines wrapped by the layout are joined again; quotes are the same.
    assert report.flatten(KEYS) == SEED_FINDINGS
    assert all(c.where.page for c in report.findings)


def test_pdf_without_text_is_a_usage_error(tmp_path):
    from reportlab.pdfgen import canvas

    path = tmp_path / "scan.pdf"
    pdf = canvas.Canvas(str(path), invariant=1)
    pdf.rect(10, 10, 100, 100)
    pdf.save()
    result = runner.invoke(app, ["audit", "--text", str(path)])
    assert result.exit_code == 2
    assert "没有可提取的文字" in result.stderr


def test_compiled_report_md_passes():
    # govstats' own report.md (22966条（约2.3万条）, 占1.0%, a 合计 note) is right.
    report = audit_text(ROOT / "tests" / "golden" / "compile-2017" / "report.md")
    assert report.findings == []
    assert report.stats["right"] >= 25


# Shares, at the printed precision


@pytest.mark.parametrize(
    ("printed", "status", "code"),
    [
        ("4.35%", "right", ""),
        ("4.34%", "wrong", "share-truncated"),  # 35/805 = 4.3478…%
        ("4.3%", "right", ""),
        ("4%", "right", ""),
        ("4.4%", "wrong", "share-mismatch"),
        ("5%", "wrong", "share-mismatch"),
        ("4.36%", "wrong", "share-mismatch"),
    ],
)
def test_share_precision(printed, status, code):
    text = f"共收到申请805件，其中网络申请35件，占{printed}；信函申请770件，占95.7%。"
    assert statuses(text, "share")[0] == (status, code)


def test_truncated_share_message():
    text = "共收到申请805件，其中网络申请35件，占4.34%；信函申请770件，占95.65%。"
    report = audit(text)
    assert report.flatten(("code", "where", "claimed", "recomputed", "snippet")) == [
        ["share-truncated", "1:22", "4.34%", "4.35%", "网络申请35件，占4.34%"]
    ]
    assert report.findings[0].message() == (
        "“网络申请”印为 4.34%，是 35/805 = 4.3478…% 舍去多余小数（截尾）所得；"
        "四舍五入应为 4.35%。"
    )
    assert report.findings[0].message("en") == (
        "'网络申请' is printed as 4.34%: 35/805 = 4.3478…% truncated; "
        "rounded half up it is 4.35%."
    )


def test_exact_half_rounded_to_even_is_a_note_not_an_error():
    # 1/16 = 6.25 % exactly: 6.3 % half up, 6.2 % half to even (GB/T 8170).
    report = audit("共受理16件，其中当面申请1件，占6.2%；网络申请15件，占93.8%。")
    assert report.flatten(("code", "severity", "claimed", "recomputed")) == [
        ["share-half-even", "warning", "6.2%", "6.3%"]
    ]
    assert report.valid
    # 93.75 % cut to 93.7 % is neither: a truncation.
    assert findings("共受理16件，其中当面申请1件，占6.3%；网络申请15件，占93.7%。") == [
        ["share-truncated", "93.7%", "93.8%"]
    ]


def test_share_bases():
    # A named base inside the claim.
    assert findings("当面申请22件，占申请总数527件的7.1%。") == [
        ["share-mismatch", "7.1%", "4.2%"]
    ]
    assert findings("当面申请22件，占申请总数527件的4.2%。") == []
    # A base named by its label.
    text = "共收到申请527件，市本级收到440件，其中当面申请22件，占市本级收到申请的5%。"
    assert statuses(text, "share") == [("right", "")]
    # 占总数的 refers to the enumeration's total; 所占比例为 likewise.
    assert (
        findings(
            "共收到申请100件，其中当面30件，占总数的30%；网络70件，所占比例为70%。"
        )
        == []
    )
    assert findings(
        "共收到申请100件，其中当面30件，占总数的31%；网络70件，所占比例为70%。"
    ) == [["share-mismatch", "31%", "30%"]]


def test_share_without_a_known_base_is_unchecked_not_flagged():
    report = audit("网络申请282件，占53.4%。")
    assert report.findings == []
    assert [(c.kind, c.code) for c in report.by_status("unchecked")] == [
        ("share", "base-unknown")
    ]
    # A share outside an enumeration is confirmed by a stated total, never
    # flagged against a guessed one.
    ok = audit("共受理91526件，其中热线86908件，信箱4618件；当场答复42369件，占46.3%。")
    assert [c.status for c in ok.checks if c.kind == "share"] == ["right"]
    guessed = audit(
        "共受理91526件，其中热线86908件，信箱4618件；当场答复42369件，占47%。"
    )
    assert guessed.findings == []


def test_respectively():
    text = "共收到申请100件，其中当面申请30件、网络申请70件，分别占30%、70%。"
    assert statuses(text, "share") == [("right", ""), ("right", "")]
    text = "共收到申请100件，其中当面申请30件、网络申请70件，分别占30%、72%。"
    assert findings(text) == [["share-mismatch", "72%", "70%"]]


# Enumerations and parts


def test_enumeration_parts_must_add_up():
    assert findings("共收到申请100件，其中当面申请30件，网络申请70件。") == []
    # Parts larger than their whole are always an error (issue 14).
    report = audit("共收到申请100件，其中当面申请30件，网络申请80件。")
    assert report.flatten(("code", "where", "claimed", "recomputed")) == [
        ["total-mismatch", "1:6", "100件", "110"]
    ]
    assert report.findings[0].message() == (
        "“共收到申请”为 100件，但各分项之和为 110（30 + 80）。"
    )


def test_enumeration_ending_with_deng_may_list_some_parts():
    assert findings("共收到申请100件，其中当面申请30件、网络申请60件等。") == []
    assert findings("共收到申请100件，其中当面申请50件、网络申请60件等。") == [
        ["total-mismatch", "100件", "≥ 110"]
    ]


def test_part_larger_than_its_whole():
    assert findings("市本级收到440件(含市政府工作部门398件)。") == []
    report = audit("市本级收到440件（含市政府工作部门498件）。")
    assert report.flatten(("code", "claimed", "recomputed")) == [
        ["subset-exceeds", "498", "440"]
    ]
    assert report.findings[0].message() == (
        "“市政府工作部门”为 498，不能大于“市本级收到”的 440。"
    )
    assert findings("被提起行政诉讼64件，其中，被维持43件。") == []
    assert findings("被提起行政诉讼64件，其中，被维持73件。") == [
        ["subset-exceeds", "73", "64"]
    ]


def test_second_qi_zhong_breaks_down_the_whole_not_the_last_part():
    # 其中 after 县市区87件 lists channels of all 527 (the parts add up to 527).
    text = (
        "共收到申请527件，其中市本级收到440件，县市区收到87件，其中，当面申请22件，"
        "占4.2%；传真申请10件，占1.9%；网络申请282件，占53.5%；信函申请213件，占40.4%。"
    )
    report = audit(text)
    assert report.findings == []
    assert [c.recomputed for c in report.checks if c.kind == "enumeration"] == [
        "527",
        "527",
    ]


def test_enumeration_in_the_next_sentence_and_quoted_labels():
    text = (
        "受理申请527件，已答复527件。其中：“已主动公开”122件，占23.1%；"
        "“不属于行政机关信息、申请信息不存在”405件，占76.9%。"
    )
    assert audit(text).findings == []
    parts = read_paragraphs(text)[0].enumerations[0].parts
    assert [p.quantity.label for p in parts] == [
        "已主动公开",
        "不属于行政机关信息、申请信息不存在",
    ]


def test_semicolon_without_shares_ends_an_enumeration():
    # “…64件，其中…43件；全年…4件” is one part, not 43 + 4.
    assert findings("被提起诉讼64件，其中，被维持43件；全年举报投诉有4件。") == []


def test_a_change_is_not_the_total_of_the_next_enumeration():
    text = "共收到申请527件，比上年增加20件，其中当面申请27件，网络申请500件。"
    assert [c.recomputed for c in audit(text).checks] == ["527"]


def test_units_must_agree():
    report = audit("召开新闻发布会133场，其中负责人出席33次。")
    assert report.findings == []
    assert [c.code for c in report.by_status("unchecked")] == ["units-differ"]


# Rounded figures


def test_rounded_total_against_the_exact_sum_of_its_parts():
    right = "主动公开信息2.3万条。其中，政策类480条，约占2.1%；其他22486条，约占97.9%。"
    assert findings(right) == []
    wrong = "主动公开信息2.4万条。其中，政策类480条，约占2.1%；其他22486条，约占97.9%。"
    report = audit(wrong)
    assert report.flatten(("code", "claimed", "recomputed")) == [
        ["approximation-mismatch", "2.4万条", "2.3万条"]
    ]
    assert report.findings[0].message() == (
        "“主动公开信息”印为约 2.4万条，但精确数为 480 + 22486 = 22966，"
        "按所印精度应为 2.3万条。"
    )


def test_rounded_figure_in_brackets():
    assert findings("公开政府信息22966条（约2.3万条）。") == []
    assert findings("公开政府信息22966条（约2.2万条）。") == [
        ["approximation-mismatch", "2.2万条", "2.3万条"]
    ]


# Rates and changes


def test_rate_with_both_counts():
    assert findings("共收到申请42件，已答复40件，答复率为95.2%。") == []
    assert findings("共收到申请42件，已答复40件，答复率为96.2%。") == [
        ["rate-mismatch", "96.2%", "95.2%"]
    ]
    # Without the counts it is listed, not checked.
    report = audit("共收到申请42件，已全部办结，办结率100%。")
    assert [c.code for c in report.by_status("unchecked")] == ["no-counts"]


def test_change_with_both_years():
    right = "接通来电147435个，去年同期137405个，比去年同期增加7.3%。"
    assert findings(right) == []
    assert findings("接通来电147435个，比去年同期的137405个增加7.5%。") == [
        ["change-mismatch", "7.5%", "7.3%"]
    ]
    assert findings("接通来电147435个，比去年同期的137405个减少7.3%。") == [
        ["change-mismatch", "减少7.3%", "增加7.3%"]
    ]
    # the direction told in the printed verb's own words
    assert findings("接通来电147435个，比去年同期的137405个下降7.3%。") == [
        ["change-mismatch", "下降7.3%", "增长7.3%"]
    ]
    assert findings("接通来电127405个，比去年同期的137405个增长7.3%。") == [
        ["change-mismatch", "增长7.3%", "下降7.3%"]
    ]
    report = audit("接通来电147435个，比去年同期增加7.3%。")
    assert report.findings == []
    assert [c.code for c in report.by_status("unchecked")] == ["no-previous"]


# Placeholders


def test_placeholders():
    text = "全年共收到申请XX件。\n请根据实际情况填写。\n（文字描述）\n网址www.zhuzhou.gov.cn。"
    report = audit(text)
    assert report.flatten(("code", "where", "claimed")) == [
        ["placeholder-left", "1:8", "XX"],
        ["placeholder-left", "2:1", "请根据实际情况填写"],
        ["placeholder-left", "3:1", "（文字描述）"],
    ]
    assert findings("全年共收到申请12件。邮箱zzxx@163.com。") == []


# CLI


def test_cli_prints_each_finding_and_exits_1():
    result = runner.invoke(app, ["audit", "--text", str(CLEAN)])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"✗ {CLEAN}：2 处有误，0 处提示",
        "  错误  55:150  share-mismatch  「资讯信息类16152条,占70.2%」  "
        "“资讯信息类”印为占 70.2%，但 16152/22966 = 70.330…%，四舍五入应为 70.3%。",
        "  错误  67:115  share-mismatch  「“不予公开”37件,占7.1%」  "
        "“不予公开”印为占 7.1%，但 37/527 = 7.020…%，四舍五入应为 7.0%。",
        "共核对 26 处数字表述：24 处无误，2 处有误，0 处提示；5 处未能核对"
        "（使用 --explain 查看）。",
    ]
    assert result.stderr == ""


def test_cli_clean_text_exits_0(tmp_path):
    path = tmp_path / "ok.md"
    path.write_text("共收到申请100件，其中当面30件，占30%；网络70件，占70%。\n")
    result = runner.invoke(app, ["audit", "--text", str(path), "--lang", "en"])
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        f"✓ {path}: 0 wrong, 0 note(s)",
        "Checked 3 numeric claim(s): 3 right, 0 wrong, 0 note(s); 0 not checked.",
    ]


def test_cli_explain_lists_right_and_unchecked(tmp_path):
    path = tmp_path / "r.txt"
    path.write_text(
        "共收到申请100件，其中当面30件，占30%；网络70件，占70%。办结率99%。"
    )
    result = runner.invoke(app, ["audit", "--text", str(path), "--explain"])
    assert result.exit_code == 0
    assert result.stdout.splitlines()[1:] == [
        "核对无误（3 处）：",
        "  ✓  1:6  enumeration  「共收到申请100件，其中当面30件，占30%；网络70件，占70%」  "
        "核对无误：30 + 70 = 100",
        "  ✓  1:20  share  「当面30件，占30%」  核对无误：30/100 = 30%",
        "  ✓  1:31  share  「网络70件，占70%」  核对无误：70/100 = 70%",
        "未能核对（1 处）：",
        "  ?  1:38  rate  「办结率99%」  文中未给出计算该比率的两个数，未核对",
        "共核对 3 处数字表述：3 处无误，0 处有误，0 处提示；1 处未能核对。",
    ]


def test_cli_json_equals_library_result():
    args = ["audit", "--text", str(CLEAN), "--format", "json", "--explain"]
    result = runner.invoke(app, [*args, "--lang", "en"])
    assert result.exit_code == 1
    expected = audit_text(CLEAN, explain=True).to_dict("en")
    assert json.loads(result.stdout) == expected
    assert set(expected) == {
        "subject",
        "kind",
        "valid",
        "stats",
        "findings",
        "right",
        "unchecked",
    }
    first = expected["findings"][0]
    assert first["location"]["line"] == 55 and first["location"]["column"] == 150
    assert first["rule"] == "share: sum of parts"


def test_cli_usage_errors_exit_2(tmp_path):
    assert runner.invoke(app, ["audit"]).exit_code == 2
    both = runner.invoke(app, ["audit", "2017", "--text", "x.txt"])
    assert both.exit_code == 2
    assert both.stderr == (
        "govstats: 请给出要审核的年度（govstats audit 2017）或报告文件"
        "（--text 文件），二者取一。\n"
    )
    missing = runner.invoke(app, ["audit", "--text", str(tmp_path / "no.txt")])
    assert missing.exit_code == 2
    no = tmp_path / "no.txt"
    assert missing.stderr == f"govstats: {no}: 找不到文件“{no}”。\n"


# Prose as real reports word it (issue 14)

WHERE = ("code", "where", "claimed", "recomputed")


def test_qi_zhong_binds_to_the_total_not_to_a_part_it_includes():
    # 12 is included in 820 (包括): the 其中 after the sentence break lists 820.
    text = "答复820件，包括上年结转12件。其中，予以公开530件，部分公开100件，不予公开190件。"
    report = audit(text)
    assert report.findings == []
    assert [(c.kind, c.status, c.recomputed) for c in report.checks] == [
        ("enumeration", "right", "820"),
        ("subset", "right", "≤ 820件"),
    ]
    wrong = text.replace("530件", "540件")
    assert audit(wrong).flatten(WHERE) == [["total-mismatch", "1:3", "820件", "830"]]
    # A single part after the break: a part of 820, never larger than 12.
    assert findings("答复820件，包括上年结转12件。其中，予以公开530件。") == []


def test_bases_stated_before_the_parts():
    right = "已办结的412件中，予以公开300件，占72.8%；不予公开112件，占27.2%。"
    assert statuses(right, "share") == [("right", ""), ("right", "")]
    assert audit(right.replace("72.8%", "73.8%")).flatten(WHERE) == [
        ["share-mismatch", "1:21", "73.8%", "72.8%"]
    ]
    text = "在收到的申请中，涉及民生的60件中，予以公开50件，不予公开20件。"
    assert audit(text).flatten(WHERE) == [["total-mismatch", "1:14", "60件", "70"]]
    named = (
        "主动公开政府信息22966条。\n"
        "在已公开信息当中，政策类480条，占2.1%；其他22486条，占97.9%。"
    )
    report = audit(named)
    assert report.findings == []
    assert [(c.kind, c.status, c.recomputed) for c in report.checks][:1] == [
        ("enumeration", "right", "22966")
    ]
    assert audit(named.replace("2.1%", "2.2%")).flatten(WHERE) == [
        ["share-mismatch", "2:19", "2.2%", "2.1%"]
    ]


def test_a_list_of_shares_after_its_base_sentence_without_qi_zhong():
    text = "共受理申请200件。当面申请30件，占15%；网络申请170件，占85%。"
    assert [c.status for c in audit(text).checks] == ["right", "right", "right"]
    assert audit(text.replace("占85%", "占80%")).flatten(WHERE) == [
        ["share-mismatch", "1:34", "80%", "85%"]
    ]


def test_a_list_goes_on_over_sentences_and_lines():
    sentences = "共受理申请200件，其中当面申请30件，占15%。网络申请170件，占85%。"
    report = audit(sentences)
    assert [(c.kind, c.recomputed) for c in report.checks][0] == ("enumeration", "200")
    assert audit(sentences.replace("170件，占85%", "180件，占90%")).flatten(WHERE) == [
        ["total-mismatch", "1:6", "200件", "210"]
    ]
    lines = (
        "共受理申请200件，其中：\n1. 当面申请30件，占15%；\n2. 网络申请170件，占85%。"
    )
    assert [c.recomputed for c in audit(lines).checks if c.kind == "enumeration"] == [
        "200"
    ]
    assert audit(lines.replace("占85%", "占75%")).flatten(WHERE) == [
        ["share-mismatch", "3:14", "75%", "85%"]
    ]


def test_parts_fewer_than_the_whole_are_not_an_error_unless_said_to_be_all():
    some = "共收到申请100件，其中当面申请30件，网络申请60件。"
    report = audit(some)
    assert report.findings == []
    assert [(c.kind, c.code) for c in report.by_status("unchecked")] == [
        ("enumeration", "parts-not-all")
    ]
    # Shares adding up to 100 %, 分别 or 共计 say the parts are all of it (the
    # shares, of their sum 90, are right: the total is the one error).
    assert audit(
        "共收到申请100件，其中当面申请30件，占33.3%；网络申请60件，占66.7%。"
    ).flatten(WHERE) == [["total-mismatch", "1:6", "100件", "90"]]
    assert audit("共收到申请100件，其中当面申请和网络申请分别为30件、60件。").flatten(
        WHERE
    ) == [["total-mismatch", "1:6", "100件", "90"]]
    assert audit("共收到申请100件，其中当面申请30件、网络申请60件，共计90件。").flatten(
        WHERE
    )[:1] == [["total-mismatch", "1:6", "100件", "90"]]
    # More than the whole is always an error.
    assert audit("共收到申请100件，其中当面申请50件，网络申请60件。").flatten(
        WHERE
    ) == [["total-mismatch", "1:6", "100件", "110"]]


def test_units_that_count_the_same_and_counts_without_their_unit():
    assert findings("共办理行政复议5件，其中维持3宗，纠正2起。") == []
    assert audit("共办理行政复议5件，其中维持3宗，纠正3起。").flatten(WHERE) == [
        ["total-mismatch", "1:8", "5件", "6"]
    ]
    assert findings("共收到申请100，其中当面申请30，网络申请70。") == []
    assert audit("共收到申请100，其中当面申请30，网络申请80。").flatten(WHERE) == [
        ["total-mismatch", "1:6", "100", "110"]
    ]
    # Years, dates, phone numbers are no counts.
    assert audit("2017年1月1日至12月31日，电话:0731-28680652。").checks == []


def test_balances_are_checked():
    report = audit("收到75件、上年结转2件、办结71件、结转6件。")
    assert [(c.kind, c.status) for c in report.checks] == [("balance", "right")]
    wrong = audit("收到75件、上年结转2件、办结71件、结转5件。")
    assert wrong.flatten(WHERE) == [["balance-mismatch", "1:3", "77", "76"]]
    assert wrong.findings[0].message() == (
        "勾稽关系不成立：收到75 + 上年结转2 = 77，但 办结71 + 结转5 = 76。"
    )
    # Without 上年结转 a balance that does not hold may be its omission.
    report = audit("收到75件，办结71件，结转5件。")
    assert report.findings == []
    assert [c.code for c in report.by_status("unchecked")] == ["balance-incomplete"]
    assert [c.status for c in audit("收到75件，办结71件，结转4件。").checks] == [
        "right"
    ]


_LABELS = ["当面申请", "网络申请", "信函申请", "传真申请", "其他形式"]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(1, 5000), min_size=2, max_size=5),
    st.booleans(),
    st.integers(0, 4),
)
def test_random_lists_of_shares_report_exactly_the_planted_error(parts, split, wrong):
    # A total, its parts with their shares (in one sentence or one each), and at
    # most one share printed 1 point off: then exactly one finding, on that share.
    total = sum(parts)
    sep = "。" if split else "；"
    shares = [quantize(Fraction(n * 100, total), 1) for n in parts]
    items = [f"{_LABELS[i]}{n}件，占{{}}%" for i, n in enumerate(parts)]
    text = f"共收到申请{total}件，其中" + sep.join(items) + "。"
    assert audit(text.format(*shares)).findings == []
    if wrong < len(parts):
        shares[wrong] += 1
        found = audit(text.format(*shares)).flatten(("code", "claimed"))
        assert found == [["share-mismatch", f"{shares[wrong]}%"]]


# Text copied from a page whose figures are set apart by its markup


BROKEN = (
    "二、主动公开政府信息情况\n"
    "本区到年底累计主动公开政府信息\n5928\n条，全文电子化率达\n90.3%\n"
    "，其中，本年度新增主动公开政府信息\n2110\n条。其中，政策法规类\n300\n"
    "条，占\n14.2%\n；规划计划类\n1810\n条，占\n{share}\n。\n"
    "三、依申请公开情况\n2017\n年收到申请12件。\n"
)


def test_a_sentence_broken_around_its_figures_is_read_as_one():
    doc = text_document(BROKEN.format(share="85.8%"))
    assert doc.text.split("\n") == [
        "二、主动公开政府信息情况",
        "本区到年底累计主动公开政府信息5928条，全文电子化率达90.3%，其中，本年度新增"
        "主动公开政府信息2110条。其中，政策法规类300条，占14.2%；规划计划类1810条，"
        "占85.8%。",
        "三、依申请公开情况",
        "2017年收到申请12件。",
    ]
    result = audit_document(doc, explain=True)
    assert sorted(
        (c.kind, c.claimed) for c in result.checks if c.status == "right"
    ) == [
        ("enumeration", "2110条"),
        ("share", "14.2%"),
        ("share", "85.8%"),
        ("subset", "2110条"),
    ]
    # each figure keeps its own line and column in the file
    share = next(c for c in result.checks if c.claimed == "85.8%")
    assert (share.where.line, share.where.column) == (15, 1)


def test_a_wrong_share_in_a_broken_sentence_is_found_where_it_is():
    result = audit_document(text_document(BROKEN.format(share="86.8%")))
    assert [(c.code, c.claimed, c.where.line) for c in result.findings] == [
        ("share-mismatch", "86.8%", 15)
    ]
