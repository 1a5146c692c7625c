"""Presentation: validation reports as text for a terminal or a Markdown file."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import TYPE_CHECKING

from govstats.formats import Table
from govstats.problems import Problem
from govstats.report import Report

if TYPE_CHECKING:
    from govstats.audit.findings import AuditReport, Check
    from govstats.compilation import Compilation

__all__ = [
    "audit_report_text",
    "compilation_text",
    "markdown_text",
    "plain",
    "report_markdown",
    "report_text",
    "table_markdown",
]

_WORDS = {
    "zh": {
        "error": "错误",
        "warning": "警告",
        "ok": "通过",
        "file": "{mark} {path}{unit}：{errors} 个错误，{warnings} 个警告",
        "total": "共检查 {files} 个文件，{invalid} 个未通过；错误 {errors} 个，警告 {warnings} 个。",
    },
    "en": {
        "error": "error",
        "warning": "warning",
        "ok": "ok",
        "file": "{mark} {path}{unit}: {errors} error(s), {warnings} warning(s)",
        "total": "Checked {files} file(s), {invalid} invalid; {errors} error(s), {warnings} warning(s).",
    },
}


# Controls, format characters (bidi overrides), line and paragraph separators and
# lone surrogates; spaces of every width (the full-width U+3000 too) are kept.
_UNPRINTABLE = {"Cc", "Cf", "Zl", "Zp", "Cs"}


def plain(text: str) -> str:
    """Text safe to print on a terminal: one line, no control character.

    A unit name or a cell quoted from a hostile workbook may hold an escape sequence
    (``\\x1b[2J`` clears the screen), a line break that forges a line of the report,
    or a right-to-left override; each is shown as its escape instead (issue 6).
    """
    if text.isprintable():
        return text
    return "".join(
        ch.encode("unicode_escape").decode("ascii")
        if unicodedata.category(ch) in _UNPRINTABLE
        else ch
        for ch in text
    )


def _where(p: Problem) -> str:
    if p.sheet and p.cell:
        return f"{p.sheet}!{p.cell}"
    return p.sheet or "-"


def _problem_lines(report: Report, lang: str) -> list[str]:
    """A line per file, then one per problem of it."""
    w = _WORDS[lang]
    lines: list[str] = []
    for f in report.files:
        unit = f" ({f.unit_code} {f.unit_name})".rstrip() if f.unit_code else ""
        lines.append(
            w["file"].format(
                mark="✓" if f.valid else "✗",
                path=f.path,
                unit=unit if unit != " ()" else "",
                errors=len(f.errors),
                warnings=len(f.warnings),
            )
        )
        for p in f.problems:
            ind = f" {p.indicator}" if p.indicator else ""
            lines.append(
                f"  {w[p.severity]}  {_where(p)}  {p.code} [{p.rule}]{ind}  {p.message(lang)}"
            )
    return [plain(line) for line in lines]


def _totals(template: str, report: Report) -> str:
    s = report.stats
    return template.format(
        files=s["files"],
        invalid=s["invalid_files"],
        errors=s["errors"],
        warnings=s["warnings"],
    )


def report_text(report: Report, lang: str = "zh") -> str:
    """A report as lines for a terminal: a line per file, then one per problem."""
    lines = [*_problem_lines(report, lang), _totals(_WORDS[lang]["total"], report)]
    return "\n".join(lines) + "\n"


# Characters that start Markdown (CommonMark/GFM) inline syntax anywhere in a
# line: emphasis, code, links, images, autolinks, raw HTML, tables, strikethrough.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def markdown_text(text: str) -> str:
    """Text from an input as literal Markdown: no markup, no HTML, one line.

    Used for everything that came from a workbook or a roster (unit names, sheet
    names, quoted cells) in validation.md and report.md (issue 6).
    """
    text = plain(text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text)


def _md(text: str) -> str:
    """Escape text for a Markdown table cell."""
    return markdown_text(text)


def _code(text: str) -> str:
    """Text as a Markdown code span, whatever backticks it holds."""
    text = plain(text)
    longest = max((len(run) for run in re.findall("`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def report_markdown(report: Report, lang: str = "zh", title: str = "") -> str:
    """A report as Markdown: a section per file with a table of its problems."""
    w = _WORDS[lang]
    head = ("严重程度", "位置", "问题代码", "规则", "指标", "说明")
    if lang == "en":
        head = ("severity", "where", "code", "rule", "indicator", "message")
    out = [f"# {title}", ""] if title else []
    out += [_totals(w["total"], report), ""]
    for f in report.files:
        name = f"{f.unit_code} {f.unit_name}".strip() or f.path
        out += [f"## {_md(name)}", "", _code(f.path), ""]
        if not f.problems:
            out += [w["ok"], ""]
            continue
        out += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for p in f.problems:
            cells = (
                w[p.severity],
                _where(p),
                p.code,
                p.rule,
                p.indicator,
                p.message(lang),
            )
            out.append("| " + " | ".join(_md(c) for c in cells) + " |")
        out.append("")
    return "\n".join(out)


_COMPILE_WORDS = {
    "zh": {
        "head": "{year}年汇总：{units} 个单位纳入汇总",
        "partial": "部分汇总：未纳入 {names}",
        "failed": "汇总未进行：有错误的单位须先改正（或使用 --partial 只汇总通过校验的单位）。原有输出未改动。",
        "written": "已写入 {path}",
        "workbooks": "提交的工作簿",
        "compiled": "纳入汇总的单位",
        "left_out": "未纳入的单位",
        "errors": "错误",
        "warnings": "警告",
    },
    "en": {
        "head": "{year}: {units} unit(s) compiled",
        "partial": "Partial compile: left out {names}",
        "failed": "Nothing compiled: fix the units with errors first (or use --partial to compile the valid ones). Previous outputs are untouched.",
        "written": "wrote {path}",
        "workbooks": "workbooks submitted",
        "compiled": "units compiled",
        "left_out": "units left out",
        "errors": "errors",
        "warnings": "warnings",
    },
}


def compilation_text(result: Compilation, lang: str = "zh") -> str:
    """A compile's result for a terminal: problems (if any), outputs, a closing table."""
    w = _COMPILE_WORDS[lang]
    lines = _problem_lines(Report([f for f in result.report.files if f.problems]), lang)
    if not result.compiled:
        lines.append(w["failed"])
    else:
        lines.append(w["head"].format(year=result.year, units=result.units))
        if result.partial:
            lines.append(plain(w["partial"].format(names="、".join(result.excluded))))
        lines += [plain(w["written"].format(path=p)) for p in result.written]
    s = result.report.stats
    rows = [
        (w["workbooks"], s["files"] - 1),
        (w["compiled"], result.units),
        (w["left_out"], len(result.excluded)),
        (w["errors"], s["errors"]),
        (w["warnings"], s["warnings"]),
    ]
    width = max(_display_width(label) for label, _ in rows) + 2
    lines.append("")
    for label, count in rows:
        pad = " " * (width - _display_width(label))
        lines.append(f"  {label}{pad}{count:>6}")
    return "\n".join(lines) + "\n"


def _display_width(text: str) -> int:
    """Terminal columns of a text: CJK characters take two."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def table_markdown(table: Table, value: Callable[[str], str]) -> str:
    """A format table as Markdown, one Markdown table per block.

    Markdown cannot merge cells, so a column heading is its group headings and label
    joined by "·" (the headings every column shares are left out), and a row heading
    is its last group heading and its label.
    """
    out: list[str] = []
    for block in table.blocks:
        if block.title:
            out += [f"**{_md(block.title)}**", ""]
        paths = [(*c.groups, c.label) for c in block.columns]
        shared = 0
        while (
            all(len(p) > shared + 1 for p in paths)
            and len({p[shared] for p in paths}) == 1
        ):
            shared += 1
        heads = ["·".join(p[shared:]) for p in paths]
        corner = block.row_header or ""
        out.append("| " + " | ".join(_md(h) for h in [corner, *heads]) + " |")
        out.append("|---|" + "---:|" * len(heads))
        for row in block.rows:
            label = (
                " ".join((*row.groups[-1:], row.label))
                if len(row.groups) > 1
                else row.label
            )
            cells = [value(block.code(row.code, c.code)) for c in block.columns]
            out.append("| " + " | ".join([_md(label), *cells]) + " |")
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


_AUDIT_WORDS = {
    "zh": {
        "error": "错误",
        "warning": "提示",
        "head": "{mark} {subject}：{wrong} 处有误，{note} 处提示",
        "text_total": "共核对 {checked} 处数字表述：{right} 处无误，{wrong} 处有误，{note} 处提示；{unchecked} 处未能核对{hint}。",
        "outputs_total": "共比对 {checked} 项：{right} 项一致，{wrong} 项不一致。",
        "hint": "（使用 --explain 查看）",
        "right": "核对无误（{n} 处）：",
        "unchecked": "未能核对（{n} 处）：",
    },
    "en": {
        "error": "error",
        "warning": "note",
        "head": "{mark} {subject}: {wrong} wrong, {note} note(s)",
        "text_total": "Checked {checked} numeric claim(s): {right} right, {wrong} wrong, {note} note(s); {unchecked} not checked{hint}.",
        "outputs_total": "Compared {checked} value(s): {right} agree, {wrong} differ.",
        "hint": " (see --explain)",
        "right": "Right ({n}):",
        "unchecked": "Not checked ({n}):",
    },
}


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
        for status, mark in (("right", "✓"), ("unchecked", "?")):
            found = report.by_status(status)
            lines.append(w[status].format(n=len(found)))
            lines += [_audit_line(report, c, mark, lang) for c in found]
    if report.kind == "text":
        hint = w["hint"] if s["unchecked"] and not report.explain else ""
        lines.append(w["text_total"].format(hint=hint, **s))
    else:
        lines.append(w["outputs_total"].format(**s))
    return "\n".join(lines) + "\n"
