"""Inspecting a legacy ``.xls`` before calamine opens it (issue 6).

calamine reads every sheet of an ``.xls`` into a dense grid as soon as it opens the
file, so a 6 KB workbook with one value at ``A1`` and one at ``IV65536`` makes it
take a gigabyte. An ``.xls`` is a compound document (OLE2) holding a ``Workbook``
stream of BIFF records; this module walks that stream with bounds on every chain
and every record, and finds how far each sheet's cells reach, so that such a file is
refused before calamine sees it.
"""

from __future__ import annotations

import struct

from govstats.core.limits import DEFAULT_LIMITS, Limits
from govstats.core.problems import GovstatsError, Problem
from govstats.read.package import SheetExtent

__all__ = ["scan_xls", "sheet_name", "workbook_stream"]

_FREE, _END = 0xFFFFFFFF, 0xFFFFFFFE
_BOF, _EOF, _BOUNDSHEET = 0x0809, 0x000A, 0x0085
# Records holding one cell's value (row, column at offsets 0 and 2): NUMBER, RK,
# LABELSST, LABEL, BOOLERR, FORMULA, RSTRING. Blank cells (BLANK, MULBLANK) are
# formatting only: calamine leaves them out of the grid, and so do we.
_CELLS = {0x0203, 0x027E, 0x00FD, 0x0204, 0x0205, 0x0006, 0x00D6}
# MULRK, a run of numbers: row, first column, ..., last column (last 2 bytes).
_RUNS = {0x00BD}


class _Damaged(Exception):
    pass


def _stream(data: bytes, limits: Limits) -> bytes:
    """The Workbook (or Book) stream of a compound document, read with bounds."""
    if len(data) < 512:
        raise _Damaged("truncated")
    shift, mini_shift = struct.unpack("<HH", data[0x1E:0x22])
    if shift not in (9, 12) or mini_shift != 6:
        raise _Damaged("bad header")
    size = 1 << shift
    (n_fat, first_dir, _, cutoff, first_mini, n_mini, first_difat, n_difat) = (
        struct.unpack("<IIIIIIII", data[0x2C:0x4C])
    )
    sectors = (len(data) - size) // size + 1

    def sector(n: int) -> bytes:
        body = data[(n + 1) * size : (n + 2) * size]
        if len(body) < size:  # a truncated file (calamine would panic on it)
            raise _Damaged("sector beyond the end")
        return body

    # The FAT: its sectors listed in the header, then in the DIFAT chain.
    fat_sectors = list(struct.unpack("<109I", data[0x4C:0x200]))
    d, seen = first_difat, 0
    while d not in (_FREE, _END) and seen <= n_difat and seen < sectors:
        entries = struct.unpack(f"<{size // 4}I", sector(d))
        fat_sectors += entries[:-1]
        d, seen = entries[-1], seen + 1
    fat: list[int] = []
    for s in fat_sectors[:n_fat]:
        if s in (_FREE, _END):
            continue
        fat += struct.unpack(f"<{size // 4}I", sector(s))

    def chain(start: int, table: list[int], limit: int) -> list[int]:
        out: list[int] = []
        n = start
        while n not in (_FREE, _END):
            if n >= len(table) or len(out) > limit:
                raise _Damaged("broken sector chain")
            out.append(n)
            n = table[n]
        return out

    directory = b"".join(sector(s) for s in chain(first_dir, fat, sectors))
    records = [directory[i : i + 128] for i in range(0, len(directory), 128)]
    if not records:
        raise _Damaged("no directory")
    root_start, root_size = struct.unpack("<IQ", records[0][0x74:0x80])

    def body_of(entry: bytes) -> bytes:
        start, stream_size = struct.unpack("<IQ", entry[0x74:0x80])
        if stream_size > limits.file_bytes:
            raise _Damaged("stream larger than the file")
        if stream_size >= cutoff:
            body = b"".join(sector(s) for s in chain(start, fat, sectors))
        else:
            # A small stream lives in the mini stream, 64-byte sectors.
            mini_stream = b"".join(sector(s) for s in chain(root_start, fat, sectors))
            mini_fat_raw = b"".join(
                sector(s) for s in chain(first_mini, fat, sectors)[:n_mini]
            )
            mini_fat = list(struct.unpack(f"<{len(mini_fat_raw) // 4}I", mini_fat_raw))
            parts = chain(start, mini_fat, min(root_size, len(mini_stream)) // 64 + 1)
            body = b"".join(mini_stream[s * 64 : (s + 1) * 64] for s in parts)
        return body[:stream_size]

    # The reader (calamine) takes the first entry named Workbook, whatever it is,
    # and only without one the first named Book: exactly that stream is checked
    # (issue 21). A Book that says otherwise than the Workbook is a file built to
    # show one workbook to one program and another to the next: refused.
    found: dict[str, bytes] = {}
    for entry in records:
        length = struct.unpack("<H", entry[0x40:0x42])[0]
        name = entry[: max(0, length - 2)].decode("utf-16-le", "replace")
        if name in ("Workbook", "Book") and name not in found:
            found[name] = entry
    chosen = "Workbook" if "Workbook" in found else "Book"
    if chosen not in found:
        raise _Damaged("no Workbook stream")
    if found[chosen][0x42] != 2:
        raise _Damaged(f"{chosen} is not a stream")
    body = body_of(found[chosen])
    if chosen == "Workbook" and "Book" in found:
        other = found["Book"]
        if other[0x42] != 2 or body_of(other) != body:
            raise _Damaged("Workbook and Book streams differ")
    return body


def workbook_stream(data: bytes, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """The stream of BIFF records the reader reads (see :func:`scan_xls`).

    :raises ValueError: for a damaged compound document.
    """
    try:
        return _stream(data, limits)
    except (_Damaged, struct.error) as exc:
        raise ValueError(f"xls: {exc}") from None


def scan_xls(
    data: bytes, path: str, limits: Limits = DEFAULT_LIMITS
) -> list[tuple[str, SheetExtent]]:
    """How far the cells of each sheet (and chart) of an ``.xls`` reach.

    :raises GovstatsError: ``file-unreadable`` for a damaged compound document,
        ``workbook-too-large`` past the cells of a workbook.
    """
    try:
        stream = _stream(data, limits)
    except (_Damaged, struct.error) as exc:
        raise GovstatsError(
            Problem.make("file-unreadable", file=path, found=f"xls: {exc}")
        ) from None
    names: dict[int, str] = {}
    extents: dict[int, SheetExtent] = {}
    open_: list[SheetExtent] = []  # substreams nest: a chart inside a sheet
    biff8 = True
    written = pos = 0
    while pos + 4 <= len(stream):
        kind, length = struct.unpack("<HH", stream[pos : pos + 4])
        body = stream[pos + 4 : pos + 4 + length]
        if kind == _BOF:
            if not extents and len(body) >= 2:
                biff8 = struct.unpack("<H", body[:2])[0] == 0x0600
            extents[pos] = SheetExtent(f"xls@{pos}")
            open_.append(extents[pos])
        elif kind == _EOF:
            if open_:
                open_.pop()
        elif kind == _BOUNDSHEET and len(body) >= 7:
            (offset,) = struct.unpack("<I", body[:4])
            names[offset] = sheet_name(body, biff8)
        elif open_ and len(body) >= 4 and kind in _CELLS | _RUNS:
            current = open_[-1]
            row, col = struct.unpack("<HH", body[:4])
            last = struct.unpack("<H", body[-2:])[0] if kind in _RUNS else col
            count = max(1, last - col + 1)
            current.cells += count
            written += count
            current.rows = max(current.rows, row + 1)
            current.columns = max(current.columns, last + 1)
            if (
                current.rows > limits.sheet_rows
                or current.columns > limits.sheet_columns
            ):
                current.too_large = True
        pos += 4 + length
    spanned = sum(e.rows * e.columns for e in extents.values() if not e.too_large)
    if max(written, spanned) > limits.cells:
        raise GovstatsError(
            Problem.make(
                "workbook-too-large",
                file=path,
                found=f"{max(written, spanned)} cells",
                expected=f"{limits.cells} cells",
            )
        )
    return [(names.get(offset, ""), e) for offset, e in extents.items()]


def sheet_name(body: bytes, biff8: bool) -> str:
    """The name in a BOUNDSHEET record, for messages only (BIFF5 names are in the
    workbook's code page, shown here as Latin-1)."""
    count = body[6]
    if not biff8:
        return body[7 : 7 + count].decode("latin-1")
    flags = body[7] if len(body) > 7 else 0
    if flags & 1:
        return body[8 : 8 + count * 2].decode("utf-16-le", "replace")
    return body[8 : 8 + count].decode("latin-1")
