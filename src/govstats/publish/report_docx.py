"""``report.docx``: report.html as a Word document, with python-docx.

The document is built from the rendered report.html, so it has the same sections,
paragraphs and tables as the page, and an office that edits the HTML template edits
both. Only the few elements the report templates use are mapped, each to a named
style a clerk can restyle in Word or WPS:

====================  ======================================================
report.html           report.docx
====================  ======================================================
``h1``                Title
``h2`` / ``h3``       Heading 1 / Heading 2
``p``                 Body Text (``p.partial``: Intense Quote; ``p.notes``: Caption)
``table``             a Word table in the style Table Grid, merged cells as
                      the HTML's colspan/rowspan; its caption in Caption
``figure``            the chart as a picture, its caption and numbers in Caption
====================  ======================================================

Anything else contributes its text to the paragraph around it. The file is
byte-identical for the same HTML: fixed core properties and zip timestamps.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from govstats.aggregate import Figures
from govstats.core.output import sheet_text

__all__ = ["Node", "docx_text", "html_docx", "parse_html"]

BODY_FONT = "仿宋"  # the body face of government documents (GB/T 9704)
HEADING_FONT = "黑体"
TABLE_FONT = "宋体"
LATIN_FONT = "Times New Roman"
TEXT_WIDTH_MM = 170  # A4 less 20 mm margins either side
VOID = {"meta", "br", "hr", "img", "link", "input", "col"}


@dataclass
class Node:
    """An element of the parsed HTML; ``children`` are nodes and strings."""

    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[Node | str] = field(default_factory=list)

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def text(self) -> str:
        """The text inside, as a reader sees it (whitespace runs collapsed)."""
        parts: list[str] = []
        for child in self.children:
            parts.append(child if isinstance(child, str) else child.text())
        return " ".join("".join(parts).split())

    def find_all(self, tag: str) -> list[Node]:
        out: list[Node] = []
        for child in self.children:
            if isinstance(child, Node):
                if child.tag == tag:
                    out.append(child)
                out.extend(child.find_all(tag))
        return out


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#root")
        self.stack = [self.root]
        self.skip = 0  # inside <svg>, <style>, <head>: no text for the document

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.skip or tag in ("svg", "style", "head", "script"):
            self.skip += tag not in VOID
            return
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        if self.skip:
            self.skip -= tag not in VOID
            return
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        if not self.skip:
            # A unit name from a hostile roster may hold characters XML forbids
            # (NUL, control characters): Word's XML cannot, so they become U+FFFD.
            self.stack[-1].children.append(sheet_text(data))


def parse_html(html: str) -> Node:
    """The body of an HTML page as a tree of :class:`Node`."""
    parser = _Parser()
    parser.feed(html)
    parser.close()
    return parser.root


# A blank document made ahead (prepare), taken by the next html_docx.
_BLANK: list[Any] = []


def prepare() -> None:
    """Make the blank document the next report.docx starts from, ahead of time
    (python-docx parses its default template for every new document)."""
    import docx

    if not _BLANK:
        _BLANK.append(docx.Document())


def html_docx(html: str, picture: Callable[[str], bytes | None] | None = None) -> bytes:
    """Build report.docx from report.html and return its bytes (reproducible).

    :param picture: the PNG of a chart by its id (``data-chart``), or None to leave
        the chart out and keep only its caption and numbers.
    """
    import docx

    from govstats.core.output import reproducible_zip

    doc = _BLANK.pop() if _BLANK else docx.Document()
    _page_and_styles(doc)
    root = parse_html(html)
    title = next(iter(root.find_all("title")), None)
    main = next(iter(root.find_all("main")), root)
    _blocks(_Writer(doc, picture), main)
    core = doc.core_properties
    core.title = title.text() if title else ""
    core.author = core.last_modified_by = "govstats"
    core.comments = ""
    core.revision = 1
    import datetime

    fixed = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
    core.created = core.modified = core.last_printed = fixed
    buf = io.BytesIO()
    doc.save(buf)
    return reproducible_zip(buf.getvalue())


def docx_text(data: bytes) -> str:
    """A Word document as text: each paragraph with its style, and each table row
    by row, its cells separated by `` | `` (a merged cell once). For golden tests."""
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    doc = docx.Document(io.BytesIO(data))
    lines: list[str] = []
    body = doc.element.body
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            paragraph = Paragraph(child, doc)
            # Pictures are left out: a chart's PNG is drawn only where a CJK font
            # is installed, and its caption and numbers follow it as text.
            text = paragraph.text
            style = paragraph.style.name if paragraph.style is not None else ""
            if text:
                lines.append(f"{style}: {text}")
        elif tag == "tbl":
            table = Table(child, doc)
            lines.append(f"[表格 {len(table.rows)}×{len(table.columns)}]")
            for row in table.rows:
                seen: list[Any] = []
                cells = []
                for cell in row.cells:
                    if any(cell._tc is s for s in seen):
                        continue
                    seen.append(cell._tc)
                    cells.append(cell.text)
                lines.append("  " + " | ".join(cells))
    return "\n".join(lines) + "\n"


# Styles


def _fonts(
    style: Any, east_asian: str, size: float | None = None, bold: bool | None = None
) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    font = style.font
    font.name = LATIN_FONT
    # python-docx sets only the Latin font; Chinese text takes w:eastAsia.
    rpr = style.element.get_or_add_rPr()
    rfonts = rpr.get_or_add_rFonts()
    rfonts.set(qn("w:eastAsia"), east_asian)
    if size is not None:
        font.size = Pt(size)
    if bold is not None:
        font.bold = bold
    font.color.rgb = RGBColor(0, 0, 0)


def _page_and_styles(doc: Any) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt

    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin = section.bottom_margin = Mm(25)
    section.left_margin = section.right_margin = Mm(20)
    styles = doc.styles
    _fonts(styles["Normal"], TABLE_FONT, 10.5)
    body = styles["Body Text"]
    _fonts(body, BODY_FONT, 12)
    body.paragraph_format.first_line_indent = Pt(24)  # two characters
    body.paragraph_format.line_spacing = 1.5
    body.paragraph_format.space_after = Pt(0)
    body.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    title = styles["Title"]
    _fonts(title, HEADING_FONT, 18, bold=True)
    title.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _fonts(styles["Heading 1"], HEADING_FONT, 14, bold=True)
    _fonts(styles["Heading 2"], HEADING_FONT, 12, bold=True)
    caption = styles["Caption"]
    _fonts(caption, TABLE_FONT, 10.5, bold=False)
    caption.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    # A caption stays on the page of the table or chart it heads.
    caption.paragraph_format.keep_with_next = True
    _fonts(styles["Intense Quote"], BODY_FONT, 12)


# Content

_HEADINGS = {"h1": "Title", "h2": "Heading 1", "h3": "Heading 2", "h4": "Heading 3"}


@dataclass
class _Writer:
    """The document being built, the charts' pictures, and its styles' ids."""

    doc: Any
    picture: Callable[[str], bytes | None] | None
    ids: dict[tuple[str, Any], str | None] = field(default_factory=dict)

    def style_id(self, name: str, kind: Any) -> str | None:
        """The id of the style ``name`` of ``kind`` (None for the default style).

        python-docx resolves a style given by name, or as an object, on every
        assignment with two scans of all the document's styles, a large share of
        the document's time. Each is resolved once here.
        """
        key = (name, kind)
        if key not in self.ids:
            self.ids[key] = self.doc.styles.get_style_id(name, kind)
        return self.ids[key]

    def paragraph(self, style: str, text: str = "") -> Any:
        """``doc.add_paragraph(text, style=style)``, the style set by its id."""
        from docx.enum.style import WD_STYLE_TYPE

        paragraph = self.doc.add_paragraph(text)
        paragraph._p.style = self.style_id(style, WD_STYLE_TYPE.PARAGRAPH)
        return paragraph


def _blocks(out: _Writer, node: Node) -> None:
    for child in node.children:
        if isinstance(child, str):
            if child.strip():
                out.paragraph("Body Text", " ".join(child.split()))
            continue
        if child.tag in _HEADINGS:
            out.paragraph(_HEADINGS[child.tag], child.text())
        elif child.tag == "p":
            style = "Body Text"
            if "partial" in child.classes:
                style = "Intense Quote"
            elif "notes" in child.classes:
                style = "Caption"
            _paragraph(out.paragraph(style), child)
        elif child.tag == "table":
            _table(out, child)
        elif child.tag == "figure":
            _figure(out, child)
        else:
            _blocks(out, child)


def _paragraph(paragraph: Any, node: Node) -> None:
    """Runs of a paragraph: ``strong``/``b`` bold, everything else plain."""
    for child in node.children:
        if isinstance(child, str):
            text = " ".join(child.split()) if child.strip() else ""
            if text:
                paragraph.add_run(text)
        elif child.tag in ("strong", "b"):
            paragraph.add_run(child.text()).bold = True
        else:
            _paragraph(paragraph, child)


def _figure(out: _Writer, node: Node) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm

    chart = node.attrs.get("data-chart", "")
    png = out.picture(chart) if out.picture and chart else None
    if png is not None:
        p = out.paragraph("Caption")
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.paragraph_format.keep_with_next = True
        p.add_run().add_picture(io.BytesIO(png), width=Mm(150))
    for caption in node.find_all("figcaption"):
        for part in caption.children:
            text = part.text() if isinstance(part, Node) else " ".join(part.split())
            if text:
                out.paragraph("Caption", text)


def _table(out: _Writer, node: Node) -> None:
    from docx.enum.style import WD_STYLE_TYPE
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm
    from docx.table import _Cell

    caption = next(iter(node.find_all("caption")), None)
    if caption is not None:
        out.paragraph("Caption", caption.text())
    rows = node.find_all("tr")
    # Place every cell on the grid its colspan/rowspan covers.
    placed: list[tuple[int, int, int, int, Node, str]] = []
    taken: set[tuple[int, int]] = set()
    width = 0
    for r, tr in enumerate(rows):
        c = 0
        for cell in (n for n in tr.children if isinstance(n, Node)):
            if cell.tag not in ("td", "th"):
                continue
            while (r, c) in taken:
                c += 1
            rs = int(cell.attrs.get("rowspan", "1"))
            cs = int(cell.attrs.get("colspan", "1"))
            for dr in range(rs):
                for dc in range(cs):
                    taken.add((r + dr, c + dc))
            placed.append((r, c, rs, cs, cell, tr.attrs.get("class", "")))
            c += cs
            width = max(width, c)
    table = out.doc.add_table(rows=len(rows), cols=width)
    # What `table.style = "Table Grid"` sets, resolved once (see _Writer.style_id).
    table._tbl.tblStyle_val = out.style_id("Table Grid", WD_STYLE_TYPE.TABLE)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    # The cells once, before merging: table.cell() walks the whole table each time.
    grid = [[_Cell(tc, table) for tc in tr.tc_lst] for tr in table._tbl.tr_lst]
    for i, mm in enumerate(_column_widths(placed, width)):
        table.columns[i].width = Mm(mm)
        for row_cells in grid:
            row_cells[i].width = Mm(mm)
    for r, c, rs, cs, cell, kind in placed:
        target = grid[r][c]
        if rs > 1 or cs > 1:
            target = target.merge(grid[r + rs - 1][c + cs - 1])
        paragraph = target.paragraphs[0]
        run = paragraph.add_run(cell.text())
        if cell.tag == "th" and kind != "body":
            run.bold = True
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        elif cell.tag == "td":
            paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    # Keep a table on one page where it fits, as report.html's print styles do:
    # Word moves a table whose rows are each kept with the next one.
    # A row is never split across two pages.
    for r, row in enumerate(table.rows):
        split = OxmlElement("w:cantSplit")
        split.set(qn("w:val"), "true")
        row._tr.get_or_add_trPr().append(split)
        if r < len(rows) - 1:
            for paragraph in (p for tc in grid[r] for p in tc.paragraphs):
                paragraph.paragraph_format.keep_with_next = True
    # Header rows repeat at the top of each page a long table runs onto.
    for r, tr in enumerate(rows):
        if tr.attrs.get("class") == "head" and all(
            rows[k].attrs.get("class") == "head" for k in range(r)
        ):
            trpr = table.rows[r]._tr.get_or_add_trPr()
            header = OxmlElement("w:tblHeader")
            header.set(qn("w:val"), "true")
            trpr.append(header)


def _column_widths(
    placed: list[tuple[int, int, int, int, Node, str]], width: int
) -> list[float]:
    """Millimetres per column, sized from their content (issue 16, point 14).

    A column gets what its longest single-column text needs on one line when the
    page holds every column so; otherwise each keeps at least its longest run
    that cannot wrap (a number such as 173, a share such as 12.3%: Word would
    break it digit by digit), and only the room beyond that is shared, in
    proportion to what each column's text would take more (labels wrap between
    any two Chinese characters).
    """
    import re
    import unicodedata

    def ems(text: str) -> float:
        return sum(
            1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.55 for ch in text
        )

    need = [2.0] * width
    least = [1.0] * width
    for _r, c, _rs, cs, cell, _kind in placed:
        if cs == 1:
            text = cell.text()
            need[c] = max(need[c], min(ems(text), 16.0))
            runs = re.findall(r"[^\s\u2e80-\u9fff\uff00-\uffef]+", text)
            least[c] = max([least[c], *(_unbroken_ems(run) for run in runs)])
    need = [max(n, m) for n, m in zip(need, least, strict=True)]

    # About 4 mm an em at 10.5 pt, plus the cell's margins (1.9 mm a side).
    def mm(n: float) -> float:
        return 4.0 * n + 4.0

    want, low = [mm(n) for n in need], [mm(n) for n in least]
    if sum(want) <= TEXT_WIDTH_MM:
        return want
    if sum(low) >= TEXT_WIDTH_MM:  # not even the numbers fit: all shrink alike
        return [TEXT_WIDTH_MM * w / sum(low) for w in low]
    spare = TEXT_WIDTH_MM - sum(low)
    more = [w - v for w, v in zip(want, low, strict=True)]
    return [v + spare * m / sum(more) for v, m in zip(low, more, strict=True)]


def _unbroken_ems(run: str) -> float:
    """The width of a run that must stay on one line, in ems, with room to spare:
    a CJK font's digits are wider than half an em, and its % nearly a whole one
    (173 and 13.9% wrapped in LibreOffice at 0.55 em a character)."""
    return sum(0.95 if ch in "%‰" else 0.62 for ch in run) + 0.3


def report_docx(html: str, context: dict[str, Any], figures: Figures) -> bytes:
    """report.docx: the sections and tables of report.html as a Word document."""
    from govstats.publish.charts import chart_by_id, chart_png

    def picture(chart_id: str) -> bytes | None:
        data = chart_by_id(chart_id, figures, context["v"])
        return chart_png(data) if data is not None else None

    return html_docx(html, picture)
