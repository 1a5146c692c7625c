"""What an audit finds: every claim or figure it compared, and how that came out.

A :class:`Check` is one comparison: a share printed in a report against its counts, a
cell of ``tables.xlsx`` against the recomputed one. Its ``status`` is ``wrong`` (a
finding: an error), ``note`` (a finding that does not fail the audit, such as a share
rounded half to even on an exact half), ``right``, or ``unchecked`` (the claim was
seen but could not be checked, e.g. its base is not stated: never guessed into a
false alarm). Findings carry a code of the problem catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from govstats.core.locations import Location
from govstats.core.problems import Category, Severity, catalogue, fill_template
from govstats.core.results import Results

__all__ = ["STATUSES", "AuditReport", "Check", "Location", "reason_text"]

Status = Literal["wrong", "note", "right", "unchecked"]
STATUSES: tuple[Status, ...] = get_args(Status)
_SEVERITY: dict[str, Severity] = {"wrong": "error", "note": "warning"}


def reason_text(code: str, lang: str = "zh") -> str:
    """The sentence explaining why a claim was not checked (a catalogue entry of
    category ``unchecked``)."""
    return catalogue()[code].template[lang]


@dataclass(frozen=True)
class Check:
    """One claim or figure compared with its recomputed value.

    :param kind: what was compared: ``share``, ``enumeration``, ``subset``,
        ``approximation``, ``rate``, ``change``, ``placeholder`` (text audit);
        ``input``, ``value``, ``formula``, ``line``, ``rule`` (outputs audit).
    :param code: the catalogue code of a finding; for an unchecked claim, the
        reason code (a catalogue entry of category ``unchecked``); ``""`` for a right one.
    :param claimed: the value as printed (``70.2%``); ``recomputed``: as it should be.
    :param rule: how it was recomputed (``half-up, 1 decimal``, a format rule id).
    :param context: extra values the message template names (``label``, ``detail``).
    """

    kind: str
    status: Status
    code: str
    where: Location
    snippet: str = ""
    claimed: str = ""
    recomputed: str = ""
    rule: str = ""
    context: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    @classmethod
    def make(
        cls,
        kind: str,
        status: Status,
        code: str,
        where: Location,
        *,
        context: dict[str, Any] | None = None,
        **kw: Any,
    ) -> Check:
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}")
        if status in _SEVERITY and code not in catalogue():
            raise ValueError(f"finding code {code!r} is not in the catalogue")
        if status == "unchecked" and (
            code not in catalogue() or catalogue()[code].category != "unchecked"
        ):
            raise ValueError(f"unknown reason {code!r}")
        ctx = tuple(sorted((k, str(v)) for k, v in (context or {}).items()))
        return cls(kind=kind, status=status, code=code, where=where, context=ctx, **kw)

    @property
    def severity(self) -> str:
        """``error`` for a wrong claim, ``warning`` for a note, else ``""``."""
        return _SEVERITY.get(self.status, "")

    @property
    def category(self) -> Category | Literal[""]:
        """The catalogue category of a finding's or a reason's code; a right
        claim has no code and no category (``""``)."""
        return catalogue()[self.code].category if self.code else ""

    @property
    def is_finding(self) -> bool:
        return self.status in _SEVERITY

    def detail(self, key: str) -> str:
        return dict(self.context).get(key, "")

    def message(self, lang: str = "zh") -> str:
        """A finding's message from the catalogue; the reason of an unchecked claim;
        for a right one, the computation that confirmed it."""
        if self.status == "unchecked":
            return reason_text(self.code, lang)
        if self.status == "right":
            how = self.detail("detail")
            if not how:
                shown = self.recomputed
            elif "=" in how or "≤" in how:
                shown = how
            else:
                shown = f"{how} = {self.recomputed}"
            return ("核对无误：" if lang == "zh" else "right: ") + shown
        values = dict(self.context)
        values.update(
            file=self.where.file,
            sheet=self.where.sheet,
            cell=self.where.cell,
            found=self.claimed,
            expected=self.recomputed,
        )
        return fill_template(self.code, lang, values)

    def to_dict(self, lang: str = "zh") -> dict[str, Any]:
        return {
            "kind": self.kind,
            "status": self.status,
            "severity": self.severity,
            "code": self.code,
            "where": str(self.where),
            "location": self.where.to_dict(),
            "snippet": self.snippet,
            "claimed": self.claimed,
            "recomputed": self.recomputed,
            "rule": self.rule,
            "message": self.message(lang),
        }


def _position(c: Check) -> tuple[Any, ...]:
    w = c.where
    return (
        w.file,
        w.page or 0,
        w.line or 0,
        w.column or 0,
        w.sheet,
        _cell_key(w.cell),
        w.path,
        c.kind,
        c.code,
    )


def _cell_key(cell: str) -> tuple[int, str]:
    letters = cell.rstrip("0123456789")
    digits = cell[len(letters) :]
    return (int(digits) if digits else 0, letters)


@dataclass
class AuditReport(Results[Check]):
    """The result of an audit: every check, in document order.

    :param subject: what was audited (a report's path, or ``outputs/2017``).
    :param explain: when set, :meth:`to_dict` also lists the right and unchecked
        claims, so that an auditor sees what was covered.
    :param compared: how many values were compared, when the right ones are only
        counted, not listed (an outputs audit compares thousands of cells).
    """

    subject: str
    kind: Literal["text", "outputs"]
    checks: list[Check] = field(default_factory=list)
    explain: bool = False
    compared: int | None = None

    FLATTEN = ("code", "where", "claimed", "recomputed")

    def __post_init__(self) -> None:
        self.checks = sorted(self.checks, key=_position)

    @property
    def findings(self) -> list[Check]:
        """Wrong claims and notes, in document order."""
        return [c for c in self.checks if c.is_finding]

    def by_status(self, status: Status) -> list[Check]:
        return [c for c in self.checks if c.status == status]

    @property
    def stats(self) -> dict[str, int]:
        counts: dict[str, int] = {s: len(self.by_status(s)) for s in STATUSES}
        checked = counts["wrong"] + counts["note"] + counts["right"]
        if self.compared is not None:
            # A comparison may find more than one thing wrong (two numbers of
            # one line): the counts still add up, and none is ever negative.
            checked = max(self.compared, counts["wrong"] + counts["note"])
            counts["right"] = checked - counts["wrong"] - counts["note"]
        return {"checked": checked, **counts}

    def to_dict(self, lang: str = "zh") -> dict[str, Any]:
        """The report as JSON-ready data (exactly what ``--format json`` prints)."""
        data: dict[str, Any] = {
            "subject": self.subject,
            "kind": self.kind,
            "valid": self.valid,
            "stats": self.stats,
            "findings": [c.to_dict(lang) for c in self.findings],
        }
        if self.explain:
            data["right"] = [c.to_dict(lang) for c in self.by_status("right")]
            data["unchecked"] = [c.to_dict(lang) for c in self.by_status("unchecked")]
        return data
