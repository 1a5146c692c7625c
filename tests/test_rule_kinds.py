"""Every rule kind holds to one contract (issue 13): its declaration parses, it
evaluates many units at once, a failure is told by its own catalogue code in both
languages, a rule that holds shows its arithmetic, and what it can complete for a
generator makes it hold."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from govstats.core.problems import catalogue
from govstats.formats import list_formats, load_format
from govstats.formats.rules import KINDS, RuleKind, build_rule, failure, register

CODES = ["a", "b", "c", "t"]
KIND_NAMES = sorted(KINDS)


def _rule(kind: RuleKind):
    spec, _good, _bad = kind.example
    return build_rule({"id": "R-1", **spec}, CODES)


def _columns(*rows: dict[str, int]):
    return {c: np.array([r.get(c, 0) for r in rows], dtype=np.int64) for c in CODES}


def _decimals(values: dict[str, int]) -> dict[str, Decimal]:
    return {c: Decimal(values.get(c, 0)) for c in CODES}


def test_the_kinds_are_the_ones_the_formats_declare():
    assert KIND_NAMES == ["balance", "change", "eq", "ge", "le", "single_part", "sum"]
    used = {r.kind for f in list_formats() for r in load_format(f).rules}
    assert used <= set(KINDS)


@pytest.mark.parametrize("name", KIND_NAMES)
def test_a_failure_has_a_rule_code_of_the_catalogue(name):
    problem = catalogue()[KINDS[name].problem]
    assert problem.category == "rule"


@pytest.mark.parametrize("name", KIND_NAMES)
def test_the_example_passes_and_fails_in_one_evaluation(name):
    kind = KINDS[name]
    rule = _rule(kind)
    _spec, good, bad = kind.example
    result = kind.evaluate(rule, _columns(good, bad, good), scale=1)
    assert np.asarray(result, dtype=bool).tolist() == [True, False, True]


@pytest.mark.parametrize("name", KIND_NAMES)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_failure_is_told_with_every_placeholder_filled(name, lang):
    kind = KINDS[name]
    rule = _rule(kind)
    _spec, _good, bad = kind.example
    problem = failure(rule, str.upper, _decimals(bad), remark="去年有专项")
    assert (problem.code, problem.rule, problem.indicator) == (
        kind.problem,
        "R-1",
        rule.subject,
    )
    assert problem.found
    message = problem.message(lang)
    template = catalogue()[kind.problem].template[lang]
    for name_ in _placeholders(template):
        value = {**dict(problem.context), "found": problem.found}.get(name_)
        if name_ not in ("file", "sheet", "cell", "indicator", "expected"):
            assert value, f"{{{name_}}} is empty in {message!r}"
    assert rule.subject.upper() in message or problem.found in message


def _placeholders(template: str) -> list[str]:
    import string

    return [f for _, f, _, _ in string.Formatter().parse(template) if f]


@pytest.mark.parametrize("name", KIND_NAMES)
def test_a_rule_that_holds_shows_arithmetic_of_its_own_figures(name):
    kind = KINDS[name]
    rule = _rule(kind)
    _spec, good, _bad = kind.example
    held = kind.held(rule, _decimals(good))
    assert isinstance(held, str)
    if held:
        numbers = held.replace("+", " ").replace("=", " ").split()
        assert sorted(map(int, numbers)) == sorted(good[c] for c in rule.codes)


@pytest.mark.parametrize("name", KIND_NAMES)
def test_what_a_kind_completes_makes_the_rule_hold(name):
    kind = KINDS[name]
    rule = _rule(kind)
    _spec, good, bad = kind.example
    assert kind.satisfy(rule, good) == {}
    change = kind.satisfy(rule, bad)
    if change:
        fixed = {**bad, **change}
        assert np.asarray(kind.evaluate(rule, _columns(fixed), 1)).tolist() == [True]


def test_a_kind_is_registered_once_and_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="registered twice"):
        register(type(KINDS["sum"]))
    with pytest.raises(ValueError, match="unknown rule kind 'median'"):
        build_rule({"id": "R-2", "kind": "median"}, CODES)
