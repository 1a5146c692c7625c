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
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govstats.problems import GovstatsError, Problem

__all__ = [
    "ACCEPTED_SUFFIXES",
    "LIMITS",
    "RawSheet",
    "RawWorkbook",
    "read_workbook",
]

ACCEPTED_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")

# Limits enforced before the work: a statistics workbook is small, so anything far
# beyond these is a damaged or hostile file, not data.
LIMITS = {
    "file_bytes": 20 * 1024 * 1024,
    "sheet_rows": 2000,
    "sheet_columns": 200,
    "sheets": 100,
}

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

    def value(self, row: int, col: int) -> Any:
        """The value at an Excel position, ``""`` outside the grid."""
        if 1 <= row <= len(self.grid):
            line = self.grid[row - 1]
            if 1 <= col <= len(line):
                return line[col - 1]
        return ""

    def merged_range(self, row: int, col: int) -> str:
        """The A1 range (``D5:D6``) of the merged cell that covers a position, or ``""``."""
        from govstats.problems import column_letter

        for r1, c1, r2, c2 in self.merged:
            if r1 <= row <= r2 and c1 <= col <= c2:
                return f"{column_letter(c1)}{r1}:{column_letter(c2)}{r2}"
        return ""


@dataclass
class RawWorkbook:
    """The sheets of a workbook, by name, in workbook order."""

    path: Path
    sheets: dict[str, RawSheet]
    problems: list[Problem] = field(default_factory=list)

    @functools.cached_property
    def _openpyxl(self) -> Any:
        """The workbook opened by openpyxl (formulas kept), or None if it cannot be."""
        if self.path.suffix.lower() not in (".xlsx", ".xlsm"):
            return None
        import openpyxl

        try:
            return openpyxl.load_workbook(self.path, data_only=False)
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
            cell = wb[sheet].cell(row=row, column=col)
            if cell.data_type == "f":
                return "formula-no-value", str(cell.value)
            if cell.data_type == "e":
                return "excel-error", str(cell.value)
        return "value-blank", ""


def _sniff(path: Path) -> None:
    """Refuse what is not a readable workbook before any parser sees it."""
    suffix = path.suffix.lower()
    if not path.exists():
        raise GovstatsError(Problem.make("file-not-found", file=str(path)))
    if not path.is_file():
        raise GovstatsError(
            Problem.make("file-unreadable", file=str(path), found="not a file")
        )
    size = path.stat().st_size
    if size > LIMITS["file_bytes"]:
        raise GovstatsError(
            Problem.make(
                "file-unreadable",
                file=str(path),
                found=f"{size} bytes > {LIMITS['file_bytes']}",
            )
        )
    with path.open("rb") as fh:
        head = fh.read(8)
    if head.startswith(_OLE_MAGIC):
        # An encrypted xlsx is an OLE container holding an EncryptionInfo stream.
        data = path.read_bytes()
        if "EncryptionInfo".encode("utf-16-le") in data:
            raise GovstatsError(Problem.make("file-encrypted", file=str(path)))
        if suffix not in (".xls",):
            raise GovstatsError(
                Problem.make("file-unreadable", file=str(path), found="OLE/xls")
            )
        return
    if suffix not in ACCEPTED_SUFFIXES:
        raise GovstatsError(
            Problem.make(
                "file-format-unsupported", file=str(path), found=suffix or path.name
            )
        )
    if not head.startswith(_ZIP_MAGIC):
        found = "empty file" if size == 0 else "not a zip archive"
        raise GovstatsError(
            Problem.make("file-unreadable", file=str(path), found=found)
        )
    try:
        with zipfile.ZipFile(path) as zf:
            bad = zf.testzip()
            names = set(zf.namelist())
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise GovstatsError(
            Problem.make("file-unreadable", file=str(path), found=str(exc))
        ) from exc
    if bad is not None:
        raise GovstatsError(
            Problem.make("file-unreadable", file=str(path), found=f"corrupt {bad}")
        )
    if suffix in (".xlsx", ".xlsm") and "xl/workbook.xml" not in names:
        raise GovstatsError(
            Problem.make("file-unreadable", file=str(path), found="no xl/workbook.xml")
        )


def read_workbook(path: str | Path) -> RawWorkbook:
    """Read every sheet of a workbook into grids of values.

    :raises GovstatsError: when the file is missing, of another type, encrypted or
        damaged. Sheets beyond the limits are skipped with a problem, not read.
    """
    import python_calamine as pc

    path = Path(path)
    _sniff(path)
    problems: list[Problem] = []
    sheets: dict[str, RawSheet] = {}
    try:
        wb = pc.CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # noqa: BLE001 - calamine raises many error types
        if type(exc).__name__ == "PasswordError":
            raise GovstatsError(Problem.make("file-encrypted", file=str(path))) from exc
        raise GovstatsError(
            Problem.make("file-unreadable", file=str(path), found=str(exc)[:200])
        ) from exc
    try:
        for index, meta in enumerate(wb.sheets_metadata[: LIMITS["sheets"]]):
            if type(meta.typ).__name__ and str(meta.typ).endswith("ChartSheet"):
                continue
            try:
                sheet = wb.get_sheet_by_name(meta.name)
                height, width = sheet.total_height, sheet.total_width
                grid = sheet.to_python(
                    skip_empty_area=False, nrows=LIMITS["sheet_rows"]
                )
                merged = [
                    (r1 + 1, c1 + 1, r2 + 1, c2 + 1)
                    for (r1, c1), (r2, c2) in (sheet.merged_cell_ranges or [])
                ]
            except Exception as exc:  # noqa: BLE001 - one bad sheet must not stop the rest
                problems.append(
                    Problem.make(
                        "file-unreadable",
                        file=str(path),
                        sheet=meta.name,
                        found=str(exc)[:200],
                    )
                )
                continue
            if width > LIMITS["sheet_columns"]:
                grid = [line[: LIMITS["sheet_columns"]] for line in grid]
            del height
            sheets[meta.name] = RawSheet(
                name=meta.name,
                index=index,
                visible=str(meta.visible).endswith("Visible"),
                grid=grid,
                merged=merged,
            )
    finally:
        wb.close()
    return RawWorkbook(path=path, sheets=sheets, problems=problems)
