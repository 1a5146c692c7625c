"""Generated documentation: ``docs/errors.md`` (the problem catalogue) and
``docs/cli.md`` (every command's ``--help``), so that neither can drift.

``python -m govstats.docs write`` regenerates them; ``python -m govstats.docs check``
fails when the committed files differ from what the code would generate.
"""

from __future__ import annotations

import sys
from pathlib import Path

from govstats.problems import catalogue

__all__ = ["cli_markdown", "errors_markdown", "main"]

DOCS = Path(__file__).resolve().parents[2] / "docs"


def errors_markdown() -> str:
    """The problem catalogue as Markdown, one section per code."""
    out = [
        "# Problem catalogue (问题代码)",
        "",
        "Generated from `src/govstats/messages/catalogue.yaml` by `make docs`; do not edit.",
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
    """The limits every input is checked against (``govstats.io.package.LIMITS``)."""
    from govstats.io.package import LIMITS

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
        "Checked before any parser reads a file (`govstats.io.package.LIMITS`); see",
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
    ]
    commands = [[], *[[name] for name in _command_names()]]
    for args in commands:
        result = runner.invoke(app, [*args, "--help"], env={"COLUMNS": "100"})
        title = " ".join(["govstats", *args])
        out += [f"## `{title}`", "", "```text", result.output.rstrip(), "```", ""]
    return "\n".join(out)


def _command_names() -> list[str]:
    from govstats.cli import app

    return [
        c.name or c.callback.__name__ for c in app.registered_commands if c.callback
    ]


def main(argv: list[str]) -> int:
    pages = {"errors.md": errors_markdown(), "cli.md": cli_markdown()}
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
