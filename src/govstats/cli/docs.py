"""Generated documentation: ``docs/errors.md`` (the problem catalogue),
``docs/cli.md`` (every command's ``--help``) and the real output in the pages per
user (``docs/department-clerk.md``, ``docs/compiling-office.md``,
``docs/auditor.md``), so that none of them can drift.

The pages per user are written by hand, with markers where real output goes (in
the manner of cog). Each marker is replaced by what govstats prints or writes when
the pages' commands run, in order, in a scratch folder holding the demo inputs of
2017::

    <!-- run: govstats validate 财政局.xlsx --year 2017 -->   the command and its output
    <!-- run: govstats compile 2017 | tail 8 -->             only its last 8 lines
    <!-- show: outputs/2017/figures.json from "zd.news/zd.total" lines 12 -->
    <!-- setup: clerk-fills-in -->                          a step of the story (SETUPS)

A ``run`` or ``show`` marker is followed by its generated block and ``<!-- end -->``.

``python -m govstats.cli.docs write`` regenerates every page; ``python -m govstats.cli.docs
check`` fails when a committed page differs from what the code would generate.
"""

from __future__ import annotations

import contextlib
import re
import shlex
import sys
from collections.abc import Callable
from pathlib import Path

from govstats.core.problems import catalogue

__all__ = ["USER_PAGES", "cli_markdown", "errors_markdown", "main", "user_pages"]

DOCS = Path(__file__).resolve().parents[3] / "docs"
DEMO = DOCS.parent / "inputs" / "2017"
# In the order their commands run: the auditor reads what the office compiled.
USER_PAGES = ("department-clerk.md", "compiling-office.md", "auditor.md")
MARKER = re.compile(r"^<!-- (run|show|setup): (.*?) -->$")
END = "<!-- end -->"


def errors_markdown() -> str:
    """The problem catalogue as Markdown, one section per code."""
    out = [
        "# Problem catalogue (问题代码)",
        "",
        "Generated from `src/govstats/core/catalogue.yaml` by `make docs`; do not edit.",
        "Codes are stable: they are never renamed or reused.",
        "",
        "| code | category | severity | 标题 | title |",
        "|---|---|---|---|---|",
    ]
    for t in catalogue().values():
        out.append(
            f"| `{t.code}` | {t.category} | {t.severity} | {t.title['zh']} | {t.title['en']} |"
        )
    for t in catalogue().values():
        out += [
            "",
            f"## `{t.code}`",
            "",
            f"{t.description['zh']} {t.description['en']}",
            "",
            f"- zh: {t.template['zh']}",
            f"- en: {t.template['en']}",
        ]
    return "\n".join(out + _limits_markdown()) + "\n"


def _limits_markdown() -> list[str]:
    """The limits every input is checked against (``govstats.read.package.LIMITS``)."""
    from govstats.read.package import LIMITS

    codes = {
        "file_bytes": "file-too-large",
        "unpacked_bytes": "zip-bomb",
        "part_bytes": "zip-bomb (a worksheet part: sheet-too-large)",
        "ratio": "zip-bomb (a worksheet part: sheet-too-large)",
        "parts": "zip-bomb",
        "sheets": "too-many-sheets",
        "sheet_rows": "sheet-too-large",
        "sheet_columns": "sheet-too-large",
        "cells": "workbook-too-large",
        "files": "too-many-files",
        "annotate_cells": "(the annotated copy holds only the problem list)",
    }
    out = [
        "",
        "## Limits",
        "",
        "Checked before any parser reads a file (`govstats.read.package.LIMITS`); see",
        "the README's Limits section for why.",
        "",
        "| limit | value | problem |",
        "|---|---|---|",
    ]
    for key, value in LIMITS.items():
        out.append(f"| `{key}` | {value:_} | {codes.get(key, '')} |")
    return out


def cli_markdown() -> str:
    """Every command's help text, as the CLI prints it."""
    from typer.testing import CliRunner

    from govstats.cli import app

    runner = CliRunner()
    out = [
        "# Command-line reference",
        "",
        "Generated from `govstats --help` by `make docs`; do not edit.",
        "",
        "The help below is the English one. `govstats` prints it in Chinese where the",
        "user's locale is Chinese (`LANGUAGE`, `LC_ALL`, `LC_MESSAGES` or `LANG`",
        "starting with `zh`, such as `zh_CN.UTF-8`; on Windows, a Chinese system",
        "locale), and in the language `--lang zh|en` names anywhere on the command",
        "line. `-h` is `--help`; `govstats --version` prints the version.",
        "",
        "Exit codes, the same for every command:",
        "",
        "| code | meaning |",
        "|---|---|",
        "| 0 | done: no error (warnings allowed); `compile --partial` that wrote its"
        " outputs, naming on stderr how many units it left out |",
        "| 1 | the data has errors: `validate` found an error, `compile` wrote nothing,"
        " `audit` found a figure that does not agree |",
        "| 2 | the command cannot run: a usage error (`--year abc`, an unknown option)"
        " or a file that cannot be used (a missing folder, a bad roster); every"
        " problem is a line on stderr and, with `--format json`, stdout holds"
        ' `{"exit_code": 2, "error": {...}, "problems": [...]}` (each as in'
        " `validation.json`) |",
        "| 3 | an internal error (a bug: rerun with `--debug` and report it) |",
        "",
        "Usage errors are in the language of the help; the messages about the data are",
        "in Chinese unless `--lang en` is given.",
        "",
    ]
    commands = [[], *[[name] for name in _command_names()]]
    # The English help whatever the locale of the machine that writes the docs.
    english = {"COLUMNS": "100", "LANGUAGE": "", "LC_ALL": "C.UTF-8"}
    for args in commands:
        result = runner.invoke(app, [*args, "--help"], env=english)
        title = " ".join(["govstats", *args])
        out += [f"## `{title}`", "", "```text", result.output.rstrip(), "```", ""]
    return "\n".join(out)


def _command_names() -> list[str]:
    from govstats.cli import app

    return [
        c.name or c.callback.__name__ for c in app.registered_commands if c.callback
    ]


# Pages per user


def _clerk_fills_in() -> None:
    """The finance bureau's figures typed into its workbook, with one slip: 收到
    政府信息公开申请 one more than its channels add up to."""
    import shutil

    import openpyxl

    shutil.copy(DEMO / "430200-008.xlsx", "财政局.xlsx")
    wb = openpyxl.load_workbook("财政局.xlsx")
    for ws in wb.worksheets:
        for row in ws.iter_rows(min_col=2, max_col=2):
            if row[0].value == "sq.received":
                cell = ws.cell(row[0].row, 4)
                cell.value = int(cell.value) + 1
    wb.save("财政局.xlsx")


def _clerk_corrects() -> None:
    import shutil

    shutil.copy(DEMO / "430200-008.xlsx", "财政局.xlsx")


SETUPS: dict[str, Callable[[], None]] = {
    "clerk-fills-in": _clerk_fills_in,
    "clerk-corrects": _clerk_corrects,
}


def _run(command: str) -> str:
    """``$ command`` and what it prints (stdout and stderr), as a terminal shows it."""
    from typer.testing import CliRunner

    from govstats.cli import app

    command, _, cut = command.partition(" | ")
    args = shlex.split(command)
    if args[0] != "govstats":
        raise ValueError(f"only govstats commands run in the docs: {command}")
    result = CliRunner().invoke(app, args[1:], env={"COLUMNS": "100"})
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    lines = result.output.rstrip("\n").split("\n")
    if cut:
        how, count = cut.split()
        lines = lines[: int(count)] if how == "head" else lines[-int(count) :]
        lines = ["…", *lines] if how == "tail" else [*lines, "…"]
    if result.exit_code:
        lines.append(f"（退出码 exit code {result.exit_code}）")
    return "\n".join([f"$ {command}", *lines])


def _show(spec: str) -> tuple[str, str]:
    """An excerpt of a file govstats wrote: ``PATH [from "TEXT"] [lines N]`` (the
    text may be in single quotes instead, to hold double ones)."""
    m = re.fullmatch(
        r"""(\S+)(?: from (?:"([^"]*)"|'([^']*)'))?(?: lines (\d+))?""", spec
    )
    if m is None:
        raise ValueError(f"bad show marker: {spec}")
    path, double, single, count = m.groups()
    start = double or single
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    first = next(i for i, line in enumerate(lines) if start in line) if start else 0
    excerpt = lines[first : first + int(count)] if count else lines[first:]
    lang = {".json": "json", ".md": "markdown", ".html": "html"}.get(
        Path(path).suffix, "text"
    )
    return lang, "\n".join(excerpt)


def render_page(text: str) -> str:
    """A page with every marker's block generated anew (in the current folder)."""
    out: list[str] = []
    lines = iter(text.split("\n"))
    for line in lines:
        out.append(line)
        m = MARKER.match(line)
        if m is None:
            continue
        kind, arg = m.groups()
        if kind == "setup":
            SETUPS[arg]()
            continue
        for old in lines:  # drop the previous block
            if old == END:
                break
        lang, body = ("text", _run(arg)) if kind == "run" else _show(arg)
        out += [f"```{lang}", body, "```", END]
    return "\n".join(out)


def user_pages() -> dict[str, str]:
    """The pages per user as they should read, from running their commands."""
    import shutil
    import tempfile

    pages: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="govstats-docs-") as tmp:
        shutil.copytree(DEMO, Path(tmp) / "inputs" / "2017")
        with contextlib.chdir(tmp):
            for name in USER_PAGES:
                pages[name] = render_page((DOCS / name).read_text(encoding="utf-8"))
    return pages


def main(argv: list[str]) -> int:
    pages = {
        "errors.md": errors_markdown(),
        "cli.md": cli_markdown(),
        **user_pages(),
    }
    if argv[:1] == ["write"]:
        DOCS.mkdir(exist_ok=True)
        for name, text in pages.items():
            (DOCS / name).write_text(text, encoding="utf-8")
        return 0
    stale = [
        name
        for name, text in pages.items()
        if not (DOCS / name).exists()
        or (DOCS / name).read_text(encoding="utf-8") != text
    ]
    for name in stale:
        print(f"docs/{name} is out of date: run `make docs`", file=sys.stderr)
    return int(bool(stale))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
