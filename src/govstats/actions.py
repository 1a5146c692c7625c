"""The library API: one function per CLI verb, each returning objects, never text."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from govstats.core.limits import DEFAULT_LIMITS, Limits
from govstats.core.problems import GovstatsError, Problem
from govstats.read.paths import expand_paths

if TYPE_CHECKING:
    from govstats.audit.findings import AuditReport
    from govstats.check.validate import Validation
    from govstats.pipeline import Compilation
    from govstats.publish.datapackage import Trend

__all__ = [
    "audit_outputs",
    "audit_text",
    "compile_year",
    "expand_paths",
    "make_template",
    "trend",
    "validate_workbooks",
]


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
    from govstats.core.output import write_workbook
    from govstats.formats import format_for_year
    from govstats.publish.template_xlsx import build_template
    from govstats.read.roster import unit_code_fault

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
    try:
        write_workbook(wb, path)
    except OSError as exc:  # a full disk, a folder that cannot be written
        from govstats.core.oserrors import os_error

        raise os_error(exc, path, writing=True) from exc
    return path


def validate_workbooks(
    paths: Sequence[str | Path],
    year: int | None = None,
    roster: str | Path | None = None,
    format_id: str | None = None,
    max_problems: int | None = None,
    progress: Callable[[int, int, Path], None] | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Validation:
    """Check workbooks against their format; every problem of every file at once.

    :param year: the report year the workbooks must state (it also picks the format);
        without it the year each workbook states picks the format.
    :param roster: ``units.csv``: unit codes must be in it.
    :param max_problems: list at most this many problems per file.
    :param progress: called after each workbook is read: (done, total, path).
    :param limits: what every file is checked against before it is read.
    :raises GovstatsError: when the roster or format cannot be used.
    """
    from govstats.check.validate import load_units, validate_units
    from govstats.core.results import FileReport
    from govstats.read.paths import list_inputs
    from govstats.read.roster import read_roster

    files, skipped = list_inputs(paths, [roster] if roster else [], limits)
    if not files:
        raise GovstatsError(
            Problem.make("file-not-found", file=", ".join(map(str, paths)) or ".")
        )
    fmt, units = load_units(files, year, format_id, progress, limits=limits)
    units_roster = read_roster(roster, fmt.roster, limits) if roster else None
    result = validate_units(units, fmt, year, units_roster, max_problems)
    # Files of a folder that are no workbook, each said after the workbooks.
    result.report.files += [FileReport(p.file, problems=[p]) for p in skipped]
    return result


def compile_year(
    year: int,
    inputs: str | Path = "inputs",
    outputs: str | Path = "outputs",
    partial: bool = False,
    rounding: str = "half-up",
    templates: str | Path | None = None,
    progress: Callable[[int, int, Path], None] | None = None,
    limits: Limits = DEFAULT_LIMITS,
    strict_inputs: bool = False,
    previous: str | Path | None = None,
) -> Compilation:
    """Compile ``inputs/<year>/`` into the report's figures in ``outputs/<year>/``.

    Every workbook is validated and the roster checked (units missing, units not in
    it, two workbooks for one unit); with no error, the units are added up and
    report.md, report.html, report.docx, tables.xlsx, figures.json,
    validation.json/.md, summary.xlsx and the open data of ``datapackage/`` are
    written at once. With errors nothing is written, unless ``partial``.

    With last year's figures (``outputs/<year-1>/figures.json``, or ``previous``)
    the report states the change of every figure its format compares, and the sums
    are checked against last year's (上年结转 = last year's 结转下年度).

    :param partial: compile the valid units even when others have errors; every
        output then says it is partial and names the units left out.
    :param rounding: ``half-up`` (四舍五入, default) or ``half-even`` (GB/T 8170).
    :param templates: a folder whose templates replace the shipped ones.
    :param progress: called after each workbook is read: (done, total, path).
    :param limits: what every file is checked against before it is read.
    :param strict_inputs: refuse a workbook that is a symbolic link to a file
        outside the year's folder (by default a warning).
    :param previous: last year's ``figures.json`` or summary workbook
        (summary.xlsx as govstats writes it), instead of
        ``outputs/<year-1>/figures.json``.
    :raises GovstatsError: when the year's folder or roster is missing, no unit is
        valid, or another compile of the same year is running.
    """
    from govstats.pipeline import compile_outputs, year_inputs
    from govstats.publish.folder import output_lock, publish

    # Checked first: a year that has no inputs leaves no outputs folder behind.
    year_inputs(inputs, year)
    # The lock is held from the first read to the last rename: a second compile of
    # the year is told at once, and an interrupted one is repaired first.
    with output_lock(Path(outputs) / str(year)):
        result, rendered = compile_outputs(
            year,
            inputs,
            outputs,
            partial,
            rounding,
            templates,
            progress,
            limits,
            strict_inputs,
            previous,
        )
        if rendered:
            result.written = publish(result.outputs, rendered, locked=True)
    return result


def trend(first: int, last: int, outputs: str | Path = "outputs") -> Trend:
    """Each figure of the years ``first`` to ``last`` from their data packages
    (``outputs/<year>/datapackage/``, written by every compile): the sums over all
    units, figure by figure. Years not compiled are listed in ``missing``.

    :raises GovstatsError: ``outputs-missing`` when no year of the range has a
        package; ``file-unreadable`` when one cannot be read.
    """
    from govstats.publish.datapackage import read_trend

    if last < first:
        first, last = last, first
    return read_trend(Path(outputs), list(range(first, last + 1)))


def audit_text(
    path: str | Path, explain: bool = False, limits: Limits = DEFAULT_LIMITS
) -> AuditReport:
    """Check the numeric claims of a published report: text, Markdown, HTML or PDF.

    Shares against the base they refer to at the printed precision, enumerations
    against their totals, rounded figures (2.3万条) against the exact sum of their
    parts, rates and year-on-year changes whose counts are stated, and template
    placeholders left in the text. In a report of a format that declares tables to
    audit (gk2019, gk2021: the year the report states picks it), the tables read
    by their labels are checked by the format's rules, and the figures the prose
    quotes against them (:func:`govstats.audit.tables.audit_tables`).

    :param explain: also list every claim found right and every claim that could
        not be checked (in :meth:`AuditReport.to_dict`).
    :param limits: what the file is checked against before it is read (its
        ``text_bytes``, ``text_figures`` and ``pdf_`` limits).
    :raises GovstatsError: when the file is missing or unreadable, or a PDF has no
        text layer; when it is beyond ``limits`` (``text-too-large``,
        ``pdf-too-large``) or no text (``text-undecodable``).
    """
    from govstats.audit.documents import read_document
    from govstats.audit.text import audit_document

    return audit_document(read_document(path, limits), explain, limits)


def audit_outputs(
    year: int,
    inputs: str | Path = "inputs",
    outputs: str | Path = "outputs",
    templates: str | Path | None = None,
) -> AuditReport:
    """Recompute ``inputs/<year>/`` and compare every figure in ``outputs/<year>/``.

    Reports inputs changed, added or removed since the compile (their SHA-256
    differs from the one ``figures.json`` records), every value of
    ``figures.json``, ``report.md``, ``tables.xlsx`` and ``summary.xlsx`` that
    differs from the recomputed one, formulas changed or replaced by numbers, and
    shares whose cached value or printed text does not match their formula.

    :param templates: the templates folder the year was compiled with, if any.
    :raises GovstatsError: when the year has no outputs or no inputs.
    """
    from govstats.audit.outputs import audit_year

    return audit_year(year, inputs, outputs, templates)
