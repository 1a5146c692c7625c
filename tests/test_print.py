"""Outputs as they print (issue 16, points 13 and 14): tables.xlsx and the
annotated copy's 问题清单 one page wide, report.docx with no number broken over
lines. Checked on the PDF LibreOffice prints, read back with poppler."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import openpyxl
import pytest

from govstats.publish.report_docx import docx_text

ROOT = Path(__file__).parents[1]


def _missing() -> str:
    """Why the outputs cannot be printed to PDF here, or "" when they can."""
    soffice = shutil.which("soffice")
    if soffice is None:
        return "LibreOffice is not installed (apt-get install libreoffice-calc-nogui)"
    if shutil.which("pdfinfo") is None or shutil.which("pdftotext") is None:
        return "poppler is not installed (apt-get install poppler-utils)"
    return ""


needs_office = pytest.mark.skipif(bool(_missing()), reason=_missing())


def to_pdf(path: Path, tmp_path: Path) -> Path:
    out = tmp_path / "pdf"
    proc = subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation={(tmp_path / 'lo-profile').as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out),
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    pdf = out / f"{path.stem}.pdf"
    assert proc.returncode == 0 and pdf.exists(), proc.stdout + proc.stderr
    return pdf


def pages(pdf: Path) -> list[str]:
    """The text of each page, laid out as printed."""
    info = subprocess.run(
        ["pdfinfo", str(pdf)], capture_output=True, text=True, check=True
    ).stdout
    count = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    return [
        subprocess.run(
            ["pdftotext", "-layout", "-f", str(n), "-l", str(n), str(pdf), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for n in range(1, count + 1)
    ]


@pytest.fixture(scope="module")
def demo_2025(tmp_path_factory) -> Path:
    """outputs/2025 of the shipped demo inputs (醴陵市, gk2021), whose table 三
    totals 176: report.docx printed it a digit per line."""
    from govstats.actions import compile_year

    root = tmp_path_factory.mktemp("demo2025")
    shutil.copytree(ROOT / "inputs" / "2025", root / "inputs" / "2025")
    assert compile_year(2025, root / "inputs", root / "outputs").compiled
    return root / "outputs" / "2025"


# tables.xlsx (point 13)


def test_every_sheet_of_tables_xlsx_has_a_print_setup(compiled_2017, compiled_2025):
    for outputs in (compiled_2017, compiled_2025):
        wb = openpyxl.load_workbook(outputs / "tables.xlsx")
        for ws in wb.worksheets:
            setup = ws.page_setup
            assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
            assert (setup.fitToWidth, setup.fitToHeight) == (1, 0), ws.title
            assert int(setup.paperSize) == int(ws.PAPERSIZE_A4)
            assert ws.print_title_rows, ws.title
        assert wb["比率"].page_setup.orientation == "landscape"
    # Wide sheets landscape, narrow ones portrait.
    wb = openpyxl.load_workbook(compiled_2017 / "tables.xlsx")
    assert wb["表3 依申请公开情况"].page_setup.orientation == "landscape"
    assert wb["四(一) 政府信息公开申请渠道"].page_setup.orientation == "portrait"


def test_print_titles_are_the_header_rows(compiled_2017, compiled_2025):
    wb = openpyxl.load_workbook(compiled_2017 / "tables.xlsx")
    assert wb["表3 依申请公开情况"].print_title_rows == "$1:$3"  # down to 代码
    assert wb["分单位明细"].print_title_rows == "$1:$1"
    wb = openpyxl.load_workbook(compiled_2025 / "tables.xlsx")
    # Table 三's header is seven rows deep (its 代码 row is the seventh).
    assert wb["三、收到和处理政府信息公开申请情况"].print_title_rows == "$1:$7"


@needs_office
def test_tables_xlsx_prints_one_page_wide(compiled_2017, tmp_path):
    sheets = openpyxl.load_workbook(compiled_2017 / "tables.xlsx").sheetnames
    printed = pages(to_pdf(compiled_2017 / "tables.xlsx", tmp_path))
    # 46 pages before: each table's right-hand columns on pages of their own.
    # Now each sheet one page wide; only 分组汇总 (62 rows) runs onto a second.
    assert len(printed) <= len(sheets) + 2, len(printed)
    for title in ("表3 依申请公开情况", "表5 行政复议、行政诉讼和举报投诉情况"):
        on = [p for p in printed if title in p]
        assert len(on) == 1, title
        # Its figures' column is on the page with its labels.
        assert "sq.received" in "".join(on) or "fy." in "".join(on)
    # A sheet that runs onto more pages repeats its header on each.
    group_pages = [p for p in printed if p.lstrip().startswith("指标名称")]
    assert len(group_pages) >= 2
    assert all("全部单位" in p.splitlines()[0] for p in group_pages)


# The annotated copy's 问题清单 (point 13)


def test_problem_list_prints_one_page_wide_and_links_rows(make_workbook, tmp_path):
    from govstats.actions import validate_workbooks
    from govstats.check.annotate import annotate_workbooks

    def edit(wb):
        wb["表2 新闻发布会"].sheet_state = "hidden"  # a problem of no one cell

    path = make_workbook(values={"sq.received": 13}, edit=edit)
    result = validate_workbooks([path], year=2017)
    [copy] = annotate_workbooks(result, tmp_path / "checked")
    ws = openpyxl.load_workbook(copy)["问题清单"]
    assert ws.page_setup.orientation == "landscape"
    assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0)
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows == "$1:$1"
    assert ws["H2"].alignment.wrap_text
    linked = []
    for row in ws.iter_rows(min_row=2):
        sheet, cell = row[2].value, row[3].value
        if sheet:  # a problem of a sheet links to its cell, or to the sheet
            link = (row[3] if cell else row[2]).hyperlink
            target = link.target or link.location
            assert target == f"#'{sheet}'!{cell or 'A1'}", target
            linked.append(cell or "")
    assert linked == ["", "D4", "D9"]  # sheet-hidden, total-mismatch, values-differ


# report.docx (point 14)


def _numbers(text: str) -> Counter[str]:
    """Every number of two digits or more (173, 12.3%), counted."""
    tokens = re.findall(r"\d+(?:\.\d+)?%?", text)
    return Counter(t for t in tokens if sum(ch.isdigit() for ch in t) >= 2)


@needs_office
@pytest.mark.parametrize("case", ["compiled_2017", "demo_2025"])
def test_no_number_of_report_docx_wraps(request, case, tmp_path):
    outputs = request.getfixturevalue(case)
    docx = outputs / "report.docx"
    printed = _numbers("\n".join(pages(to_pdf(docx, tmp_path))))
    text = docx_text(docx.read_bytes())
    # Less the lines docx_text adds of its own ([表格 28×10]).
    written = _numbers(re.sub(r"^\[表格 \d+×\d+\]$", "", text, flags=re.M))
    # A number broken over lines reads as its pieces: the whole goes missing.
    broken = {n: k for n, k in written.items() if printed[n] < k}
    assert broken == {}
    assert written["176" if case == "demo_2025" else "527"] >= 1
