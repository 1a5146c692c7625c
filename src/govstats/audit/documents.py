"""Reading a published report as text: plain text, Markdown, HTML or PDF.

Every reader returns a :class:`Document`: the text to analyse, one paragraph per
line, and a map from each character back to where it is in the file, so that a
finding names the line and column an auditor opens (for HTML, the line and column
of the HTML source; for a PDF, the page and the line on it). An HTML page also
keeps its tables as they are marked up (cells with their spans and source
positions), for :mod:`govstats.audit.layout` to read by their labels.
"""

from __future__ import annotations

import bisect
import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from govstats.core.locations import Location
from govstats.core.problems import GovstatsError, Problem

__all__ = [
    "Document",
    "SourceCell",
    "html_document",
    "read_document",
    "text_document",
]

HTML_SUFFIXES = (".html", ".htm", ".xhtml", ".shtml")
# A PDF line at least this share of the page's longest line was wrapped by the
# layout, not ended by the author: it is joined with the next one.
FULL_LINE = 0.85
_SENTENCE_END = tuple("。！？；：!?;:")


@dataclass
class SourceCell:
    """A ``<td>``/``<th>`` as marked up: its text (whitespace collapsed, a ``<br>``
    kept as a space), its spans, and the source position of its first character
    (of the tag when it is empty)."""

    text: str
    line: int
    column: int
    rowspan: int = 1
    colspan: int = 1


@dataclass
class Document:
    """The text of a report and where each of its characters comes from.

    ``anchors`` are ``(offset, page, line, column)``: the character at ``offset`` of
    ``text`` is at that page (0: no pages), line and 1-based column of the file, and
    so are the characters after it on the same run. ``tables`` are the HTML tables
    of a page, each a list of rows of cells (empty for other documents).
    """

    path: str
    text: str
    anchors: list[tuple[int, int, int, int]] = field(default_factory=list)
    tables: list[list[list[SourceCell]]] = field(default_factory=list)

    def locate(self, offset: int) -> Location:
        """The position in the file of the character at ``offset`` of :attr:`text`."""
        if not self.anchors:
            return Location(file=self.path)
        keys = [a[0] for a in self.anchors]
        i = max(bisect.bisect_right(keys, offset) - 1, 0)
        start, page, line, column = self.anchors[i]
        return Location(
            file=self.path,
            page=page or None,
            line=line,
            column=column + max(offset - start, 0),
        )


def read_document(path: str | Path) -> Document:
    """Read a report, choosing the reader by content and suffix.

    :raises GovstatsError: ``file-not-found``; ``file-unreadable`` for a damaged
        PDF; ``pdf-no-text`` for a PDF without a text layer (a scan).
    """
    path = Path(path)
    data = _open_regular(path)
    if data.startswith(b"%PDF") or path.suffix.lower() == ".pdf":
        try:
            return pdf_document(data, str(path))
        except GovstatsError as exc:
            if exc.problem.code != "file-unreadable":
                raise
            # A PDF, not a workbook: told so, not to save it as .xlsx.
            problem = Problem.make(
                "pdf-unreadable", file=str(path), found=exc.problem.found
            )
            raise GovstatsError(problem) from exc
    text = _decode(data)
    head = text[:1000].lstrip().lower()
    if path.suffix.lower() in HTML_SUFFIXES or head.startswith(("<!doctype", "<html")):
        return html_document(text, str(path))
    return text_document(text, str(path))


def _open_regular(path: Path) -> bytes:
    """The bytes of ``path``, a regular file: what it is instead (missing, a
    folder or a FIFO, which is never opened: reading one would wait forever, or
    one the user may not read) is told by its own problem (issue 21)."""
    import stat

    from govstats.core.oserrors import os_error

    try:
        mode = path.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        raise GovstatsError(Problem.make("file-not-found", file=str(path))) from None
    except OSError as exc:
        raise os_error(exc, path) from exc
    if not stat.S_ISREG(mode):
        kind = (
            "文件夹 folder"
            if stat.S_ISDIR(mode)
            else "命名管道 FIFO"
            if stat.S_ISFIFO(mode)
            else "特殊文件 special file"
        )
        raise GovstatsError(
            Problem.make("not-a-regular-file", file=str(path), found=kind)
        )
    try:
        return path.read_bytes()
    except OSError as exc:
        raise os_error(exc, path) from exc


def _decode(data: bytes) -> str:
    # Chinese government portals still publish GB18030/GBK pages and files.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", errors="replace")


# Plain text and Markdown


def text_document(text: str, path: str = "") -> Document:
    """A text or Markdown file: one paragraph per line, positions as in the file."""
    lines = text.splitlines()
    anchors = []
    offset = 0
    for number, line in enumerate(lines, start=1):
        anchors.append((offset, 0, number, 1))
        offset += len(line) + 1
    return Document(path, "\n".join(lines), anchors)


# HTML

_BLOCKS = frozenset(
    "address article aside blockquote body br dd div dl dt figcaption figure footer "
    "form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section table tbody "
    "thead tfoot tr ul caption title".split()
)
_CELLS = frozenset(("td", "th"))
_SKIPPED = frozenset(("script", "style", "noscript", "template", "head"))
_SPACE = re.compile(r"\s+")


class _Cell:
    """A cell being read: its text pieces and where its first character is."""

    def __init__(self, line: int, column: int, attrs: dict[str, str | None]) -> None:
        self.pieces: list[str] = []
        self.line, self.column = line, column
        self.has_text = False
        self.rowspan = _span(attrs.get("rowspan"))
        self.colspan = _span(attrs.get("colspan"))

    def add(self, text: str, line: int, column: int) -> None:
        if not self.has_text and not text.isspace():
            self.line, self.column, self.has_text = line, column, True
        self.pieces.append(text)

    def close(self) -> SourceCell:
        text = _SPACE.sub(" ", "".join(self.pieces)).strip()
        return SourceCell(text, self.line, self.column, self.rowspan, self.colspan)


def _span(value: str | None) -> int:
    # rowspan="0" (to the end of the section) and junk read as 1; a huge span is
    # capped so that a broken page cannot blow the grid up.
    try:
        return min(max(int(value or 1), 1), 1000)
    except ValueError:
        return 1


class _Table:
    """A ``<table>`` being read: rows of closed cells and the cell open now."""

    def __init__(self) -> None:
        self.rows: list[list[SourceCell]] = []
        self.cell: _Cell | None = None

    def close_cell(self) -> None:
        if self.cell is not None:
            if not self.rows:
                self.rows.append([])
            self.rows[-1].append(self.cell.close())
            self.cell = None


class _TextExtractor(HTMLParser):
    """Collects the visible text of a page with the source position of each run.

    Blocks end a paragraph; table cells are kept apart by a tab so that two figures
    in neighbouring cells never read as one number. Tables are also kept as marked
    up (nested tables apart from the cell they sit in).
    """

    def __init__(self) -> None:
        # Character references are handled one by one, so that the source position
        # of every run of text stays exact.
        super().__init__(convert_charrefs=False)
        self.parts: list[str] = []
        self.anchors: list[tuple[int, int, int, int]] = []
        self.length = 0
        self.skip = 0
        self.open_tables: list[_Table] = []
        self.tables: list[list[list[SourceCell]]] = []

    def _table_start(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.open_tables.append(_Table())
            return
        if not self.open_tables:
            return
        table = self.open_tables[-1]
        if tag == "tr":
            table.close_cell()
            table.rows.append([])
        elif tag in _CELLS:
            table.close_cell()
            line, col = self.getpos()
            table.cell = _Cell(line, col + 1, dict(attrs))
        elif tag == "br" and table.cell is not None:
            table.cell.pieces.append(" ")

    def _table_end(self, tag: str) -> None:
        if not self.open_tables:
            return
        if tag == "table":
            table = self.open_tables.pop()
            table.close_cell()
            self.tables.append([row for row in table.rows if row])
        elif tag in _CELLS or tag == "tr":
            self.open_tables[-1].close_cell()

    def _cell_text(self, text: str, line: int, column: int) -> None:
        if self.open_tables and self.open_tables[-1].cell is not None:
            self.open_tables[-1].cell.add(text, line, column)

    def _emit(self, text: str, line: int = 0, column: int = 0) -> None:
        if line:
            self.anchors.append((self.length, 0, line, column))
        self.parts.append(text)
        self.length += len(text)

    def _break(self, sep: str) -> None:
        if self.parts and self.parts[-1] not in ("\n", "\t"):
            self._emit(sep)
        elif self.parts and sep == "\n" and self.parts[-1] == "\t":
            self.parts[-1] = "\n"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if not self.skip:
            self._table_start(tag, attrs)
        if tag in _SKIPPED:
            self.skip += 1
        elif tag in _CELLS:
            self._break("\t")
        elif tag in _BLOCKS:
            self._break("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if not self.skip:
            self._table_start(tag, attrs)
        if tag in _BLOCKS:
            self._break("\n")

    def handle_endtag(self, tag: str) -> None:
        if not self.skip:
            self._table_end(tag)
        if tag in _SKIPPED:
            self.skip = max(self.skip - 1, 0)
        elif tag in _CELLS:
            self._break("\t")
        elif tag in _BLOCKS:
            self._break("\n")

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        line, col = self.getpos()
        col += 1
        for m in re.finditer(r"\s+|\S+", data):
            piece = m.group()
            if piece.isspace():
                if self.parts and self.parts[-1][-1:] not in ("\n", "\t", " "):
                    self._emit(" ")
            else:
                self._emit(piece, line, col)
            self._cell_text(piece, line, col)
            newlines = piece.count("\n")
            if newlines:
                line += newlines
                col = len(piece) - piece.rfind("\n")
            else:
                col += len(piece)

    def _reference(self, source: str) -> None:
        if self.skip:
            return
        char = html.unescape(source)
        line, col = self.getpos()
        self._cell_text(char, line, col + 1)
        if char.isspace():
            if self.parts and self.parts[-1][-1:] not in ("\n", "\t", " "):
                self._emit(" ")
        else:
            self._emit(char, line, col + 1)

    def handle_entityref(self, name: str) -> None:
        self._reference(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self._reference(f"&#{name};")


def html_document(source: str, path: str = "") -> Document:
    """An HTML page: its visible text, paragraphs per block, cells kept apart."""
    parser = _TextExtractor()
    parser.feed(source)
    parser.close()
    raw = "".join(parser.parts)
    # Trim spaces around line and cell breaks without moving any anchored text:
    # only characters that carry no anchor of their own are dropped.
    text, anchors = _tidy(raw, parser.anchors)
    return Document(path, text, anchors, parser.tables)


def _tidy(
    raw: str, anchors: list[tuple[int, int, int, int]]
) -> tuple[str, list[tuple[int, int, int, int]]]:
    """Drop spaces next to a break, repeated breaks and leading breaks; anchors
    follow their characters (a dropped character never carries an anchor)."""
    keep: list[int] = []
    for i, ch in enumerate(raw):
        prev = raw[keep[-1]] if keep else "\n"
        nxt = raw[i + 1] if i + 1 < len(raw) else "\n"
        if ch == " " and (prev in "\n\t" or nxt in "\n\t"):
            continue
        if ch in "\n\t" and prev == "\n":
            continue
        if ch == "\n" and prev == "\t":
            keep[-1] = i  # a row ends after its last cell: the tab becomes the break
            continue
        keep.append(i)
    new_index = {old: new for new, old in enumerate(keep)}
    text = "".join(raw[i] for i in keep).rstrip("\n\t ")
    moved = [(new_index[o], p, ln, c) for o, p, ln, c in anchors if o in new_index]
    return text, moved


# PDF


def pdf_document(data: bytes, path: str = "") -> Document:
    """A PDF with a text layer: lines per page, lines wrapped by the layout joined.

    pypdf (pure Python, maintained) extracts the text; a scanned PDF has none.
    """
    import io

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, ValueError, KeyError) as exc:
        raise GovstatsError(
            Problem.make("file-unreadable", file=path, found=type(exc).__name__)
        ) from None
    if not any(p.strip() for p in pages):
        raise GovstatsError(Problem.make("pdf-no-text", file=path))
    parts: list[str] = []
    anchors: list[tuple[int, int, int, int]] = []
    length = 0
    for number, page in enumerate(pages, start=1):
        lines = page.split("\n")
        longest = max((len(ln.strip()) for ln in lines), default=0)
        for i, line in enumerate(lines, start=1):
            stripped = line.strip()
            if not stripped:
                continue
            anchors.append((length, number, i, line.index(stripped[0]) + 1))
            parts.append(stripped)
            length += len(stripped)
            wrapped = len(stripped) >= FULL_LINE * longest and not stripped.endswith(
                _SENTENCE_END
            )
            if not wrapped:
                parts.append("\n")
                length += 1
        if parts and parts[-1] != "\n":
            parts.append("\n")
            length += 1
    return Document(path, "".join(parts).rstrip("\n"), anchors)
