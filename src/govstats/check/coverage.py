"""The roster against the workbooks: every unit of the roster has submitted one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

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


@dataclass(frozen=True)
class LeftOut:
    """What a partial compile leaves out of its figures (issue 16).

    ``names``: each unit not in the figures, once, by its roster name (or the
    workbook's own name, or file name, for a unit not in the roster): roster units
    first, in roster order, then workbooks not in the roster. A unit that is in the
    figures through one workbook is never named, however many others of it were
    refused. ``units`` and ``files`` say the same as data: every unit not in the
    figures with its refused workbooks, and every workbook not added up.
    """

    names: list[str] = field(default_factory=list)
    units: list[dict[str, Any]] = field(default_factory=list)
    files: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"units": self.units, "files": self.files}


def left_out(
    roster: Roster, units: list[UnitWorkbook], included: Sequence[int]
) -> LeftOut:
    """The units and workbooks a compile of ``units[i] for i in included`` leaves out."""
    chosen = set(included)
    in_figures = {units[i].unit_code for i in chosen}
    refused = [u for i, u in enumerate(units) if i not in chosen]
    files_of: dict[str, list[str]] = {}
    for u in refused:
        files_of.setdefault(u.unit_code, []).append(str(u.path))
    result = LeftOut()
    for unit in roster.units:
        if unit.code not in in_figures:
            result.names.append(unit.name)
            result.units.append(
                {
                    "code": unit.code,
                    "name": unit.name,
                    "files": files_of.get(unit.code, []),
                }
            )
    strangers: dict[str, dict[str, Any]] = {}
    for u in refused:
        known = roster.get(u.unit_code) if u.unit_code else None
        name = known.name if known else u.unit_name or u.path.name
        result.files.append(
            {
                "file": str(u.path),
                "unit_code": u.unit_code,
                "unit_name": name,
                "unit_in_figures": u.unit_code in in_figures,
            }
        )
        if known is None:
            key = u.unit_code or str(u.path)
            if key not in strangers:
                strangers[key] = {"code": u.unit_code, "name": name, "files": []}
                result.names.append(name)
                result.units.append(strangers[key])
            strangers[key]["files"].append(str(u.path))
    return result
