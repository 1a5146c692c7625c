"""Contracts of the problem catalogue."""

from __future__ import annotations

import re

import pytest

from govstats.core.locations import column_letter
from govstats.core.problems import LANGS, Problem, catalogue

CODES = list(catalogue())


@pytest.mark.parametrize("code", CODES)
def test_every_code_has_zh_and_en_text(code):
    t = catalogue()[code]
    assert re.fullmatch(r"[a-z]+(-[a-z]+)*", code)
    assert t.category in ("file", "sheet", "row", "cell", "rule", "data", "unchecked")
    # a reason why an audit left a claim unchecked is not a problem
    assert t.severity == ("info" if t.category == "unchecked" else t.severity)
    assert t.severity in ("error", "warning", "info")
    for lang in LANGS:
        assert t.title[lang] and t.description[lang] and t.template[lang]
    # Chinese first: the zh text is in Chinese.
    assert re.search(r"[\u4e00-\u9fff]", t.template["zh"])


@pytest.mark.parametrize("code", CODES)
def test_templates_name_only_known_placeholders(code):
    known = {
        "file",
        "sheet",
        "cell",
        "indicator",
        "label",
        "found",
        "expected",
        "unit",
        "detail",
        "whole_label",
        "other_label",
        "part_label",
        "remark_note",
        "base",
        "change",
        "left",
        "right",
        "part_detail",
        "exact",
        "table",
        "row",
        "column",
        "last_year",
    }
    for lang in LANGS:
        names = set(re.findall(r"{(\w+)}", catalogue()[code].template[lang]))
        assert names <= known


def test_message_fills_placeholders():
    p = Problem.make(
        "negative-value",
        file="a.xlsx",
        sheet="表3",
        row=5,
        column=4,
        indicator="sq.ch.fax",
        found=-1,
        context={"label": "传真申请"},
    )
    assert p.cell == "D5"
    assert p.rule == "negative-value"
    assert p.message() == "“传真申请”不能为负数，实际填写 -1。"
    assert p.message("en") == "'传真申请' cannot be negative; the cell holds -1."


@pytest.mark.parametrize(
    ("col", "letters"), [(1, "A"), (26, "Z"), (27, "AA"), (16384, "XFD")]
)
def test_column_letter(col, letters):
    assert column_letter(col) == letters


def test_errors_doc_is_current():
    from govstats.cli.docs import DOCS, errors_markdown

    assert (DOCS / "errors.md").read_text(encoding="utf-8") == errors_markdown()


def test_cli_doc_is_current():
    from govstats.cli.docs import DOCS, cli_markdown

    assert (DOCS / "cli.md").read_text(encoding="utf-8") == cli_markdown()


def test_public_api_is_lazy():
    import subprocess
    import sys

    code = (
        "import sys, govstats; "
        "assert all(callable(getattr(govstats, n)) for n in govstats.__all__[1:]); "
        "print(sorted(m for m in ('pandas', 'pandera', 'openpyxl') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    # Reaching a function imports actions, which defers pandas and pandera.
    assert out.stdout.strip() == "[]"


def test_problems_come_in_the_order_of_the_workbooks_sheets():
    """By name, 三、 sorts before 二、 and 基本信息 after both: a clerk reads the
    problems in the order of the format's sheets, the file's own first and
    sheets the format does not know last."""
    from govstats.core.results import limit_problems
    from govstats.formats import load_format

    fmt = load_format("gk2021")
    sheets = (fmt.info_sheet, *(t.sheet for t in fmt.tables))
    on = [
        Problem.make("value-blank", file="u.xlsx", sheet=sheet, row=5, column=4)
        for sheet in ["四、政府信息公开行政复议、行政诉讼情况", "另一张", *sheets[:3]]
    ]
    own = Problem.make("file-unreadable", file="u.xlsx", found="x")
    ordered = limit_problems([*on, own], None, sheets)
    assert [p.sheet for p in ordered] == [
        "",
        "基本信息",
        "二、主动公开政府信息情况",
        "三、收到和处理政府信息公开申请情况",
        "四、政府信息公开行政复议、行政诉讼情况",
        "另一张",
    ]
    assert [p.sheet for p in limit_problems(on, None)][:3] == [
        "三、收到和处理政府信息公开申请情况",
        "二、主动公开政府信息情况",
        "另一张",
    ]


def test_a_problem_of_the_data_exits_1_and_any_other_exits_2():
    from govstats.core.problems import GovstatsError

    assert GovstatsError(Problem.make("no-valid-units", file="x")).exit_code == 1
    for code in ("file-not-found", "format-unknown", "compile-locked", "zip-bomb"):
        assert GovstatsError(Problem.make(code)).exit_code == 2


def test_the_reasons_of_an_audit_are_in_the_catalogue_and_are_no_problems():
    from govstats.audit.findings import Check, reason_text
    from govstats.core.locations import Location

    reasons = [c for c, t in catalogue().items() if t.category == "unchecked"]
    assert "base-unknown" in reasons and "not-in-table" in reasons
    assert reason_text("base-unknown", "en").startswith("the base (total)")
    with pytest.raises(ValueError, match="is a reason, not a problem"):
        Problem.make("base-unknown")
    check = Check.make("share", "unchecked", "base-unknown", Location(line=3))
    assert (check.category, check.severity) == ("unchecked", "")
    with pytest.raises(ValueError, match="unknown reason"):
        Check.make("share", "unchecked", "total-mismatch", Location(line=3))


def test_validation_and_audit_report_on_one_model():
    from govstats.audit.findings import AuditReport, Check
    from govstats.core.locations import Location
    from govstats.core.results import FileReport, Report, Results

    problem = Problem.make(
        "total-mismatch", file="a.xlsx", sheet="表3", row=4, column=4
    )
    report = Report([FileReport("a.xlsx", problems=[problem])])
    wrong = Check.make(
        "value",
        "wrong",
        "total-mismatch",
        Location(file="tables.xlsx", sheet="表3", cell="C4"),
        claimed="13",
        recomputed="12",
    )
    audit = AuditReport(subject="outputs/2017", kind="outputs", checks=[wrong])
    for result in (report, audit):
        assert isinstance(result, Results)
        assert (result.valid, result.exit_code, len(result.errors)) == (False, 1, 1)
        assert result.flatten(["code", "where"]) == [
            ["total-mismatch", "表3!D4" if result is report else "表3!C4"]
        ]
    assert report.flatten() == [["total-mismatch", "表3", "D4"]]
    assert audit.flatten() == [["total-mismatch", "表3!C4", "13", "12"]]
    assert problem.where == Location(file="a.xlsx", sheet="表3", cell="D4")


def test_the_words_of_the_interface_are_in_the_catalogue_in_both_languages():
    # Issue 13: every user-facing string in one place. Sections whose English
    # is partial fall back to what click or the Chinese already print.
    from govstats.core.problems import Words, _catalogue_file

    sections = _catalogue_file()["_words"]
    assert set(sections) == {
        "report",
        "compile",
        "audit",
        "command",
        "annotate_headers",
        "annotate_severity",
        "usage",
        "site",
        "help",
        "trend",
    }
    for name in ("report", "compile", "audit", "command", "site", "trend"):
        words = Words(name)
        assert set(words["zh"]) == set(words["en"]), name
        # Chinese first; the site's link to the other language is its own name.
        chinese = [t for k, t in words["zh"].items() if k != "lang_other"]
        assert all(re.search(r"[\u4e00-\u9fff]", t) for t in chinese), name
    headers = Words("annotate_headers")
    assert len(headers["zh"]) == len(headers["en"]) == 8
