"""A published gk2021 report crafted for audit tests (issue 7).

The national tables are laid out from the format declaration as portals print them:
in HTML, group headings merged over the columns and rows they head (rowspan,
colspan); table 四 without a row-heading column; table 二 block by block. As text, a
table row per line with the cells of the HTML row in order, as a copy of a merged
table gives them (so the column headings no longer stand over their columns).
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from decimal import Decimal

from govstats.formats import Block, Table, load_format

Cell = tuple[str, int, int]  # text, rowspan, colspan

# The prose of 一、总体情况, as compiled reports word it; figures of consistent_2021().
PROSE = (
    "2025年，本机关共新收政府信息公开申请16件，其中自然人申请12件，法人或其他组织申请4件；"
    "上年结转政府信息公开申请3件。本年度办理完结16件，其中予以公开7件，占43.8%；"
    "部分公开2件，占12.5%；不予公开1件，占6.3%；无法提供4件，占25.0%；"
    "不予处理1件，占6.3%；其他处理1件，占6.3%。结转下年度继续办理3件。",
    "2025年，因政府信息公开被申请行政复议4件，其中结果维持2件，结果纠正1件，"
    "其他结果0件，尚未审结1件；被提起行政诉讼3件（未经复议直接起诉2件，"
    "复议后起诉1件），其中结果维持1件，结果纠正0件，其他结果1件，尚未审结1件。",
)


def _text(value: int | Decimal | str | None) -> str:
    return "" if value is None else str(value)


def _matrix(
    block: Block,
    values: Mapping[str, int | Decimal | str | None],
    labels: Mapping[str, str],
    row_labels: bool,
) -> list[list[Cell]]:
    label_cols = max(len(r.groups) for r in block.rows) + 1 if row_labels else 0
    depth = max(len(c.groups) for c in block.columns) + 1
    paths = [(*c.groups, c.label) for c in block.columns]
    head: list[list[Cell]] = [[] for _ in range(depth)]
    if row_labels:
        head[0].append((block.row_header, depth, label_cols))
    for level in range(depth):
        c = 0
        while c < len(paths):
            path = paths[c]
            if level >= len(path):
                c += 1
            elif level == len(path) - 1:  # the label, down to the last header row
                head[level].append((path[-1], depth - level, 1))
                c += 1
            else:
                end = c
                while (
                    end + 1 < len(paths)
                    and paths[end + 1][: level + 1] == path[: level + 1]
                ):
                    end += 1
                head[level].append((path[level], 1, end - c + 1))
                c = end + 1
    rpaths = [(*r.groups, labels.get(r.code, r.label)) for r in block.rows]
    body: list[list[Cell]] = []
    for i, row in enumerate(block.rows):
        cells: list[Cell] = []
        path = rpaths[i]
        for level, text in enumerate(path if row_labels else ()):
            if i and rpaths[i - 1][: level + 1] == path[: level + 1]:
                continue  # under the heading merged down from a row above
            if level == len(path) - 1:
                cells.append((text, 1, label_cols - level))
            else:
                end = i
                while (
                    end + 1 < len(rpaths)
                    and rpaths[end + 1][: level + 1] == path[: level + 1]
                ):
                    end += 1
                cells.append((text, end - i + 1, 1))
        for col in block.columns:
            cells.append((_text(values.get(block.code(row.code, col.code))), 1, 1))
        body.append(cells)
    return head + body


def _list_blocks(
    table: Table,
    values: Mapping[str, int | Decimal | str | None],
    labels: Mapping[str, str],
) -> list[list[Cell]]:
    """Table 二: per block its title, its headings, its rows; a block with fewer
    columns stretches its last one."""
    width = max(len(b.columns) for b in table.blocks)
    out: list[list[Cell]] = []
    for block in table.blocks:
        out.append([(block.title, 1, width + 1)])
        stretch = width - len(block.columns) + 1
        spans = [1] * (len(block.columns) - 1) + [stretch]
        out.append(
            [(block.row_header, 1, 1)]
            + [(c.label, 1, s) for c, s in zip(block.columns, spans, strict=True)]
        )
        for row in block.rows:
            cells = [(labels.get(row.code, row.label), 1, 1)]
            for col, s in zip(block.columns, spans, strict=True):
                cells.append((_text(values.get(block.code(row.code, col.code))), 1, s))
            out.append(cells)
    return out


def table_rows(
    table_id: str,
    values: Mapping[str, int | Decimal | str | None],
    labels: Mapping[str, str] | None = None,
    format_id: str = "gk2021",
) -> list[list[Cell]]:
    """The rows of a table as a portal prints it; ``labels`` misprints row labels
    (by row code); ``format_id`` lays it out as another format does (gk2019)."""
    fmt = load_format(format_id)
    table = next(t for t in fmt.tables if t.id == table_id)
    labels = labels or {}
    if table_id == "t2":
        return _list_blocks(table, values, labels)
    # Table 四 prints its one row of figures without a row heading.
    one_row = all(len(b.rows) == 1 for b in table.blocks)
    return [r for b in table.blocks for r in _matrix(b, values, labels, not one_row)]


def html_table(rows: list[list[Cell]]) -> str:
    out = ["<table border='1' cellspacing='0'>"]
    for row in rows:
        cells = []
        for text, rs, cs in row:
            attrs = (f" rowspan='{rs}'" if rs > 1 else "") + (
                f" colspan='{cs}'" if cs > 1 else ""
            )
            body = html.escape(text).replace("\n", "<br>\n")
            cells.append(f"<td{attrs}>{body}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def text_table(rows: list[list[Cell]], sep: str = "\t") -> str:
    return "\n".join(sep.join(text for text, _, _ in row) for row in rows)


HEADINGS = {
    "t2": "二、主动公开政府信息情况",
    "t3": "三、收到和处理政府信息公开申请情况",
    "t4": "四、政府信息公开行政复议、行政诉讼情况",
}


def report(
    values: Mapping[str, int | Decimal | str | None],
    *,
    html_page: bool = True,
    prose: tuple[str, ...] = PROSE,
    labels: Mapping[str, str] | None = None,
    layouts: Mapping[str, str] | None = None,
    sep: str = "\t",
    year: int = 2025,
) -> str:
    """A whole report: title, 一、总体情况, tables 二 to 四, parts 五 and 六."""
    layouts = layouts or {}
    title = f"某县人民政府{year}年政府信息公开工作年度报告"
    parts: list[tuple[str, str]] = [("h1", title), ("h2", "一、总体情况")]
    parts += [("p", p) for p in prose]
    for tid, heading in HEADINGS.items():
        parts.append(("h2", heading))
        parts.append(("table", tid))
    parts += [
        ("h2", "五、存在的主要问题及改进情况"),
        ("p", "政府信息公开工作仍存在一些不足，下一步将加强培训。"),
        ("h2", "六、其他需要报告的事项"),
        ("p", "本年度未收取信息处理费。"),
    ]
    out = []
    for tag, text in parts:
        if tag == "table":
            rows = table_rows(text, values, labels, layouts.get(text, "gk2021"))
            out.append(html_table(rows) if html_page else text_table(rows, sep))
        elif html_page:
            out.append(f"<{tag}>{html.escape(text)}</{tag}>")
        else:
            out.append(text)
    if html_page:
        head = "<!DOCTYPE html>\n<html><head><meta charset='utf-8'></head><body>"
        return head + "\n" + "\n".join(out) + "\n</body></html>\n"
    return "\n".join(out) + "\n"
