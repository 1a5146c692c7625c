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
    assert t.category in ("file", "sheet", "row", "cell", "rule")
    assert t.severity in ("error", "warning")
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
