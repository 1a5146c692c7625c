"""Locating a unit's figures in its workbook, by indicator code.

A clerk may reorder rows, insert blank ones, rename a sheet or hide it: values are
found by their code, never by their row number. This module turns a
:class:`~govstats.read.excel.RawWorkbook` into a :class:`UnitWorkbook`: the identification
fields, the figures (:class:`UnitCells`), and the structural problems found on
the way (missing sheets and codes, duplicated codes, cells that are not numbers).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import math
import re
import sys
import unicodedata
import weakref
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from govstats.core.numbers import Parsed, format_decimal, parse_value, plain_value
from govstats.core.problems import Problem
from govstats.formats import Format, Indicator, InfoField, Row, Table
from govstats.read.excel import RawSheet, RawWorkbook, read_workbook
from govstats.read.roster import unit_code_fault

__all__ = [
    "CellValue",
    "UnitCells",
    "UnitWorkbook",
    "decimals_of",
    "load_unit",
    "load_unit_from_raw",
    "normalize",
    "peek_year",
]

HEADER_SCAN_ROWS = 30
# Figures at or beyond this are refused (value-too-large): a trillion 元 or 件.
VALUE_MAX = 10**12
INFO_VALUE_HEADER = "内容"
_CODE_LIKE = re.compile(r"[a-z][a-z0-9_]*(\.[a-z0-9_]+)+")


def normalize(value: Any) -> str:
    """Text of a cell for matching: NFKC (full-width → half-width), no spaces."""
    if type(value) is str:  # most cells, empty ones too: a dict is the fastest cache
        text = _TEXTS.get(value)
        if text is None:
            text = _normalize(value)
            if len(value) <= _CACHED_TEXT_MAX and len(_TEXTS) < _CACHED_TEXTS:
                _TEXTS[value] = text
        return text
    if isinstance(value, str) and len(value) > _CACHED_TEXT_MAX:
        return _normalize(value)  # long text (a remark, a hostile cell): not kept
    try:
        return _normalize_cached(value)
    except TypeError:  # not hashable, so not cacheable
        return _normalize(value)


def _normalize(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value)))


# Every workbook repeats the same labels, codes and headers, and locating figures
# normalizes the cells it looks at: cached, that costs a dict lookup a cell.
# Text is kept in a plain dict, which stops growing when full (the labels and
# headers, met in the first workbook, stay): looked up without a function call
# where it matters most (see _holds). Other values (numbers, dates)
# go through the LRU cache, where typed=True keeps True apart from 1 (they are
# equal, but read "True" and "1"). Only short text is kept, so that the caches stay
# small whatever the workbooks hold.
_CACHED_TEXT_MAX = 200
_CACHED_TEXTS = 1 << 16
_TEXTS: dict[str, str] = {}
_normalize_cached = functools.lru_cache(maxsize=1 << 16, typed=True)(_normalize)


@dataclass(slots=True)
class CellValue:
    """One indicator's value as found in the workbook: a view of one cell of a
    unit's :class:`UnitCells`, made when asked for."""

    code: str
    sheet: str
    row: int
    column: int
    value: Decimal | None
    remark: str = ""

    @property
    def decimals(self) -> int:
        """How many decimals the value is written with (0 for whole numbers)."""
        return decimals_of(self.value)


def decimals_of(value: Decimal | None) -> int:
    """How many decimals a value is written with (0 for whole numbers and None)."""
    if value is None or value == value.to_integral_value():
        return 0
    exponent = value.normalize().as_tuple().exponent
    return max(0, -int(exponent))


# Equal values share one Decimal (immutable): most cells hold 0 or a small count.
_decimal = functools.lru_cache(maxsize=1 << 12)(Decimal)


class _Layout:
    """Where a workbook's figures were found, in the order read: the codes, and
    each one's ``(sheet, row, column)``. Workbooks made from one template share
    it (:func:`_shared_layout`)."""

    __slots__ = ("codes", "index", "places")

    def __init__(
        self, codes: list[str] | tuple[str, ...], places: list[tuple[str, int, int]]
    ) -> None:
        self.codes = codes
        self.places = places
        self.index = {code: k for k, code in enumerate(codes)}


# Where the identification fields are, by content (UnitWorkbook.share).
_INFO_CELLS: dict[
    tuple[tuple[str, tuple[str, int, int]], ...], dict[str, tuple[str, int, int]]
] = {}
# Layouts met in this process, by content: a bounded few (a hostile year could
# make every workbook's its own).
_LAYOUTS: dict[tuple[tuple[str, ...], tuple[tuple[str, int, int], ...]], _Layout] = {}
_LAYOUTS_MAX = 256


def _shared_layout(
    codes: tuple[str, ...], places: tuple[tuple[str, int, int], ...]
) -> _Layout:
    key = (codes, places)
    layout = _LAYOUTS.get(key)
    if layout is None:
        codes = tuple(sys.intern(c) for c in codes)
        places = tuple((sys.intern(s), r, c) for s, r, c in places)
        layout = _Layout(codes, list(places))
        if len(_LAYOUTS) < _LAYOUTS_MAX:
            _LAYOUTS[key] = layout
    return layout


_EMPTY = _Layout((), [])


class UnitCells(Mapping[str, CellValue]):
    """A unit's figures by indicator code, compactly (issue 18).

    Not an object per cell: the places of the cells are the unit's layout,
    shared by every workbook laid out alike, and the values an array of
    integers, with the few that are not whole numbers (or not numbers) beside
    it. A unit then holds about 600 bytes of figures, not 10 kB. Looking a code
    up gives a :class:`CellValue` made then.
    """

    __slots__ = ("_layout", "_other", "_remarks", "_whole")

    def __init__(self) -> None:
        self._layout = _Layout([], [])
        self._whole = array("q")
        # position → value, where the value is not a plain whole number
        self._other: dict[int, Decimal | None] | None = None
        self._remarks: dict[int, str] | None = None

    def add(
        self,
        code: str,
        place: tuple[str, int, int],
        value: Decimal | None,
        remark: str = "",
        whole: int | None = None,
    ) -> None:
        """Add the cell of a code not added yet.

        :param whole: the value as an int, when it is that whole number exactly
            (``Decimal(whole)``; not ``-0`` nor ``5.0``), which is kept the
            compact way.
        """
        layout = self._layout
        if code in layout.index:
            raise KeyError(f"{code} is there already")
        if isinstance(layout.codes, tuple):  # shared: copied before it changes
            layout = self._layout = _Layout(list(layout.codes), list(layout.places))
        assert isinstance(layout.codes, list)
        k = len(layout.codes)
        layout.codes.append(code)
        layout.places.append(place)
        layout.index[code] = k
        if whole is not None and -_WHOLE_MAX < whole < _WHOLE_MAX:
            self._whole.append(whole)
        else:
            self._whole.append(0)
            if self._other is None:
                self._other = {}
            self._other[k] = value
        if remark:
            if self._remarks is None:
                self._remarks = {}
            self._remarks[k] = remark

    def __setitem__(self, code: str, cell: CellValue) -> None:
        if code != cell.code:
            raise KeyError(f"{cell.code} added as {code}")
        value = cell.value
        whole = None
        if (
            value is not None
            and value.as_tuple().exponent == 0
            and not (value.is_zero() and value.is_signed())
        ):
            whole = int(value)
        self.add(code, (cell.sheet, cell.row, cell.column), value, cell.remark, whole)

    def replaced(
        self, values: dict[int, tuple[Decimal | None, int | None]]
    ) -> UnitCells:
        """A copy with the values of some cells, by index, replaced (each
        ``(value, whole)`` as :meth:`add` takes them)."""
        cells = UnitCells()
        cells._layout = self._layout
        cells._whole = array("q", self._whole)
        other = dict(self._other) if self._other else {}
        for k, (value, whole) in values.items():
            if whole is not None and -_WHOLE_MAX < whole < _WHOLE_MAX:
                cells._whole[k] = whole
                other.pop(k, None)
            else:
                cells._whole[k] = 0
                other[k] = value
        cells._other = other or None
        cells._remarks = dict(self._remarks) if self._remarks else None
        return cells

    def seal(self) -> None:
        """Share the layout with the workbooks laid out alike."""
        layout = self._layout
        self._layout = _shared_layout(tuple(layout.codes), tuple(layout.places))

    def clear(self) -> None:
        self._layout = _EMPTY
        self._whole = array("q")
        self._other = self._remarks = None

    def __reduce__(self) -> tuple[Any, ...]:
        # Workers send every unit to the main process (validate.load_units),
        # which shares the layouts again.
        layout = self._layout
        return _unit_cells, (
            tuple(layout.codes),
            tuple(layout.places),
            self._whole.tobytes(),
            self._other,
            self._remarks,
        )

    def __len__(self) -> int:
        return len(self._layout.codes)

    def __iter__(self) -> Iterator[str]:
        return iter(self._layout.codes)

    def __contains__(self, code: object) -> bool:
        return code in self._layout.index

    def __getitem__(self, code: str) -> CellValue:
        k = self._layout.index[code]
        sheet, row, column = self._layout.places[k]
        remark = self._remarks.get(k, "") if self._remarks else ""
        return CellValue(code, sheet, row, column, self._value(k), remark)

    def __repr__(self) -> str:
        return f"UnitCells({dict(self.items())!r})"

    def _value(self, k: int) -> Decimal | None:
        other = self._other
        if other is not None and k in other:
            return other[k]
        return _decimal(self._whole[k])

    def figures(self) -> Iterator[tuple[str, Decimal | None]]:
        """``(code, value)`` of every cell, in the order read, made quickly."""
        other = self._other or {}
        decimal = _decimal
        for k, (code, whole) in enumerate(
            zip(self._layout.codes, self._whole, strict=True)
        ):
            yield code, (other[k] if k in other else decimal(whole))

    def whole_numbers(self) -> tuple[Sequence[str], array[int]] | None:
        """The codes of every cell, in the order read, and their values in an
        array, when every value is a plain whole number (most units); else None.
        The codes are those of the unit's layout (shared, not to be changed)."""
        if self._other:
            return None
        return self._layout.codes, self._whole

    def places(self) -> list[tuple[str, int, int]]:
        """``(sheet, row, column)`` of every cell, in the order read."""
        return list(self._layout.places)


# Whole numbers kept in the array: every figure a workbook may hold (VALUE_MAX).
_WHOLE_MAX = 2**62


def _unit_cells(
    codes: tuple[str, ...],
    places: tuple[tuple[str, int, int], ...],
    whole: bytes,
    other: dict[int, Decimal | None] | None,
    remarks: dict[int, str] | None,
) -> UnitCells:
    """A unit's cells rebuilt from their pickle (:meth:`UnitCells.__reduce__`)."""
    cells = UnitCells()
    cells._layout = _shared_layout(codes, places)
    cells._whole.frombytes(whole)
    cells._other = other
    cells._remarks = remarks
    return cells


@dataclass(slots=True)
class UnitWorkbook:
    """What one workbook says, and the problems found while reading it."""

    path: Path
    info: dict[str, Any] = field(default_factory=dict)
    info_cells: dict[str, tuple[str, int, int]] = field(default_factory=dict)
    cells: UnitCells = field(default_factory=UnitCells)
    problems: list[Problem] = field(default_factory=list)
    # False when the file was refused or a sheet of it not read: nothing may open
    # it again (--annotate copies only a workbook that passed the inspection).
    readable: bool = False
    size_in_cells: int = 0
    # SHA-256 of the bytes read (hex), for figures.json; "" when none were read.
    sha256: str = ""

    def share(self) -> UnitWorkbook:
        """This unit, sharing where its identification fields are with the units
        laid out alike (a unit read in a worker comes with its own copy)."""
        key = tuple(self.info_cells.items())
        shared = _INFO_CELLS.get(key)
        if shared is None:
            shared = self.info_cells
            if len(_INFO_CELLS) < _LAYOUTS_MAX:
                _INFO_CELLS[key] = shared
        self.info_cells = shared
        return self

    @property
    def unit_code(self) -> str:
        return str(self.info.get("unit_code") or "")

    @property
    def unit_name(self) -> str:
        return str(self.info.get("unit_name") or "")


def load_unit(path: str | Path, fmt: Format) -> UnitWorkbook:
    """Read a workbook and locate every indicator of ``fmt`` in it.

    :raises GovstatsError: when the file cannot be read at all.
    """
    return load_unit_from_raw(read_workbook(path), fmt)


def load_unit_from_raw(raw: RawWorkbook, fmt: Format) -> UnitWorkbook:
    """Locate every indicator of ``fmt`` in a workbook already read."""
    unit = UnitWorkbook(
        path=raw.path,
        problems=list(raw.problems),
        readable=not raw.oversized,
        size_in_cells=raw.cells,
        # The digest of exactly the bytes checked and read, taken where they are
        # in memory (a worker process, for many workbooks).
        sha256=hashlib.sha256(raw.data).hexdigest() if raw.data else "",
    )
    plan = _plan(fmt)
    # A sheet too large to read is an error when the format needs it, and only a
    # warning when it is a sheet of the clerk's own (its figures are not used).
    for name, problem in raw.oversized.items():
        if normalize(name) not in plan.needed:
            problem = replace(problem, severity="warning")
        unit.problems.append(problem)
    named = _sheets_by_name(raw)
    _read_info(raw, fmt, unit, plan, named)
    unreadable: set[str] = set()
    before = len(unit.problems)
    located = _locate_tables(raw, fmt, unit, unreadable, plan, named)
    key = _tables_key(located) if len(unit.problems) == before else None
    if key is not None and not raw.oversized and _read_as_before(raw, unit, plan, key):
        # (the tables hold no stray figure: the kept unit's held none)
        _report_stray_values(raw, fmt, unit, plan, named, [])
    else:
        headers: dict[str, int] = {}
        read = _read_tables(raw, fmt, unit, plan, located, unreadable, headers)
        _report_stray_values(raw, fmt, unit, plan, named, read)
        if key is not None and len(unit.problems) == before and len(read) == len(key):
            _remember_tables(key, unit, plan, located, headers)
    _external_formulas(raw, fmt, unit)
    unit.cells.seal()
    return unit


# Tables read as a unit's before (issue 18)
#
# Every unit's workbook of a template holds its figures in the same cells, under
# the same labels and codes. Where each table's sheet was read off its layout
# (govstats.read.layouts), it differs from the layout's own sheet only in the
# cells whose text changed (RawSheet.changed). A unit whose tables were read in
# full, finding no problem, is kept (_Tables): another whose tables' sheets are
# of the same layouts, and differ from the kept unit's only
#
# - in cells that were figures, each now a plain number,
# - and in texts above a sheet's first header (a title: 填报单位：…) that are no
#   label, no code and read as no figure,
#
# reads the same indicators at the same places, with those cells' values.
# Labels, codes, remarks and headers did not change, so neither did what was
# located, nor a problem found: a figure cell of a data row can neither start a
# header nor hold a code, and such a title neither starts a header nor is a
# stray figure.

_TABLES_MAX = 16


@dataclass(eq=False)
class _Tables:
    """A unit's tables read in full, without a problem, from sheets read off their
    layouts."""

    cells: UnitCells  # its own copy
    at: dict[tuple[str, int, int], int]  # place of each figure → its index
    # the places (1-based) where its sheets differed from their layouts'
    changed: frozenset[tuple[str, int, int]]
    # by sheet: the row of its first header, and what a title above it may not
    # read as (labels, the table's codes)
    titles: dict[str, tuple[int, frozenset[str]]]


def _tables_key(located: list[tuple[Table, RawSheet]]) -> tuple[Any, ...] | None:
    """What a unit's tables were located in: each sheet's name and layout, when
    every one was read off its layout."""
    key = []
    for table, sheet in located:
        if sheet.base is None or sheet.name != table.sheet:
            return None
        key.append((table.id, sheet.name, sheet.base))
    return tuple(key) or None


def _changed_places(sheets: Iterable[RawSheet]) -> set[tuple[str, int, int]]:
    return {(s.name, row + 1, col + 1) for s in sheets for row, col in s.changed}


def _kept(key: tuple[Any, ...]) -> dict[tuple[Any, ...], _Tables]:
    """The units kept for a key: with the memo of its first sheet, so that they
    go with the memory that read them."""
    kept: dict[tuple[Any, ...], _Tables] = key[0][2].units
    return kept


def _remember_tables(
    key: tuple[Any, ...],
    unit: UnitWorkbook,
    plan: _Plan,
    located: list[tuple[Table, RawSheet]],
    headers: dict[str, int],
) -> None:
    kept = _kept(key)
    if key in kept or len(kept) >= _TABLES_MAX:
        return
    unit.cells.seal()
    cells = unit.cells.replaced({})
    at = {place: k for k, place in enumerate(cells.places())}
    changed = frozenset(_changed_places(sheet for _, sheet in located))
    labels = frozenset(plan.labels.values())
    titles = {
        sheet.name: (headers[sheet.name], plan.codes(table) | labels)
        for table, sheet in located
    }
    kept[key] = _Tables(cells, at, changed, titles)


def _read_as_before(
    raw: RawWorkbook, unit: UnitWorkbook, plan: _Plan, key: tuple[Any, ...]
) -> bool:
    """Read the unit's tables as the kept unit's of the same layouts (above), if
    they differ from it only in figures and titles; else False, and nothing
    read."""
    from govstats.read.stray import text_is_figure

    kept = _kept(key).get(key)
    if kept is None:
        return False
    sheets = [raw.sheets[name] for _, name, _ in key]
    values: dict[int, tuple[Decimal | None, int | None]] = {}
    for place in kept.changed | _changed_places(sheets):
        name, row, col = place
        value = raw.sheets[name].value(row, col)
        k = kept.at.get(place)
        if k is None:
            first, forbidden = kept.titles[name]
            if not (
                row < first
                and type(value) is str
                and normalize(value) not in forbidden
                and not text_is_figure(value, plan.units)
            ):
                return False
            continue
        figure = _plain_figure(value)
        if figure is None:
            return False
        values[k] = figure
    unit.cells = kept.cells.replaced(values)
    return True


def _plain_figure(value_raw: Any) -> tuple[Decimal, int | None] | None:
    """A value cell's figure when it holds a plain whole number (almost every
    cell), and the int it is kept as (None for -0.0, kept as it was read); None
    for any other value."""
    value = plain_value(value_raw, VALUE_MAX)
    if value is None:
        return None
    if type(value_raw) is int or math.copysign(1.0, float(value_raw)) > 0:
        return value, int(value_raw)
    return value, None


def _report_stray_values(
    raw: RawWorkbook,
    fmt: Format,
    unit: UnitWorkbook,
    plan: _Plan,
    named: dict[str, RawSheet],
    tables: list[RawSheet],
) -> None:
    """Figures in the format's sheets outside the cells read (issue 16, point 5):
    the identification sheet and the ``tables`` read."""
    from govstats.read.stray import stray_values

    # The cells read, by sheet, each as one integer (row << 16 | column): a
    # set of tuples took twice as long to build, for every workbook.
    read: dict[str, set[int]] = {}
    places = unit.cells.places()
    for sheet_name, row, col in places + list(unit.info_cells.values()):
        found = read.get(sheet_name)
        if found is None:
            found = read[sheet_name] = set()
        found.add(row << 16 | col)
    info = named.get(normalize(fmt.info_sheet))
    sheets = ([info] if info is not None else []) + tables
    unit.problems.extend(
        stray_values(
            str(raw.path),
            ((s, read.get(s.name, set())) for s in sheets),
            unit.problems,
            plan.units,
        )
    )


def _external_formulas(raw: RawWorkbook, fmt: Format, unit: UnitWorkbook) -> None:
    """Warn of every figure read from the cached value of a formula that reaches
    outside the workbook (``formula-external``): it came from a file nobody
    submitted (:mod:`govstats.read.formulas`)."""
    from govstats.read.formulas import external_formulas, may_reach_outside
    from govstats.read.kinds import KIND_OF_SUFFIX

    kind = raw.kind or KIND_OF_SUFFIX.get(raw.path.suffix.lower(), "")
    if not may_reach_outside(raw.data, kind, raw.may_link):
        return  # no formula can (most workbooks): the cells need not be made
    cells = {
        (c.sheet, c.row, c.column): c
        for c in unit.cells.values()
        if c.value is not None
    }
    found = external_formulas(raw.data, kind, cells, raw.may_link)
    for pos, (formula, target) in sorted(found.items()):
        cell = cells[pos]
        unit.problems.append(
            Problem.make(
                "formula-external",
                file=str(raw.path),
                sheet=cell.sheet,
                row=cell.row,
                column=cell.column,
                indicator=cell.code,
                found=formula,
                expected=target,
                context={"label": fmt.indicators[cell.code].label},
            )
        )


def _oversized(raw: RawWorkbook, name: str) -> bool:
    """The sheet the format wants by this name exists, but was too large to read."""
    return any(normalize(n) == normalize(name) for n in raw.oversized)


def peek_year(raw: RawWorkbook, fmt: Format) -> int | None:
    """The report year a workbook states on its identification sheet, if any."""
    unit = UnitWorkbook(path=raw.path)
    _read_info(raw, fmt, unit, _plan(fmt), _sheets_by_name(raw))
    year = unit.info.get("year")
    return year if isinstance(year, int) else None


# What locating needs of a format


# Header layouts remembered per format (the workbooks of a compile share the few
# of the template); a hostile workbook could make a new one every row.
_PLANNED_HEADERS = 256
# Types whose text is ASCII, so that a cell of one never normalizes to a label
# written in other characters (代码). Not int: str() refuses an int of more than
# 4,300 digits, and normalizing such a cell must fail as it always did.
_ASCII_TEXT_TYPES: frozenset[type] = frozenset(
    {float, bool, type(None), dt.date, dt.datetime, dt.time, dt.timedelta}
)


_PlannedRow = tuple[bool, Row, tuple[Indicator, ...]]


@dataclass
class _Plan:
    """What locating needs of a format, worked out once for all its workbooks."""

    labels: dict[str, str]  # column key → normalized label
    code_label_skips: frozenset[type]  # cell types that cannot hold the 代码 label
    units: tuple[str, ...]
    needed: frozenset[str]  # normalized names of the sheets the format reads
    info_labels: dict[str, InfoField]  # normalized label → field
    info_skips: frozenset[type]  # cell types that cannot hold an info label
    # (table id, header layout) → row code → its value cells (_header_targets)
    targets: dict[
        tuple[str, tuple[tuple[int, str], ...]],
        dict[str, tuple[tuple[int, Indicator], ...]],
    ] = field(default_factory=dict, init=False)
    _rows: dict[str, tuple[tuple[_PlannedRow, ...], frozenset[str]]] = field(
        default_factory=dict, init=False
    )
    _codes: dict[str, frozenset[str]] = field(default_factory=dict, init=False)

    def codes(self, table: Table) -> frozenset[str]:
        """The codes a sheet of the table shows: indicator, row and column codes."""
        codes = self._codes.get(table.id)
        if codes is None:
            codes = frozenset(set(table.codes) | table.row_codes | table.column_codes)
            codes = self._codes[table.id] = codes - {""}
        return codes

    def rows(self, table: Table) -> tuple[tuple[_PlannedRow, ...], frozenset[str]]:
        """The rows of a table, each ``(is a list row, row, its indicators)``, and
        the codes of all their indicators."""
        planned = self._rows.get(table.id)
        if planned is None:
            rows = tuple(
                (
                    block.is_list,
                    row,
                    tuple(table.cells[(row.code, c.code)] for c in block.columns),
                )
                for block in table.blocks
                for row in block.rows
            )
            codes = frozenset(ind.code for _, _, cells in rows for ind in cells)
            planned = self._rows[table.id] = (rows, codes)
        return planned


# Keyed by the format object itself (a Format compares by identity), and dropped
# with it.
_PLANS: weakref.WeakKeyDictionary[Format, _Plan] = weakref.WeakKeyDictionary()


def _plan(fmt: Format) -> _Plan:
    """The plan of a format, made when its first workbook is read.

    A format is not changed once loaded (its ``indicators`` are cached alike), so
    what is derived from it here stays true for every workbook read with it.
    """
    plan = _PLANS.get(fmt)
    if plan is None:
        labels = {key: normalize(label) for key, label in fmt.columns.items()}
        skips = _ascii_skips(labels["code"])
        info_labels = {normalize(f.label): f for f in fmt.info_fields}
        sheets = [fmt.info_sheet] + [t.sheet for t in fmt.tables]
        plan = _PLANS[fmt] = _Plan(
            labels=labels,
            code_label_skips=skips,
            # "22件" is read whatever the row's unit: the number is unambiguous.
            units=tuple(sorted(fmt.units, key=len, reverse=True)),
            needed=frozenset(normalize(name) for name in sheets),
            info_labels=info_labels,
            info_skips=_ascii_skips(INFO_VALUE_HEADER, *info_labels),
        )
    return plan


def _ascii_skips(*texts: str) -> frozenset[type]:
    """The cell types that cannot normalize to any of ``texts``: those whose text
    is ASCII when none of ``texts`` is."""
    if any(text.isascii() for text in texts):
        return frozenset()
    return _ASCII_TEXT_TYPES


# Identification sheet


def _sheets_by_name(raw: RawWorkbook) -> dict[str, RawSheet]:
    """The sheets by normalized name; of two with one name, the first."""
    named: dict[str, RawSheet] = {}
    for sheet in raw.sheets.values():
        named.setdefault(normalize(sheet.name), sheet)
    return named


def _read_info(
    raw: RawWorkbook,
    fmt: Format,
    unit: UnitWorkbook,
    plan: _Plan,
    named: dict[str, RawSheet],
) -> None:
    sheet = named.get(normalize(fmt.info_sheet))
    file = str(raw.path)
    if sheet is None:
        if not _oversized(raw, fmt.info_sheet):
            unit.problems.append(
                Problem.make("sheet-missing", file=file, expected=fmt.info_sheet)
            )
        return
    labels = plan.info_labels
    # Each cell normalized once for both looks; None where it cannot be a label
    # (a number, when the labels are Chinese).
    texts = [
        [None if type(v) in plan.info_skips else normalize(v) for v in line]
        for line in sheet.grid[: HEADER_SCAN_ROWS * 2]
    ]
    # The value is in the 内容 column when the sheet has that header, else right of
    # the label (a clerk's own layout: 单位名称 | 株洲市财政局).
    value_col = None
    for line in texts[:HEADER_SCAN_ROWS]:
        for c, text in enumerate(line, start=1):
            if text == INFO_VALUE_HEADER:
                value_col = c
    found: dict[str, tuple[int, int, Any]] = {}
    for r, line in enumerate(texts, start=1):
        for c, text in enumerate(line, start=1):
            if text is None:
                continue
            key = text.rstrip(":：")
            if key in labels and labels[key].key not in found:
                col = value_col if value_col and value_col > c else c + 1
                found[labels[key].key] = (r, col, sheet.value(r, col))
    for f in fmt.info_fields:
        at: tuple[int | None, int | None, Any] = (None, None, "")
        if f.key in found:
            at = found[f.key]
            unit.info_cells[f.key] = (sheet.name, found[f.key][0], found[f.key][1])
        at_row, at_col, value = at
        text = normalize(value)
        if f.type == "year" and text:
            digits = text.removesuffix("年")
            # isdecimal, not isdigit: "፩" is a digit that int() refuses.
            unit.info[f.key] = int(digits) if digits.isdecimal() else text
        elif text:
            unit.info[f.key] = str(value).strip() if isinstance(value, str) else text
        if f.key == "unit_code" and text:
            fault = unit_code_fault(str(unit.info[f.key]))
            if fault:
                unit.problems.append(
                    Problem.make(
                        "unit-code-invalid",
                        file=file,
                        sheet=sheet.name,
                        row=at_row,
                        column=at_col,
                        found=unit.info[f.key],
                        context={"detail": fault},
                    )
                )
        if f.required and not text:
            unit.problems.append(
                Problem.make(
                    "info-missing",
                    file=file,
                    sheet=sheet.name,
                    row=at_row,
                    column=at_col,
                    context={"label": f.label},
                )
            )


# Tables


def _holds(line: list[Any], text: str, skips: frozenset[type]) -> bool:
    """True when some cell of the row normalizes to ``text``.

    Every row is asked whether it is a header row, and few are: text goes through
    the dict of normalized text without a call, and cells of the types in
    ``skips`` are not normalized at all.
    """
    get = _TEXTS.get
    for value in line:
        kind = type(value)
        if kind is str:
            found = get(value)
            if found is None:
                found = normalize(value)
        elif kind in skips:
            continue
        else:
            found = normalize(value)
        if found == text:
            return True
    return False


@dataclass
class _Header:
    """A header row: where the row codes are, and which column holds what."""

    row: int
    code_col: int
    values: dict[int, str]  # Excel column → column code ("" for 本年)
    remark_col: int | None


def _header_at(
    line: list[Any], r: int, table: Table, labels: dict[str, str]
) -> _Header | None:
    """The header defined by one sheet row, if it has a 代码 cell and value columns.

    In a list block the value column is found by its label (本年); in a matrix block
    by its column code, written in the row that holds the 代码 cell.
    """
    texts = [normalize(v) for v in line]
    if labels["code"] not in texts:
        return None
    code_col = texts.index(labels["code"]) + 1
    values: dict[int, str] = {}
    remark_col = None
    for c, text in enumerate(texts[code_col:], start=code_col + 1):
        if text in table.column_codes:
            values.setdefault(c, text)
        elif text == labels["value"]:
            values.setdefault(c, "")
        elif text == labels["remark"] and remark_col is None:
            remark_col = c
    if not values:
        return None
    return _Header(row=r, code_col=code_col, values=values, remark_col=remark_col)


def _locate_tables(
    raw: RawWorkbook,
    fmt: Format,
    unit: UnitWorkbook,
    unreadable: set[str],
    plan: _Plan,
    named: dict[str, RawSheet],
) -> list[tuple[Table, RawSheet]]:
    """Match each table of the format to a sheet: by name, by number, by content."""
    file = str(raw.path)
    info = named.get(normalize(fmt.info_sheet))
    used: set[str] = {fmt.info_sheet, info.name if info else fmt.info_sheet}
    located: list[tuple[Table, RawSheet]] = []
    for table in fmt.tables:
        sheet = named.get(normalize(table.sheet))
        if sheet is None and _oversized(raw, table.sheet):
            unreadable.add(table.id)  # sheet-too-large says it
            continue
        if sheet is None:
            sheet = _by_number(raw, table, used) or _by_content(
                raw, plan.codes(table), used
            )
            if sheet is None:
                unit.problems.append(
                    Problem.make("sheet-missing", file=file, expected=table.sheet)
                )
                continue
            unit.problems.append(
                Problem.make(
                    "sheet-renamed",
                    file=file,
                    sheet=sheet.name,
                    found=sheet.name,
                    expected=table.sheet,
                )
            )
        used.add(sheet.name)
        located.append((table, sheet))
    for sheet in raw.sheets.values():
        if not sheet.visible and sheet.name in used:
            unit.problems.append(
                Problem.make("sheet-hidden", file=file, sheet=sheet.name)
            )
    _find_copies(raw, located, used, unit, plan)
    return located


def _find_copies(
    raw: RawWorkbook,
    located: list[tuple[Table, RawSheet]],
    used: set[str],
    unit: UnitWorkbook,
    plan: _Plan,
) -> None:
    """A sheet not read that holds most codes of a table read from another sheet.

    A clerk who copies a sheet (表1 … (2)), or a workbook with two sheets whose names
    differ only in full-width characters, would otherwise have one of them ignored
    without a word, whichever holds the figures meant.
    """
    for sheet in raw.sheets.values():
        if sheet.name in used:
            continue
        texts = {
            normalize(v) for line in sheet.grid for v in line if isinstance(v, str)
        }
        for table, read in located:
            codes = plan.codes(table)
            if len(codes & texts) * 2 >= len(codes):
                unit.problems.append(
                    Problem.make(
                        "sheet-duplicate",
                        file=str(raw.path),
                        sheet=sheet.name,
                        expected=read.name,
                    )
                )
                break


def _by_number(raw: RawWorkbook, table: Table, used: set[str]) -> RawSheet | None:
    number = normalize(table.number)
    for sheet in raw.sheets.values():
        name = normalize(sheet.name)
        if sheet.name not in used and name.startswith(number):
            rest = name[len(number) :]
            if not rest[:1].isdigit():
                return sheet
    return None


def _by_content(
    raw: RawWorkbook, codes: frozenset[str], used: set[str]
) -> RawSheet | None:
    """The sheet not yet used that shows most of ``codes``, if any shows one."""
    best, best_hits = None, 0
    for sheet in raw.sheets.values():
        if sheet.name in used:
            continue
        hits = sum(
            1 for line in sheet.grid for v in line if isinstance(v, str) and v in codes
        )
        if hits > best_hits:
            best, best_hits = sheet, hits
    return best


def _read_tables(
    raw: RawWorkbook,
    fmt: Format,
    unit: UnitWorkbook,
    plan: _Plan,
    located: list[tuple[Table, RawSheet]],
    unreadable: set[str],
    headers: dict[str, int] | None = None,
) -> list[RawSheet]:
    """Read the format's tables from the sheets located (:func:`_locate_tables`,
    which set ``unreadable``); the sheets read (a sheet without a header is not).

    :param headers: set to the row of each sheet's first header.
    """
    file = str(raw.path)
    read: list[RawSheet] = []
    for table, sheet in located:
        first = _read_sheet(raw, sheet, table, fmt, plan, unit)
        if first:
            read.append(sheet)
            if headers is not None:
                headers[sheet.name] = first
        else:
            unit.problems.append(
                Problem.make(
                    "header-missing",
                    file=file,
                    sheet=sheet.name,
                    expected=f"{fmt.columns['code']}, {fmt.columns['value']}",
                )
            )
            unreadable.add(table.id)
    renamed = {p.expected: p.sheet for p in unit.problems if p.code == "sheet-renamed"}
    absent = {p.expected for p in unit.problems if p.code == "sheet-missing"}
    found = unit.cells.keys()
    for table in fmt.tables:
        # A missing sheet or header is reported once, not once per indicator, and
        # a missing matrix row once, not once per cell.
        if table.sheet in absent or table.id in unreadable:
            continue
        rows, codes = plan.rows(table)
        if found >= codes:  # the common case: every figure is there
            continue
        sheet_name = renamed.get(table.sheet, table.sheet)
        for is_list, row, cells in rows:
            missing = [ind for ind in cells if ind.code not in found]
            if not is_list and len(missing) == len(cells) > 1:
                missing_row = Problem.make(
                    "code-missing",
                    file=file,
                    sheet=sheet_name,
                    indicator=row.code,
                    context={"label": row.label},
                )
                unit.problems.append(missing_row)
                continue
            unit.problems.extend(
                Problem.make(
                    "code-missing",
                    file=file,
                    sheet=sheet_name,
                    indicator=ind.code,
                    context={"label": ind.label},
                )
                for ind in missing
            )
    return read


def _read_sheet(
    raw: RawWorkbook,
    sheet: RawSheet,
    table: Table,
    fmt: Format,
    plan: _Plan,
    unit: UnitWorkbook,
) -> int:
    """Read every coded row of a sheet; the row of its first header (0 when the
    sheet has none at all).

    A header row applies to the rows below it until the next header row, so a sheet
    may hold several blocks, each with its own columns.
    """
    here = functools.partial(Problem.make, file=str(raw.path), sheet=sheet.name)
    labels = plan.labels
    code_label = labels["code"]
    cells = unit.cells
    header: _Header | None = None
    first_header = 0
    code_at = remark_at = 0  # 0-based columns of the header's code and remark
    targets: dict[str, tuple[tuple[int, Indicator], ...]] = {}
    for r, line in enumerate(sheet.grid, start=1):
        if _holds(line, code_label, plan.code_label_skips):
            found = _header_at(line, r, table, labels)
            if found is not None:
                first_header = first_header or r
                header = found
                code_at = header.code_col - 1
                remark_at = header.remark_col - 1 if header.remark_col else -1
                targets = _header_targets(plan, table, header)
                continue
        if header is None:
            continue
        width = len(line)
        code = normalize(line[code_at] if code_at < width else "")
        if not code:
            continue
        row_targets = targets.get(code)
        if row_targets is None:
            row_targets = tuple(_row_targets(code, header, table, fmt))
            if row_targets:
                targets[code] = row_targets
        if not row_targets:
            if _CODE_LIKE.fullmatch(code):
                unit.problems.append(
                    here("code-unknown", row=r, column=header.code_col, found=code)
                )
            continue
        remark: Any = ""
        if remark_at >= 0:
            remark = line[remark_at] if remark_at < width else ""
        note = str(remark).strip() if remark not in ("", None) else ""
        for value_col, ind in row_targets:
            if ind.code in cells:
                first = cells[ind.code]
                unit.problems.append(
                    here(
                        "code-duplicate",
                        row=r,
                        column=header.code_col,
                        indicator=ind.code,
                        expected=f"{first.sheet}!{_a1(first.row, first.column)}",
                        context={"label": ind.label, "unit": ind.unit},
                    )
                )
                continue
            value_raw = line[value_col - 1] if value_col <= width else ""
            # Most cells hold a whole number, read without a Parsed or its text.
            figure = _plain_figure(value_raw)
            problem, shown, expected = None, "", ""
            value: Decimal | None
            if figure is None:
                whole = None
                value, problem, shown, expected = _read_value(
                    value_raw, plan.units, raw, sheet.name, r, value_col
                )
            else:
                value, whole = figure
            cells.add(ind.code, (sheet.name, r, value_col), value, note, whole)
            if problem is not None:
                unit.problems.append(
                    here(
                        problem,
                        row=r,
                        column=value_col,
                        indicator=ind.code,
                        found=shown,
                        expected=expected,
                        context={"label": ind.label, "unit": ind.unit},
                    )
                )
    return first_header


def _read_value(
    value_raw: Any,
    units: tuple[str, ...],
    raw: RawWorkbook,
    sheet: str,
    row: int,
    column: int,
) -> tuple[Decimal | None, str | None, str, str]:
    """A value cell's figure, and what is wrong with it: ``(value, problem code,
    what the cell shows, what was expected)``, the code None when nothing is."""
    parsed = parse_value(value_raw, units)
    if parsed.value is not None and abs(parsed.value) >= VALUE_MAX:
        # 1e308 or a 40-digit text would overflow the 64-bit integers the checks
        # and sums use; no figure of a yearly report comes near.
        shown = value_raw if isinstance(value_raw, str) else repr(value_raw)
        parsed = Parsed(None, "value-too-large", shown)
    problem, shown = parsed.problem, parsed.shown
    if problem == "value-blank" and value_raw in ("", None):
        problem, shown = raw.explain_blank(sheet, row, column)
    expected = ""
    if problem == "number-as-text" and parsed.value is not None:
        expected = format_decimal(parsed.value)
    elif problem == "value-too-large":
        expected = format_decimal(Decimal(VALUE_MAX))
    return parsed.value, problem, shown, expected


def _header_targets(
    plan: _Plan, table: Table, header: _Header
) -> dict[str, tuple[tuple[int, Indicator], ...]]:
    """The value cells found so far of each row code under this layout of header.

    Every workbook of a compile has the same few layouts: the cells of a code
    are worked out once (:func:`_row_targets`) and kept here by the caller, for
    the codes that have some (those of the table's rows and the format's
    indicators, so that the dict stays small whatever a sheet holds).
    """
    key = (table.id, tuple(header.values.items()))
    found = plan.targets.get(key)
    if found is None:
        found = {}
        if len(plan.targets) < _PLANNED_HEADERS:  # a hostile sheet may vary them
            plan.targets[key] = found
    return found


def _row_targets(
    code: str, header: _Header, table: Table, fmt: Format
) -> list[tuple[int, Indicator]]:
    """The value cells of a row: ``(Excel column, indicator)`` pairs.

    A list row's code is the indicator's own code, found in any table (values are
    found by code wherever a clerk moved them); a matrix row's cells are found by
    row code and column code within its table.
    """
    out = []
    for col, col_code in header.values.items():
        ind = table.cells.get((code, col_code))
        if ind is None and col_code == "":
            ind = fmt.indicators.get(code)
            if ind is not None and ind.column:
                ind = None
        if ind is not None:
            out.append((col, ind))
    return out


def _a1(row: int, col: int) -> str:
    from govstats.core.locations import column_letter

    return f"{column_letter(col)}{row}"
