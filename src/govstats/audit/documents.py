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
import functools
import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from govstats.audit.pdfpages import FULL_LINE
from govstats.core.limits import DEFAULT_LIMITS, Limits
from govstats.core.locations import Location
from govstats.core.problems import GovstatsError, Problem

__all__ = [
    "Document",
    "SourceCell",
    "html_document",
    "office_document",
    "read_document",
    "text_document",
]

HTML_SUFFIXES = (".html", ".htm", ".xhtml", ".shtml")
_SENTENCE_END = tuple("。！？；：!?;:")


@dataclass
class SourceCell:
    """A ``<td>``/``<th>`` as marked up: its text (whitespace collapsed, a ``<br>``
    kept as a space), its spans, and the source position of its first character
    (of the tag when it is empty). A cell of a PDF's or a Word file's table is one
    too, with the page it is on (0: no pages)."""

    text: str
    line: int
    column: int
    rowspan: int = 1
    colspan: int = 1
    page: int = 0


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
    # ``found`` and ``expected`` of an ``encoding-uncertain`` note, when the
    # file's encoding was guessed (:func:`govstats.audit.limits.decode_text`).
    encoding_note: dict[str, str] | None = None
    _keys: list[int] = field(default_factory=list, repr=False, compare=False)

    def locate(self, offset: int) -> Location:
        """The position in the file of the character at ``offset`` of :attr:`text`."""
        if not self.anchors:
            return Location(file=self.path)
        if len(self._keys) != len(self.anchors):
            self._keys = [a[0] for a in self.anchors]  # once, not per look-up
        keys = self._keys
        i = max(bisect.bisect_right(keys, offset) - 1, 0)
        start, page, line, column = self.anchors[i]
        return Location(
            file=self.path,
            page=page or None,
            line=line,
            column=column + max(offset - start, 0),
        )


def read_document(path: str | Path, limits: Limits = DEFAULT_LIMITS) -> Document:
    """Read a report, choosing the reader by content and suffix.

    :raises GovstatsError: ``file-not-found``; ``not-a-regular-file`` for a
        folder or a FIFO; ``pdf-unreadable`` for a damaged PDF; ``pdf-no-text``
        for a PDF without a text layer (a scan);
        ``text-too-large``, ``pdf-too-large`` and ``text-undecodable`` beyond the
        ``limits`` (text_bytes, file_bytes and the pdf_ ones).
    """
    from govstats.audit.limits import decode_text

    path = Path(path)
    limit = limits.text_bytes
    # Read one byte more than any limit allows: a file beyond it is refused
    # without being read whole, even one that grows while it is read.
    data = _open_regular(path, max(limit, limits.file_bytes) + 1)
    if data.startswith(b"%PDF") or path.suffix.lower() == ".pdf":
        try:
            return pdf_document(data, str(path), limits)
        except GovstatsError as exc:
            if exc.problem.code != "file-unreadable":
                raise
            # A PDF, not a workbook: told so, not to save it as .xlsx.
            problem = Problem.make(
                "pdf-unreadable", file=str(path), found=exc.problem.found
            )
            raise GovstatsError(problem) from exc
    office = office_document(data, str(path), limits)
    if office is not None:
        return office
    if len(data) > limit:
        raise _too_large(str(path), max(len(data), path.stat().st_size), limit)
    # Chinese government portals still publish GB18030/GBK pages and files.
    text, note = decode_text(data, str(path))
    head = text[:1000].lstrip().lower()
    if path.suffix.lower() in HTML_SUFFIXES or head.startswith(("<!doctype", "<html")):
        doc = html_document(text, str(path))
    else:
        doc = text_document(text, str(path))
    doc.encoding_note = note
    return doc


def office_document(
    data: bytes, path: str, limits: Limits = DEFAULT_LIMITS
) -> Document | None:
    """A word-processor file read by :mod:`govstats.audit.office`: its paragraphs
    one per line, each table row a line of cells apart by tabs, and its tables as
    marked up (a line is a paragraph or a row, in body order; its column counts its
    characters). None for a file that is no office file; a workbook is refused."""
    from govstats.audit.office import office_blocks, office_kind

    kind = office_kind(data, path)
    if kind is None:
        return None
    if len(data) > limits.file_bytes:
        raise _too_large(path, len(data), limits.file_bytes)
    parts: list[str] = []
    anchors: list[tuple[int, int, int, int]] = []
    tables: list[list[list[SourceCell]]] = []
    length = 0
    number = 0

    def line(texts: list[str]) -> list[int]:
        nonlocal length, number
        number += 1
        columns, column = [], 1
        for i, text in enumerate(texts):
            columns.append(column)
            if not text:
                continue
            if i and parts and parts[-1] != "\n":
                parts.append("\t")
                length += 1
                column += 1
            anchors.append((length, 0, number, column))
            columns[-1] = column
            parts.append(text)
            length += len(text)
            column += len(text)
        if parts and parts[-1] != "\n":
            parts.append("\n")
            length += 1
        return columns

    for block in office_blocks(data, path, kind, limits):
        if not block.rows:
            if block.text.strip():
                line([block.text.strip()])
            continue
        table = []
        for row in block.rows:
            columns = line([c.text for c in row])
            table.append(
                [
                    SourceCell(c.text, number, col, c.rowspan, c.colspan)
                    for c, col in zip(row, columns, strict=True)
                ]
            )
        tables.append(table)
    text = "".join(parts).rstrip("\n")
    if len(text.encode("utf-8")) > limits.text_bytes:
        raise _too_large(path, len(text.encode("utf-8")), limits.text_bytes)
    from govstats.audit.limits import judge_text

    # A damaged file LibreOffice opened as text: garbage is never audited.
    note = judge_text(text, kind.upper(), path)
    return Document(path, text, anchors, tables, encoding_note=note)


def _too_large(path: str, size: int, limit: int) -> GovstatsError:
    from govstats.audit.limits import size_text, too_large

    return too_large(path, size_text(size), size_text(limit))


def _open_regular(path: Path, most: int) -> bytes:
    """At most ``most`` bytes of ``path``, a regular file: what it is instead
    (missing, a folder or a FIFO, which is never opened: reading one would wait
    forever, or one the user may not read) is told by its own problem (issue 21)."""
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
        with path.open("rb") as f:
            return f.read(most)
    except OSError as exc:
        raise os_error(exc, path) from exc


# Plain text and Markdown


def text_document(text: str, path: str = "") -> Document:
    """A text or Markdown file: one paragraph per line, positions as in the file.

    A page copied from a browser whose figures are set apart in the markup (a
    ``<span>`` each) breaks its sentences around them: “累计主动公开政府信息” /
    “5928” / “条，其中…” are one sentence, and are read as one paragraph
    (:func:`_continues`).
    """
    lines = text.splitlines()
    anchors = []
    offset = 0
    parts: list[str] = []
    for number, line in enumerate(lines, start=1):
        if number > 1:
            if _continues(lines[number - 2], line):
                offset -= 1  # no line break between the two
            else:
                parts.append("\n")
        anchors.append((offset, 0, number, 1))
        parts.append(line)
        offset += len(line) + 1
    return Document(path, "".join(parts), anchors)


# A line that is only a figure: “5928”, “90.3%”, “1,234”.
_FIGURE_LINE = re.compile(r"[0-9][0-9,，.]*[%％]?")
# What a sentence goes on with after a figure: punctuation inside a sentence, or
# the figure's unit.
_GOES_ON = tuple("，、；;,。：:）)%％") + tuple("条件个项次人家宗起万亿元场期份年")
# A heading (“三、依申请公开情况”, “（一）主动公开”): no sentence to go on with.
_HEADING = re.compile(r"[（(]?[一二三四五六七八九十]+[、）)]")


def _continues(before: str, line: str) -> bool:
    """Whether ``line`` goes on with the sentence ``before`` left open: one of
    them is a figure alone, and the sentence was not ended before it."""
    left, right = before.rstrip(), line.strip()
    if not left or not right or left.endswith(_SENTENCE_END[:3]):
        return False
    if _FIGURE_LINE.fullmatch(right):
        return not (
            left.endswith(_SENTENCE_END)
            or left.startswith("|")
            or _HEADING.match(left.lstrip())
        )
    return bool(_FIGURE_LINE.fullmatch(left)) and right.startswith(_GOES_ON)


# HTML

_BLOCKS = frozenset(
    "address article aside blockquote body br dd div dl dt figcaption figure footer "
    "form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section table tbody "
    "thead tfoot tr ul caption title".split()
)
_CELLS = frozenset(("td", "th"))
_SKIPPED = frozenset(("script", "style", "noscript", "template", "head"))
_SPACE = re.compile(r"\s+")
# The whitespace _tidy may change: runs of two characters or more, tabs, and
# whitespace at either end (a single space or line break between two words is
# kept as it is, so a page of one-word lines costs no Python step per line).
_BREAKS = re.compile(r"[ \t\n]{2,}|\t|\A[ \t\n]|[ \t\n]\Z")
# Runs of text, words apart by one space kept in one run (one anchor: its
# characters are contiguous in the source), and runs of other whitespace.
_PIECES = re.compile(r"\S+(?: \S+)*|\s+")


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
        if _LT in data or _AMP in data:
            data = data.replace(_LT, "<").replace(_AMP, "&")
        line, col = self.getpos()
        col += 1
        if not _SPACE.search(data):  # one word (most text nodes): one run
            self._emit(data, line, col)
            self._cell_text(data, line, col)
            return
        for m in _PIECES.finditer(data):
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


# Stand-ins, one character each (so that every source position stays), for the
# ``<`` and ``&`` that cannot start markup, which the standard parser would look for
# the end of again at each one (quadratic time: issue 20). Noncharacters: no page
# holds them.
_LT, _AMP = "\ufdd0", "\ufdd1"
_CHUNK = 1 << 16
_RISKY = re.compile(
    # A comment; a marked section the parser does not know (it raises on one);
    # a character reference without a digit.
    r"<!--|<!\[(?!(?i:temp|cdata|ignore|include|rcdata|if|else|endif)"
    r"(?![-_.a-zA-Z0-9]))|&#(?![0-9]|[xX][0-9a-fA-F])"
)


def _defuse(source: str) -> str:
    """``source`` with the ``<`` and ``&`` that cannot start markup replaced by
    stand-ins: every ``<`` after the last ``>``, a comment opened after the last
    ``-->``, an unknown marked section, and ``&#`` without a digit."""
    last_gt = source.rfind(">")
    close = max(source.rfind("-->"), source.rfind("--!>"))

    def stand_in(m: re.Match[str], offset: int) -> str:
        text = m.group()
        if text == "<!--" and offset + m.start() < close:
            return text
        return (_LT if text[0] == "<" else _AMP) + text[1:]

    # In chunks cut before a < or &, where no match can span the cut, so that a
    # page of a million matches is not a list of a million pieces at once.
    out: list[str] = []
    start = 0
    while start < len(source):
        end = min(start + _CHUNK, len(source))
        if end < len(source):
            cut = max(
                source.rfind("<", start + 1, end), source.rfind("&", start + 1, end)
            )
            end = cut if cut > start else end
        chunk = source[start:end]
        if "<!" in chunk or "&#" in chunk:
            chunk = _RISKY.sub(functools.partial(stand_in, offset=start), chunk)
        if end > last_gt + 1:
            at = max(last_gt + 1 - start, 0)
            chunk = chunk[:at] + chunk[at:].replace("<", _LT)
        out.append(chunk)
        start = end
    return "".join(out)


# The tokens the standard parser spends most of its time on, matched in one step
# each by _feed_fast: a run of text, a plain start or end tag (ASCII name,
# attributes apart by whitespace, values quoted or bare and ended by whitespace or
# ">"), a character or entity reference ended by ";". Anything else is "<" or "&"
# alone, which the standard parser's own method for that construct reads.
# Its groups, by number: 1 text; 2 a start tag's name, 3 its attributes, 4 "/"
# or ""; 5 an end tag's name; 6 a character reference, 7 an entity; 8 "<" or "&".
_WS = "[\t\n\r\f ]"
_TOKEN = re.compile(
    r"([^<&]+)"
    r"|<([a-zA-Z][a-zA-Z0-9]*)"
    rf"((?:{_WS}+[a-zA-Z_:][-a-zA-Z0-9_:.]*"
    rf"(?:{_WS}*={_WS}*(?:\"[^\"]*\"|'[^']*'|[^\t\n\r\f \"'=<>`/]+(?={_WS}|>)))?)*)"
    rf"{_WS}*(/?)>"
    rf"|</([a-zA-Z][-.a-zA-Z0-9:_]*){_WS}*>"
    r"|&(?:#([0-9]+|[xX][0-9a-fA-F]+)|([a-zA-Z][-.a-zA-Z0-9]*));"
    r"|([<&])"
)
# The standard parser's own patterns (html/parser.py) for what _construct reads.
_STARTTAGOPEN = re.compile("<[a-zA-Z]")
_CHARREF = re.compile("&#(?:[0-9]+|[xX][0-9a-fA-F]+)[^0-9a-fA-F]")
_ENTITYREF = re.compile("&([a-zA-Z][-.a-zA-Z0-9]*)[^a-zA-Z0-9]")
_INCOMPLETE = re.compile("&[a-zA-Z#]")
_NEWLINE = re.compile("\n")
_ATTR = re.compile(
    rf"([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:{_WS}*={_WS}*(\"[^\"]*\"|'[^']*'|[^{_WS[1:-1]}\"'=<>`/]+))?"
)


def _feed_fast(parser: HTMLParser, source: str) -> bool:
    """Feed ``source`` whole to ``parser`` as :meth:`HTMLParser.feed` and
    :meth:`~HTMLParser.close` would, calling the same handlers with the same
    arguments at the same positions, in a fraction of the time on dense markup
    (issue 20: ``a<br>`` x400,000 took 2 s per MB).

    The standard parser looks for every construct in turn and counts lines after
    each token; here the common tokens are one match of :data:`_TOKEN` each, and every
    other construct is read by the parser's own method for it, as its loop
    (``goahead``) would call it. The one thing not done is what that loop does
    when a construct is left incomplete (the rest of the page is then read as
    the end of a stream): ``False`` is returned, having called handlers, and
    the caller starts afresh with the standard parser. Checked against it by
    tests/test_audit_hostile.py (Hypothesis).
    """
    parser.rawdata = source  # what the parser's own methods read
    # Where each line ends: a handler's position is looked up when it asks for
    # it (getpos), not counted after every token as the standard parser does.
    newlines = [m.start() for m in _NEWLINE.finditer(source)]
    n = len(source)
    pos = 0

    def getpos() -> tuple[int, int]:
        if not newlines:  # a page on one line
            return 1, pos
        line = bisect.bisect_left(newlines, pos)  # the line breaks before pos
        return line + 1, pos - (newlines[line - 1] + 1 if line else 0)

    vars(parser)["getpos"] = getpos
    # The handlers, looked up once (a page has a million tokens).
    data, start = parser.handle_data, parser.handle_starttag
    start_end = parser.handle_startendtag
    end_tag, cdata_tags = parser.handle_endtag, parser.CDATA_CONTENT_ELEMENTS
    try:
        match = _TOKEN.match
        while pos < n:
            if parser.cdata_elem is not None:  # inside <script> or <style>
                found = parser.interesting.search(source, pos)
                if found is None:
                    return True  # never closed: the standard parser drops the rest
                if pos < found.start():
                    data(source[pos : found.start()])
                    pos = found.start()
                end = parser.parse_endtag(pos)
                if end < 0:
                    return False
                pos = end
                continue
            m = match(source, pos)
            assert m is not None  # the last alternative takes any "<" or "&"
            kind = m.lastindex  # the token's last group (numbers in _TOKEN)
            if kind == 1:
                data(m[1])
            elif kind == 4:  # a start tag
                tag = m[2].lower()
                attrs = _attributes(m[3]) if m[3] else []
                if m[4]:
                    start_end(tag, attrs)
                else:
                    start(tag, attrs)
                    if tag in cdata_tags:
                        parser.set_cdata_mode(tag)
            elif kind == 5:
                end_tag(m[5].lower())
                parser.clear_cdata_mode()
            elif kind == 6:
                parser.handle_charref(m[6])
            elif kind == 7:
                parser.handle_entityref(m[7])
            else:
                end = _construct(parser, source, pos)
                if end < 0:
                    return False
                pos = end
                continue
            pos = m.end()
        return True
    finally:
        del vars(parser)["getpos"]


def _attributes(raw: str) -> list[tuple[str, str | None]]:
    """A plain tag's attributes as the standard parser gives them."""
    attrs: list[tuple[str, str | None]] = []
    for m in _ATTR.finditer(raw):
        name, value = m.group(1, 2)
        if value is not None and value[:1] in ("'", '"'):
            value = value[1:-1]
        if value:
            value = html.unescape(value)
        attrs.append((name.lower(), value))
    return attrs


def _construct(parser: HTMLParser, source: str, i: int) -> int:
    """Read the construct at ``source[i]`` (a "<" or "&" no plain token starts)
    as the standard parser's loop does; where it ends, or -1 where that loop
    would stop (an incomplete construct)."""
    if source[i] == "<":
        if _STARTTAGOPEN.match(source, i):
            return int(parser.parse_starttag(i))
        if source.startswith("</", i):
            return int(parser.parse_endtag(i))
        if source.startswith("<!--", i):
            return int(parser.parse_comment(i))
        if source.startswith("<?", i):
            return int(parser.parse_pi(i))
        if source.startswith("<!", i):
            return int(parser.parse_html_declaration(i))
        if i + 1 < len(source):
            parser.handle_data("<")
            return i + 1
        return -1
    if source.startswith("&#", i):
        found = _CHARREF.match(source, i)
        if found is None:
            return -1
        parser.handle_charref(found.group()[2:-1])
        k = found.end()
        return k if source.startswith(";", k - 1) else k - 1
    found = _ENTITYREF.match(source, i)
    if found is not None:
        parser.handle_entityref(found.group(1))
        k = found.end()
        return k if source.startswith(";", k - 1) else k - 1
    if _INCOMPLETE.match(source, i):
        return -1  # the standard parser waits for more
    if i + 1 < len(source):
        parser.handle_data("&")
        return i + 1
    return -1


def html_document(source: str, path: str = "") -> Document:
    """An HTML page: its visible text, paragraphs per block, cells kept apart."""
    parser = _TextExtractor()
    try:
        source = _defuse(source)
        if not _feed_fast(parser, source):
            parser = _TextExtractor()  # afresh, the standard way
            parser.feed(source)
            parser.close()
    except AssertionError:
        # The standard parser asserts on some malformed markup it cannot resume.
        raise GovstatsError(
            Problem.make("text-undecodable", file=path, found="HTML")
        ) from None
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
    # Only the breaks and spaces between words are looked at one by one; words are
    # kept whole, and each anchor moves back by what was dropped before it.
    out: list[str] = []
    segments: list[tuple[int, int]] = []  # (start of a word run, its shift)
    last = "\n"  # the last character kept
    pos = length = 0
    for m in _BREAKS.finditer(raw):
        a, b = m.span()
        if a > pos:
            segments.append((pos, length - pos))
            out.append(raw[pos:a])
            length += a - pos
            last = raw[a - 1]
        kept: list[str] = []
        for i in range(a, b):
            ch = raw[i]
            prev = kept[-1] if kept else last
            nxt = raw[i + 1] if i + 1 < len(raw) else "\n"
            if ch == " " and (prev in "\n\t" or nxt in "\n\t"):
                continue
            if ch in "\n\t" and prev == "\n":
                continue
            if ch == "\n" and prev == "\t":
                kept[-1] = (
                    "\n"  # a row ends after its last cell: the tab becomes the break
                )
                continue
            kept.append(ch)
        out.append("".join(kept))
        length += len(kept)
        last = kept[-1] if kept else last
        pos = b
    if pos < len(raw):
        segments.append((pos, length - pos))
        out.append(raw[pos:])
    text = "".join(out).rstrip("\n\t ")
    if not any(shift for _, shift in segments):
        return text, anchors  # nothing dropped before any anchored character
    starts = [a for a, _ in segments]
    moved = []
    for o, p, ln, c in anchors:
        k = bisect.bisect_right(starts, o) - 1
        moved.append((o + segments[k][1], p, ln, c))
    return text, moved


# PDF


def _pdf_read(data: bytes, path: str, limits: Limits) -> Document | list[str]:
    """The PDF read from its geometry (:mod:`govstats.audit.pdfpages`) when it
    fits the limits of a layout analysis, else the text of each page as pypdf
    extracts it. Its content streams are checked before either parses them.
    Whatever a parser raises on a hostile file is a problem of that file: pypdf's
    own limits and a nesting too deep for its recursion are ``pdf-too-large``."""
    import io

    from pypdf import PdfReader
    from pypdf.errors import LimitReachedError

    from govstats.audit import limits as pdf

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = reader.pages
        count = len(pages)
        if count > limits.pdf_pages:
            raise pdf.pdf_too_large(path, f"pages {count:,}", f"{limits.pdf_pages:,}")
        contents = []
        for page in pages:
            content = page.get_contents()
            contents.append(content.get_data() if content is not None else b"")
        pdf.check_pdf_contents(contents, path, limits)
        size = sum(len(c) for c in contents)
        del contents
        if pdf.geometry_fits(reader, size, path, limits):
            doc = _geometry(data, path)
            if doc is not None:
                return doc
        return [page.extract_text() or "" for page in pages]
    except GovstatsError:
        raise
    except (LimitReachedError, RecursionError, MemoryError) as exc:
        raise pdf.pdf_too_large(
            path, f"{type(exc).__name__}: {str(exc)[:80]}", "README: Limits"
        ) from None
    except Exception as exc:  # noqa: BLE001 - any failure of the parser on this file
        raise GovstatsError(
            Problem.make("file-unreadable", file=path, found=type(exc).__name__)
        ) from None


def _geometry(data: bytes, path: str) -> Document | None:
    """The PDF read by :func:`govstats.audit.pdfpages.read_geometry`; None when
    pdfminer cannot read it (or finds no text), for pypdf to try."""
    from govstats.audit.pdfpages import read_geometry

    try:
        read = read_geometry(data)
    except (RecursionError, MemoryError):
        raise
    except Exception:  # noqa: BLE001 - pypdf reads what pdfminer cannot
        return None
    if not read.text.strip():
        return None
    tables = [
        [
            [
                SourceCell(c.text, c.line, c.column, c.rowspan, c.colspan, c.page)
                for c in row
            ]
            for row in table
        ]
        for table in read.tables
    ]
    return Document(path, read.text, read.anchors, tables)


def pdf_document(
    data: bytes, path: str = "", limits: Limits = DEFAULT_LIMITS
) -> Document:
    """A PDF with a text layer: its tables and lines as laid out on its pages.

    pdfplumber reads the characters' boxes and the ruling lines, within the limits
    of :mod:`govstats.audit.limits` (a PDF beyond them is ``pdf-too-large``); a
    PDF too large for that, or that pdfminer cannot read, is read as the text
    pypdf (pure Python, maintained) extracts, lines per page, lines wrapped by the
    layout joined. A scanned PDF has no text (``pdf-no-text``); one neither reads
    is ``file-unreadable``.
    """
    from govstats.audit import limits as pdf

    pdf.check_pdf_bytes(data, path, limits)
    with pdf.pdf_limits(limits):
        read = _pdf_read(data, path, limits)
    if isinstance(read, Document):
        size = len(read.text.encode("utf-8"))
        if size > limits.text_bytes:
            raise _too_large(path, size, limits.text_bytes)
        return read
    return _text_pdf(read, path, limits)


def _text_pdf(pages: list[str], path: str, limits: Limits) -> Document:
    """A PDF from the text of its pages: lines wrapped by the layout joined."""
    if not any(p.strip() for p in pages):
        raise GovstatsError(Problem.make("pdf-no-text", file=path))
    size = sum(len(p.encode("utf-8")) for p in pages)  # the text as a .txt file
    if size > limits.text_bytes:
        raise _too_large(path, size, limits.text_bytes)
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
