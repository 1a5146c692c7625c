"""Presentation: validation, compile and audit results as text for a terminal."""

from __future__ import annotations

from typing import TYPE_CHECKING

from govstats.core.problems import Words
from govstats.core.results import Report
from govstats.core.text import plain
from govstats.publish.report_md import display_width
from govstats.publish.validation import (
    REPORT_WORDS,
    problem_where,
    totals_line,
    with_notes,
)

if TYPE_CHECKING:
    from govstats.audit.findings import AuditReport, Check, Status
    from govstats.pipeline import Compilation
    from govstats.publish.datapackage import Trend

__all__ = [
    "audit_report_text",
    "compilation_text",
    "report_text",
    "trend_csv",
    "trend_text",
]


def _problem_lines(report: Report, lang: str) -> list[str]:
    """A line per file, then one per problem of it."""
    w = REPORT_WORDS[lang]
    lines: list[str] = []
    for f in report.files:
        unit = f" ({f.unit_code} {f.unit_name})".rstrip() if f.unit_code else ""
        head = w["file"].format(
            mark="✓" if f.valid else "✗",
            path=f.path,
            unit=unit if unit != " ()" else "",
            errors=len(f.errors),
            warnings=len(f.warnings),
        )
        lines.append(with_notes(head, len(f.notes), lang))
        for p in f.problems:
            ind = f" {p.indicator}" if p.indicator else ""
            lines.append(
                f"  {w[p.severity]}  {problem_where(p)}  {p.code} [{p.rule}]{ind}  {p.message(lang)}"
            )
    return [plain(line) for line in lines]


def report_text(report: Report, lang: str = "zh", totals: Report | None = None) -> str:
    """A report as lines for a terminal: a line per file, then one per problem.

    :param totals: the report whose counts close the list, when ``report`` shows
        only part of it (``--errors-only``).
    """
    lines = [
        *_problem_lines(report, lang),
        totals_line(REPORT_WORDS[lang]["total"], totals or report, lang),
    ]
    return "\n".join(lines) + "\n"


_COMPILE_WORDS = Words("compile")


def _skipped(report: Report) -> int:
    """Files of the inputs folder that were no workbook (issue 16, point 6)."""
    return sum(
        1 for f in report.files if [p.code for p in f.problems] == ["file-skipped"]
    )


def compilation_text(result: Compilation, lang: str = "zh") -> str:
    """A compile's result for a terminal: problems (if any), outputs, a closing table."""
    w = _COMPILE_WORDS[lang]
    lines = _problem_lines(Report([f for f in result.report.files if f.problems]), lang)
    if not result.compiled:
        lines.append(w["failed"])
    else:
        lines.append(w["head"].format(year=result.year, units=result.units))
        if result.excluded:
            lines.append(plain(w["partial"].format(names="、".join(result.excluded))))
        refused = [f["file"] for f in result.left_out.files if f["unit_in_figures"]]
        if refused:
            lines.append(plain(w["refused"].format(files="、".join(refused))))
        lines += [plain(w["written"].format(path=p)) for p in result.written]
    s = result.report.stats
    rows = [
        (w["workbooks"], s["files"] - 1 - _skipped(result.report)),
        (w["compiled"], result.units),
        (w["left_out"], len(result.excluded)),
        (w["errors"], s["errors"]),
        (w["warnings"], s["warnings"]),
    ]
    width = max(display_width(label) for label, _ in rows) + 2
    lines.append("")
    for label, count in rows:
        pad = " " * (width - display_width(label))
        lines.append(f"  {label}{pad}{count:>6}")
    return "\n".join(lines) + "\n"


_AUDIT_WORDS = Words("audit")


def _audit_where(report: AuditReport, c: Check) -> str:
    if report.kind == "outputs" and c.where.file:
        from pathlib import Path

        name = Path(c.where.file).name
        loc = str(c.where)
        return name if loc in ("-", f"inputs.{name}") else f"{name} {loc}"
    return str(c.where)


def _audit_line(report: AuditReport, c: Check, lead: str, lang: str) -> str:
    quote = f"  「{c.snippet}」" if c.snippet and report.kind == "text" else ""
    code = f"  {c.code}" if c.code and c.is_finding else f"  {c.kind}"
    return f"  {lead}  {_audit_where(report, c)}{code}{quote}  {c.message(lang)}"


def audit_report_text(report: AuditReport, lang: str = "zh") -> str:
    """An audit for a terminal: a head line, a line per finding, a closing count;
    with ``report.explain``, also every claim found right and every one unchecked."""
    w = _AUDIT_WORDS[lang]
    s = report.stats
    lines = [
        w["head"].format(
            mark="✓" if report.valid else "✗",
            subject=report.subject,
            wrong=s["wrong"],
            note=s["note"],
        )
    ]
    lines += [_audit_line(report, c, w[c.severity], lang) for c in report.findings]
    if report.explain:
        marks: tuple[tuple[Status, str], ...] = (("right", "✓"), ("unchecked", "?"))
        for status, mark in marks:
            found = report.by_status(status)
            lines.append(w[status].format(n=len(found)))
            lines += [_audit_line(report, c, mark, lang) for c in found]
    if report.kind == "text":
        hint = w["hint"] if s["unchecked"] and not report.explain else ""
        lines.append(w["text_total"].format(hint=hint, **s))
    else:
        lines.append(w["outputs_total"].format(**s))
    return "\n".join(lines) + "\n"


# Trend

_TREND_WORDS = Words("trend")


def _trend_cells(trend: Trend, lang: str) -> list[list[str]]:
    """The table of ``govstats trend``: a header, then a row per figure."""
    from govstats.core.numbers import format_decimal

    w = _TREND_WORDS[lang]
    rows = [[w["code"], w["label"], *(str(y) for y in trend.years)]]
    for r in trend.rows:
        shown = ["" if v is None else format_decimal(v) for v in r.values]
        rows.append([r.code, r.label, *shown])
    return rows


def trend_text(trend: Trend, lang: str = "zh") -> str:
    """Each figure over the years as an aligned table: its code, a column per year
    (right-aligned), then its label, which may be long (CJK counted two columns)."""
    rows = [[r[0], *r[2:], r[1]] for r in _trend_cells(trend, lang)]
    widths = [max(display_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = []
        for i, cell in enumerate(row):
            pad = " " * (widths[i] - display_width(cell))
            cells.append(cell + pad if i in (0, len(row) - 1) else pad + cell)
        lines.append(plain("  ".join(cells).rstrip()))
    return "\n".join(lines) + "\n"


def trend_csv(trend: Trend, lang: str = "zh") -> str:
    """Each figure over the years as CSV: code, label, a column per year."""
    import csv
    import io

    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(_trend_cells(trend, lang))
    return buf.getvalue()
