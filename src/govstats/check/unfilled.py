"""A workbook submitted as the blank template (issue 16, point 7).

The template starts every value cell at 0 and leaves the fields a clerk signs
with (填报人, 联系电话, 填报日期) blank, so a workbook sent back as it was issued
passes every rule (0 = 0 + 0). It is told from a unit that truly had nothing to
report, and said so in the workbook it filled in, by those fields: a workbook
whose figures are all 0 and whose identification holds nothing beyond what the
template wrote (unit name, code and year) gets a warning, never an error.
"""

from __future__ import annotations

from govstats.core.problems import Problem
from govstats.formats import Format
from govstats.read.workbook import UnitWorkbook

__all__ = ["TEMPLATE_FIELDS", "unfilled_problem"]

# The identification fields ``govstats template`` fills in itself.
TEMPLATE_FIELDS = frozenset({"unit_name", "unit_code", "year"})


def unfilled_problem(unit: UnitWorkbook, fmt: Format) -> Problem | None:
    """``template-unfilled`` when every figure of the format is there and is 0,
    and no identification field the template leaves blank was filled in."""
    cells = unit.cells
    if not cells or len(cells) < len(fmt.indicators):
        return None  # figures missing: their own problems say so
    if any(cell.value is None or cell.value != 0 for cell in cells.values()):
        return None
    if any(
        unit.info.get(f.key) for f in fmt.info_fields if f.key not in TEMPLATE_FIELDS
    ):
        return None  # signed by a clerk: a unit with nothing to report
    return Problem.make(
        "template-unfilled",
        file=str(unit.path),
        found=unit.unit_name or unit.path.name,
        expected=len(cells),
    )
