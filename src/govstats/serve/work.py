"""What the site asks of the library, in plain synchronous functions run in worker
threads: check an upload, file a submission, compile a year, list a year's
problems. The library is called through its public API (:mod:`govstats`)."""

from __future__ import annotations

import csv
import hashlib
import io
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govstats.core.problems import GovstatsError, Problem

if TYPE_CHECKING:
    from govstats.core.results import Report
    from govstats.read.roster import Roster
    from govstats.serve.store import Store, Submission

__all__ = [
    "Checked",
    "CompileJob",
    "SubmitRefused",
    "check_upload",
    "problems_csv",
    "run_compile",
    "submit_upload",
]


@dataclass
class Checked:
    """A workbook checked: its report (located by the name the client gave it) and,
    when asked for, the annotated copy's bytes."""

    report: Report
    annotated: bytes | None = None

    @property
    def unit_code(self) -> str:
        return self.report.files[0].unit_code if self.report.files else ""


def _renamed(report: Report, path: str, name: str) -> Report:
    """``report`` with the kept file's path replaced by the client's name, as
    ``govstats validate NAME`` would have written it."""
    from govstats.core.results import FileReport, Report

    def rename(p: Problem) -> Problem:
        return p.located(file=name) if p.file == path else p

    return Report(
        [
            FileReport(
                name if f.path == path else f.path,
                f.unit_code,
                f.unit_name,
                [rename(p) for p in f.problems],
            )
            for f in report.files
        ]
    )


def check_upload(
    path: Path,
    name: str,
    year: int,
    roster: Path | None = None,
    annotate_lang: str | None = None,
) -> Checked:
    """Validate a kept upload as ``govstats validate NAME --year YEAR`` would.

    :param roster: also check the unit code against this ``units.csv``.
    :param annotate_lang: also make the annotated copy, in this language.
    :raises GovstatsError: where the CLI exits 2 (a year without a format).
    """
    from govstats import validate_workbooks

    result = validate_workbooks([path], year, roster)
    annotated = None
    if annotate_lang is not None:
        from govstats.check.annotate import annotate_workbooks

        written = annotate_workbooks(result, path.parent / "annotated", annotate_lang)
        annotated = written[0].read_bytes() if written else None
    return Checked(_renamed(result.report, str(path), name), annotated)


# Warnings that check a workbook but keep it off the office's disk: macros never
# run, but the file would still carry them; a sheet beyond the limits is not read,
# but would be kept.
NOT_KEPT = frozenset({"macros-ignored", "sheet-too-large"})


class SubmitRefused(Exception):
    """A submission not filed: an HTTP status, a problem and (if it was checked)
    the report that refused it."""

    def __init__(
        self, status: int, problem: Problem, report: Report | None = None
    ) -> None:
        super().__init__(problem.code)
        self.status = status
        self.problem = problem
        self.report = report


def submit_upload(
    store: Store,
    year: int,
    path: Path,
    name: str,
    code: str,
    address: str,
    on_wrong_code: Callable[[], None],
) -> tuple[Submission, Report]:
    """File an upload as the submission of the unit whose access code is ``code``.

    :raises SubmitRefused: 403 for a wrong code or a workbook of another unit,
        422 for a workbook with errors; each refusal is logged.
    """
    unit = store.unit_of_code(year, code)
    data = path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    if unit is None:
        on_wrong_code()
        raise SubmitRefused(403, Problem.make("access-code-wrong", file=name))
    checked = check_upload(path, name, year, store.inputs / str(year) / "units.csv")
    report = checked.report
    stats = report.stats
    stated = checked.unit_code

    def refuse(status: int, verdict: str, problem: Problem) -> SubmitRefused:
        # logged under the unit the workbook states, by the code's unit
        store.log_submission(
            year, stated or unit, address, unit, sha, verdict,
            stats["errors"], stats["warnings"],
        )  # fmt: skip
        return SubmitRefused(status, problem, report)

    # A workbook whose unit cannot be read is refused for its errors; one that
    # names another unit, for that.
    if stated != unit and (stated or report.valid):
        on_wrong_code()
        raise refuse(
            403,
            "refused-other-unit",
            Problem.make(
                "access-code-other-unit", file=name, found=unit, expected=stated
            ),
        )
    if not report.valid:
        raise refuse(
            422,
            "refused-errors",
            Problem.make("submission-invalid", file=name, found=stats["errors"]),
        )
    unsafe = sorted({p.code for p in report.problems if p.code in NOT_KEPT})
    if unsafe:
        raise refuse(
            422,
            "refused-not-kept",
            Problem.make("submission-not-kept", file=name, found=", ".join(unsafe)),
        )
    submission = store.file_submission(
        year,
        unit,
        path.suffix.lower(),
        data,
        address,
        stats["errors"],
        stats["warnings"],
    )
    return submission, report


@dataclass
class CompileJob:
    """A compile of a year started from the site, and how far it got."""

    year: int
    state: str = "running"  # running | done | failed
    done: int = 0
    total: int = 0
    result: dict[str, Any] | None = None
    problem: Problem | None = None
    outputs: list[str] = field(default_factory=list)
    report: Report | None = field(default=None, repr=False)
    thread: threading.Thread | None = field(default=None, repr=False)

    def to_dict(self, lang: str = "zh") -> dict[str, Any]:
        return {
            "year": self.year,
            "state": self.state,
            "done": self.done,
            "total": self.total,
            "outputs": self.outputs,
            "problem": self.problem.to_dict(lang) if self.problem else None,
            "compile": self.result,
        }


def run_compile(
    store: Store, job: CompileJob, address: str, inputs: Path, outputs: Path
) -> None:
    """Compile ``job.year`` as ``govstats compile`` does (with its lock), holding
    the year's lock so that no submission is filed while the year is read: the
    compile sees each workbook as it was before or after a submission, whole."""
    from govstats import compile_year

    def progress(done: int, total: int, _path: Path) -> None:
        job.done, job.total = done, total

    figures_sha = ""
    units = errors = warnings = 0
    try:
        with store.year_lock(job.year):
            result = compile_year(job.year, inputs, outputs, progress=progress)
        job.result = result.to_dict("zh")
        job.outputs = [p.name for p in result.written]
        stats = result.report.stats
        units, errors, warnings = result.units, stats["errors"], stats["warnings"]
        figures = outputs / str(job.year) / "figures.json"
        if result.compiled and figures.is_file():
            figures_sha = hashlib.sha256(figures.read_bytes()).hexdigest()
        verdict = "compiled" if result.compiled else "refused-errors"
        job.report = result.report
        job.state = "done"
    except GovstatsError as exc:
        job.problem = exc.problem
        verdict = f"failed:{exc.problem.code}"
        job.state = "failed"
    except Exception as exc:  # noqa: BLE001 - a page must say so, not hang
        job.problem = Problem.make(
            "internal-error", found=f"{type(exc).__name__}: {exc}"
        )
        verdict = "failed:internal-error"
        job.state = "failed"
    store.log_compile(job.year, address, verdict, units, errors, warnings, figures_sha)


PROBLEM_COLUMNS = (
    "单位代码",
    "单位名称",
    "文件",
    "级别",
    "工作表",
    "单元格",
    "问题代码",
    "规则",
    "指标",
    "说明",
)


def problems_csv(report: Report, roster: Roster, lang: str = "zh") -> bytes:
    """Every problem of every file as CSV (UTF-8 with BOM, for Excel and WPS),
    after them each unit of the roster that has no workbook (as a compile says).

    Text from the workbooks that a spreadsheet would take for a formula
    (``=``, ``+``, ``-``, ``@``) is prefixed with an apostrophe.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(PROBLEM_COLUMNS)
    for f in report.files:
        for p in f.problems:
            row = [
                f.unit_code,
                f.unit_name,
                Path(f.path).name,
                p.severity,
                p.sheet,
                p.cell,
                p.code,
                p.rule,
                p.indicator,
                p.message(lang),
            ]
            writer.writerow([_not_formula(v) for v in row])
    stated = {f.unit_code for f in report.files}
    for unit in roster.units:
        if unit.code not in stated:
            p = Problem.make(
                "unit-not-submitted",
                file=roster.path.name,
                found=unit.code,
                context={"label": unit.name},
            )
            row = [
                unit.code,
                unit.name,
                "",
                p.severity,
                "",
                "",
                p.code,
                p.rule,
                "",
                p.message(lang),
            ]
            writer.writerow([_not_formula(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _not_formula(value: str) -> str:
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
