"""Spreadsheet formulas of the rules: cell references, sums of ranges, and a rule
as the two sides it compares (see :meth:`govstats.formats.rules.RuleKind.formula`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class CheckFormulas:
    """A rule as formula expressions (without the leading ``=``).

    :param found: the side of the rule's subject, e.g. the total.
    :param expected: what it is compared with, e.g. the sum of the parts.
    :param passes: a boolean expression, TRUE when the rule holds.
    :param difference: ``found`` minus ``expected`` where that means something,
        else ``""``.
    :param text: the rule as the 校验 sheet states it to a clerk (``D4 = SUM(D5:D8)``).
    """

    found: str
    expected: str
    passes: str
    difference: str
    text: str


Refs = Mapping[str, str]


_REF = re.compile(r"(?:(?P<sheet>.+)!)?\$?(?P<col>[A-Z]{1,3})\$?(?P<row>\d+)")


def total_of(ref: Refs, codes: tuple[str, ...] | list[str]) -> str:
    """``SUM`` of the cells of ``codes``, adjacent cells of a column or a row written
    as one range (``SUM($D$5:$D$8)``); a single cell stands alone."""
    refs = [ref[c] for c in codes]
    if len(refs) == 1:
        return refs[0]
    return f"SUM({','.join(runs(refs))})"


def runs(refs: list[str]) -> list[str]:
    from govstats.core.locations import column_number

    out: list[str] = []
    run: list[tuple[str, int, int]] = []  # (sheet prefix, column, row)

    def flush() -> None:
        if run:
            sheet, c1, r1 = run[0]
            _, c2, r2 = run[-1]
            first = _absolute(c1, r1)
            out.append(
                f"{sheet}{first}"
                if len(run) == 1
                else f"{sheet}{first}:{_absolute(c2, r2)}"
            )
            run.clear()

    for text in refs:
        m = _REF.fullmatch(text)
        if m is None:  # not a plain cell: keep it as it is
            flush()
            out.append(text)
            continue
        sheet = f"{m['sheet']}!" if m["sheet"] else ""
        cell = (sheet, column_number(m["col"]), int(m["row"]))
        if run and _next(run, cell):
            run.append(cell)
            continue
        flush()
        run.append(cell)
    flush()
    return out


def _next(run: list[tuple[str, int, int]], cell: tuple[str, int, int]) -> bool:
    """True when ``cell`` extends ``run`` down its column or along its row."""
    sheet, col, row = run[-1]
    if cell[0] != sheet:
        return False
    down = cell[1] == col and cell[2] == row + 1
    along = cell[2] == row and cell[1] == col + 1
    if len(run) == 1:
        return down or along
    vertical = run[0][1] == run[1][1]
    return down if vertical else along


def _absolute(col: int, row: int) -> str:
    from govstats.core.locations import column_letter

    return f"${column_letter(col)}${row}"


def quoted(sheet: str) -> str:
    """A sheet name as a formula names it: ``'表3 依申请公开情况'``."""
    return "'" + sheet.replace("'", "''") + "'"
