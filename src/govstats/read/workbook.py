"""Locating a unit's figures in its workbook, by indicator code.

A clerk may reorder rows, insert blank ones, rename a sheet or hide it: values are
found by their code, never by their row number. This module turns a
:class:`~govstats.read.excel.RawWorkbook` into a :class:`UnitWorkbook`: the identification
fields, one :class:`CellValue` per indicator, and the structural problems found on
the way (missing sheets and codes, duplicated codes, cells that are not numbers).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
import sys
import unicodedata
import weakref
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
    "UnitWorkbook",
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
    """One indicator's value as found in the workbook.

    Every unit keeps one per indicator until the compile ends: slots make each a
    third smaller (97 bytes, not 145; 10,000 units hold 620,000 of them).
    """

    code: str
    sheet: str
    row: int
    column: int
    raw: Any
    value: Decimal | None
    remark: str = ""

    def __reduce__(self) -> tuple[Any, ...]:
        # Workers send every cell to the main process (validate.load_units):
        # with the value as text and shared strings this is much faster than
        # pickling Decimal objects, and the cells it rebuilds take less memory.
        value = None if self.value is None else str(self.value)
        fields = (self.code, self.sheet, self.row, self.column, self.raw, value)
        return _cell, (*fields, self.remark)

    @property
    def decimals(self) -> int:
        """How many decimals the value is written with (0 for whole numbers)."""
        if self.value is None:
            return 0
        if self.value == self.value.to_integral_value():
            return 0
        exponent = self.value.normalize().as_tuple().exponent
        return max(0, -int(exponent))


def _cell(
    code: str,
    sheet: str,
    row: int,
    column: int,
    raw: Any,
    value: str | None,
    remark: str,
) -> CellValue:
    """A cell rebuilt from its pickle (:meth:`CellValue.__reduce__`)."""
    number = None if value is None else _decimal(value)
    return CellValue(
        sys.intern(code), sys.intern(sheet), row, column, raw, number, remark
    )


# Equal values share one Decimal (immutable): most cells hold 0 or a small count.
_decimal = functools.lru_cache(maxsize=1 << 12)(Decimal)


@dataclass
class UnitWorkbook:
    """What one workbook says, and the problems found while reading it."""

    path: Path
    info: dict[str, Any] = field(default_factory=dict)
    info_cells: dict[str, tuple[str, int, int]] = field(default_factory=dict)
    cells: dict[str, CellValue] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    # False when the file was refused or a sheet of it not read: nothing may open
    # it again (--annotate copies only a workbook that passed the inspection).
    readable: bool = False
    size_in_cells: int = 0
    # SHA-256 of the bytes read (hex), for figures.json; "" when none were read.
    sha256: str = ""

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
    read = _read_tables(raw, fmt, unit, plan, named)
    _report_stray_values(raw, fmt, unit, plan, named, read)
    _external_formulas(raw, fmt, unit)
    return unit


def _report_stray_values(
    raw: RawWorkbook,
    fmt: Format,
    unit: UnitWorkbook,
    plan: _Plan,
    named: dict[str, RawSheet],
    tables: list[RawSheet],
) -> None:
    """Figures in the format's sheets outside the cells read (issue 16, point 5)."""
    from govstats.read.stray import stray_values

    # The cells read, by sheet, each as one integer (row << 16 | column): a
    # set of tuples took twice as long to build, for every workbook.
    read: dict[str, set[int]] = {}
    places = [(c.sheet, c.row, c.column) for c in unit.cells.values()]
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
    from govstats.read.formulas import external_formulas

    cells = {
        (c.sheet, c.row, c.column): c
        for c in unit.cells.values()
        if c.value is not None
    }
    from govstats.read.kinds import KIND_OF_SUFFIX

    kind = raw.kind or KIND_OF_SUFFIX.get(raw.path.suffix.lower(), "")
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
    named: dict[str, RawSheet],
) -> list[RawSheet]:
    """Read the format's tables; the sheets read (a sheet without a header is not)."""
    file = str(raw.path)
    unreadable: set[str] = set()
    read: list[RawSheet] = []
    for table, sheet in _locate_tables(raw, fmt, unit, unreadable, plan, named):
        if _read_sheet(raw, sheet, table, fmt, plan, unit):
            read.append(sheet)
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
) -> bool:
    """Read every coded row of a sheet; False when the sheet has no header at all.

    A header row applies to the rows below it until the next header row, so a sheet
    may hold several blocks, each with its own columns.
    """
    here = functools.partial(Problem.make, file=str(raw.path), sheet=sheet.name)
    labels = plan.labels
    code_label = labels["code"]
    cells = unit.cells
    header: _Header | None = None
    code_at = remark_at = 0  # 0-based columns of the header's code and remark
    targets: dict[str, tuple[tuple[int, Indicator], ...]] = {}
    for r, line in enumerate(sheet.grid, start=1):
        if _holds(line, code_label, plan.code_label_skips):
            found = _header_at(line, r, table, labels)
            if found is not None:
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
            value = plain_value(value_raw, VALUE_MAX)
            problem, shown, expected = None, "", ""
            if value is None:
                value, problem, shown, expected = _read_value(
                    value_raw, plan.units, raw, sheet.name, r, value_col
                )
            # Positional: a third of the time of keywords, once a figure.
            cells[ind.code] = CellValue(
                ind.code, sheet.name, r, value_col, value_raw, value, note
            )
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
    return header is not None


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
