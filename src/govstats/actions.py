"""The library API: one function per CLI verb, each returning objects, never text."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from govstats.io.excel import ACCEPTED_SUFFIXES, LIMITS
from govstats.problems import GovstatsError, Problem

if TYPE_CHECKING:
    from govstats.compilation import Compilation
    from govstats.roster import Roster
    from govstats.validate import Validation
    from govstats.workbook import UnitWorkbook

__all__ = ["compile_year", "expand_paths", "make_template", "validate_workbooks"]


def make_template(
    year: int,
    output: str | Path,
    unit_code: str = "",
    unit_name: str = "",
    format_id: str | None = None,
) -> Path:
    """Write the blank workbook of ``year`` for one unit.

    :param format_id: a format to use instead of the one the year picks.
    :returns: the path written.
    """
    from govstats.formats import format_for_year
    from govstats.io.output import write_workbook
    from govstats.roster import unit_code_fault
    from govstats.template import build_template

    fault = unit_code_fault(unit_code) if unit_code else ""
    if fault:
        raise GovstatsError(
            Problem.make(
                "unit-code-invalid", found=unit_code, context={"detail": fault}
            )
        )
    fmt = format_for_year(year, format_id)
    wb = build_template(fmt, year, unit_code=unit_code, unit_name=unit_name)
    path = Path(output)
    write_workbook(wb, path)
    return path


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files as given, and the workbooks inside any folder given, sorted by name.

    Office lock files (``~$name.xlsx``) and hidden files in folders are skipped.

    :raises GovstatsError: ``too-many-files`` past ``LIMITS["files"]`` workbooks,
        counted before any is read.
    """
    limit = LIMITS["files"]
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found: list[Path] = []
            for f in p.iterdir():
                if (
                    f.suffix.lower() in ACCEPTED_SUFFIXES
                    and not f.name.startswith(("~$", "."))
                    and f.is_file()
                ):
                    found.append(f)
                    if len(out) + len(found) > limit:
                        raise _too_many(p, limit)
            out.extend(sorted(found))
        else:
            out.append(p)
        if len(out) > limit:
            raise _too_many(p, limit)
    return out


def _too_many(where: Path, limit: int) -> GovstatsError:
    return GovstatsError(
        Problem.make(
            "too-many-files", file=str(where), found=f"> {limit}", expected=limit
        )
    )


def validate_workbooks(
    paths: Sequence[str | Path],
    year: int | None = None,
    roster: str | Path | None = None,
    format_id: str | None = None,
    max_problems: int | None = None,
    progress: Callable[[int, int, Path], None] | None = None,
) -> Validation:
    """Check workbooks against their format; every problem of every file at once.

    :param year: the report year the workbooks must state (it also picks the format);
        without it the year each workbook states picks the format.
    :param roster: ``units.csv``: unit codes must be in it.
    :param max_problems: list at most this many problems per file.
    :raises GovstatsError: when the roster or format cannot be used.
    """
    from govstats.roster import read_roster
    from govstats.validate import load_units, validate_units

    files = expand_paths(paths)
    if not files:
        raise GovstatsError(
            Problem.make("file-not-found", file=", ".join(map(str, paths)) or ".")
        )
    units_roster = read_roster(roster) if roster else None
    fmt, units = load_units(files, year, format_id, progress)
    return validate_units(units, fmt, year, units_roster, max_problems)


def compile_year(
    year: int,
    inputs: str | Path = "inputs",
    outputs: str | Path = "outputs",
    partial: bool = False,
    rounding: str = "half-up",
    templates: str | Path | None = None,
    progress: Callable[[int, int, Path], None] | None = None,
) -> Compilation:
    """Compile ``inputs/<year>/`` into the report's figures in ``outputs/<year>/``.

    Every workbook is validated and the roster checked (units missing, units not in
    it, two workbooks for one unit); with no error, the units are added up and
    report.md, tables.xlsx, figures.json, validation.json/.md and summary.xlsx are
    written at once. With errors nothing is written, unless ``partial``.

    :param partial: compile the valid units even when others have errors; every
        output then says it is partial and names the units left out.
    :param rounding: ``half-up`` (四舍五入, default) or ``half-even`` (GB/T 8170).
    :param templates: a folder whose templates replace the shipped ones.
    :raises GovstatsError: when the year's folder or roster is missing, no unit is
        valid, or another compile of the same year is running.
    """
    from govstats.aggregate import aggregate
    from govstats.compilation import (
        Compilation,
        output_lock,
        publish,
        render_outputs,
        roster_report,
    )
    from govstats.formats import format_for_year
    from govstats.numbers import ROUNDINGS
    from govstats.report import Report
    from govstats.roster import read_roster
    from govstats.validate import load_units, validate_units

    if rounding not in ROUNDINGS:
        raise ValueError(f"rounding must be one of {ROUNDINGS}")
    in_dir = Path(inputs) / str(year)
    if not in_dir.is_dir():
        raise GovstatsError(Problem.make("file-not-found", file=str(in_dir)))
    out_dir = Path(outputs) / str(year)
    # The lock is held from the first read to the last rename: a second compile of
    # the year is told at once, and an interrupted one is repaired first.
    with output_lock(out_dir):
        roster = read_roster(in_dir / "units.csv")
        fmt, units = load_units(
            expand_paths([in_dir]), year, format_for_year(year).id, progress
        )
        validation = validate_units(units, fmt, year, roster)
        roster_file = roster_report(roster, units)
        report = Report([roster_file, *validation.report.files])
        included = [
            i
            for i, f in enumerate(validation.report.files)
            if f.valid and roster.get(units[i].unit_code) is not None
        ]
        result = Compilation(year=year, report=report, outputs=out_dir)
        if not report.valid and not partial:
            return result
        if not included:
            raise GovstatsError(Problem.make("no-valid-units", file=str(in_dir)))
        if not report.valid:
            result.partial = True
            result.excluded = [
                _display_name(units[i], roster)
                for i in range(len(units))
                if i not in included
            ] + [
                roster.units[roster.codes.index(p.found)].name
                for p in roster_file.problems
            ]
        result.figures = aggregate(validation, roster, included, rounding, year)
        rendered = render_outputs(result, result.figures, roster, units, templates)
        result.written = publish(result.outputs, rendered, locked=True)
        return result


def _display_name(unit: UnitWorkbook, roster: Roster) -> str:
    """How a workbook is named to people: its roster name, own name, or file name."""
    known = roster.get(unit.unit_code) if unit.unit_code else None
    return known.name if known else unit.unit_name or unit.path.name
