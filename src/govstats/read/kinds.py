"""What kind of workbook a file is, by its content, not its name (issue 16, point 6).

A clerk's file may be named for another type than it is: WPS saves an .et that is an
Excel 97-2003 workbook inside, a workbook renamed from .xlsx to .xls stays a zip.
The content decides how it is read; a suffix that says otherwise is reported.
"""

from __future__ import annotations

__all__ = [
    "KIND_NAMES",
    "KIND_OF_SUFFIX",
    "OLE_MAGIC",
    "ZIP_MAGIC",
    "content_kind",
    "may_be_workbook",
]

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"

# The kind each accepted suffix names.
KIND_OF_SUFFIX = {".xlsx": "xlsx", ".xlsm": "xlsx", ".xls": "xls", ".ods": "ods"}
# How a kind is named to a clerk (both languages: these are file types).
KIND_NAMES = {
    "xlsx": "Excel (.xlsx)",
    "xls": "Excel 97-2003 (.xls)",
    "ods": "OpenDocument (.ods)",
}

_ENCRYPTED = "EncryptionInfo".encode("utf-16-le")
# The stream of an Excel 97-2003 workbook: Workbook (BIFF8), Book (BIFF5).
_BOOK_STREAMS = tuple(name.encode("utf-16-le") for name in ("Workbook", "Book"))
_ODF_MIMETYPE = b"mimetype"
_ODF_SPREADSHEET = b"application/vnd.oasis.opendocument.spreadsheet"


def may_be_workbook(head: bytes) -> bool:
    """True when the first bytes of a file are those of a zip or OLE container."""
    return head.startswith((OLE_MAGIC, ZIP_MAGIC))


def content_kind(data: bytes) -> str | None:
    """``xlsx``, ``xls`` or ``ods`` when the bytes are a workbook of that kind;
    None when they are no workbook (a PDF, CSV, Word document) or cannot tell.

    An OLE container holding an ``EncryptionInfo`` stream is an encrypted xlsx.
    An ODF package names its type in its first entry, ``mimetype``, stored first
    and uncompressed (ODF 1.2 §3.3); an Office Open XML workbook has ``xl/workbook.*``
    among its entries' names, which the zip holds as plain bytes.
    """
    if data.startswith(OLE_MAGIC):
        if _ENCRYPTED in data:
            return "xlsx"
        return "xls" if any(name in data for name in _BOOK_STREAMS) else None
    if data.startswith(ZIP_MAGIC):
        head = data[:200]
        if head[30:38] == _ODF_MIMETYPE and _ODF_SPREADSHEET in head:
            return "ods"
        if b"xl/workbook." in data:
            return "xlsx"
        if _ODF_SPREADSHEET in head:
            return "ods"
    return None
