"""Rules evaluated over many units at once, as pandera checks.

A rule reads a *wide* frame (one row per workbook, one column per indicator, values
as exact scaled integers, ``<NA>`` where a cell had no valid value). Its kind
(:data:`govstats.formats.rules.KINDS`) returns a boolean per workbook (True =
passes); :func:`predicate` turns that into the function of a pandera ``Check``
(:mod:`govstats.check.schemas`). A rule is not evaluated for a workbook where one of
the cells it reads has no valid value: that cell has its own problem already.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING

from govstats.core.problems import Problem
from govstats.formats import PREV, Format, Rule
from govstats.formats.rules import failure, kind_of

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["describe_failure", "label_of_code", "predicate"]


def predicate(rule: Rule, scale: int) -> Callable[[pd.DataFrame], pd.Series]:
    """The vectorised check of ``rule``: True where it passes or cannot be evaluated.

    :param scale: the factor values are scaled by to make them integers (100 when
        the format allows two decimals), for rules that compare with a constant.
    """
    evaluate = kind_of(rule).evaluate
    codes = list(rule.codes)

    def check(df: pd.DataFrame) -> pd.Series:
        import numpy as np
        import pandas as pd

        # The kinds evaluate int64 arrays (missing values as 0): the same
        # operations on the nullable pandas columns cost four times as much.
        frame = df[codes]
        incomplete = frame.isna().to_numpy().any(axis=1)
        data = frame.to_numpy(dtype=np.int64, na_value=0)
        result = evaluate(rule, dict(zip(codes, data.T, strict=True)), scale)
        return pd.Series(np.asarray(result, dtype=bool) | incomplete, index=df.index)

    return check


def describe_failure(
    rule: Rule,
    fmt: Format,
    values: dict[str, Decimal],
    remark: str = "",
) -> Problem:
    """The problem a failure of ``rule`` is reported as, without its position.

    :param values: the unit's values of the codes the rule reads.
    :param remark: the clerk's 说明 on the subject's row, quoted in soft-rule messages.
    """
    return failure(rule, lambda code: label_of_code(fmt, code), values, remark)


def label_of_code(fmt: Format, code: str) -> str:
    """The label of a code as a clerk reads it; last year's values say so."""
    if code.startswith(PREV):
        return "上年" + fmt.indicators[code.removeprefix(PREV)].label
    return fmt.indicators[code].label
