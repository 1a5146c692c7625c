"""Legacy ``.xls`` files built byte by byte, for tests of hostile workbooks.

A compound document (OLE2/CFB, version 3: 512-byte sectors) holding any streams
and storages, and the BIFF8 records of a minimal workbook: enough for a reader to
open it, with cells placed anywhere (even beyond what Excel allows).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

FREE, END, FAT_SECTOR, NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
SECTOR = 512
# Streams shorter than this live in the mini stream; every stream here is padded
# to it, so that all are in ordinary sectors.
CUTOFF = 4096

STORAGE, STREAM, ROOT = 1, 2, 5


def compound(entries: list[tuple[str, int, bytes]]) -> bytes:
    """A compound document whose root holds ``entries`` (name, type, bytes), in
    directory order: a reader that looks entries up by name finds the first."""
    sectors: list[bytes] = []
    starts: list[tuple[int, int]] = []  # (first sector, size) per entry
    chains: list[tuple[int, int]] = []  # (first sector, count)
    for _name, kind, body in entries:
        if kind != STREAM or not body:
            starts.append((END if kind == STREAM else 0, 0))
            continue
        body = body.ljust(CUTOFF, b"\0")
        first = len(sectors)
        count = -(-len(body) // SECTOR)
        for i in range(count):
            sectors.append(body[i * SECTOR : (i + 1) * SECTOR].ljust(SECTOR, b"\0"))
        starts.append((first, len(body)))
        chains.append((first, count))
    # The directory: root, then the entries as a chain of right siblings.
    records = [_entry("Root Entry", ROOT, child=1 if entries else NOSTREAM)]
    for i, ((name, kind, _), (start, size)) in enumerate(
        zip(entries, starts, strict=True), start=1
    ):
        right = i + 1 if i < len(entries) else NOSTREAM
        records.append(_entry(name, kind, right=right, start=start, size=size))
    while len(records) % 4:
        records.append(b"\0" * 64 + struct.pack("<H", 0) + b"\0" * 62)
    directory = b"".join(records)
    dir_first = len(sectors)
    dir_count = len(directory) // SECTOR
    sectors += [directory[i * SECTOR : (i + 1) * SECTOR] for i in range(dir_count)]
    chains.append((dir_first, dir_count))
    # The FAT itself, in the sectors after everything else.
    n_fat = 1
    while (len(sectors) + n_fat) > n_fat * (SECTOR // 4):
        n_fat += 1
    fat = [FREE] * (n_fat * SECTOR // 4)
    for first, count in chains:
        for s in range(first, first + count):
            fat[s] = s + 1 if s + 1 < first + count else END
    fat_first = len(sectors)
    for s in range(fat_first, fat_first + n_fat):
        fat[s] = FAT_SECTOR
    raw_fat = struct.pack(f"<{len(fat)}I", *fat)
    sectors += [raw_fat[i * SECTOR : (i + 1) * SECTOR] for i in range(n_fat)]
    difat = [fat_first + i for i in range(n_fat)] + [FREE] * (109 - n_fat)
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\0" * 16
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + b"\0" * 6
        + struct.pack("<IIIIIIIII", 0, n_fat, dir_first, 0, CUTOFF, END, 0, END, 0)
        + struct.pack("<109I", *difat)
    )
    assert len(header) == SECTOR
    return header + b"".join(sectors)


def _entry(
    name: str,
    kind: int,
    right: int = NOSTREAM,
    child: int = NOSTREAM,
    start: int = END,
    size: int = 0,
) -> bytes:
    raw = name.encode("utf-16-le") + b"\0\0"
    return (
        raw.ljust(64, b"\0")
        + struct.pack("<HBB", len(raw), kind, 1)
        + struct.pack("<III", NOSTREAM, right, child)
        + b"\0" * 16  # CLSID
        + b"\0" * 4  # state bits
        + b"\0" * 16  # times
        + struct.pack("<IQ", start if kind != ROOT else END, size)
    )


def _record(kind: int, body: bytes = b"") -> bytes:
    return struct.pack("<HH", kind, len(body)) + body


def biff8(
    cells: list[tuple[int, int, float]],
    sheet: str = "Sheet1",
    links: bytes = b"",
    formulas: Sequence[tuple[int, int, float, bytes]] = (),
    after: bytes = b"",
) -> bytes:
    """The Workbook stream of one sheet holding numbers at 0-based (row, column).

    :param links: records of the workbook globals (SUPBOOK, EXTERNSHEET, NAME...).
    :param formulas: FORMULA records: (row, column, cached number, tokens).
    :param after: records after the cells (an ARRAY after its formula).
    """

    def bof(kind: int) -> bytes:
        return _record(0x0809, struct.pack("<HHHHII", 0x0600, kind, 0, 1997, 0, 6))

    name = sheet.encode("utf-16-le")
    boundsheet_len = 4 + 2 + 2 + len(name)
    globals_ = bof(0x0005) + _record(0x0042, struct.pack("<H", 1200))  # CODEPAGE
    globals_ += links
    offset = len(globals_) + 4 + boundsheet_len + 4  # + BOUNDSHEET + EOF
    globals_ += _record(
        0x0085, struct.pack("<IHBB", offset, 0, len(sheet), 1) + name
    ) + _record(0x000A)
    body = bof(0x0010)
    for row, col, value in cells:
        body += _record(0x0203, struct.pack("<HHHd", row, col, 0, value))
    for row, col, value, rgce in formulas:
        body += formula(row, col, value, rgce)
    body += after + _record(0x000A)
    return globals_ + body


def record(kind: int, body: bytes = b"") -> bytes:
    """One BIFF record."""
    return _record(kind, body)


def formula(row: int, col: int, value: float, rgce: bytes) -> bytes:
    """A FORMULA record with a cached number."""
    head = struct.pack("<HHHdHI", row, col, 0, value, 0, 0)
    return _record(0x0006, head + struct.pack("<H", len(rgce)) + rgce)


def unicode_string(text: str, length_bytes: int = 2) -> bytes:
    """An XLUnicodeString (``length_bytes`` of length, flags, UTF-16 characters)."""
    size = struct.pack("<H" if length_bytes == 2 else "<B", len(text))
    return size + b"\x01" + text.encode("utf-16-le")


def xls(streams: list[tuple[str, int, bytes]]) -> bytes:
    """An .xls: a compound document of these entries (see :func:`compound`)."""
    return compound(streams)
