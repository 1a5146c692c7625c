"""A workbook submitted as the blank template: every figure 0 (issue 16, point 7).

The template starts every value cell at 0, so a workbook sent back without being
filled in passes every rule (0 = 0 + 0). A real unit may have had nothing at all
to report, so this is a warning, never an error.
"""

from __future__ import annotations

from govstats.core.problems import Problem
from govstats.formats import Format
from govstats.read.workbook import UnitWorkbook

__all__ = ["unfilled_problem"]


def unfilled_problem(unit: UnitWorkbook, fmt: Format) -> Problem | None:
    """``template-unfilled`` when every figure of the format is there and is 0."""
    cells = unit.cells
    if not cells or len(cells) < len(fmt.indicators):
        return None  # figures missing: their own problems say so
    if any(cell.value is None or cell.value != 0 for cell in cells.values()):
        return None
    return Problem.make(
        "template-unfilled",
        file=str(unit.path),
        found=unit.unit_name or unit.path.name,
        expected=len(cells),
    )
