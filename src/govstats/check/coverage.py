"""The roster against the workbooks: every unit of the roster has submitted one."""

from __future__ import annotations

from govstats.core.problems import Problem
from govstats.core.results import FileReport
from govstats.read.roster import Roster
from govstats.read.workbook import UnitWorkbook


def roster_report(roster: Roster, units: list[UnitWorkbook]) -> FileReport:
    """The roster's own check: every unit of it has submitted a workbook."""
    submitted = {u.unit_code for u in units if u.unit_code}
    return FileReport(
        path=str(roster.path),
        problems=[
            Problem.make(
                "unit-not-submitted",
                file=str(roster.path),
                found=u.code,
                context={"label": u.name},
            )
            for u in roster.units
            if u.code not in submitted
        ],
    )
