"""The demo years as golden cases: 2017 (gk2008, the seed) and 2025 (gk2021, with
2024 compiled before it).

Compares whole outputs with reviewed golden files (``tests/golden/compile-<year>``;
regenerate with ``pytest --update-golden`` and review the diff); for 2017 also every
figure of ``shared/spec/zhuzhou-2017-figures.yaml`` with ``figures.json``, and every
number the seed prints in the covered sections with ``report.md``.
"""

from __future__ import annotations

import json
import re
import shutil
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
import yaml

from govstats.actions import compile_year
from govstats.core.numbers import quantize

ROOT = Path(__file__).parents[1]
SHARED = Path(__file__).parent / "fixtures"
FIGURES = SHARED / "spec" / "zhuzhou-2017-figures.yaml"
SEED = SHARED / "seed" / "zhuzhou-2017-report.clean.txt"


def compile_demo(tmp_path_factory, year: int, before: tuple[int, ...] = ()) -> Path:
    """outputs/<year> of the shipped demo inputs, the years ``before`` compiled
    first (as `make demo`-style compiles of them would)."""
    root = tmp_path_factory.mktemp(f"demo{year}")
    for y in (*before, year):
        shutil.copytree(ROOT / "inputs" / str(y), root / "inputs" / str(y))
        result = compile_year(y, root / "inputs", root / "outputs")
        assert result.compiled and not result.partial
        # 2025 follows on from 2024: no cross-year warning (issue 19).
        assert result.report.stats["warnings"] == 0
    return root / "outputs" / str(year)


@pytest.fixture(scope="module")
def compiled(compiled_2017) -> Path:
    """outputs/2017 of the demo inputs (compiled once per session, conftest)."""
    return compiled_2017


@pytest.fixture(scope="module", params=[2017, 2025])
def demo(request, tmp_path_factory) -> Path:
    """outputs/<year> of each shipped demo year, compiled once."""
    if request.param == 2017:
        return request.getfixturevalue("compiled_2017")
    # The 2025 golden files are those of the demo as shipped: 2024 compiled first,
    # so that 2025's report states its year-on-year changes (issue 19); the
    # same year without 2024 is tested in test_year_on_year.py.
    return compile_demo(tmp_path_factory, request.param, before=(2024,))


def dump_xlsx(path: Path) -> str:
    """A workbook as text: every non-empty cell with its formula and cached value."""
    import openpyxl
    import python_calamine as pc

    formulas = openpyxl.load_workbook(path)
    cached = pc.CalamineWorkbook.from_path(str(path))
    lines = []
    for ws in formulas.worksheets:
        lines.append(f"## {ws.title}")
        grid = cached.get_sheet_by_name(ws.title).to_python(skip_empty_area=False)
        for row in ws.iter_rows():
            for cell in row:
                if cell.value is None:
                    continue
                value = grid[cell.row - 1][cell.column - 1]
                shown = repr(cell.value)
                if cell.data_type == "f":
                    shown += f" -> {value!r}"
                lines.append(f"{cell.coordinate}\t{shown}")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    "name",
    ["report.md", "report.html", "figures.json", "validation.json", "validation.md"],
)
def test_text_outputs_match_golden(demo, golden, name):
    text = (demo / name).read_text(encoding="utf-8")
    # Input paths differ per run; the golden files name them from the project root.
    text = text.replace(str(demo.parents[1]) + "/", "")
    golden(f"compile-{demo.name}/{name}", text)


@pytest.mark.parametrize(
    "name",
    [
        "datapackage.json",
        "figures.csv",
        "groups.csv",
        "percentages.csv",
        "changes.csv",
        "units.csv",
    ],
)
def test_datapackage_matches_golden(demo, golden, name):
    # The open data of every compile (issue 19), whole files; 2017 has no
    # changes.csv (gk2008 compares nothing with last year).
    path = demo / "datapackage" / name
    if name == "changes.csv" and demo.name == "2017":
        assert not path.exists()
        return
    golden(f"compile-{demo.name}/datapackage/{name}", path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", ["tables.xlsx", "summary.xlsx"])
def test_workbook_outputs_match_golden(demo, golden, name):
    golden(f"compile-{demo.name}/{name}.txt", dump_xlsx(demo / name))


def test_docx_matches_golden(compiled, golden):
    # A .docx holds a PNG per chart, drawn with the fonts of the machine: the
    # golden file is its text (paragraphs with their styles, tables cell by cell).
    from govstats.publish.report_docx import docx_text

    golden(
        "compile-2017/report.docx.txt",
        docx_text((compiled / "report.docx").read_bytes()),
    )


def test_every_seed_figure_is_in_figures_json(compiled):
    expected = yaml.safe_load(FIGURES.read_text(encoding="utf-8"))
    figures = json.loads((compiled / "figures.json").read_text(encoding="utf-8"))
    assert figures["government"] == expected["government"]
    assert figures["format"] == expected["format"]
    for code, value in expected["city"].items():
        assert Decimal(str(figures["city"][code])) == Decimal(str(value)), code
    for group, values in expected["groups"].items():
        for code, value in values.items():
            assert Decimal(str(figures["groups"][group][code])) == Decimal(str(value))


# Every number the seed prints in a covered section, found in report.md.

# The sentences of the seed that govstats compiles, from a start to an end marker.
SNIPPETS = {
    "一（四）": ("全年市政府共收到依申请公开事项", "回复率达到100%"),
    "一（七）": ("2017年,市长热线共接通来电", "按期办结率89.5%"),
    "二（三）": ("经清理调整", "其他行政权力324项"),
    "三（一）": ("2017年,株洲政府门户网主动公开", "占70.2%"),
    "三（二）": ("我市通过门户网站主动公开", "全年共出版4期"),
    "三（三）": ("以市政府新闻办名义召开", "举办新闻发布会187场"),
    "四（一）": ("共收到政府信息公开申请527件", "占40.4%"),
    "四（二）": ("经审查受理政府信息公开申请527件", "155件,占29.4%"),
    "四（三）": ("属于国家秘密", "政府信息20件"),
    "五、": ("2017年市本级依申请提供政府信息", "未收取任何费用"),
    "六、": ("全市因政府信息公开被申请行政复议", "举报投诉有4件"),
}
# The percentages of each section in the seed's order, as derived figures of ours.
SHARES = {
    "一（四）": ["sq.answered/sq.received@类别=市政府"],
    "一（七）": [
        "(rx.calls-rx.calls_prev)/rx.calls_prev",
        "rx.on_the_spot/rx.accepted",
        "rx.closed/rx.accepted",
        "rx.closed_on_time/rx.accepted",
    ],
    "三（一）": [
        f"zd.{c}/zd.total"
        for c in ("policy", "plan", "org", "notice", "personnel", "interaction", "news")
    ],
    "四（一）": [
        f"sq.ch.{c}/sq.received" for c in ("in_person", "fax", "online", "letter")
    ],
    "四（二）": [
        f"sq.out.{c}/sq.answered"
        for c in ("already_public", "granted", "partial", "denied", "other")
    ],
}
# Where the seed's own arithmetic is wrong: (section, what the seed prints).
SEED_ERRORS = [("三（一）", "70.2%"), ("四（二）", "7.1%")]

NUMBER = re.compile(r"\d+(?:\.\d+)?(?:%|万(?!人次))?")


def _section(report: str, key: str) -> str:
    """The text of report.md under ``## 一、…`` (key ``一、``) or ``### （四）…`` of
    it (key ``一（四）``)."""
    tops = {p[:2]: p for p in re.split(r"^## ", report, flags=re.M)}
    top = tops.get(key[0] + "、", "")
    if key.endswith("、"):
        return top
    subs = [p for p in re.split(r"^### ", top, flags=re.M) if p.startswith(key[1:])]
    return "\n".join(subs)


def test_seed_numbers_appear_in_report(compiled):
    seed = SEED.read_text(encoding="utf-8")
    report = (compiled / "report.md").read_text(encoding="utf-8")
    derived = json.loads((compiled / "figures.json").read_text(encoding="utf-8"))[
        "derived"
    ]
    wrong = []
    for section, (start, end) in SNIPPETS.items():
        i = seed.index(start)
        snippet = seed[i : seed.index(end, i) + len(end)]
        ours = _section(report, section)
        assert ours, section
        ours_numbers = set(NUMBER.findall(ours))
        percents = iter(SHARES.get(section, []))
        for token in NUMBER.findall(snippet):
            if token.endswith("%"):
                d = derived[next(percents)]
                num = Fraction(d["numerator"]["value"]) - (
                    Fraction(d["denominator"]["value"]) if d["kind"] == "change" else 0
                )
                exact = abs(num) / Fraction(d["denominator"]["value"]) * 100
                printed = Decimal(token[:-1])
                places = max(0, -printed.as_tuple().exponent)
                # The seed's precision may be coarser than ours ("14%"): same value
                # at its precision, from the exact fraction, is a match.
                if quantize(exact, places) != printed:
                    wrong.append((section, token))
                assert d["printed"] in ours
            elif token.endswith("万"):
                assert f"约{token}" in ours, (section, token)
            else:
                assert token in ours_numbers, (section, token)
        assert next(percents, None) is None, section
    assert wrong == SEED_ERRORS
