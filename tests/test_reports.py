"""report.html and report.docx: the same content as report.md, every table and
chart, self-contained, escaped, reproducible, and a .docx that Word and LibreOffice
read back (issue 8)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from govstats.actions import compile_year
from govstats.aggregate import label_of
from govstats.formats import load_format
from govstats.publish.grid import format_grid
from govstats.publish.report_docx import docx_text, parse_html
from tests.test_compile_gk2021 import UNITS, write_year

CASES = ["compiled_2017", "compiled_2025"]


@pytest.fixture(params=CASES)
def outputs(request) -> Path:
    return request.getfixturevalue(request.param)


def fmt_of(outputs: Path):
    figures = json.loads((outputs / "figures.json").read_text(encoding="utf-8"))
    return load_format(figures["format"]), figures


def markdown_paragraphs(md: str) -> list[str]:
    """The prose of report.md: paragraphs that are neither headings nor tables."""
    out = []
    for block in md.split("\n\n"):
        block = block.strip()
        if not block or block[0] in "#|" or block.startswith(("**", "单位：")):
            continue
        out.append(block.removeprefix("> ").replace("**", ""))
    return out


def html_paragraphs(html: str) -> list[str]:
    main = parse_html(html).find_all("main")[0]
    return [
        p.text()
        for p in main.find_all("p")
        if "notes" not in p.classes and not p.find_all("span")
    ]


# HTML


def test_html_prose_is_report_md(outputs):
    # The HTML templates repeat the wording of report.md.j2: they must not drift.
    md = (outputs / "report.md").read_text(encoding="utf-8")
    html = (outputs / "report.html").read_text(encoding="utf-8")
    assert html_paragraphs(html) == markdown_paragraphs(md)
    headings = re.findall(r"^#{1,3} (.+)$", md, flags=re.M)
    assert in_order(parse_html(html), {"h1", "h2", "h3"}) == headings


def in_order(node, tags: set[str]) -> list[str]:
    """The text of every element named in ``tags``, in document order."""
    out = []
    for child in node.children:
        if not isinstance(child, str):
            out += [child.text()] if child.tag in tags else in_order(child, tags)
    return out


def test_html_has_every_table_and_chart(outputs):
    fmt, _ = fmt_of(outputs)
    html = (outputs / "report.html").read_text(encoding="utf-8")
    root = parse_html(html)
    tables = {t.attrs["data-table"] for t in root.find_all("table")}
    expected = {t.id for t in fmt.report.tables} if fmt.id == "gk2008" else set()
    expected |= {t.id for t in fmt.tables} if fmt.id != "gk2008" else set()
    assert tables == expected
    figures = {f.attrs["data-chart"]: f for f in root.find_all("figure")}
    assert set(figures) == {c.id for c in fmt.report.charts}
    for chart in fmt.report.charts:
        assert figures[chart.id].attrs["data-bars"] == str(len(chart.bars))
        for i in range(1, len(chart.bars) + 1):
            assert f'id="{chart.id}-bar-{i}"' in html


def test_html_is_self_contained(outputs):
    html = (outputs / "report.html").read_text(encoding="utf-8")
    # Nothing is fetched: no script, stylesheet, image or font from anywhere.
    assert not re.search(r"<(script|link|img|iframe)\b", html)
    assert not re.search(r"(src|href)=|@import|url\((?!#)", html)
    assert "svg.fonttype" not in html
    assert html.count("<svg") == len(fmt_of(outputs)[0].report.charts)
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), "element ids repeat across charts"


def test_gk2021_tables_merge_headers_as_the_national_format():
    fmt = load_format("gk2021")
    t3, t4 = (format_grid(t, lambda code: "0") for t in fmt.tables[1:])

    def cells(grid, row):
        return [(c.text, c.colspan, c.rowspan) for c in grid.rows[row].cells]

    corner = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
    assert cells(t3, 0) == [(corner, 3, 3), ("申请人情况", 7, 1)]
    assert cells(t3, 1) == [("自然人", 1, 2), ("法人或其他组织", 5, 1), ("总计", 1, 2)]
    assert [c.text for c in t3.rows[2].cells] == [
        "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他",
    ]  # fmt: skip
    results = t3.rows[5].cells
    assert (results[0].text, results[0].rowspan) == ("三、本年度办理结果", 22)
    assert (results[1].text, results[1].colspan) == ("（一）予以公开", 2)
    # Table 四: 行政复议 over two rows, 行政诉讼 over its two kinds of suit.
    assert cells(t4, 0) == [("项目", 1, 3), ("行政复议", 5, 2), ("行政诉讼", 10, 1)]
    assert cells(t4, 1) == [("未经复议直接起诉", 5, 1), ("复议后起诉", 5, 1)]
    assert len(t4.rows[2].cells) == 15
    # Every row of a grid covers its width once the spans above are counted.
    for grid in (t3, t4, format_grid(fmt.tables[0], lambda code: "0")):
        covered: dict[int, int] = {}
        for r, row in enumerate(grid.rows):
            width = covered.get(r, 0)
            for cell in row.cells:
                width += cell.colspan
                for below in range(r + 1, r + cell.rowspan):
                    covered[below] = covered.get(below, 0) + cell.colspan
            assert width == grid.width, (grid.id, r)


def test_html_and_docx_escape_unit_names(tmp_path):
    # A unit left out of a partial compile is named in the banner; its name comes
    # from the roster and must print as text, never as markup.
    name = '<b onmouseover="x()">某镇</b> & 街道'
    units = [*UNITS[:2], (UNITS[2][0], name, *UNITS[2][2:])]
    write_year(tmp_path, 2025, {"T1": {"t3.new.total": 999}}, units)
    result = compile_year(2025, tmp_path / "inputs", tmp_path / "outputs", partial=True)
    assert result.partial and result.excluded == [name]
    out = tmp_path / "outputs" / "2025"
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "&lt;b onmouseover=&#34;x()&#34;&gt;某镇&lt;/b&gt; &amp; 街道" in html
    assert "<b " not in html
    banner = [p for p in parse_html(html).find_all("p") if "partial" in p.classes]
    assert banner[0].text().startswith(f"部分汇总：以下单位未纳入本次汇总：{name}。")
    text = docx_text((out / "report.docx").read_bytes())
    assert f"Intense Quote: 部分汇总：以下单位未纳入本次汇总：{name}。" in text


# Word


def body_rows(fmt, table_id):
    """The codes of each body row of a table of the format, in print order."""
    table = next(t for t in fmt.tables if t.id == table_id)
    return [
        [block.code(row.code, col.code) for col in block.columns]
        for block in table.blocks
        for row in block.rows
    ]


def test_docx_reads_back_every_printed_figure(outputs):
    import docx

    fmt, figures = fmt_of(outputs)
    data = (outputs / "report.docx").read_bytes()
    doc = docx.Document(outputs / "report.docx")
    text = docx_text(data)
    md = (outputs / "report.md").read_text(encoding="utf-8")
    # The paragraphs: report.md's prose, word for word, in Body Text.
    body = [p.text for p in doc.paragraphs if p.style.name == "Body Text"]
    assert body == markdown_paragraphs(md)
    for name in ("Title", "Heading 1", "Heading 2", "Caption", "Table Grid"):
        assert name in [s.name for s in doc.styles]
    assert {p.style.name for p in doc.paragraphs} >= {"Title", "Heading 1", "Body Text"}
    city = figures["city"]

    def printed(code: str) -> str:
        value = str(city[code])
        return value.rstrip("0").rstrip(".") if "." in value else value

    assert all(t.style.name == "Table Grid" for t in doc.tables)
    if fmt.id == "gk2008":
        # Each standard table: every part with its figure and share, then 合计.
        assert len(doc.tables) == len(fmt.report.tables)
        by_total = {t.rows[-1].cells[0].text: t for t in doc.tables}
        for spec in fmt.report.tables:
            table = by_total[f"合计：{label_of(fmt, spec.total)}"]
            rows = [[c.text for c in r.cells] for r in table.rows[1:]]
            for row, code in zip(rows, [*spec.parts, spec.total], strict=True):
                assert row[1] == printed(code), code
                if spec.shares and code != spec.total:
                    share = figures["derived"][f"{code}/{spec.total}"]["printed"]
                    assert row[2] == share
    else:
        # Tables 二, 三, 四: every cell of every row, in the format's order.
        assert len(doc.tables) == len(fmt.tables)
        for spec, table in zip(fmt.tables, doc.tables, strict=True):
            numbers = [
                [c.text for c in _unique(r.cells)][-len(codes) :]
                for r, codes in zip(
                    [r for r in table.rows if _is_body(r)],
                    body_rows(fmt, spec.id),
                    strict=True,
                )
            ]
            assert numbers == [
                [printed(code) for code in codes] for codes in body_rows(fmt, spec.id)
            ], spec.id
        t3 = doc.tables[1]
        assert t3.cell(0, 3).text == t3.cell(0, 9).text == "申请人情况"
        assert t3.cell(0, 0).text == t3.cell(2, 2).text  # the corner, 3 × 3
    for d in figures["derived"].values():
        if d["printed"] in md:
            assert d["printed"] in text


def _unique(cells):
    seen = []
    for cell in cells:
        if not any(cell._tc is s for s in seen):
            seen.append(cell._tc)
            yield cell


def _is_body(row) -> bool:
    last = row.cells[-1].text
    return bool(re.fullmatch(r"-?\d+(\.\d+)?", last))


def test_reports_are_byte_identical_on_rerun(compiled_2025, tmp_path):
    # The same inputs compiled again, elsewhere: the same bytes.
    inputs = compiled_2025.parents[1] / "inputs"
    compile_year(2025, inputs, tmp_path / "outputs")
    for name in ("report.html", "report.docx"):
        again = (tmp_path / "outputs" / "2025" / name).read_bytes()
        assert again == (compiled_2025 / name).read_bytes(), name


def _writer() -> str:
    """Why LibreOffice cannot convert a .docx here, or "" when it can."""
    soffice = shutil.which("soffice")
    if soffice is None:
        return "LibreOffice is not installed (apt-get install libreoffice-writer-nogui)"
    program = Path(soffice).resolve().parent
    if not list(program.glob("libswlo.*")):
        return "LibreOffice Writer is not installed (apt-get install libreoffice-writer-nogui)"
    return ""


@pytest.mark.skipif(bool(_writer()), reason=_writer())
def test_libreoffice_converts_docx_to_pdf(outputs, tmp_path):
    profile = tmp_path / "lo-profile"
    proc = subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(outputs / "report.docx"),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    pdf = tmp_path / "report.pdf"
    assert proc.returncode == 0 and pdf.exists(), proc.stdout + proc.stderr
    assert pdf.read_bytes().startswith(b"%PDF")
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert "政府信息公开工作年度报告" in text.replace(" ", "").replace("\n", "")


def test_cli_starts_without_the_report_libraries():
    # Pillow and python-docx are imported only while a report is rendered.
    code = (
        "import sys, govstats.cli\n"
        "from typer.testing import CliRunner\n"
        "CliRunner().invoke(govstats.cli.app, ['--help'])\n"
        "print(sorted(m for m in ('PIL', 'docx', 'lxml') if m in sys.modules))"
    )
    import sys

    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_office_templates_replace_the_shipped_ones(compiled_2025, tmp_path):
    # An office restyles the page and rewords a format's HTML; report.docx follows.
    shipped = Path(__file__).parents[1] / "src" / "govstats" / "publish" / "templates"
    folder = tmp_path / "templates"
    (folder / "html").mkdir(parents=True)
    (folder / "gk2021").mkdir()
    base = (shipped / "html" / "base.html.j2").read_text(encoding="utf-8")
    (folder / "html" / "base.html.j2").write_text(
        base.replace("--accent: #2f5597;", "--accent: #8b0000;"), encoding="utf-8"
    )
    page = (shipped / "gk2021" / "report.html.j2").read_text(encoding="utf-8")
    (folder / "gk2021" / "report.html.j2").write_text(
        page.replace("<h3>依申请公开</h3>", "<h3>依申请公开情况</h3>"), encoding="utf-8"
    )
    inputs = compiled_2025.parents[1] / "inputs"
    compile_year(2025, inputs, tmp_path / "outputs", templates=folder)
    out = tmp_path / "outputs" / "2025"
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "--accent: #8b0000;" in html and "<h3>依申请公开情况</h3>" in html
    assert "Heading 2: 依申请公开情况" in docx_text((out / "report.docx").read_bytes())
