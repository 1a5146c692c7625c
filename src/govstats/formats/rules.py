"""Cross-field rules and the registry of their kinds.

A format declares rules between its indicators (``schemas/*.yaml``, ``rules:``):
``sum`` (a total is the sum of its parts), ``balance`` (two sums are equal), ``le``
(a part does not exceed its whole), ``ge`` and ``eq`` (two figures compare), ``change``
(a figure moved by at most a share of its base; a soft rule) and ``single_part`` (a
large total should not sit in a single part; a soft rule).

Each kind is one :class:`RuleKind` object in :data:`KINDS`, which holds everything
about it: how its declaration is read (:meth:`RuleKind.parse`), how it is evaluated
on the columns of many units at once (:meth:`RuleKind.evaluate`), how a failure is
told (:meth:`RuleKind.describe` and the catalogue code :attr:`RuleKind.problem`),
the arithmetic of a rule that holds (:meth:`RuleKind.held`) and the rule as
spreadsheet formulas (:meth:`RuleKind.formula`, for the template's live checks).
Validation, the audit of tables and figures, the template and the synthetic
generator all look a rule's kind up here; a new kind is one new class registered with :func:`register`
and one message in the catalogue (tests/test_rule_kinds.py holds every kind to the
same contract).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from govstats.core.numbers import format_decimal, format_percent, percent
from govstats.core.problems import Problem
from govstats.formats.formulas import CheckFormulas, Refs, runs, total_of

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "KINDS",
    "PREV",
    "Columns",
    "Rule",
    "RuleKind",
    "Severity",
    "expand_codes",
    "kind_of",
    "register",
]

PREV = "prev:"

Severity = Literal["error", "warning"]

# A rule's columns: one int64 array per indicator code, a value per unit, scaled to
# integers (see :meth:`RuleKind.evaluate`), missing values as 0.
Columns = Mapping[str, "np.ndarray[Any, Any]"]


@dataclass(frozen=True)
class Rule:
    """A cross-field rule between indicators.

    ``kind`` names its :class:`RuleKind` in :data:`KINDS`; ``subject`` is the
    indicator whose cell carries a failure; ``codes`` are all indicators the rule
    reads (a rule is not evaluated when one of them has no valid value). A rule
    declared ``foreach`` row or column of a table stands once per row or column:
    ``key`` tells the instances apart. A code ``prev:<code>`` is last year's value
    of ``<code>`` (cross-year rules).
    """

    id: str
    kind: str
    severity: Severity
    subject: str
    codes: tuple[str, ...]
    params: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    key: str = ""

    @property
    def parts(self) -> tuple[str, ...]:
        return tuple(self.params.get("parts", ()))


@dataclass(frozen=True)
class Parsed:
    """What a kind reads from a declaration: the rule's subject, its parameters
    and every code it reads, in declaration order."""

    subject: str
    params: dict[str, Any]
    codes: tuple[str, ...]


@dataclass(frozen=True)
class Told:
    """How a failure is told: the figure found, the one expected, and the values
    the catalogue message names (``detail``, ``left``, ``part_label`` ...)."""

    found: str
    expected: str
    context: dict[str, str]


Label = Callable[[str], str]
Values = Mapping[str, Decimal]
Number = int | Decimal


class RuleKind:
    """One kind of rule. Subclasses set :attr:`name` and :attr:`problem` and
    implement the four methods; :func:`register` makes them known."""

    name: ClassVar[str]
    #: the catalogue code a failure is reported with
    problem: ClassVar[str]
    #: a declaration of this kind over the codes ``a``, ``b``, ``c`` (and
    #: ``t``), with values that pass and values that fail it: the contract every
    #: kind is tested against, and the example docs/errors.md can show
    example: ClassVar[tuple[dict[str, Any], dict[str, int], dict[str, int]]]

    def parse(self, spec: Mapping[str, Any], codes: list[str]) -> Parsed:
        """Read a declaration, its code patterns expanded against ``codes``."""
        raise NotImplementedError

    def evaluate(self, rule: Rule, v: Columns, scale: int) -> Any:
        """A boolean array, True where the rule passes.

        :param scale: the factor values are scaled by to make them integers (100
            when the format allows two decimals), for rules that compare with a
            constant.
        """
        raise NotImplementedError

    def describe(self, rule: Rule, label: Label, values: Values) -> Told:
        """How a failure of ``rule`` on ``values`` is told."""
        raise NotImplementedError

    def held(self, rule: Rule, values: Values) -> str:
        """The arithmetic of a rule that holds (``7 + 2 + 1 = 10``), or ``""``."""
        return ""

    def formula(self, rule: Rule, ref: Refs) -> CheckFormulas:
        """The rule as formulas that Excel, WPS and LibreOffice evaluate, its codes'
        cells as ``ref`` names them (``$D$4`` or ``'表3 依申请公开情况'!$D$4``)."""
        raise NotImplementedError

    def satisfy(self, rule: Rule, values: Mapping[str, Number]) -> dict[str, Number]:
        """The values to change so that ``rule`` holds, for a generator of
        consistent workbooks (:func:`govstats.synthetic.complete_totals`): empty
        where it holds already or where the kind makes no figure from others."""
        return {}


KINDS: dict[str, RuleKind] = {}


def register(cls: type[RuleKind]) -> type[RuleKind]:
    """Class decorator: make a kind known by its name."""
    if cls.name in KINDS:
        raise ValueError(f"rule kind {cls.name!r} registered twice")
    KINDS[cls.name] = cls()
    return cls


def kind_of(rule: Rule) -> RuleKind:
    return KINDS[rule.kind]


def expand_codes(patterns: list[str], codes: list[str]) -> tuple[str, ...]:
    """Expand patterns against ``codes``, keeping the declaration order.

    ``sq.ch.*`` and ``t3.r.deny.*.natural`` match by wildcard; ``prev:<pattern>``
    expands like ``<pattern>`` and names last year's values.
    """
    import fnmatch

    out: list[str] = []
    for pat in patterns:
        prefix = PREV if pat.startswith(PREV) else ""
        bare = pat.removeprefix(PREV)
        if "*" in bare:
            matched = [c for c in codes if fnmatch.fnmatchcase(c, bare)]
        else:
            matched = [bare] if bare in codes else []
        if not matched:
            raise ValueError(f"rule pattern {pat!r} matches no indicator")
        out.extend(prefix + c for c in matched)
    return tuple(out)


def _as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _one(pattern: str, codes: list[str]) -> str:
    return expand_codes([pattern], codes)[0]


def _side(v: Columns, codes: tuple[str, ...]) -> Any:
    return sum((v[c] for c in codes), start=0)


def _show(value: Decimal) -> str:
    return format_decimal(value)


def _terms(codes: tuple[str, ...], label: Label, values: Values) -> tuple[str, str]:
    """A sum of figures as its total and its terms (``当面申请 3 + 网络申请 8``)."""
    total = sum((values[c] for c in codes), Decimal(0))
    detail = " + ".join(f"{label(c)} {_show(values[c])}" for c in codes)
    return _show(total), detail


def _plus(codes: tuple[str, ...], values: Values) -> str:
    return " + ".join(_show(values[c]) for c in codes)


# The kinds


@register
class Sum(RuleKind):
    """``total`` is the sum of ``parts``."""

    name = "sum"
    problem = "total-mismatch"
    example = (
        {"kind": "sum", "total": "t", "parts": ["a", "b"]},
        {"t": 5, "a": 2, "b": 3},
        {"t": 6, "a": 2, "b": 3},
    )

    def parse(self, spec: Mapping[str, Any], codes: list[str]) -> Parsed:
        parts = expand_codes(spec["parts"], codes)
        total = _one(spec["total"], codes)
        return Parsed(total, {"total": total, "parts": parts}, (total, *parts))

    def evaluate(self, rule: Rule, v: Columns, scale: int) -> Any:
        return v[rule.params["total"]] == _side(v, rule.parts)

    def describe(self, rule: Rule, label: Label, values: Values) -> Told:
        expected, detail = _terms(rule.parts, label, values)
        return Told(_show(values[rule.subject]), expected, {"detail": detail})

    def held(self, rule: Rule, values: Values) -> str:
        return f"{_plus(rule.parts, values)} = {_show(values[rule.subject])}"

    def formula(self, rule: Rule, ref: Refs) -> CheckFormulas:
        total, parts = ref[rule.params["total"]], total_of(ref, rule.parts)
        return CheckFormulas(
            total, parts, f"{total}={parts}", f"{total}-{parts}", f"{total} = {parts}"
        )

    def satisfy(self, rule: Rule, values: Mapping[str, Number]) -> dict[str, Number]:
        total = sum((values.get(p, 0) for p in rule.parts), start=0)
        return {} if values.get(rule.subject) == total else {rule.subject: total}


@register
class Balance(RuleKind):
    """The sum of ``left`` equals the sum of ``right`` (received + carried in =
    answered + carried out); a failure is put on ``subject`` (the last code of
    ``right`` unless declared)."""

    name = "balance"
    problem = "balance-mismatch"
    example = (
        {"kind": "balance", "left": ["a", "b"], "right": ["c", "t"]},
        {"a": 4, "b": 1, "c": 3, "t": 2},
        {"a": 4, "b": 1, "c": 3, "t": 1},
    )

    def parse(self, spec: Mapping[str, Any], codes: list[str]) -> Parsed:
        left = expand_codes(spec["left"], codes)
        right = expand_codes(spec["right"], codes)
        subject = _one(spec["subject"], codes) if "subject" in spec else right[-1]
        return Parsed(subject, {"left": left, "right": right}, (*left, *right))

    def evaluate(self, rule: Rule, v: Columns, scale: int) -> Any:
        return _side(v, rule.params["left"]) == _side(v, rule.params["right"])

    def describe(self, rule: Rule, label: Label, values: Values) -> Told:
        found, left = _terms(rule.params["left"], label, values)
        expected, right = _terms(rule.params["right"], label, values)
        return Told(found, expected, {"left": left, "right": right})

    def held(self, rule: Rule, values: Values) -> str:
        p = rule.params
        return f"{_plus(p['left'], values)} = {_plus(p['right'], values)}"

    def formula(self, rule: Rule, ref: Refs) -> CheckFormulas:
        left = total_of(ref, rule.params["left"])
        right = total_of(ref, rule.params["right"])
        return CheckFormulas(
            left, right, f"{left}={right}", f"{left}-{right}", f"{left} = {right}"
        )


@register
class NotAbove(RuleKind):
    """``part`` does not exceed ``whole``; either side may be a sum of codes."""

    name = "le"
    problem = "subset-exceeds"
    example = (
        {"kind": "le", "part": "a", "whole": ["b", "c"]},
        {"a": 3, "b": 2, "c": 1},
        {"a": 4, "b": 2, "c": 1},
    )

    def parse(self, spec: Mapping[str, Any], codes: list[str]) -> Parsed:
        part = expand_codes(_as_list(spec["part"]), codes)
        whole = expand_codes(_as_list(spec["whole"]), codes)
        return Parsed(part[0], {"part": part, "whole": whole}, (*part, *whole))

    def evaluate(self, rule: Rule, v: Columns, scale: int) -> Any:
        return _side(v, rule.params["part"]) <= _side(v, rule.params["whole"])

    def describe(self, rule: Rule, label: Label, values: Values) -> Told:
        p = rule.params
        found, part_detail = _terms(p["part"], label, values)
        expected, whole_label = _terms(p["whole"], label, values)
        if len(p["whole"]) == 1:
            whole_label = label(p["whole"][0])
        return Told(
            found, expected, {"part_detail": part_detail, "whole_label": whole_label}
        )

    def formula(self, rule: Rule, ref: Refs) -> CheckFormulas:
        part = total_of(ref, rule.params["part"])
        whole = total_of(ref, rule.params["whole"])
        return CheckFormulas(
            part, whole, f"{part}<={whole}", f"{part}-{whole}", f"{part} ≤ {whole}"
        )


class _Compare(RuleKind):
    """``a`` compared with ``b``; a failure is put on ``a``."""

    def parse(self, spec: Mapping[str, Any], codes: list[str]) -> Parsed:
        a, b = expand_codes([spec["a"], spec["b"]], codes)
        return Parsed(a, {"a": a, "b": b}, (a, b))

    def describe(self, rule: Rule, label: Label, values: Values) -> Told:
        b = rule.params["b"]
        return Told(
            _show(values[rule.subject]), _show(values[b]), {"other_label": label(b)}
        )

    #: how the spreadsheet compares ``a`` with ``b``, and how the 校验 sheet says it
    operator: ClassVar[tuple[str, str]]

    def formula(self, rule: Rule, ref: Refs) -> CheckFormulas:
        a, b = ref[rule.params["a"]], ref[rule.params["b"]]
        op, shown = self.operator
        return CheckFormulas(a, b, f"{a}{op}{b}", f"{a}-{b}", f"{a} {shown} {b}")


@register
class NotBelow(_Compare):
    """``a`` is at least ``b``."""

    name = "ge"
    problem = "values-differ"
    operator = (">=", "≥")
    example = ({"kind": "ge", "a": "a", "b": "b"}, {"a": 3, "b": 3}, {"a": 2, "b": 3})

    def evaluate(self, rule: Rule, v: Columns, scale: int) -> Any:
        return v[rule.params["a"]] >= v[rule.params["b"]]


@register
class Equal(_Compare):
    """``a`` equals ``b`` (this year's carried in = last year's carried out)."""

    name = "eq"
    problem = "prior-year-mismatch"
    operator = ("=", "=")
    example = ({"kind": "eq", "a": "a", "b": "b"}, {"a": 3, "b": 3}, {"a": 4, "b": 3})

    def evaluate(self, rule: Rule, v: Columns, scale: int) -> Any:
        return v[rule.params["a"]] == v[rule.params["b"]]


@register
class Change(RuleKind):
    """``value`` differs from ``base`` by at most ``limit`` × ``base`` (a soft rule:
    a large change asks the clerk to explain it)."""

    name = "change"
    problem = "large-change"
    example = (
        {"kind": "change", "value": "a", "base": "b", "limit": 0.5},
        {"a": 15, "b": 10},
        {"a": 16, "b": 10},
    )

    def parse(self, spec: Mapping[str, Any], codes: list[str]) -> Parsed:
        value, base = expand_codes([spec["value"], spec["base"]], codes)
        limit = Decimal(str(spec["limit"]))
        return Parsed(
            value, {"value": value, "base": base, "limit": limit}, (value, base)
        )

    def evaluate(self, rule: Rule, v: Columns, scale: int) -> Any:
        value, base = v[rule.params["value"]], v[rule.params["base"]]
        limit: Decimal = rule.params["limit"]
        # |value - base| <= limit * base, in integers: limit = p/q.
        num, den = Fraction(limit).as_integer_ratio()
        return (abs(value - base) * den <= base * num) | (base == 0)

    def describe(self, rule: Rule, label: Label, values: Values) -> Told:
        p = rule.params
        base = values[p["base"]]
        change = percent(values[p["value"]] - base, base)
        return Told(
            _show(values[rule.subject]),
            format_percent(percent(p["limit"], 1, 0)),
            {
                "other_label": label(p["base"]),
                "base": _show(base),
                "change": format_percent(change),
            },
        )

    def formula(self, rule: Rule, ref: Refs) -> CheckFormulas:
        # The limit as the fraction p/q, multiplied out as evaluate() does, so
        # that no decimal fraction is rounded in the comparison.
        value, base = ref[rule.params["value"]], ref[rule.params["base"]]
        num, den = Fraction(rule.params["limit"]).as_integer_ratio()
        passes = f"OR({base}=0,ABS({value}-{base})*{den}<={base}*{num})"
        text = f"{value} 比 {base} 变化 ≤ {Fraction(rule.params['limit']) * 100}%"
        return CheckFormulas(value, base, passes, f"{value}-{base}", text)


@register
class SinglePart(RuleKind):
    """A ``total`` above ``min`` should not sit in a single one of its ``parts``
    (a soft rule: often a total typed into the first part)."""

    name = "single_part"
    problem = "single-part"
    example = (
        {"kind": "single_part", "total": "t", "parts": ["a", "b"], "min": 10},
        {"t": 20, "a": 15, "b": 5},
        {"t": 20, "a": 20, "b": 0},
    )

    def parse(self, spec: Mapping[str, Any], codes: list[str]) -> Parsed:
        parsed = KINDS["sum"].parse(spec, codes)
        return Parsed(
            parsed.subject, {**parsed.params, "min": int(spec["min"])}, parsed.codes
        )

    def evaluate(self, rule: Rule, v: Columns, scale: int) -> Any:
        nonzero = sum(((v[c] > 0).astype("int64") for c in rule.parts), start=0)
        total = v[rule.params["total"]]
        return ~((total > rule.params["min"] * scale) & (nonzero == 1))

    def describe(self, rule: Rule, label: Label, values: Values) -> Told:
        part = next(c for c in rule.parts if values[c] > 0)
        return Told(
            _show(values[rule.subject]),
            f"> {rule.params['min']}",
            {"part_label": label(part)},
        )

    def formula(self, rule: Rule, ref: Refs) -> CheckFormulas:
        total = ref[rule.params["total"]]
        nonzero = "+".join(f"IF({ref[p]}>0,1,0)" for p in rule.parts)
        least = rule.params["min"]
        passes = f"NOT(AND({total}>{least},{nonzero}=1))"
        cells = ",".join(runs([ref[p] for p in rule.parts]))
        text = f"{total} ≤ {least}，或 {cells} 中多于一项 > 0"
        return CheckFormulas(total, nonzero, passes, "", text)


# Rules from declarations, and failures as problems


def build_rule(spec: Mapping[str, Any], codes: list[str], key: str = "") -> Rule:
    """The rule a declaration states, its patterns expanded against ``codes``.

    :param key: the row or column a ``foreach`` declaration stands for.
    :raises ValueError: for an unknown kind or a pattern that matches nothing.
    """
    kind = KINDS.get(spec["kind"])
    if kind is None:
        raise ValueError(f"unknown rule kind {spec['kind']!r} in {spec.get('id')}")
    parsed = kind.parse(spec, codes)
    return Rule(
        id=spec["id"],
        kind=kind.name,
        severity=spec.get("severity", "error"),
        subject=parsed.subject,
        codes=parsed.codes,
        params=parsed.params,
        key=f"{spec['id']}@{key}" if key else spec["id"],
    )


def failure(rule: Rule, label: Label, values: Values, remark: str = "") -> Problem:
    """The problem a failure of ``rule`` is reported as, without its position.

    :param label: an indicator's label by its code, as a clerk reads it.
    :param values: the unit's values of the codes the rule reads.
    :param remark: the clerk's 说明 on the subject's row, quoted in soft-rule
        messages.
    """
    kind = kind_of(rule)
    told = kind.describe(rule, label, values)
    context = {"label": label(rule.subject), **told.context}
    if remark:
        context["remark_note"] = f"（说明：{remark}）"
    return Problem.make(
        kind.problem,
        severity=rule.severity,
        rule=rule.id,
        indicator=rule.subject,
        found=told.found,
        expected=told.expected,
        context=context,
    )
