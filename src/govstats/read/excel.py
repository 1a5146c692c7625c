"""Reading workbooks: xlsx, xlsm, xls and ods through python-calamine.

Calamine reads a workbook about thirty times faster than openpyxl and gives the cached
value of a formula cell. What it cannot tell (whether an empty cell is really empty,
holds a formula without a cached value, an error value such as ``#DIV/0!``, or is part
of a merged range) is asked of openpyxl, lazily and only for the cells concerned, so
that the common case of a clean workbook never pays for it.

Rows and columns here are 1-based Excel coordinates throughout.
"""

from __future__ import annotations

import functools
import io
import os
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govstats.core.limits import DEFAULT_LIMITS, Limits
from govstats.core.problems import GovstatsError, Problem
from govstats.read.package import PackageScan, ScanMemory, SheetExtent, scan_package

__all__ = [
    "ACCEPTED_SUFFIXES",
    "RawSheet",
    "RawWorkbook",
    "read_workbook",
]

ACCEPTED_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"


@dataclass
class RawSheet:
    """The values of one sheet, as a grid anchored at A1."""

    name: str
    index: int
    visible: bool
    grid: list[list[Any]]
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)
    # Read off its layout (govstats.read.layouts): the layout's memo, and the
    # cells (0-based) whose values differ from the memo's grid.
    base: Any = field(default=None, repr=False, compare=False)
    changed: frozenset[tuple[int, int]] = field(
        default=frozenset(), repr=False, compare=False
    )

    def value(self, row: int, col: int) -> Any:
        """The value at an Excel position, ``""`` outside the grid."""
        if 1 <= row <= len(self.grid):
            line = self.grid[row - 1]
            if 1 <= col <= len(line):
                return line[col - 1]
        return ""

    def merged_range(self, row: int, col: int) -> str:
        """The A1 range (``D5:D6``) of the merged cell that covers a position, or ``""``."""
        from govstats.core.locations import column_letter

        for r1, c1, r2, c2 in self.merged:
            if r1 <= row <= r2 and c1 <= col <= c2:
                return f"{column_letter(c1)}{r1}:{column_letter(c2)}{r2}"
        return ""


@dataclass
class RawWorkbook:
    """The sheets of a workbook, by name, in workbook order.

    ``oversized`` names the sheets that were not read because their values reach
    beyond the limits (with a ``sheet-too-large`` problem each); ``data`` is the
    file as it was checked, so that every later look reads the same bytes.
    """

    path: Path
    sheets: dict[str, RawSheet]
    problems: list[Problem] = field(default_factory=list)
    oversized: dict[str, Problem] = field(default_factory=dict)
    data: bytes = field(default=b"", repr=False)
    cells: int = 0
    # What the content is (xlsx, xls, ods), whatever the file's suffix says.
    kind: str = ""
    # An .xlsx sheet's bytes hold what an external reference needs ("[", "|"):
    # its formulas are looked at (read.formulas); True when not scanned.
    may_link: bool = True

    @functools.cached_property
    def _openpyxl(self) -> Any:
        """The workbook opened read-only by openpyxl (formulas kept), or None."""
        kind = self.kind or (
            "xlsx" if self.path.suffix.lower() in (".xlsx", ".xlsm") else ""
        )
        if kind != "xlsx" or not self.data:
            return None
        import openpyxl

        try:
            # Read-only: cells are parsed on demand, so memory does not grow with
            # the sheet; the package was checked before calamine read it.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return openpyxl.load_workbook(
                    io.BytesIO(self.data), read_only=True, data_only=False
                )
        except Exception:  # noqa: BLE001 - diagnostics only: calamine already read it
            return None

    def explain_blank(self, sheet: str, row: int, col: int) -> tuple[str, str]:
        """Why a cell that calamine reads as empty is empty.

        :returns: ``(problem code, what the cell shows)``: ``formula-no-value`` with
            the formula, ``excel-error`` with the error value, ``merged-cell`` with the
            merged range, or ``value-blank``.
        """
        raw = self.sheets.get(sheet)
        if raw is not None:
            merged = raw.merged_range(row, col)
            if merged:
                return "merged-cell", merged
        wb = self._openpyxl
        if wb is not None and sheet in wb.sheetnames:
            try:
                cells = wb[sheet].iter_rows(
                    min_row=row, max_row=row, min_col=col, max_col=col
                )
                cell = next(iter(next(iter(cells), ())), None)
            except Exception:  # noqa: BLE001 - diagnostics only, as above
                cell = None
            if cell is not None and cell.data_type == "f":
                return "formula-no-value", str(cell.value)
            if cell is not None and cell.data_type == "e":
                return "excel-error", str(cell.value)
        formula = self._ods_formulas.get((sheet, row, col))
        book = self._xls_formulas
        if formula is None and book is not None:
            found = book.formula((sheet, row, col))
            formula = None if found is None else found.text
        if formula is not None:  # a formula without a cached value, never run
            return "formula-no-value", formula
        return "value-blank", ""

    @functools.cached_property
    def _ods_formulas(self) -> dict[tuple[str, int, int], str]:
        """The formulas of an .ods by cell (read once, for its blank cells)."""
        if self.path.suffix.lower() != ".ods" or not self.data:
            return {}
        from govstats.read.formulas import ods_formulas

        try:
            return ods_formulas(self.data, None)
        except Exception:  # noqa: BLE001 - diagnostics only, as above
            return {}

    @functools.cached_property
    def _xls_formulas(self) -> Any:
        """The formulas of an .xls (read once, for its blank cells: a formula
        whose result could not be computed, a DDE call, is saved with an error
        value, which calamine reads as empty), or None."""
        if self.kind != "xls" or not self.data:
            return None
        from govstats.read.xlsformulas import read_xls_formulas

        try:
            return read_xls_formulas(self.data)
        except Exception:  # noqa: BLE001 - diagnostics only, as above
            return None


def _sniff(
    path: Path, limits: Limits, memory: ScanMemory | None = None
) -> tuple[bytes, PackageScan | None, str, list[Problem]]:
    """Refuse what is not a readable workbook before any parser sees it.

    The file is read once, in full (it is at most ``file_bytes``), opened read-only;
    everything after works on these bytes, so what was checked is what is read.
    Its content decides what kind of workbook it is (:mod:`govstats.read.kinds`);
    a suffix naming another kind is a ``suffix-mismatch`` warning.

    :returns: the bytes, the package inspection of a zip workbook, the kind
        (``xlsx``, ``xls``, ``ods``) and the problems found (a mismatch).
    """
    from govstats.read.kinds import KIND_NAMES, KIND_OF_SUFFIX, content_kind

    suffix = path.suffix.lower()
    file = str(path)
    try:
        # Asked, not tested with exists(): a file in a folder the user may not
        # read is told as such, not as missing.
        path.stat()
    except (FileNotFoundError, NotADirectoryError):
        raise GovstatsError(Problem.make("file-not-found", file=file)) from None
    except OSError as exc:
        from govstats.core.oserrors import os_error

        raise os_error(exc, path) from exc
    if not path.is_file():
        raise GovstatsError(
            Problem.make("file-unreadable", file=file, found="not a file")
        )
    unsupported = GovstatsError(
        Problem.make("file-format-unsupported", file=file, found=suffix or path.name)
    )
    if suffix not in ACCEPTED_SUFFIXES and not _may_be_workbook(path):
        raise unsupported
    limit = limits.file_bytes
    try:
        with path.open("rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size > limit:
                raise _too_large(file, size, limit)
            # Asked for its own size (plus one byte, to see it grow): a read of
            # the limit would allocate 20 MiB each time, a tenth of a
            # millisecond per workbook.
            data = fh.read(size + 1)
            if len(data) > size:  # it grows while being read
                data += fh.read(limit + 1 - len(data))
    except OSError as exc:
        from govstats.core.oserrors import os_error

        raise os_error(exc, path) from exc
    if len(data) > limit:  # it grew while being read
        raise _too_large(file, len(data), limit)
    problems: list[Problem] = []
    by_content = content_kind(data)
    if by_content is None and suffix not in ACCEPTED_SUFFIXES:
        raise unsupported
    if by_content is not None and by_content != KIND_OF_SUFFIX.get(suffix):
        # Read as what it is; the name the clerk gave it is reported.
        problems.append(
            Problem.make(
                "suffix-mismatch",
                file=file,
                found=suffix or path.name,
                expected=KIND_NAMES[by_content],
            )
        )
        suffix = {"xlsx": ".xlsx", "xls": ".xls", "ods": ".ods"}[by_content]
    kind = KIND_OF_SUFFIX[suffix]
    if data.startswith(_OLE_MAGIC):
        # An encrypted xlsx is an OLE container holding an EncryptionInfo stream.
        if "EncryptionInfo".encode("utf-16-le") in data:
            raise GovstatsError(Problem.make("file-encrypted", file=file))
        if suffix != ".xls":
            raise GovstatsError(
                Problem.make("file-unreadable", file=file, found="OLE/xls")
            )
        return data, None, kind, problems
    if suffix == ".xls" or not data.startswith(_ZIP_MAGIC):
        found = "empty file" if not data else "not a zip archive"
        if suffix == ".xls":
            found = "empty file" if not data else "not an Excel 97-2003 workbook"
        raise GovstatsError(Problem.make("file-unreadable", file=file, found=found))
    return data, scan_package(data, file, kind, limits, memory), kind, problems


def _may_be_workbook(path: Path) -> bool:
    """Whether a file of another suffix starts as a zip or OLE container does."""
    from govstats.read.kinds import may_be_workbook

    try:
        with path.open("rb") as fh:
            return may_be_workbook(fh.read(8))
    except OSError:
        return False


def _too_large(file: str, size: int, limit: int) -> GovstatsError:
    return GovstatsError(
        Problem.make(
            "file-too-large",
            file=file,
            found=f"{size / 1024 / 1024:.1f} MiB",
            expected=f"{limit / 1024 / 1024:.0f} MiB",
        )
    )


def _refuse_large_sheets(
    sheets: Iterable[tuple[str, Any]], file: str, limits: Limits
) -> None:
    """Refuse the whole file at its first sheet beyond the limits (for the formats
    whose sheets calamine reads all at once when it opens the file)."""
    for name, big in sheets:
        if big.too_large:
            raise GovstatsError(
                Problem.make(
                    "sheet-too-large",
                    file=file,
                    sheet=name,
                    found=_extent_text(big, limits),
                    expected=_limit_text(big, limits),
                )
            )


def read_workbook(
    path: str | Path,
    limits: Limits = DEFAULT_LIMITS,
    memory: ScanMemory | None = None,
) -> RawWorkbook:
    """Read every sheet of a workbook into grids of values.

    :raises GovstatsError: when the file is missing, of another type, encrypted,
        damaged or beyond the limits. Sheets whose values reach beyond the row and
        column limits are not read, with a ``sheet-too-large`` problem each.
    :param limits: what the file is checked against before it is read.
    :param memory: what scanning earlier workbooks found (read many workbooks
        with one :class:`~govstats.read.package.ScanMemory`: the same outcome,
        faster).
    """
    path = Path(path)
    data, scan, kind, problems = _sniff(path, limits, memory)
    file = str(path)
    oversized: dict[str, Problem] = {}
    sheets: dict[str, RawSheet] = {}
    if scan is not None and scan.macros:
        problems.append(Problem.make("macros-ignored", file=file))
    if kind == "xls":
        from govstats.read.biff import scan_xls

        # calamine reads every sheet of an .xls into a dense grid when it opens it:
        # a sheet too large refuses the whole file, before calamine is asked.
        _refuse_large_sheets(scan_xls(data, file, limits), file, limits)
    if kind == "ods" and scan is not None:
        # calamine reads every sheet of an .ods when it opens it (it cannot skip
        # one), so a sheet too large refuses the whole file.
        _refuse_large_sheets(scan.sheets.items(), file, limits)
    # A workbook whose every sheet can be read off its layout is not given to
    # calamine at all (govstats.read.layouts); it is opened for the first sheet
    # that cannot.
    fast = scan if memory is not None and scan is not None and scan.frame else None
    strings = None
    if fast is not None:
        # (imported here: its patterns take milliseconds to compile, which a
        # process that reads no workbook this way need not spend)
        from govstats.read.layouts import Strings, read_off_layout, remember

        strings = Strings(fast)
    book = memory.book(fast.frame) if memory is not None and fast else None
    opened: list[Any] = []

    def calamine() -> Any:
        if not opened:
            opened.append(_open(data, file))
        return opened[0]

    try:
        if book is None:
            book = [
                (
                    meta.name,
                    str(meta.typ).endswith("ChartSheet"),
                    str(meta.visible).endswith("Visible"),
                )
                for meta in calamine().sheets_metadata
            ]
            if memory is not None and fast is not None:
                memory.keep_book(fast.frame, book)
        metadata = book
        if len(metadata) > limits.sheets:
            raise GovstatsError(
                Problem.make(
                    "too-many-sheets",
                    file=file,
                    found=len(metadata),
                    expected=limits.sheets,
                )
            )
        for index, (name, chart, visible) in enumerate(metadata):
            if chart:
                continue
            extent = scan.sheets.get(name) if scan is not None else None
            if scan is not None and extent is None:
                # calamine sees a sheet the inspection did not: never ask for it.
                problems.append(
                    Problem.make(
                        "file-unreadable",
                        file=file,
                        sheet=name,
                        found="sheet not listed in the workbook",
                    )
                )
                continue
            if extent is not None and extent.too_large:
                # calamine stores a sheet as a dense grid: one value at XFD1048576
                # would ask for 550 GB. Such a sheet is never handed to it.
                oversized[name] = Problem.make(
                    "sheet-too-large",
                    file=file,
                    sheet=name,
                    found=_extent_text(extent, limits),
                    expected=_limit_text(extent, limits),
                )
                continue
            if name in sheets or name in oversized:
                # Excel forbids it; a crafted workbook.xml can still list a name
                # twice. The first is read, the second reported, never merged.
                problems.append(
                    Problem.make(
                        "sheet-duplicate",
                        file=file,
                        sheet=name,
                        expected=name,
                    )
                )
                continue
            read = None
            if strings is not None and extent is not None:
                read = read_off_layout(extent, strings)
            try:
                base: Any = None
                changed: frozenset[tuple[int, int]] = frozenset()
                if read is not None:
                    grid, merged, base, changed = read
                else:
                    grid, merged = _read_sheet(calamine(), name, extent, limits)
                    if strings is not None and extent is not None:
                        remember(extent, grid, merged, strings)
            except GovstatsError:
                raise
            except BaseException as exc:  # noqa: BLE001 - one bad sheet must not stop the rest
                _reraise_interrupt(exc)
                problems.append(
                    Problem.make(
                        "file-unreadable",
                        file=file,
                        sheet=name,
                        found=str(exc)[:200],
                    )
                )
                continue
            sheets[name] = RawSheet(
                name=name,
                index=index,
                visible=visible,
                grid=grid,
                merged=merged,
                base=base,
                changed=changed,
            )
    finally:
        if opened:
            opened[0].close()
    return RawWorkbook(
        path=path,
        sheets=sheets,
        problems=problems,
        oversized=oversized,
        data=data,
        cells=scan.cells if scan is not None else 0,
        kind=kind,
        may_link=scan is None or any(e.links for e in scan.sheets.values()),
    )


def _open(data: bytes, file: str) -> Any:
    """The workbook opened by calamine."""
    import python_calamine as pc

    try:
        return pc.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except BaseException as exc:  # noqa: BLE001 - calamine raises many error types
        _reraise_interrupt(exc)
        if type(exc).__name__ == "PasswordError":
            raise GovstatsError(Problem.make("file-encrypted", file=file)) from exc
        raise GovstatsError(
            Problem.make("file-unreadable", file=file, found=str(exc)[:200])
        ) from exc


def _read_sheet(
    wb: Any, name: str, extent: SheetExtent | None, limits: Limits
) -> tuple[list[list[Any]], list[tuple[int, int, int, int]]]:
    """A sheet's grid and merged ranges, read by calamine."""
    sheet = wb.get_sheet_by_name(name)
    # A sheet the scan measured is within the limits: calamine builds its grid
    # from A1 at once, not row by row.
    if extent is not None:
        grid = sheet.to_python(skip_empty_area=False)
    else:
        grid = _grid(sheet, limits)
    merged = [
        (r1 + 1, c1 + 1, r2 + 1, c2 + 1)
        for (r1, c1), (r2, c2) in (sheet.merged_cell_ranges or [])
    ]
    return grid, merged


def _reraise_interrupt(exc: BaseException) -> None:
    """Let Ctrl-C and exits through; anything else calamine raises is the file's.

    A damaged file can make calamine (Rust) panic; pyo3 raises that as
    ``PanicException``, which derives from BaseException, not Exception, so an
    ``except Exception`` would let it escape as a traceback.
    """
    if isinstance(exc, KeyboardInterrupt | SystemExit | GeneratorExit):
        raise exc


def _grid(sheet: Any, limits: Limits) -> list[list[Any]]:
    """The sheet's values from A1, at most the limits' rows and columns.

    Rows are taken one at a time and cut to the column limit, so that a wide sheet
    (an .xls is not scanned beforehand) never becomes a wide grid in Python.
    calamine's ``iter_rows`` already starts at row 1 but at the range's first
    column; the columns left of it are added here (as ``to_python`` would).
    """
    rows, cols = limits.sheet_rows, limits.sheet_columns
    left = (sheet.start or (0, 0))[1]
    pad = [""] * min(left, cols)
    grid: list[list[Any]] = []
    for line in sheet.iter_rows():
        if len(grid) >= rows:
            break
        grid.append(pad + list(line[: max(0, cols - left)]))
    return grid


def _extent_text(extent: SheetExtent, limits: Limits) -> str:
    """Why a sheet is too large: its size, the farthest cell seen, or its cells."""
    from govstats.core.locations import column_letter

    if extent.size:
        return f"{extent.size / 1024 / 1024:.1f} MiB"
    if extent.rows > limits.sheet_rows or extent.columns > limits.sheet_columns:
        return f"{column_letter(max(extent.columns, 1))}{max(extent.rows, 1)}"
    return f"{extent.cells} cells"


def _limit_text(extent: SheetExtent, limits: Limits) -> str:
    from govstats.core.locations import column_letter

    if extent.size:
        return f"{limits.part_bytes / 1024 / 1024:.0f} MiB"
    return f"A1:{column_letter(limits.sheet_columns)}{limits.sheet_rows}"
