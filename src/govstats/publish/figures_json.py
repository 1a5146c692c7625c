"""figures.json: every figure by indicator code, for all units and each group."""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from govstats.aggregate import Figures, format_value, places_of, printed_rows
from govstats.core.output import Streamed
from govstats.read.roster import Roster
from govstats.read.workbook import UnitWorkbook


def json_bytes(data: Any) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode()


# Where the streamed list goes in the document's text (see json_pieces).
_MARK = "\x00items"
# Bytes of a piece of a document (json_pieces): one write to a pipe or a file.
_PIECE = 1 << 16


def figures_json(data: dict[str, Any]) -> bytes:
    """``figures.json``: :func:`json_bytes`'s bytes, written a unit at a time
    (:func:`json_pieces`)."""
    return bytes(Streamed(lambda: json_pieces(data, "units")))


def json_pieces(data: dict[str, Any], key: str) -> Iterator[bytes]:
    """:func:`json_bytes`'s bytes of ``data`` in pieces of about 64 kB, the items
    of ``data[key]`` (an iterable of objects, such as a generator) encoded one
    at a time.

    Encoding the whole document at once held about 170 MB of fragments for
    10,000 units. Each item is encoded on its own and indented to its place
    (JSON text has no raw line breaks but those of the indentation), which gives
    the same bytes; the pieces can go to their output as they come (issue 18).
    """
    text = json.dumps({**data, key: _MARK}, ensure_ascii=False, indent=2)
    mark = json.dumps(_MARK)
    items = iter(data[key])
    if text.count(mark) != 1:  # the mark is in the data too
        yield json_bytes({**data, key: list(items)})
        return
    first = next(items, None)
    if first is None:
        yield json_bytes({**data, key: []})
        return
    head, tail = text.split(mark)
    piece = [head.encode(), b"[\n    ", _indented(first, 2).encode()]
    size = 0
    for item in items:
        block = _indented(item, 2).encode()
        piece += [b",\n    ", block]
        size += len(block)
        if size >= _PIECE:
            yield b"".join(piece)
            piece, size = [], 0
    yield b"".join([*piece, b"\n  ]", tail.encode(), b"\n"])


_SCALARS = frozenset({str, int, float, bool, type(None)})


@functools.cache
def _encoder(level: int) -> Callable[[Any], str]:
    """The C encoder whose item separator starts a line indented ``level`` deep
    (``json.dumps`` with other than its default options makes one a call)."""
    pad = "\n" + "  " * level
    return json.JSONEncoder(ensure_ascii=False, separators=("," + pad, ": ")).encode


def _indented(obj: dict[str, Any], level: int) -> str:
    """``json.dumps(obj, ensure_ascii=False, indent=2)`` of an object nested ``level``
    deep, for objects whose values are scalars or such objects.

    With ``indent`` the json module encodes in Python, value by value: nearly all
    of figures.json's time for many units. Without it, the C encoder does the
    work, and its item separator can carry the line break and the indentation:
    each run of scalar items is one call of it (a call per item would cost as
    much again). ``json.dumps`` with ``indent=2`` is the reference it must equal
    (tests/test_compile.py).
    """
    if not obj:
        return "{}"
    pad = "\n" + "  " * (level + 1)
    encode = _encoder(level + 1)
    if _SCALARS.issuperset(map(type, obj.values())):  # a unit's figures
        return "{" + pad + encode(obj)[1:-1] + "\n" + "  " * level + "}"
    if any(isinstance(v, list | tuple) for v in obj.values()):
        text = json.dumps(obj, ensure_ascii=False, indent=2)
        return text.replace("\n", "\n" + "  " * level)
    parts: list[str] = []
    run: dict[str, Any] = {}
    for k, v in obj.items():
        if isinstance(v, dict):
            if run:
                parts.append(encode(run)[1:-1])
                run = {}
            parts.append(encode(k) + ": " + _indented(v, level + 1))
        else:
            run[k] = v
    if run:
        parts.append(encode(run)[1:-1])
    return "{" + pad + ("," + pad).join(parts) + "\n" + "  " * level + "}"


def _jsonable(value: Decimal, places: int) -> int | str:
    # Counts are JSON integers; amounts are decimal strings, never binary floats.
    if places == 0:
        return int(value)
    return format_value(value, places)


def figures_dict(
    figures: Figures,
    government: str,
    roster: Roster,
    units: list[UnitWorkbook],
    excluded: list[str],
) -> dict[str, Any]:
    """The content of figures.json (its ``units`` made one at a time).

    :param excluded: the units a partial compile left out (empty for a whole one).
    """
    fmt = figures.fmt

    codes = [*fmt.codes, *(st.code for st in fmt.subtotals)]

    zero = Decimal(0)
    places = [(code, places_of(fmt, code)) for code in codes]

    def block(values: dict[str, Decimal]) -> dict[str, int | str]:
        # Counts (most codes) as int() directly, as _jsonable() would.
        return {
            code: _jsonable(values.get(code, zero), p)
            if p
            else int(values.get(code, zero))
            for code, p in places
        }

    paths = {u.unit_code: u.path for u in units if u.unit_code}
    # A workbook's digest is of the bytes that were read (taken by the reader);
    # the roster's, and an unreadable file's, are taken here.
    read = {u.path: u.sha256 for u in units if u.sha256}
    digests = {
        p: read.get(p) or file_sha256(p)
        for p in [roster.path, *(u.path for u in units)]
    }
    return {
        "format": fmt.id,
        "year": figures.year,
        "government": government,
        "partial": bool(excluded),
        "excluded": excluded,
        "rounding": figures.rounding,
        "city": block(figures.city),
        "groups": {k: block(v) for k, v in figures.sums.items() if k},
        "derived": {k: d.to_dict() for k, d in figures.derived.items()},
        # Only when last year's figures were known: never an invented comparison.
        **_year_on_year(figures),
        # made one at a time as figures.json is written: every unit's block at
        # once would grow memory with the number of units
        "units": (
            {
                "code": unit.code,
                "name": unit.name,
                "层级": unit.level,
                "类别": unit.kind,
                "file": paths[unit.code].name if unit.code in paths else "",
                "sha256": digests[paths[unit.code]] if unit.code in paths else "",
                "values": dict(zip(codes, row, strict=True)),
            }
            for unit, row in printed_rows(figures, codes, [p for _, p in places])
        ),
        "inputs": {p.name: digest for p, digest in digests.items()},
    }


def file_sha256(path: Path) -> str:
    """The SHA-256 (hex) of a file, as figures.json records an input's."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _year_on_year(figures: Figures) -> dict[str, Any]:
    """``year_on_year``: last year's file and, for each figure the format compares,
    both years' values and the change (issue 19); nothing without last year's."""
    last = figures.previous
    if last is None or not figures.changes:
        return {}
    # Found beside this year's outputs, it is named from there, so that the
    # outputs folder can move (govstats audit finds it again); given, as given.
    file = last.file if last.given else f"../{last.year}/figures.json"
    return {
        "year_on_year": {
            "previous": {
                "year": last.year,
                "file": file,
                "given": last.given,
                "sha256": last.sha256,
            },
            "changes": {code: c.to_dict() for code, c in figures.changes.items()},
        }
    }
