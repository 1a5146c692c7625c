"""pandera schemas built from a :class:`~govstats.formats.Format`.

Two frames are validated, each with one lazy pandera call however many workbooks
there are (one call on a long table costs about the same as one on a tiny frame):

* the *cell* frame, one row per value cell of every workbook: numbers ≥ 0, whole
  numbers for counts, at most the allowed decimals for amounts;
* the *unit* frame, one row per workbook and one column per indicator: the format's
  cross-field rules (totals, subsets, soft plausibility rules).

Every check is named by the problem code (cell checks) or rule id (cross-field
rules) it reports, so that pandera's failure cases translate straight back into
located problems.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from govstats.check.rules import predicate
from govstats.formats import Format

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["cell_schema", "failures", "unit_schema"]


@functools.cache
def cell_schema(fmt: Format) -> Any:
    """The schema of the cell frame: ``code``, ``value``, ``decimals``, ``places`` and
    ``signed`` (a change such as 本年增/减 may be negative)."""
    import pandera.pandas as pa

    return pa.DataFrameSchema(
        {
            "code": pa.Column(str, pa.Check.isin(list(fmt.codes)), name="code"),
            "value": pa.Column("Int64", nullable=True),
            "decimals": pa.Column("int64"),
            "places": pa.Column("int64"),
            "signed": pa.Column("bool"),
        },
        checks=[
            pa.Check(
                lambda df: df["signed"] | df["value"].isna() | (df["value"] >= 0),
                name="negative-value",
            ),
            pa.Check(
                lambda df: (df["places"] > 0) | (df["decimals"] == 0),
                name="not-integer",
            ),
            pa.Check(
                lambda df: (df["places"] == 0) | (df["decimals"] <= df["places"]),
                name="too-many-decimals",
            ),
        ],
        coerce=False,
        name=f"{fmt.id}-cells",
    )


@functools.cache
def unit_schema(fmt: Format, scale: int) -> Any:
    """The schema of the unit frame: one check per cross-field rule of ``fmt``.

    Its columns (one ``Int64`` per indicator, nullable, and the ``prev:`` ones) are
    not declared: :func:`govstats.check.validate.validate_units` builds the frame with
    exactly those, and checking them again would cost every validation time for
    nothing.
    """
    import pandera.pandas as pa

    # ignore_na=False: a rule passes where one of its cells has no value already
    # (rules.predicate); pandera's default would OR in the rows with no value at
    # all, an isna() of the whole frame per rule (most of a validation's time).
    checks = [
        pa.Check(predicate(rule, scale), name=rule.key, ignore_na=False)
        for rule in fmt.rules
    ]
    return pa.DataFrameSchema(checks=checks, name=f"{fmt.id}-units")


def failures(schema: Any, frame: pd.DataFrame) -> list[tuple[str, Any, Any]]:
    """Validate ``frame`` lazily: every failure as ``(check name, row index, value)``."""
    import pandera.errors as pe

    if frame.empty:
        return []
    try:
        schema.validate(frame, lazy=True)
    except pe.SchemaErrors as exc:
        cases = exc.failure_cases
        out = []
        for check, index, value in zip(
            cases["check"], cases["index"], cases["failure_case"], strict=True
        ):
            out.append((str(check), index, value))
        return out
    return []
