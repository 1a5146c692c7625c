"""The ``govstats`` command line: a thin shell over :mod:`govstats.actions`.

Each command parses its options, calls one library function, presents the result
(stdout for results, stderr for diagnostics) and chooses the exit code: 0 ok
(warnings allowed), 1 data invalid, 2 usage. Heavy libraries are imported inside
the commands so that ``govstats --help`` starts fast.
"""

import contextlib
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer

from govstats.cli.i18n import LocalCommand, LocalGroup
from govstats.core.problems import Words

app = typer.Typer(
    name="govstats",
    cls=LocalGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
    help="政府信息公开工作年度报告统计：模板、校验、汇总、审核。\n\n"
    "Government-information-disclosure annual report statistics: "
    "template, validate, compile, audit.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

T = TypeVar("T")

# Words table: what the commands themselves print (the rest is in the catalogue
# and govstats.cli.present).
_WORDS = Words("command")
PROGRESS_MIN = 20  # workbooks; fewer are read too fast for a bar to help
PROGRESS_EVERY = 0.1  # seconds between redraws of the bar


class Lang(StrEnum):
    zh = "zh"
    en = "en"


class OutputFormat(StrEnum):
    text = "text"
    json = "json"


# Shared options, defined once.
LangOption = Annotated[
    Lang, typer.Option("--lang", help="Language of messages: zh (default) or en.")
]
FormatOption = Annotated[
    OutputFormat,
    typer.Option("--format", help="text for people, json for programs."),
]
FormatIdOption = Annotated[
    str | None,
    typer.Option("--format-id", help="Report format to use instead of the year's."),
]
DebugOption = Annotated[
    bool, typer.Option("--debug", help="Show a traceback on unexpected errors.")
]


def _run(
    fn: Callable[[], T],
    debug: bool,
    lang: str = "zh",
    output_format: OutputFormat = OutputFormat.text,
) -> T:
    """Call the library; a domain error becomes a located line on stderr per
    problem and exits with its code (:attr:`GovstatsError.exit_code`: 1 for a
    problem of the data, 2 else; with ``--format json`` also the JSON error
    object on stdout)."""
    from govstats.core.problems import GovstatsError

    try:
        return fn()
    except GovstatsError as exc:
        _fail(exc.problems, exc.exit_code, lang, output_format)
    except (KeyboardInterrupt, typer.Exit):
        raise
    except Exception as exc:
        if debug:
            raise
        if isinstance(exc, OSError):
            # A full disk or a read-only file system wherever it is met: the
            # system's condition, not a bug of govstats.
            from govstats.core.oserrors import system_problem

            problem = system_problem(exc)
            if problem is not None:
                _fail([problem], 2, lang, output_format)
        line = _WORDS[lang]["internal"].format(error=f"{type(exc).__name__}: {exc}")
        typer.echo(line, err=True)
        if output_format is OutputFormat.json:
            from govstats.cli.streams import json_text

            internal = {"exit_code": 3, "error": {"code": "internal-error"}}
            typer.echo(json_text(internal))
        raise typer.Exit(3) from None


def _fail(
    problems: Sequence[Any], code: int, lang: str, output_format: OutputFormat
) -> NoReturn:
    """Stop with ``code``: each problem as a located line on stderr, and with
    ``--format json`` the JSON error object on stdout (issue 16)."""
    from govstats.core.text import plain

    for p in problems:
        where = ": ".join(x for x in (p.file, p.sheet) if x)
        line = f"govstats: {where + ': ' if where else ''}{p.message(lang)}"
        typer.echo(plain(line), err=True)
    if output_format is OutputFormat.json:
        from govstats.cli.i18n import error_object
        from govstats.cli.streams import json_text

        typer.echo(json_text(error_object(problems, lang, code)))
    raise typer.Exit(code)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"govstats {version('govstats')}")
        raise typer.Exit()


@app.callback()
def _options(
    ctx: typer.Context,
    lang: Annotated[
        Lang | None,
        typer.Option(
            "--lang",
            help="Language of help and messages: zh or en (default: help in the "
            "locale's language, messages in zh).",
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version."
        ),
    ] = False,
) -> None:
    # `govstats --lang en validate ...` is `govstats validate --lang en ...`.
    if lang is not None:
        ctx.default_map = {name: {"lang": lang.value} for name in _COMMANDS}


_COMMANDS = ("template", "validate", "compile", "audit")


@app.command(cls=LocalCommand)
def template(
    year: Annotated[
        int, typer.Option("--year", help="Report year (picks the format).")
    ],
    unit_code: Annotated[str, typer.Option("--unit-code", help="单位代码.")] = "",
    unit_name: Annotated[str, typer.Option("--unit-name", help="单位名称.")] = "",
    output: Annotated[
        Path | None,
        typer.Option(
            "-o", "--output", help="File to write (default: <code>-<year>.xlsx)."
        ),
    ] = None,
    format_id: FormatIdOption = None,
    lang: LangOption = Lang.zh,
    debug: DebugOption = False,
) -> None:
    """Write the blank yearly workbook for one reporting unit.

    The format's rules are live formulas in it: a failed rule's cells turn red (a
    warning's amber) and its 校验 sheet shows every rule with ✓ or ✗ as the clerk
    types, in Excel, WPS or LibreOffice; `govstats validate` still decides.

    Example:

        govstats template --year 2017 --unit-code 430200-001 --unit-name 株洲市财政局
    """
    from govstats.actions import make_template

    target = output or Path(f"{unit_code or 'template'}-{year}.xlsx")
    path = _run(
        lambda: make_template(year, target, unit_code, unit_name, format_id),
        debug,
        lang.value,
    )
    typer.echo(str(path))


@app.command(cls=LocalCommand)
def validate(
    files: Annotated[
        list[Path], typer.Argument(help="Workbooks, or folders of workbooks.")
    ],
    roster: Annotated[
        Path | None,
        typer.Option("--roster", help="units.csv: unit codes must be in it."),
    ] = None,
    year: Annotated[
        int | None,
        typer.Option("--year", help="The report year the workbooks must state."),
    ] = None,
    output_format: FormatOption = OutputFormat.text,
    lang: LangOption = Lang.zh,
    annotate: Annotated[
        Path | None,
        typer.Option(
            "--annotate",
            help="Write a copy of each workbook into this folder with its problem "
            "cells marked and a 问题清单 sheet.",
        ),
    ] = None,
    max_problems: Annotated[
        int | None,
        typer.Option("--max-problems", min=1, help="List at most N problems per file."),
    ] = None,
    only: Annotated[
        list[str] | None,
        typer.Option("--only", help="Show only problems of this code or category."),
    ] = None,
    format_id: FormatIdOption = None,
    debug: DebugOption = False,
    errors_only: Annotated[
        bool,
        typer.Option(
            "--errors-only",
            help="Show only errors, and only the files that have some.",
        ),
    ] = False,
) -> None:
    """Check workbooks and list every problem at once, located to the cell.

    Exit code 0 when no file has an error (warnings allowed), 1 otherwise, 2 when
    the command cannot run. --annotate writes a copy only of the workbooks that
    have a problem. Many workbooks show a progress bar on a terminal.

    Example:

        govstats validate inputs/2017/ --roster inputs/2017/units.csv --year 2017
    """
    from govstats.actions import validate_workbooks

    def work() -> Any:
        with _progress(lang.value) as progress:
            result = validate_workbooks(
                files, year, roster, format_id, max_problems, progress
            )
        if annotate is not None:
            from govstats.check.annotate import annotate_workbooks

            written = annotate_workbooks(result, annotate, lang.value)
            from govstats.core.text import plain

            for path in written:
                line = _WORDS[lang.value]["annotated"].format(path=path)
                typer.echo(plain(line), err=True)
        return result

    result = _run(work, debug, lang.value, output_format)
    report = result.report
    if only:
        from govstats.core.problems import catalogue

        codes = [o for o in only if o in catalogue()]
        categories = [o for o in only if o not in catalogue()]
        shown = report.filter(codes, categories)
    else:
        shown = report
    if errors_only:
        from govstats.core.results import errors_only as only_errors

        shown = only_errors(shown)
    _emit_report(shown, output_format, lang.value, report if errors_only else None)
    raise typer.Exit(int(not report.valid))


class Rounding(StrEnum):
    half_up = "half-up"
    half_even = "half-even"


@app.command("compile", cls=LocalCommand)
def compile_(
    year: Annotated[int, typer.Argument(help="The report year to compile.")],
    inputs: Annotated[
        Path,
        typer.Option("--inputs", help="Folder holding <year>/units.csv and workbooks."),
    ] = Path("inputs"),
    outputs: Annotated[
        Path, typer.Option("--outputs", help="Folder to write <year>/ into.")
    ] = Path("outputs"),
    partial: Annotated[
        bool,
        typer.Option(
            "--partial",
            help="Compile the valid units even if others have errors (outputs say so).",
        ),
    ] = False,
    rounding: Annotated[
        Rounding,
        typer.Option("--rounding", help="half-up (四舍五入) or half-even (GB/T 8170)."),
    ] = Rounding.half_up,
    templates: Annotated[
        Path | None,
        typer.Option(
            "--templates", help="Folder of report templates replacing the shipped ones."
        ),
    ] = None,
    strict_inputs: Annotated[
        bool,
        typer.Option(
            "--strict-inputs",
            help="Refuse a workbook that is a symbolic link to a file outside "
            "inputs/<year>/ (by default a warning).",
        ),
    ] = False,
    previous: Annotated[
        Path | None,
        typer.Option(
            "--previous",
            help="Last year's figures.json or summary.xlsx, for the year-on-year "
            "sentences (default: outputs/<year-1>/figures.json if compiled).",
        ),
    ] = None,
    output_format: FormatOption = OutputFormat.text,
    lang: LangOption = Lang.zh,
    debug: DebugOption = False,
) -> None:
    """Validate, add up and write the report's numeric sections for a year.

    Reads inputs/<year>/units.csv and every workbook beside it; writes report.md,
    report.html, report.docx, tables.xlsx, figures.json, validation.json,
    validation.md, summary.xlsx and the open data datapackage/ to outputs/<year>/,
    all at once. With last year's figures the report states how each figure the
    format compares moved since last year. Exit code 0 when
    the outputs were written (with --partial also when units were left out: their
    count is on stderr), 1 when a workbook has errors and nothing was written, 2
    when the command cannot run.

    Example:

        govstats compile 2017
    """
    from govstats.actions import compile_year

    with _progress(lang.value) as progress:
        result = _run(
            lambda: compile_year(
                year,
                inputs,
                outputs,
                partial,
                rounding.value,
                templates,
                progress,
                strict_inputs=strict_inputs,
                previous=previous,
            ),
            debug,
            lang.value,
            output_format,
        )
    if output_format is OutputFormat.json:
        from govstats.cli.streams import json_text

        typer.echo(json_text(result.to_dict(lang.value)))
    else:
        from govstats.cli.present import compilation_text

        sys.stdout.write(compilation_text(result, lang.value))
    if result.compiled and result.partial:
        # Published: exit 0 like any compile that wrote its outputs, with the
        # count of what it left out (issue 16); 1 only when nothing was written.
        s = result.report.stats
        line = _WORDS[lang.value]["partial"].format(
            units=len(result.excluded), errors=s["errors"], warnings=s["warnings"]
        )
        typer.echo(line, err=True)
    raise typer.Exit(0 if result.compiled else 1)


@app.command(cls=LocalCommand)
def audit(
    year: Annotated[
        int | None,
        typer.Argument(help="A compiled year to re-derive from inputs/<year>/."),
    ] = None,
    text: Annotated[
        Path | None,
        typer.Option(
            "--text",
            help="A published report to check instead: .txt, .md, .html or a PDF "
            "with a text layer.",
        ),
    ] = None,
    inputs: Annotated[
        Path,
        typer.Option("--inputs", help="Folder holding <year>/units.csv and workbooks."),
    ] = Path("inputs"),
    outputs: Annotated[
        Path, typer.Option("--outputs", help="Folder holding the compiled <year>/.")
    ] = Path("outputs"),
    templates: Annotated[
        Path | None,
        typer.Option(
            "--templates", help="The templates folder the year was compiled with."
        ),
    ] = None,
    explain: Annotated[
        bool,
        typer.Option(
            "--explain",
            help="With --text: also list every claim found right and every claim "
            "that could not be checked.",
        ),
    ] = False,
    output_format: FormatOption = OutputFormat.text,
    lang: LangOption = Lang.zh,
    debug: DebugOption = False,
) -> None:
    """Re-derive published figures: a compiled year from its inputs, or a report's text.

    With YEAR, recompute inputs/<year>/ and compare every figure of outputs/<year>/
    (figures.json, report.md, tables.xlsx, summary.xlsx): outputs edited by hand,
    left over from older inputs, or whose share formulas do not match their values.
    With --text FILE, check the shares, totals, rounded figures, rates and changes
    that the report's prose states, and template placeholders left in it; in a
    report in the national format (2019 on), also tables 二 to 四, recognised by
    their labels, against the format's rules, and the prose figures against them.

    Exit code 0 when all agrees (notes allowed), 1 otherwise, 2 on a usage error
    (such as a year not compiled yet).

    Example:

        govstats audit 2017
        govstats audit --text 株洲市2017年政府信息公开工作年度报告.pdf --explain
    """
    from govstats.actions import audit_outputs, audit_text

    if (year is None) == (text is None):
        message = _WORDS[lang.value]["audit_one_of"]
        typer.echo(f"govstats: {message}", err=True)
        if output_format is OutputFormat.json:
            from govstats.cli.i18n import error_object
            from govstats.cli.streams import json_text
            from govstats.core.problems import Problem

            problem = Problem.make("usage-error", context={"detail": message})
            typer.echo(json_text(error_object([problem], lang.value, 2)))
        raise typer.Exit(2)
    if text is not None:
        result = _run(
            lambda: audit_text(text, explain), debug, lang.value, output_format
        )
    else:
        assert year is not None
        result = _run(
            lambda: audit_outputs(year, inputs, outputs, templates),
            debug,
            lang.value,
            output_format,
        )
        result.explain = False
    if output_format is OutputFormat.json:
        from govstats.cli.streams import json_text

        typer.echo(json_text(result.to_dict(lang.value)))
    else:
        from govstats.cli.present import audit_report_text

        sys.stdout.write(audit_report_text(result, lang.value))
    raise typer.Exit(int(not result.valid))


@contextlib.contextmanager
def _progress(lang: str) -> Iterator[Callable[[int, int, Path], None] | None]:
    """A progress bar on stderr when it is a terminal and there are many workbooks."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.progress import Progress

    label = _WORDS[lang]["reading"]
    # Redrawn from here, not by rich's refresh thread: with a second thread
    # running, the workers could not be forked (they would be spawned, each
    # importing govstats anew) nor the outputs built in forked children
    # (govstats.check.validate, govstats.publish.background): a compile at a terminal would
    # take a good part longer than one whose output goes to a file.
    with Progress(transient=True, auto_refresh=False, console=_stderr_console()) as bar:
        task = None
        shown = 0.0

        def advance(done: int, total: int, path: Path) -> None:
            nonlocal task, shown
            if total < PROGRESS_MIN:
                return
            if task is None:
                task = bar.add_task(label, total=total)
            bar.update(task, completed=done)
            now = time.monotonic()
            if now - shown >= PROGRESS_EVERY or done == total:
                shown = now
                bar.refresh()

        yield advance


def _stderr_console() -> Any:
    from rich.console import Console

    return Console(stderr=True)


def _emit_report(
    report: Any, output_format: OutputFormat, lang: str, totals: Any = None
) -> None:
    if output_format is OutputFormat.json:
        from govstats.cli.streams import json_text

        typer.echo(json_text(report.to_dict(lang)))
    else:
        from govstats.cli.present import report_text

        sys.stdout.write(report_text(report, lang, totals))


# `govstats serve` and `govstats codes` (issue 15): the office's intake site, in
# govstats.serve; the server's libraries come with the `serve` extra.


@app.command()
def serve(
    root: Annotated[
        Path, typer.Option("--root", help="Folder holding inputs/<year>/.")
    ] = Path("."),
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
    debug: DebugOption = False,
) -> None:
    """Run the intake site: departments check and submit their workbooks in a
    browser, the office follows the roster and compiles.

    The office password comes from GOVSTATS_OFFICE_PASSWORD or is asked for at
    the terminal; without one the office pages are off. Needs the serve extra
    (pip install 'govstats[serve]').

    Example:

        GOVSTATS_OFFICE_PASSWORD=... govstats serve --root . --port 8000
    """
    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        from govstats.cli.i18n import current_lang

        typer.echo(_WORDS[current_lang()]["serve_missing"], err=True)
        raise typer.Exit(2) from None
    from govstats.serve import serve as run_site

    _run(lambda: run_site(root, host, port), debug)


class TrendFormat(StrEnum):
    text = "text"
    json = "json"
    csv = "csv"


@app.command(cls=LocalCommand)
def trend(
    first: Annotated[int, typer.Argument(help="The first year.")],
    last: Annotated[int, typer.Argument(help="The last year.")],
    outputs: Annotated[
        Path, typer.Option("--outputs", help="Folder holding the compiled years.")
    ] = Path("outputs"),
    output_format: Annotated[
        TrendFormat,
        typer.Option("--format", help="text for people, json or csv for programs."),
    ] = TrendFormat.text,
    lang: LangOption = Lang.zh,
    debug: DebugOption = False,
) -> None:
    """Print each figure over the years, from the years' data packages.

    Reads outputs/<year>/datapackage/ of every year from FIRST to LAST (written by
    every compile) and prints the sums of all units, a row per indicator code and
    a column per year. Years not compiled are named on stderr. Exit code 0, 2 when
    no year of the range was compiled.

    Example:

        govstats trend 2024 2025 --format csv
    """
    from govstats.actions import trend as read_trend
    from govstats.cli.present import trend_csv, trend_text

    fmt = OutputFormat.json if output_format is TrendFormat.json else OutputFormat.text
    result = _run(lambda: read_trend(first, last, outputs), debug, lang.value, fmt)
    if result.missing:
        years = "、".join(str(y) for y in result.missing)
        typer.echo(_WORDS[lang.value]["trend_missing"].format(years=years), err=True)
    if output_format is TrendFormat.json:
        from govstats.cli.streams import json_text

        typer.echo(json_text(result.to_dict()))
    elif output_format is TrendFormat.csv:
        sys.stdout.write(trend_csv(result, lang.value))
    else:
        sys.stdout.write(trend_text(result, lang.value))


@app.command()
def codes(
    year: Annotated[int, typer.Argument(help="The report year.")],
    output: Annotated[
        Path, typer.Option("-o", "--output", help="CSV file of the codes to write.")
    ],
    root: Annotated[
        Path, typer.Option("--root", help="Folder holding inputs/<year>/units.csv.")
    ] = Path("."),
    unit: Annotated[
        list[str] | None,
        typer.Option("--unit", help="Issue a new code to this unit only."),
    ] = None,
    lang: LangOption = Lang.zh,
    debug: DebugOption = False,
) -> None:
    """Issue the access codes with which units submit on the intake site.

    Writes 单位代码,单位名称,访问码 for every unit of the roster (or the --unit
    ones); only the codes' hashes are kept, and a unit's earlier code stops working.

    Example:

        govstats codes 2025 -o codes.csv
    """
    from govstats.serve import write_codes

    path = _run(lambda: write_codes(year, output, root, unit), debug, lang.value)
    typer.echo(str(path))


def main() -> None:
    """Entry point of the ``govstats`` console script."""
    import gc

    # A command allocates many objects that live on (modules, workbooks' figures)
    # and few reference cycles: with Python's default thresholds (700, 10, 10)
    # the garbage collector walked them over and over, a large share of a big
    # compile's CPU time. Worker processes inherit these thresholds.
    gc.set_threshold(50_000, 20, 20)
    from govstats.cli.streams import tolerate

    # A console or redirected stdout in GBK (Chinese Windows) cannot encode ✓ or ✗.
    tolerate()
    try:
        try:
            app()
        except SystemExit as exit_:
            _results_written(exit_)
            raise
        except OSError as exc:  # writing the results failed: see _results_written
            _results_unwritable(exc)
    finally:
        # On its way out the interpreter runs a full garbage collection over
        # every object it still holds (pandas, pandera, a compile's units), which
        # a clerk would wait for after every command. Objects
        # frozen here are left out of it; the memory goes back to the system
        # with the process, and everything written is closed by then.
        gc.freeze()


def _results_written(exit_: SystemExit) -> None:
    """Make sure the results reached stdout before the command's exit code counts.

    Results are printed at the end of a command; stdout to a full disk
    (``> /dev/full``) or a closed pipe fails then, or only when Python flushes
    it at exit, after the exit code was chosen: exit 2 with one line on stderr,
    not a traceback, nor exit 1 as if the data were invalid (click's way with a
    closed pipe).
    """
    # click (vendored by typer) puts this wrapper on stdout when it met a closed
    # pipe, and exits 1.
    if type(sys.stdout).__name__ == "PacifyFlushWrapper":
        _results_unwritable(BrokenPipeError(32, "Broken pipe"))
    try:
        sys.stdout.flush()
    except OSError as exc:
        _results_unwritable(exc)


def _results_unwritable(exc: OSError) -> None:
    """One line on stderr, exit code 2; stdout is pointed at nothing, so that
    Python's own flush at exit cannot fail again and print more."""
    import os

    from govstats.core.problems import Problem

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass
    lang = "en" if _asked_lang(sys.argv) == "en" else "zh"
    found = exc.strerror or type(exc).__name__
    problem = Problem.make("stdout-unwritable", found=found)
    with contextlib.suppress(OSError):
        sys.stderr.write(f"govstats: {problem.message(lang)}\n")
        sys.stderr.flush()
    raise SystemExit(2)


def _asked_lang(argv: list[str]) -> str:
    for i, arg in enumerate(argv):
        if arg.startswith("--lang="):
            return arg.partition("=")[2]
        if arg == "--lang" and i + 1 < len(argv):
            return argv[i + 1]
    return "zh"
