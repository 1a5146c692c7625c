"""summary.xlsx: the government's totals in the units' own workbook."""

from __future__ import annotations

from govstats.aggregate import Figures
from govstats.read.roster import Roster, government_unit


def summary_workbook(
    figures: Figures, roster: Roster, government: str, partial: bool
) -> bytes:
    """summary.xlsx: the government's totals in the units' own workbook.

    :param partial: the compile left units out, which the 填报人 field says.
    """
    from govstats.core.output import workbook_bytes
    from govstats.publish.template_xlsx import build_template

    fmt = figures.fmt
    gov_unit = government_unit(roster, fmt)
    summary = build_template(
        fmt,
        figures.year,
        unit_code=gov_unit.code if gov_unit else "",
        unit_name=gov_unit.name if gov_unit else government,
        values={
            code: v if ind.places else int(v)
            for code, ind in fmt.indicators.items()
            for v in (figures.value(code),)
        },
        info={"filler": "govstats 汇总" + ("（部分汇总）" if partial else "")},
        # The sums were checked by the compile, and the audit compares every
        # formula with its saved result, which openpyxl cannot compute.
        checks=False,
    )
    return workbook_bytes(summary)
