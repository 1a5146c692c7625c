"""Table rules in an audit: the format's own rules, run on figures from anywhere.

Validation checks a clerk's workbook against the rules of its format declaration
(``schemas/*.yaml``: total = Σ parts, part ≤ whole, ...). An audit checks published
figures against the same rules: the figures of ``figures.json`` here, and the table
of a published report once its figures are read by code (a gk2021 HTML table, a
later issue). Nothing about a format is written here: the rules, their ids and
their messages come from the declaration and :mod:`govstats.rules`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal

from govstats.audit.findings import Check, Location
from govstats.formats import Format

__all__ = ["check_rules"]


def check_rules(
    fmt: Format,
    values: Mapping[str, Decimal],
    where: Callable[[str], Location],
    severities: tuple[str, ...] = ("error",),
) -> list[Check]:
    """Every rule of ``fmt`` that fails on ``values``, as audit findings.

    A rule is evaluated only when every figure it reads is in ``values``, so a table
    that holds part of a format is checked on what it holds.

    :param where: the location of a figure by indicator code (a rule's finding is
        put on its subject, as validation puts it on the subject's cell).
    :param severities: which rules to run; soft rules (``warning``) ask a clerk for
        an explanation and are left out of an audit by default.
    """
    import pandas as pd

    from govstats.rules import describe_failure, predicate

    scale = 10**fmt.max_places
    out: list[Check] = []
    for rule in fmt.rules:
        if rule.severity not in severities or not all(c in values for c in rule.codes):
            continue
        frame = pd.DataFrame(
            [{c: int(values[c] * scale) for c in rule.codes}], dtype="Int64"
        )
        if bool(predicate(rule, scale)(frame).iloc[0]):
            continue
        problem = describe_failure(rule, fmt, {c: values[c] for c in rule.codes})
        out.append(
            Check.make(
                "rule",
                "wrong" if problem.severity == "error" else "note",
                problem.code,
                where(rule.subject),
                snippet=rule.subject,
                claimed=problem.found,
                recomputed=problem.expected,
                rule=rule.id,
                context=dict(problem.context),
            )
        )
    return out
