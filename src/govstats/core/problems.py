"""The problem catalogue, :class:`Problem` and :class:`GovstatsError`.

Every problem govstats reports has a stable code from the catalogue
(``core/catalogue.yaml``), a severity, a position (file → sheet → row → cell) and a
message in Chinese and English rendered from the catalogue's templates.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, get_args

from govstats.core.locations import Location, column_letter

__all__ = [
    "LANGS",
    "SEVERITIES",
    "Category",
    "Lang",
    "Severity",
    "Problem",
    "Words",
    "ProblemType",
    "GovstatsError",
    "catalogue",
    "column_letter",
    "fill_template",
    "sort_key",
]

Lang = Literal["zh", "en"]
# A note is a warning the clerk has explained (in 说明): listed, not to be chased.
Severity = Literal["error", "warning", "note"]
Category = Literal["file", "sheet", "row", "cell", "rule", "data", "unchecked"]
LANGS: tuple[Lang, ...] = get_args(Lang)
SEVERITIES: tuple[Severity, ...] = get_args(Severity)


@dataclass(frozen=True)
class ProblemType:
    """One entry of the catalogue."""

    code: str
    category: Category
    #: the default severity of a problem; ``info`` for the reasons of category
    #: ``unchecked``, which are not problems
    severity: Severity | Literal["info"]
    title: dict[str, str]
    description: dict[str, str]
    template: dict[str, str]


@functools.cache
def catalogue() -> dict[str, ProblemType]:
    """Every problem type by code, in catalogue order."""

    data = _catalogue_file()
    out = {
        code: ProblemType(code=code, **spec)
        for code, spec in data.items()
        if not code.startswith("_")
    }
    for t in out.values():
        info = t.category == "unchecked"
        if t.category not in get_args(Category) or (t.severity == "info") != info:
            raise ValueError(f"catalogue entry {t.code}: {t.category}/{t.severity}")
    return out


FOUND_MAX = 200


def _clip(text: str) -> str:
    """Quote at most ``FOUND_MAX`` characters of a cell: a message stays a line."""
    if len(text) <= FOUND_MAX:
        return text
    return f"{text[:FOUND_MAX]}…（共{len(text)}字 / {len(text)} chars）"


class _Blank(dict[str, Any]):
    """Formats a missing placeholder as an empty string instead of failing."""

    def __missing__(self, key: str) -> str:
        return ""


@functools.cache
def _catalogue_file() -> dict[str, Any]:
    from govstats.core.declarations import read_yaml

    data: dict[str, Any] = read_yaml(Path(__file__).with_name("catalogue.yaml"))
    return data


class Words(Mapping[str, dict[str, str]]):
    """The words of one part of the interface, by language: ``WORDS["zh"]["key"]``.

    Every user-facing string lives in the catalogue (``core/catalogue.yaml``):
    problems by their code, and under ``_words`` the words of reports, commands,
    the help and the intake site by section. Read on first use, not at import.
    """

    def __init__(self, section: str) -> None:
        self.section = section

    def _data(self) -> dict[str, Any]:
        data: dict[str, Any] = _catalogue_file()["_words"][self.section]
        return data

    def __getitem__(self, lang: str) -> dict[str, str]:
        words: dict[str, str] = self._data()[lang]
        return words

    def __iter__(self) -> Iterator[str]:
        return iter(self._data())

    def __len__(self) -> int:
        return len(self._data())


def fill_template(code: str, lang: str, values: dict[str, Any]) -> str:
    """The catalogue template of ``code`` in ``lang``, placeholders filled from
    ``values`` (a placeholder without a value becomes empty)."""
    return catalogue()[code].template[lang].format_map(_Blank(values))


@dataclass(frozen=True)
class Problem:
    """A problem found in an input, located as precisely as it can be.

    ``row`` and ``column`` are 1-based Excel coordinates; ``cell`` is their A1 name.
    ``rule`` is the id of the rule that failed: a rule of the format (``SQ-CH-SUM``)
    or, for a check on a single cell or sheet, the problem code itself.
    ``context`` holds the extra values the message template needs (labels, parts).
    """

    code: str
    severity: Severity
    file: str = ""
    sheet: str = ""
    row: int | None = None
    column: int | None = None
    indicator: str = ""
    rule: str = ""
    found: str = ""
    expected: str = ""
    context: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    @classmethod
    def make(
        cls,
        code: str,
        *,
        severity: Severity | None = None,
        context: dict[str, Any] | None = None,
        **kw: Any,
    ) -> Problem:
        """Create a problem of catalogue type ``code`` (its default severity unless given)."""
        ptype = catalogue()[code]
        if ptype.severity == "info":
            raise ValueError(f"{code!r} is a reason, not a problem")
        for key in ("found", "expected"):
            if key in kw:
                kw[key] = _clip("" if kw[key] is None else str(kw[key]))
        ctx = tuple(sorted((k, str(v)) for k, v in (context or {}).items()))
        return cls(
            code=code,
            severity=severity or ptype.severity,
            rule=kw.pop("rule", "") or code,
            context=ctx,
            **kw,
        )

    @property
    def where(self) -> Location:
        """The problem's position as every finding has it (file, sheet, cell)."""
        return Location(file=self.file, sheet=self.sheet, cell=self.cell)

    @property
    def cell(self) -> str:
        """The A1 name of the cell, or ``""`` when the problem is not about one cell."""
        if self.row is None or self.column is None:
            return ""
        return f"{column_letter(self.column)}{self.row}"

    @property
    def category(self) -> Category:
        return catalogue()[self.code].category

    def located(self, **kw: Any) -> Problem:
        """A copy with more position fields set (``file=...``, ``sheet=...``)."""
        return replace(self, **kw)

    def message(self, lang: str = "zh") -> str:
        """The message for a clerk, in ``lang`` (``zh`` or ``en``)."""
        template = catalogue()[self.code].template[lang]
        values = _Blank(dict(self.context))
        values.update(
            file=self.file,
            sheet=self.sheet,
            cell=self.cell,
            indicator=self.indicator,
            found=self.found,
            expected=self.expected,
        )
        values.setdefault("label", self.indicator)
        if "label" in dict(self.context):
            values["label"] = dict(self.context)["label"]
        return template.format_map(values)

    def to_dict(self, lang: str = "zh") -> dict[str, Any]:
        """The problem as JSON-ready data (the ``--format json`` output)."""
        return {
            "severity": self.severity,
            "code": self.code,
            "rule": self.rule,
            "category": self.category,
            "file": self.file,
            "sheet": self.sheet,
            "cell": self.cell,
            "row": self.row,
            "column": column_letter(self.column) if self.column else "",
            "indicator": self.indicator,
            "expected": self.expected,
            "found": self.found,
            "message": self.message(lang),
        }


def sort_key(p: Problem, sheets: Sequence[str] = ()) -> tuple[Any, ...]:
    """Deterministic order: file, sheet, row, column, code.

    :param sheets: the sheets in the order a workbook has them (the format's):
        their problems come in that order, after the file's own and before those
        of any other sheet (by name). Without it, sheets go by name, which puts
        三、 before 二、.
    """
    place = sheets.index(p.sheet) if p.sheet in sheets else len(sheets)
    return (
        p.file,
        bool(p.sheet),
        place,
        p.sheet,
        p.row or 0,
        p.column or 0,
        p.code,
        p.indicator,
        p.rule,
    )


class GovstatsError(Exception):
    """Work cannot go on (unreadable file, unknown format): carries one :class:`Problem`,
    and any more found at once (``others``: every problem of a roster, issue 16).

    Its :attr:`exit_code` comes from the problem's category: ``data`` (the inputs
    as a whole cannot be compiled: no valid unit) exits 1 like any invalid input;
    everything else (a file that cannot be read, an unknown format, a locked
    year) exits 2: the command could not do its work.
    """

    def __init__(self, problem: Problem, others: Sequence[Problem] = ()) -> None:
        super().__init__(problem.message("en"))
        self.problem = problem
        self.problems = (problem, *others)

    @property
    def exit_code(self) -> int:
        return 1 if self.problem.category == "data" else 2
