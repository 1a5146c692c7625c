"""Validating workbooks: structure, cell values and cross-field rules, all at once.

The flow for any number of workbooks:

1. read each workbook and locate its figures by code (:mod:`govstats.read.workbook`),
   collecting structural problems (many workbooks by a pool of processes);
2. stack every value cell of every workbook into one long frame and validate it
   with one lazy pandera call (:func:`govstats.check.schemas.cell_schema`);
3. pivot the valid values into one row per workbook and validate the cross-field
   rules with one more pandera call (:func:`govstats.check.schemas.unit_schema`);
4. check identification, the year, the roster and duplicate units across files.
"""

from __future__ import annotations

import functools
import gc
import os
from array import array
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govstats.check.rules import describe_failure
from govstats.check.unfilled import unfilled_problem
from govstats.core.limits import DEFAULT_LIMITS, Limits
from govstats.core.problems import GovstatsError, Problem
from govstats.core.results import FileReport, Report, limit_problems
from govstats.formats import PREV, Format, format_for_year, list_formats, load_format
from govstats.read.excel import read_workbook
from govstats.read.package import ScanMemory
from govstats.read.roster import Roster
from govstats.read.workbook import (
    UnitWorkbook,
    decimals_of,
    load_unit_from_raw,
    peek_year,
)

if TYPE_CHECKING:
    from multiprocessing.context import BaseContext

    import numpy as np
    import pandas as pd

__all__ = ["Validation", "exact_values", "validate_units"]


@dataclass
class Validation:
    """Workbooks checked together: what they hold and what is wrong with them."""

    fmt: Format
    units: list[UnitWorkbook]
    report: Report
    values: pd.DataFrame = field(repr=False)
    scale: int = 1

    def unit_values(self, index: int) -> dict[str, Decimal]:
        """The exact values of one workbook (valid cells only), by code."""
        return self.units_values([index])[0]

    def units_values(self, indexes: Sequence[int]) -> list[dict[str, Decimal]]:
        """The exact values of several workbooks (valid cells only), by code."""
        codes, data, missing = self.arrays(indexes)
        exact = exact_values(self.scale)
        return [
            exact(codes, row, gaps)
            for row, gaps in zip(data.tolist(), missing.tolist(), strict=True)
        ]

    def arrays(
        self, indexes: Sequence[int]
    ) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
        """The values of several workbooks as arrays: the codes (the frame's
        columns), the scaled values (a row per workbook, 0 where missing) and
        where they are missing, in one pass over the frame (a positional
        look-up per workbook cost about a millisecond each)."""
        import numpy as np

        frame = self.values.iloc[list(indexes)]
        codes = tuple(str(c) for c in frame.columns)
        shape = (len(frame), len(codes))
        data = np.zeros(shape, dtype=np.int64)
        missing = np.ones(shape, dtype=bool)
        for k, code in enumerate(codes):
            column = frame[code].array
            data[:, k] = column.to_numpy(dtype=np.int64, na_value=0)
            missing[:, k] = column.isna()
        return codes, data, missing


def exact_values(
    scale: int,
) -> Callable[[Sequence[str], Sequence[int], Sequence[bool]], dict[str, Decimal]]:
    """A function making one workbook's exact values by code, from its row of
    :meth:`Validation.arrays` (as lists: ``tolist()`` is the fast way out of
    numpy), the missing ones left out.

    Equal values share one Decimal (immutable): most figures are 0 or small
    counts. The shared ones are bounded, so that making the values of one unit
    after another holds no more than one unit's.
    """
    shared: dict[int, Decimal] = {}

    def exact(
        codes: Sequence[str], row: Sequence[int], gaps: Sequence[bool]
    ) -> dict[str, Decimal]:
        out: dict[str, Decimal] = {}
        for code, v, gap in zip(codes, row, gaps, strict=True):
            if gap:
                continue
            d = shared.get(v)
            if d is None:
                d = Decimal(v) / scale
                if len(shared) < _SHARED_VALUES:
                    shared[v] = d
            out[code] = d
        return out

    return exact


_SHARED_VALUES = 1 << 12


def load_units(
    paths: Sequence[Path],
    year: int | None,
    format_id: str | None,
    progress: Callable[[int, int, Path], None] | None = None,
    meanwhile: Callable[[], object] | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> tuple[Format, list[UnitWorkbook]]:
    """Read every workbook and locate its figures, one workbook in memory at a time.

    The format is ``format_id``, else the year's, else the year the first readable
    workbook states on its identification sheet. Many workbooks are read by
    several processes (:func:`_load_all`); the units come back in ``paths`` order.

    :param meanwhile: work for the main process while worker processes read (it
        is not called when there are none), such as imports needed next.
    :param limits: what every workbook is checked against before it is read.
    """
    fmt: Format | None = load_format(format_id) if format_id else None
    if fmt is None and year is not None:
        fmt = format_for_year(year)
    units: list[UnitWorkbook] = []
    todo = list(paths)
    memory = ScanMemory()
    while fmt is None and todo:  # the first readable workbook says which format
        path = todo.pop(0)
        unit, stated = _first(path, limits)
        units.append(unit)
        if stated is not None:
            fmt = load_format(stated)
        if progress is not None:
            progress(len(units), len(paths), path)
    fmt = fmt or load_format(list_formats()[0])
    for unit in _load_all(todo, fmt, limits, memory, meanwhile):
        units.append(unit)
        if progress is not None:
            progress(len(units), len(paths), unit.path)
    return fmt, units


# Reading is most of the work of a compile and every workbook is read on its own,
# so many are read by a pool of processes (benchmarks/results.md measures the
# gain). A pool costs a start and saves a little on each workbook; below
# PARALLEL_MIN workbooks one worker reads them all, a workbook at a time (not
# for speed: so that a reader's crash costs that workbook alone,
# govstats.core.isolated), and MAX_JOBS bounds the memory all workers take (each
# holds one workbook at a time, within the limits of govstats.core.limits).
PARALLEL_MIN = 64
MAX_JOBS = 4
_CHUNK = 16  # workbooks per task: fewer round trips, yet an even spread


def _load_all(
    paths: Sequence[Path],
    fmt: Format,
    limits: Limits,
    memory: ScanMemory,
    meanwhile: Callable[[], object] | None = None,
) -> Iterator[UnitWorkbook]:
    """The units of ``paths`` in order, each read in a worker process where one
    can be forked (several when many), so that a workbook that crashes its reader
    costs that workbook alone (``reader-crashed``), never the others.

    A worker reads its chunk of workbooks with a memory of its own (the parts
    and layouts of the chunk's first workbook serve the others).
    """
    many = len(paths) >= PARALLEL_MIN
    jobs = min(MAX_JOBS, _cpus(), len(paths) // _CHUNK) if many else 1
    context = _start_method()
    if not paths or (many and jobs < 2) or (not many and not _forks(context)):
        # Without fork (Windows) a process is slow to start: a few workbooks
        # are then read here.
        yield from (_load_one(path, fmt.id, limits, memory) for path in paths)
        return
    from govstats.core.isolated import run_isolated

    def prepare() -> None:
        # While the workers read, build the schemas validate_units needs next:
        # importing pandas and pandera takes time that would otherwise leave a
        # core idle after the reading.
        from govstats.check.schemas import cell_schema, unit_schema

        cell_schema(fmt)
        unit_schema(fmt, 10**fmt.max_places)
        if meanwhile is not None:
            meanwhile()

    units = run_isolated(
        paths,
        functools.partial(_load_chunk, format_id=fmt.id, limits=limits),
        _crashed,
        jobs=jobs,
        chunk=_CHUNK if many else 1,
        context=context,
        initializer=_init_worker,
        initargs=(gc.get_threshold(), os.getpid()),
        meanwhile=prepare,
    )
    for path, unit in zip(paths, units, strict=True):
        if unit.path == path:
            # this process's path, not the worker's copy of it: one a unit
            unit.path = path
        yield unit.share()


# A worker process reads chunk after chunk: its scan memory lasts as long as the
# worker, made by the pool's initializer (as a pool's worker holds a connection),
# so the parts a template fixes are scanned once a worker, not once a chunk.
# Only worker processes set it; the main process passes its memory explicitly.
_worker_memory: ScanMemory | None = None


def _init_worker(thresholds: tuple[int, ...], parent: int | None = None) -> None:
    """A worker collects garbage as the main process does (a spawned one would
    otherwise have the defaults, whatever the main process set), and, given its
    ``parent``'s process id, ends when the main process ends, however it ends."""
    if parent is not None:
        from govstats.core.processes import die_with_parent

        die_with_parent(parent)
        # A reader that crashes (a Rust panic) prints its backtrace: the file's
        # problem (reader-crashed) says it, once, where the user reads results.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
    gc.set_threshold(*thresholds)
    global _worker_memory
    _worker_memory = ScanMemory()


def _load_chunk(
    paths: Sequence[Path], format_id: str, limits: Limits
) -> list[UnitWorkbook]:
    """Read a worker's chunk of workbooks, with the worker's scan memory."""
    memory = _worker_memory if _worker_memory is not None else ScanMemory()
    return [_load_one(path, format_id, limits, memory) for path in paths]


def _load_one(
    path: Path,
    format_id: str,
    limits: Limits = DEFAULT_LIMITS,
    memory: ScanMemory | None = None,
) -> UnitWorkbook:
    """Read one workbook (in a worker, or not): its figures, or why it cannot be."""
    try:
        raw = read_workbook(path, limits, memory)
    except GovstatsError as exc:
        return _unreadable(path, exc)
    # Only the located figures are kept: memory grows with the number of
    # units by the size of their figures, not of their workbooks.
    return load_unit_from_raw(raw, load_format(format_id))


def _crashed(path: Path) -> UnitWorkbook:
    """The unit of a workbook whose reading ended its process, even alone."""
    problem = Problem.make("reader-crashed", file=str(path))
    return UnitWorkbook(path=path, problems=[problem])


def _first(path: Path, limits: Limits) -> tuple[UnitWorkbook, str | None]:
    """The first workbook read when no format is given, and the format of the
    year it states (None when it cannot be read): in a worker process, alone,
    where one can be forked."""
    work = functools.partial(_load_first, limits=limits)
    if not _forks(_start_method()):
        return work([path])[0]
    from govstats.core.isolated import run_isolated

    (result,) = run_isolated(
        [path],
        work,
        lambda p: (_crashed(p), None),
        jobs=1,
        chunk=1,
        context=_start_method(),
        initializer=_init_worker,
        initargs=(gc.get_threshold(), os.getpid()),
    )
    return result[0].share(), result[1]


def _load_first(
    paths: list[Path], limits: Limits
) -> list[tuple[UnitWorkbook, str | None]]:
    (path,) = paths
    try:
        raw = read_workbook(path, limits)
    except GovstatsError as exc:
        return [(_unreadable(path, exc), None)]
    fmt = _stated_format(raw)
    return [(load_unit_from_raw(raw, fmt), fmt.id)]


def _unreadable(path: Path, exc: GovstatsError) -> UnitWorkbook:
    return UnitWorkbook(path=path, problems=[exc.problem.located(file=str(path))])


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _start_method() -> BaseContext:
    # fork starts a worker at once with what is already imported; once another
    # thread runs (a progress bar's) forking is unsafe, and spawn is used.
    import multiprocessing as mp
    import threading

    if "fork" in mp.get_all_start_methods() and threading.active_count() == 1:
        return mp.get_context("fork")
    return mp.get_context("spawn")


def _forks(context: BaseContext) -> bool:
    return context.get_start_method() == "fork"


def _stated_format(raw: Any) -> Format:
    """The format of the year a workbook states; the first format when it states none
    that is known (its year is then reported by the checks, not here)."""
    default = load_format(list_formats()[0])
    stated = peek_year(raw, default)
    try:
        return format_for_year(stated) if stated else default
    except GovstatsError:
        return default


def validate_units(
    units: list[UnitWorkbook],
    fmt: Format,
    year: int | None = None,
    roster: Roster | None = None,
    max_problems: int | None = None,
    previous: dict[str, dict[str, Decimal]] | None = None,
) -> Validation:
    """Check workbooks already read; every problem of every file, at once.

    :param previous: last year's figures by unit code, for the cross-year rules
        (``prev:`` codes); without them those rules are not evaluated.
    """
    import numpy as np
    import pandas as pd

    from govstats.check.schemas import failures, unit_schema

    scale = 10**fmt.max_places
    problems: list[list[Problem]] = [list(u.problems) for u in units]

    # The values of the cells that pass their checks, scaled: an array row per
    # indicator (a dict per workbook costs time and memory that grow with the
    # number of workbooks).
    column = {code: k for k, code in enumerate(fmt.codes)}
    data = np.zeros((len(column), len(units)), dtype=np.int64)
    missing = np.ones((len(column), len(units)), dtype=bool)
    # Cell checks: a long frame and one pandera call for each batch of units,
    # so that the frames of a compile are bounded whatever its units (issue
    # 18); a unit's problems are those of one batch, in pandera's order.
    for start in range(0, len(units), BATCH_UNITS):
        batch = range(start, min(start + BATCH_UNITS, len(units)))
        _check_cells(units, batch, fmt, problems, column, data, missing)
    values = pd.DataFrame(
        {
            code: pd.arrays.IntegerArray(data[k], missing[k])
            for code, k in column.items()
        },
        index=pd.RangeIndex(len(units)),
    )
    checked = _with_previous(values, units, fmt, previous, scale)
    rules = {r.key: r for r in fmt.rules}
    # Cross-field rules: one row per workbook, one pandera call a batch (each
    # row keeps its label: the unit's index).
    cases = (
        case
        for start in range(0, len(units), BATCH_UNITS)
        for case in failures(
            unit_schema(fmt, scale), checked.iloc[start : start + BATCH_UNITS]
        )
    )
    for check, index, _value in cases:
        rule = rules.get(check)
        if rule is None:  # not a rule's check; the cell checks cover the cells
            continue
        if index is None:  # the check itself failed to run: a bug, not bad data
            raise RuntimeError(f"rule {check} could not be evaluated")
        i = int(index)
        # A rule that failed read a value in each of its cells (rules.predicate).
        unit_vals = {c: Decimal(_scaled(checked[c].iat[i])) / scale for c in rule.codes}
        cell = units[i].cells[rule.subject]
        problems[i].append(
            describe_failure(rule, fmt, unit_vals, cell.remark).located(
                file=str(units[i].path),
                sheet=cell.sheet,
                row=cell.row,
                column=cell.column,
            )
        )

    _check_identity(units, fmt, year, roster, problems)
    for i, unit in enumerate(units):
        if (blank := unfilled_problem(unit, fmt)) is not None:
            problems[i].append(blank)
    sheets = (fmt.info_sheet, *(t.sheet for t in fmt.tables))
    report = Report(
        [
            FileReport(
                path=str(u.path),
                unit_code=u.unit_code,
                unit_name=u.unit_name,
                problems=limit_problems(problems[i], max_problems, sheets),
            )
            for i, u in enumerate(units)
        ]
    )
    return Validation(fmt=fmt, units=units, report=report, values=values, scale=scale)


# Units checked by one pandera call: a batch's frames and lists take about
# 200 bytes a cell at their peak (14 MB for 1,024 units of gk2008); smaller
# batches cost more time in pandera's calls.
BATCH_UNITS = 1024


def _check_cells(
    units: list[UnitWorkbook],
    batch: range,
    fmt: Format,
    problems: list[list[Problem]],
    column: dict[str, int],
    data: np.ndarray,
    missing: np.ndarray,
) -> None:
    """Check the cells of a batch of units; the problems found go to ``problems``
    and the values of the cells that pass into ``data`` (not ``missing``).

    The frame's columns are filled as lists (a tuple per cell would hold far
    more memory).
    """
    import numpy as np
    import pandas as pd

    from govstats.check.schemas import cell_schema, failures

    scale = 10**fmt.max_places
    unit_col: list[int] = []
    code_col: list[str] = []
    # Most units hold whole numbers only: their cells are taken a unit at a
    # time, the values as an array (scaled by numpy below), not a cell at a
    # time. ``plain`` marks the rows taken so (their value not yet scaled).
    value_col = array("q")
    decimals_col: list[int] = []
    plain: list[bool] = []
    bound = 2**63 // scale  # a value scaled within 64 bits
    for i in batch:
        wholes = units[i].cells.whole_numbers()
        if wholes is not None and (
            not wholes[1] or -bound < min(wholes[1]) and max(wholes[1]) < bound
        ):
            codes, values = wholes
            unit_col.extend([i] * len(codes))
            code_col.extend(codes)
            value_col.extend(values)
            decimals_col.extend([0] * len(codes))
            plain.extend([True] * len(codes))
            continue
        for code, value in units[i].cells.figures():
            if value is None:
                continue
            unit_col.append(i)
            code_col.append(code)
            plain.append(False)
            whole = int(value)
            if whole == value:  # most figures: integer arithmetic only
                value_col.append(whole * scale)
                decimals_col.append(0)
            else:
                value_col.append(int((value * scale).to_integral_value()))
                decimals_col.append(decimals_of(value))
    inds = fmt.indicators
    scaled = np.frombuffer(value_col, dtype=np.int64).copy()
    scaled[np.array(plain, dtype=bool)] *= scale
    cells = pd.DataFrame(
        {
            "unit": np.array(unit_col, dtype=np.int64),
            "code": pd.Series(code_col, dtype=object),
            "value": pd.array(scaled, dtype="Int64"),
            "decimals": np.array(decimals_col, dtype=np.int64),
            "places": np.array([inds[c].places for c in code_col], dtype=np.int64),
            "signed": np.array([inds[c].signed for c in code_col], dtype=bool),
        }
    )
    bad_cells: set[int] = set()  # rows of the cell frame
    for check, index, _value in failures(cell_schema(fmt), cells):
        i, code = unit_col[int(index)], code_col[int(index)]
        bad_cells.add(int(index))
        cell = units[i].cells[code]
        ind = fmt.indicators[code]
        problems[i].append(
            Problem.make(
                check,
                file=str(units[i].path),
                sheet=cell.sheet,
                row=cell.row,
                column=cell.column,
                indicator=code,
                found=str(cell.value),
                expected=str(ind.places) if check == "too-many-decimals" else "",
                context={"label": ind.label, "unit": ind.unit},
            )
        )
    good = np.ones(len(cells), dtype=bool)
    good[sorted(bad_cells)] = False
    where = (
        np.array([column[c] for c in code_col], dtype=np.intp)[good],
        cells["unit"].to_numpy()[good],
    )
    data[where] = cells["value"].to_numpy(dtype=np.int64)[good]
    missing[where] = False


def _scaled(value: Any) -> int:
    return int(value)


def _with_previous(
    values: pd.DataFrame,
    units: list[UnitWorkbook],
    fmt: Format,
    previous: dict[str, dict[str, Decimal]] | None,
    scale: int,
) -> pd.DataFrame:
    """The unit frame plus a ``prev:<code>`` column per code a cross-year rule reads.

    A unit without last year's figures gets <NA> there, so those rules skip it.
    """
    import pandas as pd

    prev_codes = sorted({c for r in fmt.rules for c in r.codes if c.startswith(PREV)})
    if not prev_codes:
        return values
    frame = values.copy()
    for code in prev_codes:
        bare = code.removeprefix(PREV)
        column: list[int | None] = []
        for unit in units:
            last = (previous or {}).get(unit.unit_code, {})
            column.append(int(last[bare] * scale) if bare in last else None)
        frame[code] = pd.array(column, dtype="Int64")
    return frame


def _check_identity(
    units: list[UnitWorkbook],
    fmt: Format,
    year: int | None,
    roster: Roster | None,
    problems: list[list[Problem]],
) -> None:
    """Year, roster membership and duplicate unit codes across the files."""
    labels = {f.key: f.label for f in fmt.info_fields}
    seen: dict[str, int] = {}
    for i, unit in enumerate(units):
        if not unit.cells and not unit.info:
            continue  # unreadable: its file problem says it all

        def at(key: str, unit: UnitWorkbook = unit) -> dict[str, Any]:
            sheet, row, col = unit.info_cells.get(key, (fmt.info_sheet, None, None))
            return {"file": str(unit.path), "sheet": sheet, "row": row, "column": col}

        found_year = unit.info.get("year")
        if year is not None and found_year not in (None, "") and found_year != year:
            problems[i].append(
                Problem.make(
                    "year-mismatch",
                    found=found_year,
                    expected=year,
                    context={"label": labels.get("year", "")},
                    **at("year"),
                )
            )
        code = unit.unit_code
        if not code:
            continue
        if roster is not None and roster.get(code) is None:
            problems[i].append(
                Problem.make(
                    "unit-not-in-roster",
                    found=code,
                    context={"label": labels.get("unit_code", "")},
                    **at("unit_code"),
                )
            )
        if code in seen:
            problems[i].append(
                Problem.make(
                    "unit-duplicate",
                    found=code,
                    expected=str(units[seen[code]].path),
                    **at("unit_code"),
                )
            )
        else:
            seen[code] = i
