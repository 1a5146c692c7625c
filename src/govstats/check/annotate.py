"""Annotated copies of checked workbooks: problem cells filled and commented.

The original is never touched: the copy is written to another folder, with every
problem cell filled (red for errors, yellow for warnings) and a comment explaining
it, and a ``问题清单`` sheet listing every problem with a link to its cell. A workbook
that openpyxl cannot open (``.xls``, ``.ods``, a damaged file) gets a new workbook
holding only the list.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govstats.core.limits import DEFAULT_LIMITS, Limits
from govstats.core.problems import SEVERITIES, GovstatsError, Problem, Words
from govstats.core.results import FileReport

if TYPE_CHECKING:
    from govstats.check.validate import Validation

__all__ = ["LIST_SHEET", "annotate_workbooks"]

LIST_SHEET = "问题清单"
FILLS = {"error": "FFC7CE", "warning": "FFEB9C", "note": "DDEBF7"}
HEADERS = Words("annotate_headers")
SEVERITY_WORDS = Words("annotate_severity")


def annotate_workbooks(
    result: Validation,
    folder: Path,
    lang: str = "zh",
    limits: Limits = DEFAULT_LIMITS,
) -> list[Path]:
    """Write an annotated copy of every checked workbook with a problem into
    ``folder`` (a workbook without one needs none; a file skipped as no workbook
    gets none either).

    A copy is named after its workbook (``财政局.xlsx``); two workbooks of one stem
    (``a.xls`` and ``a.xlsx``) get ``a.xls.xlsx`` and ``a.xlsx``, two of one name in
    different folders ``a.xlsx`` and ``a (2).xlsx``, rather than one overwriting the
    other. Only a workbook that passed the inspection, and is small
    enough, is opened by openpyxl to mark its cells; any other gets a new workbook
    holding only the problem list.

    :returns: the paths written, in report order.
    :raises GovstatsError: when a copy would overwrite any of the inputs, or
        the folder cannot be written.
    """
    inputs = {Path(f.path).resolve() for f in result.report.files}
    stems = [Path(f.path).stem.casefold() for f in result.report.files]
    units = {str(u.path): u for u in result.units}
    # Every name is chosen and checked before anything is written.
    targets: list[Path] = []
    taken: set[Path] = set()
    # Named among all the files checked, so that a copy's name does not depend on
    # which others have problems.
    files = [f for f in result.report.files if _needs_copy(f)]
    for file in files:
        source = Path(file.path)
        name = source.stem + ".xlsx"
        if stems.count(source.stem.casefold()) > 1 and source.suffix.lower() != ".xlsx":
            name = source.name + ".xlsx"
        target = folder / name
        n = 1
        while target.resolve() in taken:  # the same name in two folders
            n += 1
            target = folder / f"{Path(name).stem} ({n}).xlsx"
        if target.resolve() in inputs:
            raise GovstatsError(
                Problem.make("annotate-overwrites-input", file=str(target))
            )
        taken.add(target.resolve())
        targets.append(target)
    try:
        _write_copies(files, folder, targets, units, lang, limits)
    except OSError as exc:  # a full disk, a folder that cannot be written
        from govstats.core.oserrors import os_error

        raise os_error(exc, folder, writing=True) from exc
    return targets


def _write_copies(
    files: list[FileReport],
    folder: Path,
    targets: list[Path],
    units: dict[str, Any],
    lang: str,
    limits: Limits,
) -> None:
    from govstats.core.output import write_workbook

    folder.mkdir(parents=True, exist_ok=True)
    for file, target in zip(files, targets, strict=True):
        source = Path(file.path)
        unit = units.get(str(source))
        wb = None
        if unit is not None and unit.readable:
            wb = _open_copy(source, unit.size_in_cells, limits)
        if wb is not None:
            _mark_cells(wb, file, lang)
        else:
            from openpyxl import Workbook

            wb = Workbook()
            wb.remove(wb.active)
        _problem_sheet(wb, file, lang)
        write_workbook(wb, target)


def _needs_copy(file: FileReport) -> bool:
    """A file with problems, other than one skipped as no workbook."""
    return any(p.code != "file-skipped" for p in file.problems)


def _open_copy(source: Path, cells: int, limits: Limits) -> Any:
    if source.suffix.lower() not in (".xlsx", ".xlsm") or cells > limits.annotate_cells:
        return None
    import openpyxl

    try:
        # Read from bytes: the source is only ever opened for reading, and closed
        # even when openpyxl fails halfway. Its package passed the inspection.
        # openpyxl warns about odd parts on stderr; the problem list says enough.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return openpyxl.load_workbook(
                io.BytesIO(source.read_bytes()),
                keep_vba=False,
                rich_text=False,
                keep_links=False,
            )
    except Exception:  # noqa: BLE001 - the list alone is still useful
        return None


def _mark_cells(wb: Any, file: FileReport, lang: str) -> None:
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    from govstats.core.output import sheet_text

    by_cell: dict[tuple[str, str], list[Problem]] = {}
    for p in file.problems:
        if p.sheet in wb.sheetnames and p.cell:
            by_cell.setdefault((p.sheet, p.cell), []).append(p)
    for (sheet, ref), problems in by_cell.items():
        cell = wb[sheet][ref]
        worst = min((p.severity for p in problems), key=SEVERITIES.index)
        cell.fill = PatternFill("solid", fgColor=FILLS[worst])
        text = "\n".join(f"[{p.code}] {p.message(lang)}" for p in problems)
        comment = Comment(sheet_text(text), "govstats")
        comment.width, comment.height = 320, 40 + 20 * len(problems)
        cell.comment = comment


def _problem_sheet(wb: Any, file: FileReport, lang: str) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill

    from govstats.core.output import put
    from govstats.core.print_setup import print_setup

    if LIST_SHEET in wb.sheetnames:
        wb.remove(wb[LIST_SHEET])
    ws = wb.create_sheet(LIST_SHEET, 0)
    for c, head in enumerate(HEADERS[lang], start=1):
        put(ws, 1, c, head).font = Font(bold=True)
    words = SEVERITY_WORDS[lang]
    for n, p in enumerate(file.problems, start=1):
        row = [
            n,
            words.get(p.severity, p.severity),
            p.sheet,
            p.cell,
            p.indicator,
            p.code,
            p.rule,
            p.message(lang),
        ]
        r = n + 1
        for c, value in enumerate(row, start=1):
            put(ws, r, c, value)
        ws.cell(r, 2).fill = PatternFill("solid", fgColor=FILLS[p.severity])
        ws.cell(r, 8).alignment = Alignment(wrap_text=True, vertical="top")
        if p.sheet in wb.sheetnames:
            # Each row links to its cell, or to its sheet when it is about no cell.
            link = ws.cell(r, 4 if p.cell else 3)
            quoted = p.sheet.replace("'", "''")
            link.hyperlink = f"#'{quoted}'!{p.cell or 'A1'}"
            link.font = Font(color="0563C1", underline="single")
    # The message column wraps: the list prints one page wide, landscape, its
    # header on every page (issue 16, point 13).
    for col, width in zip("ABCDEFGH", (6, 8, 24, 8, 20, 18, 16, 60), strict=True):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A2"
    print_setup(ws, title_rows=1)
    wb.active = 0
