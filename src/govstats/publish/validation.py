"""validation.md: every unit's problems as Markdown."""

from __future__ import annotations

import re

from govstats.core.problems import Problem, Words
from govstats.core.results import Report
from govstats.core.text import plain
from govstats.publish.report_md import markdown_text


def _code(text: str) -> str:
    """Text as a Markdown code span, whatever backticks it holds."""
    text = plain(text)
    longest = max((len(run) for run in re.findall("`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def report_markdown(report: Report, lang: str = "zh", title: str = "") -> str:
    """A report as Markdown: a section per file with a table of its problems."""
    w = REPORT_WORDS[lang]
    head = ("严重程度", "位置", "问题代码", "规则", "指标", "说明")
    if lang == "en":
        head = ("severity", "where", "code", "rule", "indicator", "message")
    out = [f"# {title}", ""] if title else []
    out += [totals_line(w["total"], report, lang), ""]
    for f in report.files:
        name = f"{f.unit_code} {f.unit_name}".strip() or f.path
        out += [f"## {markdown_text(name)}", "", _code(f.path), ""]
        if not f.problems:
            out += [w["ok"], ""]
            continue
        out += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for p in f.problems:
            cells = (
                w[p.severity],
                problem_where(p),
                p.code,
                p.rule,
                p.indicator,
                p.message(lang),
            )
            out.append("| " + " | ".join(markdown_text(c) for c in cells) + " |")
        out.append("")
    return "\n".join(out)


REPORT_WORDS = Words("report")


def problem_where(p: Problem) -> str:
    if p.sheet and p.cell:
        return f"{p.sheet}!{p.cell}"
    return p.sheet or "-"


def totals_line(template: str, report: Report, lang: str = "zh") -> str:
    s = report.stats
    line = template.format(
        files=s["files"],
        invalid=s["invalid_files"],
        errors=s["errors"],
        warnings=s["warnings"],
    )
    return with_notes(line, s["notes"], lang)


def with_notes(line: str, notes: int, lang: str) -> str:
    """A totals line with the count of explained warnings, when there are any,
    before its closing full stop."""
    if not notes:
        return line
    stop = "。" if line.endswith("。") else "." if line.endswith(".") else ""
    body = line[: len(line) - len(stop)]
    return body + REPORT_WORDS[lang]["notes"].format(notes=notes) + stop
