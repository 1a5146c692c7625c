"""Results: what validation and the audit report, on one model.

A *finding* is anything a check reports with a catalogue code: a validation
:class:`~govstats.core.problems.Problem`, or an audit's wrong claim or note
(:class:`govstats.audit.findings.Check`). Each has a ``code``, a ``severity``
(``error`` or ``warning``), a ``category`` from the catalogue, a ``where``
(:class:`~govstats.core.locations.Location`) and a message in Chinese and English.
:class:`Results` is the base of every report made of findings: ``valid`` (no
error), ``errors``, ``warnings``, ``flatten`` and the exit code.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from govstats.core.locations import Location
from govstats.core.problems import Problem, Severity, sort_key

__all__ = ["FileReport", "Finding", "Report", "Results", "errors_only"]


class Finding(Protocol):
    """What validation and the audit both report."""

    @property
    def code(self) -> str: ...

    @property
    def severity(self) -> Severity | str: ...

    @property
    def where(self) -> Location: ...

    def message(self, lang: str = "zh") -> str: ...

    def to_dict(self, lang: str = "zh") -> dict[str, Any]: ...


F = TypeVar("F", bound=Finding)


class Results(Generic[F]):
    """The base of every report: its findings, in report order."""

    __slots__ = ()  # a report per file of a compile: no dictionary each

    #: the attributes :meth:`flatten` lists by default
    FLATTEN: tuple[str, ...] = ("code", "where")

    @property
    def findings(self) -> Sequence[F]:
        raise NotImplementedError

    @property
    def errors(self) -> list[F]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[F]:
        return [f for f in self.findings if f.severity == "warning"]

    @property
    def notes(self) -> list[F]:
        """Warnings the clerk explained in 说明 (issue 16, point 15)."""
        return [f for f in self.findings if f.severity == "note"]

    @property
    def valid(self) -> bool:
        """True when nothing is an error (warnings allowed)."""
        return not self.errors

    @property
    def exit_code(self) -> int:
        """0 when valid, 1 otherwise (2 and 3 are the CLI's: usage, internal)."""
        return 0 if self.valid else 1

    def flatten(self, keys: Sequence[str] | None = None) -> list[list[Any]]:
        """Every finding as a list of the given attributes (a location as text)."""
        out = []
        for f in self.findings:
            row = [getattr(f, k) for k in keys or self.FLATTEN]
            out.append([str(v) if isinstance(v, Location) else v for v in row])
        return out


@dataclass(slots=True)
class FileReport(Results[Problem]):
    """The problems of one checked file (a workbook, or the roster)."""

    path: str
    unit_code: str = ""
    unit_name: str = ""
    problems: list[Problem] = field(default_factory=list)

    FLATTEN = ("code", "sheet", "cell")

    @property
    def findings(self) -> list[Problem]:
        return self.problems

    def to_dict(self, lang: str = "zh") -> dict[str, Any]:
        return {
            "path": self.path,
            "unit_code": self.unit_code,
            "unit_name": self.unit_name,
            "valid": self.valid,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "notes": len(self.notes),
            "problems": [p.to_dict(lang) for p in self.problems],
        }


@dataclass
class Report(Results[Problem]):
    """The result of validating one or more files."""

    files: list[FileReport] = field(default_factory=list)

    FLATTEN = ("code", "sheet", "cell")

    @property
    def problems(self) -> list[Problem]:
        return [p for f in self.files for p in f.problems]

    @property
    def findings(self) -> list[Problem]:
        return self.problems

    @property
    def stats(self) -> dict[str, int]:
        problems = self.problems
        return {
            "files": len(self.files),
            "invalid_files": sum(1 for f in self.files if not f.valid),
            "errors": sum(1 for p in problems if p.severity == "error"),
            "warnings": sum(1 for p in problems if p.severity == "warning"),
            "notes": sum(1 for p in problems if p.severity == "note"),
        }

    def filter(
        self, codes: Iterable[str] = (), categories: Iterable[str] = ()
    ) -> Report:
        """A report with only the problems of the given codes and/or categories."""
        codes, categories = set(codes), set(categories)

        def keep(p: Problem) -> bool:
            return (not codes or p.code in codes) and (
                not categories or p.category in categories
            )

        return Report(
            [
                FileReport(
                    f.path, f.unit_code, f.unit_name, [p for p in f.problems if keep(p)]
                )
                for f in self.files
            ]
        )

    def to_dict(self, lang: str = "zh", lazily: bool = False) -> dict[str, Any]:
        """The report as JSON-ready data (exactly what ``--format json`` prints).

        :param lazily: the files as a generator, each made when it is encoded
            (a compile's validation.json, issue 18), not a list.
        """
        files = (f.to_dict(lang) for f in self.files)
        return {
            "valid": self.valid,
            "stats": self.stats,
            "files": files if lazily else list(files),
        }


def limit_problems(
    problems: list[Problem], limit: int | None, sheets: Sequence[str] = ()
) -> list[Problem]:
    """Sort problems (``sheets`` in workbook order, see :func:`sort_key`) and keep
    the first ``limit``, adding a ``limit-reached`` warning."""
    problems = sorted(set(problems), key=lambda p: sort_key(p, sheets))
    if limit is None or len(problems) <= limit:
        return problems
    file = problems[0].file
    return [
        *problems[:limit],
        Problem.make("limit-reached", file=file, expected=limit, found=len(problems)),
    ]


def errors_only(report: Report) -> Report:
    """The files that have errors, with their errors only (``--errors-only``)."""
    return Report(
        [
            FileReport(f.path, f.unit_code, f.unit_name, f.errors)
            for f in report.files
            if f.errors
        ]
    )
