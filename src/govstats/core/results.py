"""Validation reports: per file, its problems; flattened or as JSON-ready data."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from govstats.core.problems import Problem, sort_key

__all__ = ["FileReport", "Report", "errors_only"]


@dataclass
class FileReport:
    """The problems of one checked file (a workbook, or the roster)."""

    path: str
    unit_code: str = ""
    unit_name: str = ""
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def notes(self) -> list[Problem]:
        """Warnings the clerk explained in 说明 (issue 16, point 15)."""
        return [p for p in self.problems if p.severity == "note"]

    @property
    def valid(self) -> bool:
        """True when the file has no error (warnings allowed)."""
        return not self.errors

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
class Report:
    """The result of validating one or more files."""

    files: list[FileReport] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return all(f.valid for f in self.files)

    @property
    def problems(self) -> list[Problem]:
        return [p for f in self.files for p in f.problems]

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

    def flatten(
        self, keys: Sequence[str] = ("code", "sheet", "cell")
    ) -> list[list[Any]]:
        """Every problem as a list of the given attributes, in report order."""
        return [[getattr(p, k) for k in keys] for p in self.problems]

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

    def to_dict(self, lang: str = "zh") -> dict[str, Any]:
        """The report as JSON-ready data (exactly what ``--format json`` prints)."""
        return {
            "valid": self.valid,
            "stats": self.stats,
            "files": [f.to_dict(lang) for f in self.files],
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
