"""The formulas of a legacy ``.xls``, read from its BIFF8 records (issues 20 and 21).

calamine gives a formula cell's cached value and nothing of the formula. Two cases
need the formula itself, as for ``.xlsx`` and ``.ods`` (:mod:`govstats.read.formulas`):
a value cell without a cached value (a DDE call LibreOffice or Excel could not run
saves ``#N/A``, which calamine reads as empty) is a formula in a value cell, and a
value cell whose formula reaches outside the workbook has a value that came from a
file nobody submitted.

An ``.xls`` keeps a formula as tokens in reverse Polish order (``rgce``, [MS-XLS]
2.5.198). A reference to another workbook, or a DDE call, goes through the
workbook's link tables: ``EXTERNSHEET`` entries point at ``SUPBOOK`` records (one
per linked workbook, DDE server or the workbook itself), and external names
(``EXTERNNAME``, a DDE item or a name of another workbook) follow their ``SUPBOOK``.
The tokens that use them are ``ptgRef3d``, ``ptgArea3d`` (and their error forms)
and ``ptgNameX``; a defined name (``ptgName``) may hide one too.

Formulas are decompiled only to be shown, never evaluated; no link is followed.
Every length is checked against its record, every loop is bounded.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass, field

from govstats.core.limits import DEFAULT_LIMITS, Limits

__all__ = ["XlsFormula", "XlsFormulaBook", "read_xls_formulas", "xls_formulas"]

Cell = tuple[str, int, int]  # sheet, row, column (1-based)

_BOF, _EOF, _BOUNDSHEET, _CONTINUE = 0x0809, 0x000A, 0x0085, 0x003C
_FORMULA, _ARRAY = 0x0006, 0x0221
_SUPBOOK, _EXTERNSHEET, _EXTERNNAME, _NAME = 0x01AE, 0x0017, 0x0023, 0x0018
_CONTINUED = (_SUPBOOK, _EXTERNSHEET)
# Formulas decompiled at most, and the length of one formula's text.
_MAX_FORMULAS = 100_000
_MAX_TEXT = 1000
_MAX_NAMES = 65_536  # defined names, and external names of one SUPBOOK

_ERRORS = {
    0x00: "#NULL!",
    0x07: "#DIV/0!",
    0x0F: "#VALUE!",
    0x17: "#REF!",
    0x1D: "#NAME?",
    0x24: "#NUM!",
    0x2A: "#N/A",
}
_BINARY = {
    0x03: "+",
    0x04: "-",
    0x05: "*",
    0x06: "/",
    0x07: "^",
    0x08: "&",
    0x09: "<",
    0x0A: "<=",
    0x0B: "=",
    0x0C: ">=",
    0x0D: ">",
    0x0E: "<>",
    0x0F: " ",
    0x10: ",",
    0x11: ":",
}
# The functions a statistics workbook uses, by their BIFF index ([MS-XLS] 2.5.198.17
# Ftab): the name, and the number of arguments of those called with a fixed number
# (ptgFunc). A function not listed is shown by its index.
_FUNCTIONS: dict[int, tuple[str, int]] = {
    0: ("COUNT", -1),
    1: ("IF", -1),
    2: ("ISNA", 1),
    3: ("ISERROR", 1),
    4: ("SUM", -1),
    5: ("AVERAGE", -1),
    6: ("MIN", -1),
    7: ("MAX", -1),
    10: ("NA", 0),
    20: ("SQRT", 1),
    24: ("ABS", 1),
    25: ("INT", 1),
    26: ("SIGN", 1),
    27: ("ROUND", 2),
    28: ("LOOKUP", -1),
    29: ("INDEX", -1),
    30: ("REPT", 2),
    31: ("MID", 3),
    32: ("LEN", 1),
    33: ("VALUE", 1),
    34: ("TRUE", 0),
    35: ("FALSE", 0),
    36: ("AND", -1),
    37: ("OR", -1),
    38: ("NOT", 1),
    39: ("MOD", 2),
    48: ("TEXT", 2),
    64: ("MATCH", -1),
    65: ("DATE", 3),
    74: ("NOW", 0),
    100: ("CHOOSE", -1),
    101: ("HLOOKUP", -1),
    102: ("VLOOKUP", -1),
    109: ("LOG", -1),
    111: ("CHAR", 1),
    115: ("LEFT", -1),
    116: ("RIGHT", -1),
    118: ("TRIM", 1),
    124: ("FIND", -1),
    126: ("ISERR", 1),
    127: ("ISTEXT", 1),
    128: ("ISNUMBER", 1),
    129: ("ISBLANK", 1),
    148: ("INDIRECT", -1),
    169: ("COUNTA", -1),
    183: ("PRODUCT", -1),
    197: ("TRUNC", -1),
    212: ("ROUNDUP", 2),
    213: ("ROUNDDOWN", 2),
    216: ("RANK", -1),
    221: ("TODAY", 0),
    228: ("SUMPRODUCT", -1),
    336: ("CONCATENATE", -1),
    344: ("SUBTOTAL", -1),
    345: ("SUMIF", -1),
    337: ("POWER", 2),
    346: ("COUNTIF", 2),
    347: ("COUNTBLANK", 1),
}
# Bytes after the token of each base token ([MS-XLS] 2.5.198.25 Ptg): the
# variable ones (ptgStr, ptgAttr) are measured where they are read.
_SIZES = {
    0x01: 4,
    0x02: 4,
    0x1C: 1,
    0x1D: 1,
    0x1E: 2,
    0x1F: 8,
    0x20: 7,
    0x21: 2,
    0x22: 3,
    0x23: 4,
    0x24: 4,
    0x25: 8,
    0x26: 6,
    0x27: 6,
    0x28: 6,
    0x29: 2,
    0x2A: 4,
    0x2B: 8,
    0x2C: 4,
    0x2D: 8,
    0x39: 6,
    0x3A: 6,
    0x3B: 10,
    0x3C: 6,
    0x3D: 10,
}


@dataclass(frozen=True)
class XlsFormula:
    """A cell's formula as Excel shows it (``=...``) and what it reaches outside
    the workbook (a file, or a DDE call ``app|'topic'``), ``""`` when nothing."""

    text: str
    target: str = ""


class _Unreadable(Exception):
    """A token this module does not decompile (the formula is shown in part)."""


@dataclass
class _Link:
    """One SUPBOOK: the workbook itself, an add-in, a DDE server or a workbook."""

    kind: str  # "self", "add-in", "dde", "book"
    target: str = ""
    sheets: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)


@dataclass
class _Links:
    books: list[_Link] = field(default_factory=list)
    sheets: list[tuple[int, int]] = field(default_factory=list)  # (book, first tab)
    names: list[tuple[str, bytes]] = field(default_factory=list)  # defined names
    # what each defined name (by its 1-based index) reaches outside the workbook
    name_targets: dict[int, tuple[str, ...]] = field(default_factory=dict)
    own_sheets: list[str] = field(default_factory=list)

    @property
    def external(self) -> bool:
        return any(b.kind in ("dde", "book") for b in self.books)


class XlsFormulaBook:
    """The link tables and the formulas' tokens of an ``.xls``, read once; a
    cell's formula is decompiled when asked for (:meth:`formula`)."""

    def __init__(self, links: _Links, tokens: dict[Cell, tuple[bytes, bool]]) -> None:
        self._links = links
        #: each formula cell's tokens, and whether they are an array formula's
        self.tokens = tokens

    @property
    def external(self) -> bool:
        """Whether the link tables name another workbook or a DDE server."""
        return self._links.external

    def formula(self, cell: Cell) -> XlsFormula | None:
        """The formula of a cell, None for a cell without one."""
        found = self.tokens.get(cell)
        if found is None:
            return None
        rgce, array = found
        targets: list[str] = []
        try:
            text = _decompile(rgce, self._links, targets)
        except _Unreadable:
            # Shown in part: what it reaches outside (a token this module
            # does not decompile is not the clerk's fault).
            text = "…" + "…".join(targets) + ("…" if targets else "")
        text = "{=" + text + "}" if array else "=" + text
        return XlsFormula(text[:_MAX_TEXT], targets[0] if targets else "")


def xls_formulas(
    data: bytes,
    wanted: set[Cell] | None,
    only_external: bool = False,
    limits: Limits = DEFAULT_LIMITS,
) -> dict[Cell, XlsFormula]:
    """The formulas of the given cells of an ``.xls`` (see :func:`read_xls_formulas`).

    :param only_external: only the formulas that reach outside the workbook.
    """
    book = read_xls_formulas(data, wanted, only_external, limits)
    out = {}
    for cell in book.tokens:
        found = book.formula(cell)
        if found is not None and (found.target or not only_external):
            out[cell] = found
    return out


def read_xls_formulas(
    data: bytes,
    wanted: set[Cell] | None = None,
    only_external: bool = False,
    limits: Limits = DEFAULT_LIMITS,
) -> XlsFormulaBook:
    """The formulas of the given cells of an ``.xls`` (of every cell, up to
    100,000, when ``wanted`` is None), none decompiled yet.

    :param only_external: none unless the link tables name another workbook or
        a DDE server; a workbook that links to nothing outside costs a walk of
        its first records.
    :raises ValueError: for a file that is no readable ``.xls`` (it was checked
        before, by :func:`govstats.read.biff.scan_xls`).
    """
    from govstats.read.biff import sheet_name, workbook_stream

    stream = workbook_stream(data, limits)
    links = _Links()
    offsets: dict[int, str] = {}
    pending: _Link | None = None
    tokens: dict[Cell, tuple[bytes, bool]] = {}
    for pos, kind, body in _records(stream):
        if kind == _BOF and pos == 0 and body[:2] != b"\x00\x06":
            # BIFF5 (Excel 95) sizes its tokens and links otherwise: not read.
            return XlsFormulaBook(links, tokens)
        if kind == _BOF and pos > 0:
            break  # the end of the workbook globals
        if kind == _BOUNDSHEET and len(body) >= 7:
            offsets[struct.unpack("<I", body[:4])[0]] = sheet_name(body, True)
        elif kind == _SUPBOOK:
            pending = _supbook(body)
            links.books.append(pending)
        elif kind == _EXTERNNAME and pending is not None:
            if len(pending.names) < _MAX_NAMES:
                pending.names.append(_short_string(body, 6))
        elif kind == _EXTERNSHEET and len(body) >= 2:
            count = struct.unpack("<H", body[:2])[0]
            for i in range(min(count, (len(body) - 2) // 6)):
                book, first, _ = struct.unpack("<HHH", body[2 + 6 * i : 8 + 6 * i])
                links.sheets.append((book, first))
        elif kind == _NAME and len(body) >= 15 and len(links.names) < _MAX_NAMES:
            links.names.append(_defined_name(body))
    links.own_sheets = [offsets[o] for o in sorted(offsets)]
    if only_external and not links.external:
        return XlsFormulaBook(links, tokens)
    sheet = ""
    depth = 0
    arrays: dict[tuple[str, int, int], bytes] = {}
    exps: dict[Cell, tuple[int, int]] = {}
    for pos, kind, body in _records(stream):
        if kind == _BOF:
            depth += 1
            if depth == 1:
                sheet = offsets.get(pos, "")
            continue
        if kind == _EOF:
            depth = max(0, depth - 1)
            continue
        if depth != 1 or not sheet:
            continue
        if kind == _ARRAY and len(body) >= 14:
            row, _, col = struct.unpack("<HHB", body[:5])
            if (sheet, row + 1, col + 1) in exps:
                cce = struct.unpack("<H", body[12:14])[0]
                arrays[(sheet, row, col)] = body[14 : 14 + cce]
        elif kind == _FORMULA and len(body) >= 22:
            row, col = struct.unpack("<HH", body[:4])
            cell = (sheet, row + 1, col + 1)
            if wanted is not None and cell not in wanted:
                continue
            cce = struct.unpack("<H", body[20:22])[0]
            rgce = body[22 : 22 + cce]
            if rgce[:1] == b"\x01" and len(rgce) >= 5:
                # ptgExp: the formula is an array formula's (or a shared one's,
                # which cannot reach outside), whose record follows its first cell.
                exps[cell] = struct.unpack("<HH", rgce[1:5])
            else:
                tokens[cell] = (rgce, False)
            if len(tokens) + len(exps) >= _MAX_FORMULAS:
                break
    for cell, (row, col) in exps.items():
        rgce = arrays.get((cell[0], row, col), b"")
        if rgce:
            tokens[cell] = (rgce, True)
    return XlsFormulaBook(links, tokens)


def _records(stream: bytes) -> Iterator[tuple[int, int, bytes]]:
    """The records of a BIFF stream, one at a time, each with the CONTINUE
    records after it joined to its body (an EXTERNSHEET of many entries is
    continued; joined once, not record by record)."""
    start = kind = 0
    parts: list[bytes] = []
    pos = 0
    while pos + 4 <= len(stream):
        next_kind, length = struct.unpack("<HH", stream[pos : pos + 4])
        body = stream[pos + 4 : pos + 4 + length]
        if next_kind == _CONTINUE and parts and kind in _CONTINUED:
            parts.append(body)
        else:
            if parts:
                yield start, kind, b"".join(parts)
            start, kind, parts = pos, next_kind, [body]
        pos += 4 + length
    if parts:
        yield start, kind, b"".join(parts)


def _decompile(rgce: bytes, links: _Links, targets: list[str]) -> str:
    """The formula of these tokens as Excel shows it (without ``=``), noting in
    ``targets`` every file or DDE call it reaches outside the workbook."""
    stack: list[str] = []
    pos = 0
    while pos < len(rgce):
        ptg = rgce[pos]
        pos += 1
        base = ptg if ptg < 0x20 else (ptg & 0x1F) | 0x20
        if base in _BINARY:
            if len(stack) < 2:
                raise _Unreadable
            right = stack.pop()
            stack.append(stack.pop() + _BINARY[base] + right)
        elif base in (0x12, 0x13):
            _need(stack, 1)
            stack.append(("+" if base == 0x12 else "-") + stack.pop())
        elif base == 0x14:
            _need(stack, 1)
            stack.append(stack.pop() + "%")
        elif base == 0x15:
            _need(stack, 1)
            stack.append("(" + stack.pop() + ")")
        elif base == 0x16:
            stack.append("")
        elif base == 0x17:
            text, pos = _ptg_string(rgce, pos)
            stack.append('"' + text.replace('"', '""') + '"')
        elif base == 0x19:
            if pos + 3 > len(rgce):
                raise _Unreadable
            kind, count = rgce[pos], struct.unpack("<H", rgce[pos + 1 : pos + 3])[0]
            pos += 3 + (2 * (count + 1) if kind & 0x04 else 0)
            if kind & 0x10:  # tAttrSum: SUM of the operand on the stack
                _need(stack, 1)
                stack.append("SUM(" + stack.pop() + ")")
        else:
            size = _SIZES.get(base)
            if size is None or pos + size > len(rgce):
                raise _Unreadable
            stack.append(_operand(base, rgce[pos : pos + size], stack, links, targets))
            if stack[-1] == "\0":
                stack.pop()  # a token that pushes nothing (ptgMem*)
            pos += size
        if len(stack) > _MAX_TEXT:
            raise _Unreadable
        if stack and len(stack[-1]) > _MAX_TEXT:
            # Shortened, not given up: what it reaches outside is still found.
            stack[-1] = stack[-1][:_MAX_TEXT] + "…"
    if len(stack) != 1:
        raise _Unreadable
    return stack[0]


def _need(stack: list[str], count: int) -> None:
    if len(stack) < count:
        raise _Unreadable


def _operand(
    base: int,
    raw: bytes,
    stack: list[str],
    links: _Links,
    targets: list[str],
) -> str:
    if base == 0x1C:
        return _ERRORS.get(raw[0], "#N/A")
    if base == 0x1D:
        return "TRUE" if raw[0] else "FALSE"
    if base == 0x1E:
        return str(struct.unpack("<H", raw)[0])
    if base == 0x1F:
        number = struct.unpack("<d", raw)[0]
        return str(int(number)) if number.is_integer() else repr(number)
    if base in (0x21, 0x22):
        return _call(base, raw, stack)
    if base == 0x24:
        return _cell(*struct.unpack("<HH", raw))
    if base == 0x25:
        r1, r2, c1, c2 = struct.unpack("<HHHH", raw)
        return _cell(r1, c1) + ":" + _cell(r2, c2)
    if base in (0x2A, 0x2B):
        return "#REF!"
    if base in (0x26, 0x27, 0x28, 0x29):
        return "\0"  # a memory-area prefix: the tokens after it are the operand
    if base == 0x23:
        return _defined(struct.unpack("<H", raw[:2])[0], links, targets)
    if base == 0x39:
        ixti, index = struct.unpack("<HH", raw[:4])
        return _external_name(ixti, index, links, targets)
    if base in (0x3A, 0x3B, 0x3C, 0x3D):
        ixti = struct.unpack("<H", raw[:2])[0]
        if base == 0x3A:
            where = _cell(*struct.unpack("<HH", raw[2:6]))
        elif base == 0x3B:
            r1, r2, c1, c2 = struct.unpack("<HHHH", raw[2:10])
            where = _cell(r1, c1) + ":" + _cell(r2, c2)
        else:
            where = "#REF!"
        return _sheet_prefix(ixti, links, targets) + where
    raise _Unreadable  # ptgExp, ptgTbl, ptgArray, relative references: not here


def _call(base: int, raw: bytes, stack: list[str]) -> str:
    if base == 0x21:
        index = struct.unpack("<H", raw)[0]
        name, count = _FUNCTIONS.get(index, ("", -1))
        if count < 0:
            raise _Unreadable  # a fixed number of arguments not known here
    else:
        count = raw[0] & 0x7F
        index = struct.unpack("<H", raw[1:3])[0] & 0x7FFF
        name = _FUNCTIONS.get(index, (f"FUNCTION{index}", -1))[0]
    if len(stack) < count:
        raise _Unreadable
    args = stack[len(stack) - count :] if count else []
    del stack[len(stack) - count :]
    if index == 255 and args:  # a user-defined or add-in function: named first
        name, args = args[0], args[1:]
    return f"{name}({','.join(args)})"


def _cell(row: int, col: int) -> str:
    from govstats.core.locations import column_letter

    letter = column_letter((col & 0x3FFF) + 1)
    return (
        ("" if col & 0x4000 else "$")
        + letter
        + ("" if col & 0x8000 else "$")
        + str(row + 1)
    )


def _sheet_prefix(ixti: int, links: _Links, targets: list[str]) -> str:
    """``Sheet1!``, or ``'C:\\dir\\[book.xls]Sheet1'!`` for another workbook."""
    if ixti >= len(links.sheets):
        return "#REF!"
    book_index, tab = links.sheets[ixti]
    book = links.books[book_index] if book_index < len(links.books) else None
    if book is None or book.kind in ("self", "add-in"):
        own = links.own_sheets
        return _quote(own[tab]) + "!" if tab < len(own) else ""
    targets.append(book.target)
    sheet = book.sheets[tab] if tab < len(book.sheets) else ""
    folder, _, name = book.target.replace("/", "\\").rpartition("\\")
    inner = (folder + "\\" if folder else "") + "[" + name + "]" + sheet
    return "'" + inner.replace("'", "''") + "'!"


def _quote(sheet: str) -> str:
    """A sheet's name as a formula writes it: quoted unless plain letters and digits."""
    if sheet.replace("_", "").isalnum() and sheet.isascii() and not sheet[:1].isdigit():
        return sheet
    return "'" + sheet.replace("'", "''") + "'"


def _external_name(ixti: int, index: int, links: _Links, targets: list[str]) -> str:
    """A name of another workbook, a DDE item (``cmd|'/c calc'!A0``), or an
    add-in function's name."""
    if ixti >= len(links.sheets):
        return "#REF!"
    book_index = links.sheets[ixti][0]
    if book_index >= len(links.books):
        return "#REF!"
    book = links.books[book_index]
    name = book.names[index - 1] if 0 < index <= len(book.names) else "#REF!"
    if book.kind == "dde":
        targets.append(book.target)
        return book.target + "!" + name
    if book.kind == "book":
        targets.append(book.target)
        return "'" + book.target.replace("'", "''") + "'!" + name
    return name


def _defined(index: int, links: _Links, targets: list[str]) -> str:
    """A defined name; what its formula reaches outside the workbook is the
    cell's. Each name's tokens are read once (a name that names itself, or a
    formula naming one name a thousand times, costs no more)."""
    if not 0 < index <= len(links.names):
        return "#NAME?"
    name, rgce = links.names[index - 1]
    found = links.name_targets.get(index)
    if found is None:
        links.name_targets[index] = ()  # while its own tokens are read
        inner: list[str] = []
        try:
            _decompile(rgce, links, inner)
        except _Unreadable:
            pass
        found = links.name_targets[index] = tuple(inner)
    targets.extend(found)
    return name


def _supbook(body: bytes) -> _Link:
    if len(body) < 4:
        return _Link("self")
    count, length = struct.unpack("<HH", body[:4])
    if length == 0x0401:
        return _Link("self")
    if length == 0x3A01:
        return _Link("add-in")
    path, pos = _string(body, 4, length)
    sheets = []
    for _ in range(min(count, 0x4000)):
        if pos + 2 > len(body):
            break
        size = struct.unpack("<H", body[pos : pos + 2])[0]
        sheet, pos = _string(body, pos + 2, size)
        sheets.append(sheet)
    if path[:1] not in ("\x01", "\x02") and "\x03" in path:
        app, _, topic = path.partition("\x03")
        return _Link("dde", f"{app}|'{topic.replace(chr(39), chr(39) * 2)}'")
    return _Link("book", _virtual_path(path), sheets)


def _virtual_path(path: str) -> str:
    """A SUPBOOK's encoded path ([MS-XLS] 2.5.277 VirtualPath) as a path."""
    if path[:1] != "\x01":
        return path.lstrip("\x02")
    out: list[str] = []
    chars = iter(path[1:])
    for ch in chars:
        if ch == "\x01":  # a volume: a drive letter, or @ for a network share
            drive = next(chars, "")
            out.append("\\\\" if drive == "@" else drive + ":\\")
        elif ch in ("\x02", "\x03"):
            if not out or not out[-1].endswith("\\"):
                out.append("\\")
        elif ch == "\x04":
            out.append("..\\")
        elif ch == "\x05":  # a long volume name, or a URL, of the given length
            size = ord(next(chars, "\0"))
            out.append("".join(next(chars, "") for _ in range(size)))
        elif ch in ("\x06", "\x07", "\x08"):
            out.append("")  # Excel's startup and library folders
        else:
            out.append(ch)
    return "".join(out)


def _string(body: bytes, pos: int, length: int) -> tuple[str, int]:
    """An XLUnicodeStringNoCch of ``length`` characters at ``pos``, and the end."""
    if pos >= len(body):
        return "", pos
    wide = body[pos] & 1
    end = pos + 1 + length * (2 if wide else 1)
    raw = body[pos + 1 : end]
    return raw.decode("utf-16-le" if wide else "latin-1", "replace"), end


def _short_string(body: bytes, pos: int) -> str:
    """A ShortXLUnicodeString (1-byte length, flags, characters) at ``pos``."""
    if pos + 2 > len(body):
        return ""
    return _string(body, pos + 1, body[pos])[0]


def _ptg_string(rgce: bytes, pos: int) -> tuple[str, int]:
    if pos + 2 > len(rgce):
        raise _Unreadable
    text, end = _string(rgce, pos + 1, rgce[pos])
    if end > len(rgce):
        raise _Unreadable
    return text, end


def _defined_name(body: bytes) -> tuple[str, bytes]:
    """A NAME record: its name (a built-in one by its code) and its tokens."""
    flags, length, size = body[0] | body[1] << 8, body[3], body[4] | body[5] << 8
    name, end = _string(body, 14, length)
    if flags & 0x20 and name:
        name = _BUILTIN_NAMES.get(ord(name[0]), name)
    return name, body[end : end + size]


_BUILTIN_NAMES = {0x06: "Print_Area", 0x07: "Print_Titles", 0x0D: "_FilterDatabase"}
