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
from typing import Any

from govstats.core.locations import Location
from govstats.core.problems import catalogue, fill_template

__all__ = ["STATUSES", "AuditReport", "Check", "Location", "reason_text"]

STATUSES = ("wrong", "note", "right", "unchecked")
_SEVERITY = {"wrong": "error", "note": "warning"}

# Why a claim was not checked; keyed by a stable reason code.
REASONS: dict[str, dict[str, str]] = {
    "base-unknown": {
        "zh": "无法确定占比的基数（总数），未核对",
        "en": "the base (total) of the share cannot be determined; not checked",
    },
    "base-ambiguous": {
        "zh": "可能的总数不止一个且分项之和与其均不符，未核对",
        "en": "more than one possible total and the parts match none; not checked",
    },
    "units-differ": {
        "zh": "分项与总数的计量单位不同，未核对",
        "en": "the parts and the total are counted in different units; not checked",
    },
    "approximate-part": {
        "zh": "分项为约数，无法精确核对合计",
        "en": "a part is approximate, so the sum cannot be checked exactly",
    },
    "no-previous": {
        "zh": "文中未给出上年数，无法核对变化幅度",
        "en": "last year's count is not stated, so the change cannot be checked",
    },
    "no-counts": {
        "zh": "文中未给出计算该比率的两个数，未核对",
        "en": "the two counts of this rate are not both stated; not checked",
    },
    "percentage-points": {
        "zh": "百分点变化需要上年的比率，未核对",
        "en": "a change in percentage points needs last year's rate; not checked",
    },
    "not-a-claim": {
        "zh": "百分数不是占比、比率或变化幅度，未核对",
        "en": "the percentage is not a share, rate or change; not checked",
    },
    "not-in-table": {
        "zh": "表格中没有可对照的数字（未印出、空白或无法识别），未核对",
        "en": "the table has no figure to compare it with (not printed, blank or "
        "not recognised); not checked",
    },
}


def reason_text(code: str, lang: str = "zh") -> str:
    """The sentence explaining why a claim was not checked."""
    return REASONS[code][lang]


@dataclass(frozen=True)
class Check:
    """One claim or figure compared with its recomputed value.

    :param kind: what was compared: ``share``, ``enumeration``, ``subset``,
        ``approximation``, ``rate``, ``change``, ``placeholder`` (text audit);
        ``input``, ``value``, ``formula``, ``line``, ``rule`` (outputs audit).
    :param code: the catalogue code of a finding; for an unchecked claim, the
        reason code (:data:`REASONS`); ``""`` for a right one.
    :param claimed: the value as printed (``70.2%``); ``recomputed``: as it should be.
    :param rule: how it was recomputed (``half-up, 1 decimal``, a format rule id).
    :param context: extra values the message template names (``label``, ``detail``).
    """

    kind: str
    status: str
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
        status: str,
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
        if status == "unchecked" and code not in REASONS:
            raise ValueError(f"unknown reason {code!r}")
        ctx = tuple(sorted((k, str(v)) for k, v in (context or {}).items()))
        return cls(kind=kind, status=status, code=code, where=where, context=ctx, **kw)

    @property
    def severity(self) -> str:
        """``error`` for a wrong claim, ``warning`` for a note, else ``""``."""
        return _SEVERITY.get(self.status, "")

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
class AuditReport:
    """The result of an audit: every check, in document order.

    :param subject: what was audited (a report's path, or ``outputs/2017``).
    :param explain: when set, :meth:`to_dict` also lists the right and unchecked
        claims, so that an auditor sees what was covered.
    :param compared: how many values were compared, when the right ones are only
        counted, not listed (an outputs audit compares thousands of cells).
    """

    subject: str
    kind: str  # "text" | "outputs"
    checks: list[Check] = field(default_factory=list)
    explain: bool = False
    compared: int | None = None

    def __post_init__(self) -> None:
        self.checks = sorted(self.checks, key=_position)

    @property
    def findings(self) -> list[Check]:
        """Wrong claims and notes, in document order."""
        return [c for c in self.checks if c.is_finding]

    @property
    def errors(self) -> list[Check]:
        return [c for c in self.checks if c.status == "wrong"]

    @property
    def valid(self) -> bool:
        """True when nothing is wrong (notes allowed)."""
        return not self.errors

    def by_status(self, status: str) -> list[Check]:
        return [c for c in self.checks if c.status == status]

    @property
    def stats(self) -> dict[str, int]:
        counts = {s: len(self.by_status(s)) for s in STATUSES}
        checked = counts["wrong"] + counts["note"] + counts["right"]
        if self.compared is not None:
            # A comparison may find more than one thing wrong (two numbers of
            # one line): the counts still add up, and none is ever negative.
            checked = max(self.compared, counts["wrong"] + counts["note"])
            counts["right"] = checked - counts["wrong"] - counts["note"]
        return {"checked": checked, **counts}

    def flatten(
        self, keys: tuple[str, ...] = ("code", "where", "claimed", "recomputed")
    ) -> list[list[Any]]:
        """Every finding as a list of the given attributes (``where`` as text)."""
        out = []
        for c in self.findings:
            out.append([str(c.where) if k == "where" else getattr(c, k) for k in keys])
        return out

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
