"""report.md: the report's numeric sections as Markdown paragraphs and tables."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Any

from govstats.core.text import plain
from govstats.formats import Format, Table


def report_md(env: Any, context: dict[str, Any], fmt: Format) -> str:

    v = context["v"]
    md = {
        **context,
        "table": lambda table_id: table_markdown(
            next(t for t in fmt.tables if t.id == table_id), v
        ),
    }
    return str(env.get_template(f"{fmt.id}/report.md.j2").render(md))


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


def display_width(text: str) -> int:
    """Terminal columns of a text: CJK characters take two."""

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
            out += [f"**{markdown_text(block.title)}**", ""]
        paths = [(*c.groups, c.label) for c in block.columns]
        shared = 0
        while (
            all(len(p) > shared + 1 for p in paths)
            and len({p[shared] for p in paths}) == 1
        ):
            shared += 1
        heads = ["·".join(p[shared:]) for p in paths]
        corner = block.row_header or ""
        out.append("| " + " | ".join(markdown_text(h) for h in [corner, *heads]) + " |")
        out.append("|---|" + "---:|" * len(heads))
        for row in block.rows:
            label = (
                " ".join((*row.groups[-1:], row.label))
                if len(row.groups) > 1
                else row.label
            )
            cells = [value(block.code(row.code, c.code)) for c in block.columns]
            out.append("| " + " | ".join([markdown_text(label), *cells]) + " |")
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"
