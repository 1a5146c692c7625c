"""Round trip of issue 14: what govstats publishes, audited as a reader gets it.

Compile a year (the demo years, and random consistent units of gk2021), convert
report.docx to PDF with LibreOffice, and audit the PDF, the .docx and report.html
with ``audit --text``: every cell of tables 二/三/四 is read, every share of the
prose is checked, nothing is found; one planted error (a table cell, a printed
share, a count of the prose) is found, and nothing else.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govstats.actions import compile_year
from govstats.audit.documents import read_document
from govstats.audit.layout import read_tables
from govstats.audit.text import audit_document
from govstats.formats import load_format
from tests.gk2021_data import APPLICANTS, consistent_2021
from tests.libreoffice import convert, soffice

ROOT = Path(__file__).resolve().parents[1]
pytestmark = soffice


def _published(root: Path, year: int) -> list[Path]:
    """report.html, report.docx and the PDF LibreOffice makes of the .docx."""
    out = root / "outputs" / str(year)
    pdf = convert([out / "report.docx"], "pdf", root / "pdf")[0]
    return [out / "report.html", out / "report.docx", pdf]


def _table_codes(fmt_id: str) -> set[str]:
    fmt = load_format(fmt_id)
    return {
        block.code(row.code, col.code)
        for table in fmt.tables
        if table.id in fmt.audit.tables
        for block in table.blocks
        for row in block.rows
        for col in block.columns
    }


def _audited(path: Path):
    doc = read_document(path)
    return doc, audit_document(doc, explain=True)


def _right_shares(result) -> list[str]:
    return sorted(
        c.claimed for c in result.checks if c.kind == "share" and c.status == "right"
    )


def _assert_clean(paths: list[Path], fmt_id: str) -> None:
    """No finding; every share report.md's text gives checked (gk2021: every
    share of the prose); every cell of the audited tables read (gk2021)."""
    codes = _table_codes(fmt_id) if fmt_id == "gk2021" else set()
    reference = _right_shares(_audited(paths[0].with_name("report.md"))[1])
    assert reference
    for path in paths:
        doc, result = _audited(path)
        assert result.findings == [], (
            path.name,
            [c.message() for c in result.findings],
        )
        shares = [c for c in result.checks if c.kind == "share"]
        if fmt_id == "gk2021":
            assert shares and all(c.status == "right" for c in shares), path.name
        right = _right_shares(result)
        assert all(right.count(s) >= reference.count(s) for s in reference), path.name
        if codes:
            tables = read_tables(doc)
            assert tables is not None
            assert codes <= set(tables.figures), (
                path.name,
                codes - set(tables.figures),
            )


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("demo")
    for year in (2017, 2025):
        shutil.copytree(ROOT / "inputs" / str(year), root / "inputs" / str(year))
        assert compile_year(year, root / "inputs", root / "outputs").compiled
    return root


@pytest.mark.parametrize(("year", "fmt_id"), [(2017, "gk2008"), (2025, "gk2021")])
def test_the_demo_years_audit_clean_as_html_docx_and_pdf(demo, year, fmt_id):
    _assert_clean(_published(demo, year), fmt_id)


def _plant(path: Path, old: str, new: str) -> None:
    """Change the first ``old`` of a report.docx to ``new``, in a paragraph or a
    table cell, as an editor would."""
    import docx

    document = docx.Document(str(path))
    paragraphs = list(document.paragraphs)
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                paragraphs += cell.paragraphs
    for paragraph in paragraphs:
        for run in paragraph.runs:
            if old in run.text:
                run.text = run.text.replace(old, new, 1)
                document.save(str(path))
                return
    raise AssertionError(f"{old!r} not in {path}")


def test_a_planted_share_is_the_one_finding(demo, tmp_path):
    out = tmp_path / "outputs" / "2025"
    shutil.copytree(demo / "outputs" / "2025", out)
    _plant(out / "report.docx", "占50.0%", "占51.0%")
    for path in _published(tmp_path, 2025)[1:]:
        result = _audited(path)[1]
        assert [(c.code, c.claimed) for c in result.findings] == [
            ("share-mismatch", "51.0%")
        ], path.name


def test_a_planted_prose_count_is_the_one_finding(demo, tmp_path):
    # 一、总体情况 says 新收 173件 as table 三 does; 175 differs from the table,
    # and what follows from it (its parts, the balance) is not told again.
    out = tmp_path / "outputs" / "2025"
    shutil.copytree(demo / "outputs" / "2025", out)
    _plant(
        out / "report.docx",
        "共新收政府信息公开申请173件",
        "共新收政府信息公开申请175件",
    )
    for path in _published(tmp_path, 2025)[1:]:
        result = _audited(path)[1]
        assert [(c.claimed, c.recomputed) for c in result.findings] == [
            ("175件", "173")
        ], (path.name, [c.message() for c in result.findings])


def test_a_planted_table_cell_is_the_one_finding(demo, tmp_path):
    out = tmp_path / "outputs" / "2025"
    shutil.copytree(demo / "outputs" / "2025", out)
    # 行政复议·总计 of table 四 (12): its parts add up to 12, not 13.
    import docx

    path = out / "report.docx"
    document = docx.Document(str(path))
    row = document.tables[-1].rows[-1]
    cell = row.cells[5]
    assert cell.text == "12"
    cell.paragraphs[0].runs[0].text = "13"
    document.save(str(path))
    for path in _published(tmp_path, 2025)[1:]:
        result = _audited(path)[1]
        cells = {
            (c.where.table, c.where.table_row, c.where.table_column)
            for c in result.findings
            if c.kind == "rule"
        }
        assert cells == {("四", "本年度", "行政复议·总计")}, path.name
        assert all(
            c.claimed in ("13", "12件") or c.kind == "rule" for c in result.findings
        )


# Random consistent units


@st.composite
def units(draw) -> dict[str, int]:
    """One unit's figures of gk2021 with every rule holding: results drawn, what
    was carried in and out drawn, what was received making the balance hold."""
    from govstats.formats import load_format
    from govstats.synthetic import complete_totals

    fmt = load_format("gk2021")
    values = dict(consistent_2021())
    small = st.integers(0, 40)
    for code in values:
        if code.startswith(("t3.r.", "t4.")) and not code.endswith(".total"):
            values[code] = draw(small)
    values["t3.r.public.natural"] = draw(st.integers(1, 40))  # shares to print
    for col in APPLICANTS:
        results = sum(
            v
            for c, v in values.items()
            if c.startswith("t3.r.") and c.endswith(f".{col}") and ".total." not in c
        )
        carried_in = draw(st.integers(0, 10))
        carried_out = draw(st.integers(0, 10))
        values[f"t3.carried_in.{col}"] = carried_in
        values[f"t3.carried_out.{col}"] = carried_out
        values[f"t3.new.{col}"] = max(results + carried_out - carried_in, 0)
    return complete_totals(values, fmt)


@settings(
    max_examples=2,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(values=units())
def test_random_consistent_units_audit_clean(tmp_path_factory, values):
    from govstats.core.output import write_workbook
    from govstats.publish.template_xlsx import build_template

    root = tmp_path_factory.mktemp("random")
    folder = root / "inputs" / "2025"
    folder.mkdir(parents=True)
    (folder / "units.csv").write_text(
        "单位代码,单位名称,层级,类别\nG,某县人民政府,本级,政府\n", encoding="utf-8"
    )
    fmt = load_format("gk2021")
    write_workbook(
        build_template(fmt, 2025, "G", "某县人民政府", values=values),
        folder / "G.xlsx",
    )
    result = compile_year(2025, root / "inputs", root / "outputs")
    assert result.compiled, result.report.stats
    _assert_clean(_published(root, 2025), "gk2021")
