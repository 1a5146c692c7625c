"""Compiling a year: validate every workbook, add them up, write the outputs.

All outputs of a compile are rendered in memory, written into a fresh folder beside
the target and swapped in with two renames, under a lock. A compile that fails (bad
inputs, a crash, an interrupt) leaves the previous ``outputs/<year>/`` as it was;
the same inputs always give the same bytes.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from govstats.aggregate import Figures, Previous
from govstats.check.coverage import LeftOut, left_out, roster_report
from govstats.core.limits import DEFAULT_LIMITS, Limits
from govstats.core.output import Streamed
from govstats.core.problems import GovstatsError, Problem
from govstats.core.results import FileReport, Report
from govstats.publish.background import Background, Pending, Waiting
from govstats.publish.context import report_context
from govstats.publish.datapackage import datapackage_files
from govstats.publish.environment import report_environment
from govstats.publish.figures_json import figures_dict, json_pieces
from govstats.publish.report_docx import report_docx
from govstats.publish.report_html import report_html
from govstats.publish.report_md import report_md
from govstats.publish.summary_xlsx import summary_workbook
from govstats.read.roster import Roster, government_name
from govstats.read.workbook import UnitWorkbook

__all__ = [
    "DATAPACKAGE_FILES",
    "OUTPUT_FILES",
    "Compilation",
    "compile_in_memory",
    "compile_outputs",
    "read_previous",
    "render_outputs",
    "year_inputs",
]

# Every output of a compile by file name: bytes, or made as it is written.
Outputs = dict[str, "bytes | Streamed"]

OUTPUT_FILES = (
    "report.md",
    "report.html",
    "report.docx",
    "tables.xlsx",
    "figures.json",
    "validation.json",
    "validation.md",
    "summary.xlsx",
)
# The open data of every compile (issue 19), written with the files above.
DATAPACKAGE_FILES = tuple(
    f"datapackage/{name}"
    for name in (
        "datapackage.json",
        "figures.csv",
        "groups.csv",
        "percentages.csv",
        "changes.csv",
        "units.csv",
    )
)


@dataclass
class Compilation:
    """The result of compiling a year."""

    year: int
    report: Report
    outputs: Path
    partial: bool = False
    excluded: list[str] = field(default_factory=list)
    left_out: LeftOut = field(default_factory=LeftOut)
    figures: Figures | None = None
    written: list[Path] = field(default_factory=list)

    @property
    def units(self) -> int:
        """How many units were added up."""
        return len(self.figures.units) if self.figures else 0

    @property
    def compiled(self) -> bool:
        """True when the outputs were written."""
        return bool(self.written)

    def to_dict(self, lang: str = "zh") -> dict[str, Any]:
        return {
            "year": self.year,
            "compiled": self.compiled,
            "partial": self.partial,
            # The units not in the figures and the workbooks not added up.
            "excluded": self.left_out.to_dict(),
            "units": self.units,
            "outputs": [str(p) for p in self.written],
            "validation": self.report.to_dict(lang),
        }


def compile_outputs(
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
    compare_years: bool = True,
) -> tuple[Compilation, Outputs]:
    """Everything a compile does except writing: the result, and every output by
    file name (none when errors stop the compile), as bytes or, for those that
    grow with the number of units, :class:`~govstats.core.output.Streamed` to
    be written a piece at a time.

    ``govstats compile`` publishes them; :func:`compile_in_memory` gives them
    all as bytes.

    :param strict_inputs: a workbook that is a symbolic link to a file outside
        ``inputs/<year>/`` is an error, not a warning.
    :param previous: last year's figures (a ``figures.json`` or a summary
        workbook); by default ``outputs/<year-1>/figures.json`` when it exists.
    :param compare_years: False to read no figures of last year at all (the audit
        of a year compiled without them).
    """
    from govstats.core.numbers import ROUNDINGS
    from govstats.formats import format_for_year
    from govstats.read.paths import list_inputs
    from govstats.read.roster import read_roster

    if rounding not in ROUNDINGS:
        raise ValueError(f"rounding must be one of {ROUNDINGS}")
    in_dir = year_inputs(inputs, year)
    fmt = format_for_year(year)
    roster = read_roster(in_dir / "units.csv", fmt.roster, limits)
    files, skipped = list_inputs([in_dir], limits=limits)
    with Background() as background:
        # A child forked now makes ready to write the report meanwhile
        # (imports, templates) and writes it while this process writes the
        # data: with a few workbooks, one worker reads them while this process
        # imports pandas and pandera, leaving a core idle. From
        # TABLES_CHILD_MAX units on it would hold more memory than it saves
        # time (issue 18), and this process makes ready while workers read.
        prepare = functools.partial(_prepare, templates, fmt.id)
        renderer = (
            background.later(prepare, _render)
            if len(files) < TABLES_CHILD_MAX
            else Waiting(_render)
        )
        return _compile(
            year,
            fmt.id,
            in_dir,
            files,
            skipped,
            roster,
            renderer,
            None if renderer.forked else prepare,
            outputs=outputs,
            partial=partial,
            rounding=rounding,
            templates=templates,
            progress=progress,
            limits=limits,
            strict_inputs=strict_inputs,
            previous=previous,
            compare_years=compare_years,
        )


def _compile(
    year: int,
    format_id: str,
    in_dir: Path,
    files: list[Path],
    skipped: list[Problem],
    roster: Roster,
    renderer: Waiting[_ToRender, dict[str, bytes]],
    prepare: Callable[[], None] | None,
    *,
    outputs: str | Path,
    partial: bool,
    rounding: str,
    templates: str | Path | None,
    progress: Callable[[int, int, Path], None] | None,
    limits: Limits,
    strict_inputs: bool,
    previous: str | Path | None,
    compare_years: bool,
) -> tuple[Compilation, Outputs]:
    """:func:`compile_outputs` once the inputs are listed; ``renderer`` writes
    the outputs, ``prepare`` is done while workers read."""
    from govstats.aggregate import aggregate, with_previous
    from govstats.check.validate import load_units, validate_units
    from govstats.read.paths import linked_from_outside

    fmt, units = load_units(files, year, format_id, progress, prepare, limits)
    linked = linked_from_outside(files, in_dir, strict_inputs)
    for unit in units:
        if unit.path in linked:
            unit.problems.append(linked[unit.path])
    last = read_previous(year, outputs, previous, limits) if compare_years else None
    validation = validate_units(
        units,
        fmt,
        year,
        roster,
        previous=last.units if last is not None and fmt.cross_year else None,
    )
    roster_file = roster_report(roster, units)
    # Files of the folder that are no workbook are said after the workbooks.
    report = Report(
        [
            roster_file,
            *validation.report.files,
            *(FileReport(p.file, problems=[p]) for p in skipped),
        ]
    )
    included = [
        i
        for i, f in enumerate(validation.report.files)
        if f.valid and roster.get(units[i].unit_code) is not None
    ]
    result = Compilation(year=year, report=report, outputs=Path(outputs) / str(year))
    if not report.valid and not partial:
        return result, {}
    if not included:
        raise GovstatsError(Problem.make("no-valid-units", file=str(in_dir)))
    if not report.valid:
        result.partial = True
        # Named by what is not in the figures, not by which workbooks were
        # refused: a unit whose second workbook was refused is in the figures
        # through its first, and a unit with two refused workbooks is one unit.
        result.left_out = left_out(roster, units, included)
        result.excluded = result.left_out.names
    result.figures = aggregate(validation, roster, included, rounding, year)
    if last is not None:
        with_previous(result.figures, last)
        carried = _cross_year_totals(result.figures, last)
        if carried:
            report.files.append(FileReport(last.file, problems=carried))
    # The outputs need a unit's file and digest, not its cells nor the frames it
    # was checked in: freed before they are built (and before the processes
    # that build them are forked), so that the peak does not hold them.
    del validation
    for unit in units:
        unit.cells.clear()
    if not renderer.forked:
        return result, render_outputs(result, result.figures, roster, units, templates)
    # The child writes the report while this process writes the data.
    sent = renderer.send((result.figures, roster, result.excluded, templates))
    data = data_outputs(result, result.figures, roster, units)
    if len(units) < TABLES_CHILD_MAX:
        # Small enough to hold whole: made now, while the child writes the
        # report, rather than after it.
        data = {name: bytes(made) for name, made in data.items()}
    return result, _in_order({**sent.result(), **data})


_ToRender = tuple["Figures", "Roster", "list[str]", "str | Path | None"]


def _render(arg: _ToRender) -> dict[str, bytes]:
    return report_outputs(*arg)


def compile_in_memory(
    year: int,
    inputs: str | Path = "inputs",
    outputs: str | Path = "outputs",
    partial: bool = False,
    rounding: str = "half-up",
    templates: str | Path | None = None,
    previous: str | Path | None = None,
    compare_years: bool = True,
) -> tuple[Compilation, dict[str, bytes]]:
    """:func:`compile_outputs` with every output's bytes held, as ``govstats
    audit`` compares them with the published ones."""
    result, rendered = compile_outputs(
        year,
        inputs,
        outputs,
        partial,
        rounding,
        templates,
        previous=previous,
        compare_years=compare_years,
    )
    return result, {name: bytes(data) for name, data in rendered.items()}


def year_inputs(inputs: str | Path, year: int) -> Path:
    """``inputs/<year>/``, or ``file-not-found`` when it is not a folder."""
    in_dir = Path(inputs) / str(year)
    if not in_dir.is_dir():
        raise GovstatsError(Problem.make("file-not-found", file=str(in_dir)))
    return in_dir


def read_previous(
    year: int,
    outputs: str | Path = "outputs",
    given: str | Path | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Previous | None:
    """Last year's figures: from ``given`` (a ``figures.json``, or a summary
    workbook as govstats writes it) or else ``outputs/<year-1>/figures.json``.

    Without ``given``, a missing or unreadable file only means there is nothing to
    compare with (no year-on-year sentence, no cross-year rule is checked).

    :raises GovstatsError: when ``given`` cannot be read (``file-not-found``,
        ``file-unreadable``) or is not of the year before (``year-mismatch``).
    """
    if given is None:
        path = Path(outputs) / str(year - 1) / "figures.json"
        try:
            return _previous_json(path)
        except (OSError, ValueError, KeyError, TypeError, ArithmeticError):
            return None
    path = Path(given)
    if not path.is_file():
        raise GovstatsError(Problem.make("file-not-found", file=str(path)))
    if path.suffix.lower() == ".json":
        try:
            found = _previous_json(path)
        except (OSError, ValueError, KeyError, TypeError, ArithmeticError) as exc:
            raise GovstatsError(
                Problem.make("file-unreadable", file=str(path), found=str(exc))
            ) from None
    else:
        found = _previous_workbook(path, year - 1, limits)
    found = replace(found, given=True)
    if found.year != year - 1:
        raise GovstatsError(
            Problem.make(
                "year-mismatch", file=str(path), found=found.year, expected=year - 1
            )
        )
    return found


def _previous_json(path: Path) -> Previous:
    """Last year's figures from its compiled ``figures.json``: its sums, and each
    unit's figures for the cross-year rules (carried in = last year's carried out)."""
    from govstats.publish.figures_json import file_sha256

    data = json.loads(path.read_text(encoding="utf-8"))
    return Previous(
        year=int(data["year"]),
        file=str(path),
        sha256=file_sha256(path),
        totals={str(k): Decimal(str(v)) for k, v in data["city"].items()},
        units={
            str(u["code"]): {str(k): Decimal(str(v)) for k, v in u["values"].items()}
            for u in data["units"]
        },
    )


def _previous_workbook(path: Path, year: int, limits: Limits) -> Previous:
    """Last year's sums from the summary workbook its compile wrote (summary.xlsx),
    read and checked as any workbook of that year."""
    from govstats.aggregate import with_subtotals
    from govstats.check.validate import load_units, validate_units

    fmt, units = load_units([path], year, None, limits=limits)
    checked = validate_units(units, fmt, year)
    if not checked.report.valid:
        first = checked.report.errors[0]
        raise GovstatsError(
            Problem.make("file-unreadable", file=str(path), found=first.message("en"))
        )
    return Previous(
        year=year,
        file=str(path),
        sha256=units[0].sha256 or "",
        totals=with_subtotals(fmt, checked.unit_values(0)),
    )


def _cross_year_totals(figures: Figures, last: Previous) -> list[Problem]:
    """The format's cross-year equalities (``eq`` rules on a ``prev:`` code, such
    as 上年结转 = last year's 结转下年度) on the sums: what this year's report says
    against what last year's said (``prior-year-total-mismatch``)."""
    from govstats.aggregate import label_of
    from govstats.core.numbers import format_decimal
    from govstats.formats import PREV

    problems = []
    for rule in figures.fmt.rules:
        a, b = rule.params.get("a", ""), str(rule.params.get("b", ""))
        if rule.kind != "eq" or not b.startswith(PREV):
            continue
        bare = b.removeprefix(PREV)
        if bare not in last.totals or a not in figures.city:
            continue
        now, then = figures.city[a], last.totals[bare]
        if now != then:
            problems.append(
                Problem.make(
                    "prior-year-total-mismatch",
                    file=last.file,
                    rule=rule.id,
                    indicator=a,
                    found=format_decimal(now),
                    expected=format_decimal(then),
                    context={
                        "label": label_of(figures.fmt, a),
                        "other_label": label_of(figures.fmt, bare),
                        "last_year": str(last.year),
                    },
                )
            )
    return problems


# Render


def render_outputs(
    result: Compilation,
    figures: Figures,
    roster: Roster,
    units: list[UnitWorkbook],
    templates: str | Path | None,
) -> Outputs:
    """Every output, by file name."""
    out: Outputs = {**report_outputs(figures, roster, result.excluded, templates)}
    out.update(data_outputs(result, figures, roster, units))
    return _in_order(out)


def _in_order(out: Outputs) -> Outputs:
    return {
        name: out[name] for name in (*OUTPUT_FILES, *DATAPACKAGE_FILES) if name in out
    }


def report_outputs(
    figures: Figures,
    roster: Roster,
    excluded: list[str],
    templates: str | Path | None,
) -> dict[str, bytes]:
    """The report (md, html, docx) and the tables (tables.xlsx, summary.xlsx):
    what is made from the sums, whatever the units' files and problems."""
    fmt = figures.fmt
    government = government_name(roster, fmt)
    note = ""
    # Only units missing from the figures make them partial: a refused second
    # workbook of a unit that is in them takes nothing away.
    if excluded:
        note = "部分汇总：未纳入 " + "、".join(excluded)
    # With few units, report.docx takes about half of the tail, and the two
    # workbooks about the other half: a child builds tables.xlsx and
    # summary.xlsx while this process builds the report (benchmarks/results.md).
    # With many, tables.xlsx (a row a unit) is nearly all of it, and a child
    # would only hold more memory: the pages it shares with this process that
    # either writes to (a reference count is a write) are copied, 1 kB a unit
    # (issue 18).
    with Background() as background:
        make_books = functools.partial(
            _workbooks, figures, roster, government, note, bool(excluded)
        )
        books = (
            background.start(make_books)
            if len(figures.units) < TABLES_CHILD_MAX
            else Pending(make_books)
        )
        env = report_environment(templates)
        context = report_context(figures, government, excluded)
        html = report_html(env, context, figures)
        out: dict[str, bytes] = {
            "report.html": html.encode(),
            "report.md": report_md(env, context, figures.fmt).encode(),
            "report.docx": report_docx(html, context, figures),
        }
        out["tables.xlsx"], out["summary.xlsx"] = books.result()
    return out


# Units from which the compile writes its outputs itself, not in children (the
# report's, forked before reading, and the workbooks'), and holds no output
# whole: children would copy the pages they share with it (issue 18).
TABLES_CHILD_MAX = 2000


def _workbooks(
    figures: Figures, roster: Roster, government: str, note: str, partial: bool
) -> tuple[bytes, bytes]:
    """tables.xlsx and summary.xlsx."""
    from govstats.publish.tables_xlsx import tables_workbook

    return (
        tables_workbook(figures, note, government),
        summary_workbook(figures, roster, government, partial),
    )


def data_outputs(
    result: Compilation,
    figures: Figures,
    roster: Roster,
    units: list[UnitWorkbook],
) -> Outputs:
    """figures.json, the open data and the validation's files: what goes through
    every unit's figures, file, digest and problems.

    figures.json, validation.json and datapackage/figures.csv are made as they
    are written, a block of units at a time
    (:class:`~govstats.core.output.Streamed`): held whole, figures.json alone
    took 2 kB a unit (issue 18). They are written once the child of
    :func:`report_outputs` has ended, since whichever of two forked processes
    writes to a page they share (a reference count is a write) makes a copy of
    it: 2 kB a unit.
    """
    from govstats.publish.validation import report_markdown

    government = government_name(roster, figures.fmt)
    report = result.report
    out: Outputs = {
        "figures.json": Streamed(
            lambda: json_pieces(
                figures_dict(figures, government, roster, units, result.excluded),
                "units",
            )
        ),
        **datapackage_files(figures, government, roster, result.excluded),
        "validation.json": Streamed(
            lambda: json_pieces(report.to_dict("zh", lazily=True), "files")
        ),
        "validation.md": report_markdown(
            report, "zh", f"{result.year}年统计报表校验结果"
        ).encode(),
    }
    return out


def _prepare(templates: str | Path | None, format_id: str) -> None:
    """Import what writing the outputs needs, compile the report's templates, find
    the charts' font and make report.docx's blank document (while worker
    processes read): time that the compile's tail would otherwise wait for. The
    child that builds tables.xlsx (govstats.publish.background) inherits
    them."""
    import docx  # noqa: F401
    import jinja2
    import openpyxl  # noqa: F401
    import PIL.ImageDraw  # noqa: F401
    import PIL.ImageFont  # noqa: F401

    import govstats.publish.charts
    import govstats.publish.report_docx
    import govstats.publish.tables_xlsx  # noqa: F401

    govstats.publish.charts.prepare()
    govstats.publish.report_docx.prepare()
    env = report_environment(templates)
    for name in ("report.html.j2", "report.md.j2"):
        try:
            env.get_template(f"{format_id}/{name}")
        except jinja2.TemplateError:
            pass  # not kept: raised where the report is rendered


# Publish
