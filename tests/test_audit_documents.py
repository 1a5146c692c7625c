"""`audit --text` on reports as they are published (issue 14, reading them): PDF
tables read from the page geometry, Word and office files, HTML tables whose
merged cells leave empty fields or whose figures carry their unit, blank cells
reported once per table."""

from __future__ import annotations

import io
import re
import zipfile

import pytest

from govstats.actions import audit_text
from govstats.audit.documents import html_document, pdf_document, read_document
from govstats.audit.text import audit_document
from govstats.core.problems import GovstatsError
from tests.gk2021_data import consistent_2021
from tests.gk2021_report import html_table, report, table_rows

KEYS = ("code", "table_row", "table_column", "claimed")


def audit(doc):
    return audit_document(doc, explain=True)


def flat(result):
    return [
        [getattr(c, k) if hasattr(c, k) else getattr(c.where, k) for k in KEYS]
        for c in result.findings
    ]


def figures_read(result):
    return sum(1 for c in result.checks if c.kind == "rule")


# Blank cells: one finding per table


def test_blank_cells_of_a_table_are_one_finding_naming_them():
    values = consistent_2021()
    for code in ("t3.r.public.research", "t3.r.public.nonprofit", "t3.r.partial.legal"):
        values[code] = None
    result = audit(html_document(report(values), "r.html"))
    blanks = [c for c in result.findings if c.code.startswith("blank")]
    assert [c.code for c in blanks] == ["blank-cells"]
    assert blanks[0].where.table == "三"
    message = blanks[0].message()
    assert message.startswith(
        "表三有 3 个单元格没有数字（（一）予以公开｜法人或其他组织·科研机构；"
    )
    assert "（二）部分公开" in message
    # The arithmetic of the other rows is still checked, and holds.
    assert [c.code for c in result.findings] == ["blank-cells"]


def test_a_single_blank_cell_keeps_its_own_finding():
    values = consistent_2021()
    values["t4.suit_direct.other"] = "—"
    result = audit(html_document(report(values), "r.html"))
    assert flat(result) == [
        ["blank-cell", "本年度", "行政诉讼·未经复议直接起诉·其他结果", "—"]
    ]


def test_a_table_left_blank_is_an_unfilled_template_said_once():
    values = consistent_2021()
    for code in list(values):
        if code.startswith("t4."):
            values[code] = None
    result = audit(html_document(report(values), "r.html"))
    unfilled = [c for c in result.findings if c.where.table == "四"]
    assert [(c.code, c.detail("count")) for c in unfilled] == [("table-unfilled", "15")]
    assert (
        unfilled[0]
        .message()
        .startswith("表四的 15 个单元格全部没有数字，是未填写的模板")
    )


# HTML as portals print it


def _unmerged_table(rows):
    """A table whose merged cells are printed once, with an empty cell in every
    other position they covered (a page saved by a word processor)."""
    grid: dict[tuple[int, int], str] = {}
    for r, row in enumerate(rows):
        c = 0
        for text, rs, cs in row:
            while (r, c) in grid:
                c += 1
            for dr in range(rs):
                for dc in range(cs):
                    grid[(r + dr, c + dc)] = text if (dr, dc) == (0, 0) else ""
            c += cs
    width = max(c for _, c in grid) + 1
    return html_table(
        [[(grid.get((r, c), ""), 1, 1) for c in range(width)] for r in range(len(rows))]
    )


def test_merged_cells_that_leave_empty_fields_are_no_blank_cells():
    values = consistent_2021()
    page = report(values)
    for tid in ("t3", "t4"):
        merged = html_table(table_rows(tid, values))
        assert merged in page
        page = page.replace(merged, _unmerged_table(table_rows(tid, values)))
    result = audit(html_document(page, "r.html"))
    assert result.findings == []
    assert figures_read(result) == figures_read(
        audit(html_document(report(values), "r.html"))
    )


def test_figures_printed_with_their_unit_are_read():
    values = consistent_2021()
    values["t4.review.upheld"] = f"{values['t4.review.upheld']}件"
    values["t3.new.natural"] = f"{values['t3.new.natural']}件"
    result = audit(html_document(report(values), "r.html"))
    assert result.findings == []


# Word and office files


def test_a_workbook_given_as_a_report_is_refused(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
    for name, data in (("t.xlsx", buf.getvalue()), ("t.csv", b"a,b\n1,2\n")):
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(GovstatsError) as err:
            read_document(path)
        assert err.value.problem.code == "report-is-workbook"


def test_a_docx_is_read_paragraphs_and_tables_in_order(tmp_path):
    import docx

    values = consistent_2021()
    document = docx.Document()
    document.add_paragraph("某县人民政府2025年政府信息公开工作年度报告")
    rows = table_rows("t4", values)
    width = sum(cs for _, _, cs in rows[0])
    table = document.add_table(rows=len(rows), cols=width)
    taken: set[tuple[int, int]] = set()
    for r, row in enumerate(rows):
        c = 0
        for text, rs, cs in row:
            while (r, c) in taken:
                c += 1
            cell = table.cell(r, c)
            if rs > 1 or cs > 1:
                cell = cell.merge(table.cell(r + rs - 1, c + cs - 1))
            cell.text = text
            taken |= {(r + i, c + j) for i in range(rs) for j in range(cs)}
            c += cs
    document.add_paragraph("本年度未收取信息处理费。")
    path = tmp_path / "report.docx"
    document.save(str(path))
    doc = read_document(path)
    assert doc.text.startswith("某县人民政府2025年政府信息公开工作年度报告\n")
    assert doc.text.endswith("\n本年度未收取信息处理费。")
    result = audit(doc)
    assert result.findings == []
    assert [c.rule for c in result.checks if c.kind == "rule"].count("T4") == 3


def test_a_word_file_without_libreoffice_says_how_to_install_it(tmp_path, monkeypatch):
    from govstats.core import libreoffice

    monkeypatch.setattr(libreoffice, "available", lambda: False)
    path = tmp_path / "report.doc"
    path.write_bytes(
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "WordDocument".encode("utf-16-le")
    )
    with pytest.raises(GovstatsError) as err:
        read_document(path)
    assert err.value.problem.code == "report-needs-libreoffice"
    assert "apt-get install libreoffice-writer-nogui" in err.value.problem.message()


# PDF tables from the page geometry


def ruled_pdf(values, repeat: int = 1) -> bytes:
    """Tables 三 and 四 drawn with ruling lines in narrow columns (labels and
    headings wrap; 行政复议's 总计 column is one digit wide), and prose lines
    broken by the margin mid-sentence; all of it ``repeat`` times (5: 11 pages,
    for the benchmark of benchmarks/hostile.py)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import SimpleDocTemplate

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    style = ParagraphStyle("p", fontName="STSong-Light", fontSize=10, leading=12)
    cell = ParagraphStyle("c", fontName="STSong-Light", fontSize=8, leading=9)
    story: list[object] = []
    for _ in range(repeat):
        story += _story(values, style, cell)
    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=A4, invariant=1).build(story)
    return buf.getvalue()


def _story(values, style, cell) -> list[object]:
    from reportlab.lib import colors
    from reportlab.platypus import Paragraph, Table, TableStyle

    story: list[object] = [
        Paragraph("某县人民政府2025年政府信息公开工作年度报告", style),
        Paragraph(
            "2025年，本机关因政府信息公开被申请行政复议4件，其中结果维持2件，结果纠正1件，"
            "其他结果0件，尚未审结1件。本年度共收到申请，依法予以答复。" * 2,
            style,
        ),
    ]
    for tid, widths in (("t3", 30), ("t4", 22)):
        rows = table_rows(tid, values)
        grid: dict[tuple[int, int], object] = {}
        spans = []
        for r, row in enumerate(rows):
            c = 0
            for text, rs, cs in row:
                while (r, c) in grid:
                    c += 1
                for dr in range(rs):
                    for dc in range(cs):
                        grid[(r + dr, c + dc)] = ""
                grid[(r, c)] = Paragraph(text, cell)
                if rs > 1 or cs > 1:
                    spans.append(("SPAN", (c, r), (c + cs - 1, r + rs - 1)))
                c += cs
        width = max(c for _, c in grid) + 1
        data = [[grid.get((r, c), "") for c in range(width)] for r in range(len(rows))]
        col_widths = [widths] * width
        if tid == "t3":
            col_widths[:3] = [40, 50, 60]
        table = Table(data, colWidths=col_widths)
        table.setStyle(
            TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black), *spans])
        )
        story.append(table)
    return story


def test_a_ruled_pdf_table_is_read_from_its_geometry():
    values = consistent_2021()
    values["t4.review.total"] = 12345  # wraps digit by digit in its narrow column
    doc = pdf_document(ruled_pdf(values), "r.pdf")
    result = audit(doc)
    rules = {c.rule: c for c in result.checks if c.kind == "rule"}
    assert {"T3-ROW", "T3-RES", "T3-ID", "T4"} <= set(rules)
    assert [(c.code, c.where.table_row, c.claimed) for c in result.findings] == [
        ("total-mismatch", "本年度", "12345")
    ]
    assert result.findings[0].where.page == 3  # the table goes on over pages 2-3
    # Every row of the format is read: none is reported missing.
    assert not any(c.code == "table-row-missing" for c in result.checks)


def test_a_sentence_broken_by_the_margin_is_one_sentence():
    values = consistent_2021()
    doc = pdf_document(ruled_pdf(values), "r.pdf")
    assert "其中结果维持2件，结果纠正1件，其他结果0件，尚未审结1件。" in doc.text
    prose = audit(doc)
    assert not [c for c in prose.findings if c.kind == "enumeration"]


def test_a_pdf_is_read_as_fully_as_its_plain_text():
    from govstats.audit.documents import _text_pdf

    data = ruled_pdf(consistent_2021())
    geometry = audit(pdf_document(data, "r.pdf"))
    from pypdf import PdfReader

    pages = [p.extract_text() for p in PdfReader(io.BytesIO(data)).pages]
    plain = audit(
        _text_pdf(
            pages,
            "r.pdf",
            __import__("govstats.core.limits", fromlist=["x"]).DEFAULT_LIMITS,
        )
    )
    assert figures_read(geometry) >= figures_read(plain)


def test_page_numbers_are_left_out():
    from govstats.audit.pdfpages import _PAGE_NUMBER

    for footer in ("- 3 -", "第 2 页", "2/10", "— 12 —", "第3页/共10页"):
        assert _PAGE_NUMBER.fullmatch(footer), footer
    assert not _PAGE_NUMBER.fullmatch("527件")


def test_cli_reads_a_docx(tmp_path):
    # Same report as HTML and as .docx (tables in body order) gives the same claims.
    import docx

    document = docx.Document()
    for line in re.split(
        r"\n",
        "某县人民政府2025年政府信息公开工作年度报告\n共收到申请10件，其中予以公开4件，占40.0%。",
    ):
        document.add_paragraph(line)
    path = tmp_path / "r.docx"
    document.save(str(path))
    result = audit_text(path, explain=True)
    assert [(c.kind, c.status) for c in result.checks if c.kind == "share"] == [
        ("share", "right")
    ]


def test_a_damaged_or_empty_word_file_is_a_problem_not_a_clean_audit(tmp_path):
    import docx

    damaged = tmp_path / "damaged.docx"
    with zipfile.ZipFile(damaged, "w") as z:
        z.writestr("word/document.xml", "<not xml")
    empty = tmp_path / "empty.docx"
    docx.Document().save(str(empty))
    for path, found in ((damaged, "KeyError"), (empty, "no text")):
        with pytest.raises(GovstatsError) as err:
            read_document(path)
        assert (err.value.problem.code, err.value.problem.found) == (
            "report-unreadable",
            found,
        )


def test_a_bomb_in_a_form_pdfminer_would_draw_is_refused_before_it():
    from tests import hostile as h

    bomb = h.zlib_repeated(
        b"BT /F1 12 Tf 72 700 Td (Total 5) Tj ET\n", b" " * 1024, 64 * 1024, b""
    )
    data = h.pdf_file(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
            b" /Resources << /Font << /F1 5 0 R >> /XObject << /X1 6 0 R >> >> >>",
            h.pdf_stream(b"BT /F1 12 Tf 72 800 Td (Total 527) Tj ET /X1 Do"),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            h.pdf_stream(
                bomb,
                b"/Type /XObject /Subtype /Form /BBox [0 0 595 842] /Filter /FlateDecode",
            ),
        ]
    )
    with pytest.raises(GovstatsError) as err:
        pdf_document(data, "r.pdf")
    assert err.value.problem.code == "pdf-too-large"


def test_a_column_line_drawn_a_little_apart_on_two_pages_is_one_line():
    """LibreOffice laid table 三's columns out 1.3 pt apart on the page it went
    on to (商业企业 | 科研机构 at 317.3 pt, then at 318.6 pt): the cells of
    both parts each span one column, not two (where one number was then read
    for two columns: a random year's audit of its own PDF found wrong totals)."""
    from itertools import pairwise

    from govstats.audit.pdfpages import PdfCell, _respan

    def row(*edges: float) -> list[PdfCell]:
        return [
            PdfCell(str(k), 1, 1, 1, left=left, right=right)
            for k, (left, right) in enumerate(pairwise(edges))
        ]

    first = row(56.7, 235.8, 274.7, 317.3, 359.9, 409.9, 459.9, 495.8, 538.6)
    second = row(56.8, 235.8, 274.7, 318.6, 359.9, 410.1, 459.9, 495.8, 538.5)
    header = row(56.7, 235.8, 274.7, 495.8, 538.6)  # 法人或其他组织 over five
    rows = [header, first, second]
    _respan(rows)
    assert [c.colspan for c in first] == [1] * 8
    assert [c.colspan for c in second] == [1] * 8
    assert [c.colspan for c in header] == [1, 1, 5, 1]
