"""Presentation: validation reports as text for a terminal or a Markdown file."""

from __future__ import annotations

from govstats.problems import Problem
from govstats.report import Report

__all__ = ["report_markdown", "report_text"]

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


def _where(p: Problem) -> str:
    if p.sheet and p.cell:
        return f"{p.sheet}!{p.cell}"
    return p.sheet or "-"


def report_text(report: Report, lang: str = "zh") -> str:
    """A report as lines for a terminal: a line per file, then one per problem."""
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
    s = report.stats
    lines.append(
        w["total"].format(
            files=s["files"],
            invalid=s["invalid_files"],
            errors=s["errors"],
            warnings=s["warnings"],
        )
    )
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    """Escape text for a Markdown table cell."""
    return (
        text.replace("\\", "\\\\")
        .replace("|", "\\|")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\n", " ")
    )


def report_markdown(report: Report, lang: str = "zh", title: str = "") -> str:
    """A report as Markdown: a section per file with a table of its problems."""
    w = _WORDS[lang]
    head = ("严重程度", "位置", "问题代码", "规则", "指标", "说明")
    if lang == "en":
        head = ("severity", "where", "code", "rule", "indicator", "message")
    out = [f"# {title}", ""] if title else []
    s = report.stats
    out += [
        w["total"].format(
            files=s["files"],
            invalid=s["invalid_files"],
            errors=s["errors"],
            warnings=s["warnings"],
        ),
        "",
    ]
    for f in report.files:
        name = f"{f.unit_code} {f.unit_name}".strip() or f.path
        out += [f"## {_md(name)}", "", f"`{_md(f.path)}`", ""]
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
