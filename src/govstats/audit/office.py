"""Reports published as word-processor files, for ``audit --text``.

Offices publish their yearly report as a Word file as often as a page or a PDF.
A ``.docx`` is read with python-docx: its paragraphs and tables in the order of
the body, each table as rows of cells with the spans Word merged them by
(``gridSpan`` across, ``vMerge`` down), so that :mod:`govstats.audit.layout` reads
it like a page's table. A ``.doc``, ``.wps``, ``.odt`` or ``.rtf`` is converted to
``.docx`` by LibreOffice when it is installed (its absence is a problem that says
how to install it). A workbook given as a report is refused: it is no report, and
reading it as text would find nothing and say so as if all were right.

What is read is returned as plain blocks (:class:`OfficeBlock`);
:mod:`govstats.audit.documents` makes the document of them.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govstats.core.limits import DEFAULT_LIMITS, Limits
from govstats.core.problems import GovstatsError, Problem

__all__ = ["OfficeBlock", "OfficeCell", "office_blocks", "office_kind"]

_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_RTF = b"{\\rtf"
# The stream of a Word 97-2003 (and WPS) document, as an OLE directory names it.
_WORD_STREAM = "WordDocument".encode("utf-16-le")
_ODF_TEXT = b"application/vnd.oasis.opendocument.text"
# Suffixes of files LibreOffice converts to .docx for reading.
CONVERTED = (".doc", ".wps", ".odt", ".rtf", ".docm", ".dot", ".dotx", ".wpt")
WORKBOOKS = (".xlsx", ".xlsm", ".xls", ".ods", ".et", ".csv", ".tsv")
# Seconds LibreOffice may take to convert one report.
CONVERT_SECONDS = 120
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


@dataclass
class OfficeCell:
    """A cell of a Word table: its text (paragraphs apart by a space) and spans."""

    text: str
    rowspan: int = 1
    colspan: int = 1


@dataclass
class OfficeBlock:
    """A paragraph of the body (``text``), or a table (``rows``)."""

    text: str = ""
    rows: list[list[OfficeCell]] = field(default_factory=list)


def office_kind(data: bytes, path: str) -> str | None:
    """``docx``, ``convert`` (a word-processor file LibreOffice reads) or
    ``workbook`` by the file's content and suffix; None for any other file."""
    from govstats.read.kinds import content_kind

    suffix = Path(path).suffix.lower()
    if data.startswith(_OLE) and (_WORD_STREAM in data or suffix in CONVERTED):
        return "convert"  # a Word or WPS file (which may hold a "Book" name too)
    if content_kind(data) is not None or suffix in WORKBOOKS:
        return "workbook"
    if data.startswith(_ZIP):
        if b"word/document.xml" in data:
            return "docx"
        if _ODF_TEXT in data[:200] or suffix in CONVERTED:
            return "convert"
        return None
    if data.startswith((_OLE, _RTF)) or (suffix in CONVERTED and not data.isascii()):
        return "convert"
    return None


def office_blocks(
    data: bytes, path: str, kind: str, limits: Limits = DEFAULT_LIMITS
) -> list[OfficeBlock]:
    """The paragraphs and tables of a word-processor file, in body order.

    :raises GovstatsError: ``report-is-workbook`` for a workbook;
        ``report-needs-libreoffice`` for a file only LibreOffice reads when it is
        not installed; ``zip-bomb`` beyond the limits of a package;
        ``report-unreadable`` for a damaged file, or one without any text.
    """
    name = Path(path).suffix.lower() or Path(path).name
    if kind == "workbook":
        raise GovstatsError(Problem.make("report-is-workbook", file=path, found=name))
    if kind == "convert":
        data = _converted(data, path, name)
    _check_package(data, path, limits)
    try:
        import docx

        document = docx.Document(io.BytesIO(data))
        blocks = _blocks(document.element.body)
    except GovstatsError:
        raise
    except Exception as exc:  # noqa: BLE001 - any failure of the reader on this file
        raise GovstatsError(
            Problem.make("report-unreadable", file=path, found=type(exc).__name__)
        ) from None
    if not any(b.text.strip() or b.rows for b in blocks):
        raise GovstatsError(
            Problem.make("report-unreadable", file=path, found="no text")
        )
    return blocks


def _converted(data: bytes, path: str, name: str) -> bytes:
    """The file as ``.docx``, converted by LibreOffice in a folder of its own."""
    import subprocess
    import tempfile

    from govstats.core import libreoffice

    if not libreoffice.available():
        raise GovstatsError(
            Problem.make("report-needs-libreoffice", file=path, found=name)
        )
    with tempfile.TemporaryDirectory(prefix="govstats-audit-") as tmp:
        source = Path(tmp) / f"report{Path(path).suffix.lower() or '.doc'}"
        source.write_bytes(data)
        try:
            out = libreoffice.convert([source], "docx", Path(tmp), CONVERT_SECONDS)
            return (out / "report.docx").read_bytes()
        except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
            raise GovstatsError(
                Problem.make("report-unreadable", file=path, found=type(exc).__name__)
            ) from None


def _check_package(data: bytes, path: str, limits: Limits) -> None:
    """Refuse a package whose parts unpack beyond the limits of a workbook's
    (python-docx reads a part whole; zipfile never inflates past a part's declared
    size, so the declared sizes bound what it reads)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise GovstatsError(
            Problem.make("report-unreadable", file=path, found=type(exc).__name__)
        ) from None
    total = sum(i.file_size for i in infos)
    largest = max((i.file_size for i in infos), default=0)
    if (
        len(infos) > limits.parts
        or total > limits.unpacked_bytes
        or largest > limits.part_bytes
    ):
        found = f"{len(infos)} parts, {total:,} B"
        expected = f"{limits.parts} parts, {limits.unpacked_bytes:,} B"
        raise GovstatsError(
            Problem.make("zip-bomb", file=path, found=found, expected=expected)
        )


def _blocks(body: Any) -> list[OfficeBlock]:
    out: list[OfficeBlock] = []
    for child in body.iterchildren():
        if child.tag == f"{_W}p":
            out.append(OfficeBlock(text=child.text))
        elif child.tag == f"{_W}tbl":
            out.append(OfficeBlock(rows=_rows(child)))
    return out


def _rows(tbl: Any) -> list[list[OfficeCell]]:
    """A Word table's rows as marked up: a cell merged down (``vMerge``) is kept
    once, in its first row, with the rows it covers as its rowspan."""
    rows: list[list[OfficeCell]] = []
    # The cell starting a vertical merge, by grid column.
    above: dict[int, OfficeCell] = {}
    for tr in tbl.tr_lst:
        row: list[OfficeCell] = []
        column = tr.grid_before
        for tc in tr.tc_lst:
            span = tc.grid_span
            merge = tc.vMerge
            if merge == "continue" and column in above:
                above[column].rowspan += 1
            else:
                text = " ".join(p.text.strip() for p in tc.iter(f"{_W}p")).strip()
                cell = OfficeCell(" ".join(text.split()), 1, span)
                row.append(cell)
                if merge == "restart":
                    above[column] = cell
                else:
                    above.pop(column, None)
            column += span
        rows.append(row)
    return rows
