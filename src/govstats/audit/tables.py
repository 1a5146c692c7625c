"""Table rules in an audit: the format's own rules, run on figures from anywhere.

Validation checks a clerk's workbook against the rules of its format declaration
(``schemas/*.yaml``: total = Σ parts, part ≤ whole, ...). An audit checks published
figures against the same rules: the figures of ``figures.json``, and the tables of a
published report once :mod:`govstats.audit.layout` has read them by code. Nothing
about a format is written here: the rules, their ids and their messages come from
the declaration and its kind (:data:`govstats.formats.rules.KINDS`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from decimal import Decimal
from typing import TYPE_CHECKING

from govstats.audit.claims import Paragraph
from govstats.audit.documents import Document
from govstats.audit.findings import Check
from govstats.core.locations import Location
from govstats.core.numbers import format_decimal
from govstats.formats import Format, Rule
from govstats.formats.rules import kind_of

if TYPE_CHECKING:
    from govstats.audit.layout import PublishedTables

__all__ = ["audit_tables", "check_rules"]


def check_rules(
    fmt: Format,
    values: Mapping[str, Decimal],
    where: Callable[[str], Location],
    severities: tuple[str, ...] = ("error",),
    right: bool = False,
) -> list[Check]:
    """Every rule of ``fmt`` that fails on ``values``, as audit findings.

    A rule is evaluated only when every figure it reads is in ``values``, so a table
    that holds part of a format is checked on what it holds.

    :param where: the location of a figure by indicator code (a rule's finding is
        put on its subject, as validation puts it on the subject's cell).
    :param severities: which rules to run; soft rules (``warning``) ask a clerk for
        an explanation and are left out of an audit by default.
    :param right: also return each rule that holds, as a ``right`` check.
    """
    import pandas as pd

    from govstats.check.rules import describe_failure, predicate

    scale = 10**fmt.max_places
    out: list[Check] = []
    for rule in fmt.rules:
        if rule.severity not in severities or not all(c in values for c in rule.codes):
            continue
        frame = pd.DataFrame(
            [{c: int(values[c] * scale) for c in rule.codes}], dtype="Int64"
        )
        if bool(predicate(rule, scale)(frame).iloc[0]):
            if right:
                out.append(_held(rule, values, where(rule.subject)))
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


def _held(rule: Rule, values: Mapping[str, Decimal], where: Location) -> Check:
    """A rule that holds, with its arithmetic (``7 + 2 + 0 + 1 = 10``)."""
    detail = kind_of(rule).held(rule, values)
    shown = format_decimal(values[rule.subject])
    return Check.make(
        "rule",
        "right",
        "",
        where,
        snippet=rule.subject,
        claimed=shown,
        recomputed=shown,
        rule=rule.id,
        context={"detail": detail},
    )


def audit_tables(
    doc: Document, paragraphs: list[Paragraph], text_checks: list[Check]
) -> list[Check]:
    """The tables of a published report, checked by their format's rules, and the
    figures its prose quotes, checked against them.

    :param text_checks: the checks of the prose (:mod:`govstats.audit.text`); the
        result holds them, except shares the prose left unchecked that the tables
        decide.
    :returns: every check of the report. A report whose format reads no table
        (gk2008), or in which no table is recognised, keeps its prose checks only.
    """
    from govstats.audit.layout import read_tables
    from govstats.audit.prose import check_prose

    tables = read_tables(doc)
    if tables is None or not tables.layouts:
        return text_checks
    checks = list(tables.checks)
    for tid, layout in sorted(tables.layouts.items()):
        values = {
            code: value
            for code, value in tables.figures.items()
            if code in layout.indicators and layout.table_of(code).id == tid
        }

        def where(code: str) -> Location:
            return tables.where[code]

        for check in check_rules(layout, values, where, right=True):
            w = check.where
            checks.append(
                replace(check, snippet=f"表{w.table} {w.table_row} | {w.table_column}")
            )
    judged = {
        str(c.where)
        for c in text_checks
        if c.kind == "share" and c.status != "unchecked"
    }
    prose = check_prose(paragraphs, doc, tables, _sums_of_parts(tables), judged)
    decided = {str(c.where) for c in prose if c.kind == "share"}
    kept = [
        c
        for c in text_checks
        if not (
            c.kind == "share" and c.status == "unchecked" and str(c.where) in decided
        )
    ]
    return kept + checks + prose


def _sums_of_parts(tables: PublishedTables) -> dict[str, set[Decimal]]:
    """For each total the tables print wrong, the sum of its parts: the other
    reading of that figure the table itself gives."""
    out: dict[str, set[Decimal]] = {}
    for layout in tables.layouts.values():
        for rule in layout.rules:
            if rule.kind != "sum" or not all(c in tables.figures for c in rule.codes):
                continue
            parts = sum((tables.figures[c] for c in rule.parts), Decimal(0))
            if parts != tables.figures[rule.subject]:
                out.setdefault(rule.subject, set()).add(parts)
    return out
