"""Checking the numeric claims of a published report's prose.

Every claim read by :mod:`govstats.audit.claims` is recomputed with exact fractions
and compared at the precision printed:

- a share is right when its exact value rounded half up (四舍五入) to the printed
  decimals gives the printed figure ("14%" for 3197/22966 = 13.92 %). A figure that
  only half-to-even rounding gives, on an exact half, is a note: GB/T 8170 allows it
  (gk2008.md lets an audit accept either there). One that only cutting the decimals
  gives is a truncation; anything else is wrong;
- the parts of an enumeration add up to its total; a rounded total (2.3万条) is the
  exact sum of its parts at its precision, and that exact sum is then the base of
  the parts' shares;
- a parenthesised part does not exceed its whole;
- a rate or a year-on-year change is recomputed when both counts are stated.

A claim whose base or counts cannot be determined is listed as unchecked, never
guessed into a false alarm; a share whose base is only inferred (no enumeration, no
named base) is confirmed when a stated total gives it, and otherwise left unchecked.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import replace
from decimal import Decimal
from fractions import Fraction

from govstats.audit.claims import (
    _CHANGE_ONLY,
    _CHANGE_VERB,
    _PREVIOUS_WORDS,
    CLAUSE_MAX,
    LOOKBACK,
    Enumeration,
    Paragraph,
    Percent,
    Quantity,
    read_paragraphs,
    reread,
)
from govstats.audit.documents import Document
from govstats.audit.findings import AuditReport, Check, Status
from govstats.audit.judging import (
    PLACEHOLDERS,
    SNIPPET_MAX,
    exact_percent,
    judge_percent,
)
from govstats.core.limits import DEFAULT_LIMITS, Limits
from govstats.core.locations import Location
from govstats.core.numbers import format_decimal, quantize

__all__ = ["PLACEHOLDERS", "audit_document", "judge_percent"]

_INCREASE = ("增加", "增长", "上升", "提高", "增幅")
_DECREASE = re.compile("(减少|下降|降低|回落)")
_TOTAL_NAMES = ("总数", "总量", "总计", "合计", "全部", "总", "")
# The four figures of an applications balance (收到 + 上年结转 = 办结 + 结转).
_CARRIED_IN = re.compile(r"(上年|上一年|去年|上年度)[^,，;；。]{0,6}结转")
_RECEIVED = re.compile(r"(收到|新收|受理)[^,，;；。]{0,12}$")
_CONCLUDED = re.compile(r"(办结|办理完结|答复|处理完毕)[^,，;；。]{0,12}$")
_RATE_SYNONYMS = {"回复": ("回复", "答复"), "答复": ("答复", "回复")}


def audit_document(
    doc: Document, explain: bool = False, limits: Limits = DEFAULT_LIMITS
) -> AuditReport:
    """Check every numeric claim and placeholder of a document; and its tables by
    the rules of its format, and the figures its prose quotes from them
    (:func:`govstats.audit.tables.audit_tables`).

    :param limits: a document stating more than ``limits.text_figures`` figures
        is refused before any claim is read.
    """
    from govstats.audit.limits import count_figures
    from govstats.audit.tables import audit_tables

    checks: list[Check] = []
    count_figures(doc, limits)
    if doc.encoding_note is not None:
        checks.append(_encoding_note(doc))
    paragraphs = read_paragraphs(doc.text)
    own = [_Paragraph(para, doc).checks() for para in paragraphs]
    for para_checks in own:
        checks += para_checks
    checks += _placeholders(doc)
    checks = audit_tables(doc, paragraphs, checks)
    checks = _follows_tables(checks, paragraphs, own, doc)
    return AuditReport(subject=doc.path, kind="text", checks=checks, explain=explain)


def _follows_tables(
    checks: list[Check],
    paragraphs: list[Paragraph],
    own: list[list[Check]],
    doc: Document,
) -> list[Check]:
    """One finding per prose count the tables contradict: the arithmetic of its
    paragraph that holds once the count is the table's (a total, a balance, a
    share computed from it) is listed as following from that finding, not
    reported again."""
    table = {
        str(c.where): Fraction(Decimal(c.recomputed))
        for c in checks
        if c.kind == "prose" and c.code == "prose-table-mismatch"
    }
    if not table:
        return checks
    follows: set[tuple[str, str]] = set()
    for para, para_checks in zip(paragraphs, own, strict=True):
        if not any(c.is_finding for c in para_checks):
            continue
        values = {
            q.start: table[where]
            for q in para.quantities
            if (where := str(doc.locate(q.start))) in table
        }
        if not values:
            continue
        again = {
            (c.kind, str(c.where)): c.status
            for c in _Paragraph(reread(para, values), doc).checks()
        }
        follows |= {
            key
            for c in para_checks
            if c.is_finding
            and again.get(key := (c.kind, str(c.where))) in ("right", "unchecked")
        }
    return [
        Check.make(
            c.kind,
            "unchecked",
            "follows-table-mismatch",
            c.where,
            snippet=c.snippet,
            claimed=c.claimed,
        )
        if c.is_finding and c.kind != "prose" and (c.kind, str(c.where)) in follows
        else c
        for c in checks
    ]


def _encoding_note(doc: Document) -> Check:
    """A note that the file's encoding was guessed (issue 20)."""
    note = doc.encoding_note or {}
    return Check.make(
        "encoding",
        "note",
        "encoding-uncertain",
        Location(file=doc.path),
        snippet=doc.text[:SNIPPET_MAX].split("\n", 1)[0],
        claimed=note.get("found", ""),
        recomputed=note.get("expected", ""),
        rule="decoding",
    )


def _show(value: Fraction) -> str:
    if value.denominator == 1:
        return str(value.numerator)
    return format_decimal(Decimal(value.numerator) / Decimal(value.denominator))


def _approx_figure(value: Fraction, q: Quantity, rounding: str = "half-up") -> str:
    """``value`` printed like the approximation ``q`` (22966 like 2.3万 → 2.3万)."""
    assert q.step is not None
    places = 0
    step = q.step / q.magnitude
    while step.denominator != 1:
        step *= 10
        places += 1
    shown = quantize(value / q.magnitude, places, rounding)
    word = {10**4: "万", 10**8: "亿"}.get(q.magnitude, "")
    return f"{format_decimal(shown)}{word}"


def _approx_ok(q: Quantity, exact: Fraction) -> bool:
    """True when ``q`` is ``exact`` at its printed precision (half up, or half to
    even on an exact half)."""
    assert q.step is not None
    printed = _approx_figure(q.value, q)
    return printed in (_approx_figure(exact, q), _approx_figure(exact, q, "half-even"))


class _Paragraph:
    """The checks of one paragraph; shares answered by an enumeration are not
    checked again on their own."""

    def __init__(self, para: Paragraph, doc: Document) -> None:
        self.para = para
        self.doc = doc
        self.done: set[int] = set()
        # The exact bases each enumeration part's share may be computed on.
        self.bases: dict[int, tuple[list[Fraction], bool, str]] = {}
        self.out: list[Check] = []
        self.totals: set[int] | None = None
        self.previous: dict[int, list[Quantity]] = {}

    def checks(self) -> list[Check]:
        for enum in self.para.enumerations:
            self._enumeration(enum)
        for subset in self.para.subsets:
            total = sum((q.value for q in subset.parts), Fraction(0))
            whole = subset.whole
            labels = "、".join(q.label for q in subset.parts)
            status: Status = "right" if total <= whole.value else "wrong"
            self._add(
                "subset",
                status,
                "subset-exceeds" if status == "wrong" else "",
                subset.parts[0].start,
                self._quote(whole.label_start, subset.parts[-1].end + 1),
                "+".join(q.text for q in subset.parts),
                f"≤ {whole.text}",
                "part ≤ whole",
                label=labels,
                whole_label=whole.label,
                detail=f"{_show(total)} ≤ {_show(whole.value)}",
            )
            if status == "wrong":
                self._fix(claimed=_show(total), recomputed=_show(whole.value))
        self._balance()
        for appr in self.para.approximations:
            self._approximation(appr.approx, appr.exact.value, appr.exact.text)
        for group in _respectively_groups(self.para.percents):
            self._respectively(group)
        for pct in self.para.percents:
            if pct.start in self.done:
                continue
            if pct.cue == "share":
                self._share(pct)
            elif pct.cue == "rate":
                self._rate(pct)
            elif pct.cue == "change":
                self._change(pct)
            else:
                self._unchecked("percentage", pct, "not-a-claim")
        return self.out

    # Helpers

    def _quote(self, start: int, end: int, keep: str = "end") -> str:
        """The text quoted for a claim; a long one is cut, keeping the end where
        the claimed figure is (or the start, for an enumeration's total)."""
        start = max(start, self.para.start)
        text = self.para.snippet(start, end).strip()
        if len(text) > SNIPPET_MAX:
            if keep == "end":
                text = "…" + text[-(SNIPPET_MAX - 1) :]
            else:
                text = text[: SNIPPET_MAX - 1] + "…"
        return text

    def _add(
        self,
        kind: str,
        status: Status,
        code: str,
        at: int,
        snippet: str,
        claimed: str,
        recomputed: str,
        rule: str,
        **context: str,
    ) -> None:
        self.out.append(
            Check.make(
                kind,
                status,
                code,
                self.doc.locate(at),
                snippet=snippet,
                claimed=claimed,
                recomputed=recomputed,
                rule=rule,
                context=context,
            )
        )

    def _fix(self, claimed: str, recomputed: str) -> None:

        self.out[-1] = replace(self.out[-1], claimed=claimed, recomputed=recomputed)

    def _unchecked(self, kind: str, pct: Percent, reason: str) -> None:
        self.done.add(pct.start)
        self._add(
            kind,
            "unchecked",
            reason,
            pct.start,
            self._quote(pct.clause_start, pct.end),
            pct.text,
            "",
            "",
        )

    def _judge_share(
        self,
        pct: Percent,
        part: Quantity,
        bases: list[Fraction],
        certain: bool,
        rule: str,
    ) -> None:
        """Check ``pct`` as ``part`` of the first base that gives it; when none does,
        a finding against the first base if it is certain, else unchecked."""
        self.done.add(pct.start)
        snippet = self._quote(part.label_start, pct.end)
        tried = [b for b in bases if b > 0]
        for base in tried:
            exact = part.value * 100 / base
            status, code, up = judge_percent(exact, pct.value, pct.places)
            if status != "wrong":
                break
        if not tried:
            self._unchecked("share", pct, "base-unknown")
            return
        if status == "wrong" and not certain:
            self._unchecked("share", pct, "base-unknown")
            return
        if status == "wrong":
            base = tried[0]
            exact = part.value * 100 / base
            status, code, up = judge_percent(exact, pct.value, pct.places)
        self._add(
            "share",
            status,
            code,
            pct.start,
            snippet,
            pct.text,
            f"{format_decimal(up)}%",
            rule,
            label=part.label or part.text,
            detail=f"{_show(part.value)}/{_show(base)}",
            exact=exact_percent(exact, pct.places),
        )

    # Enumerations

    def _enumeration(self, enum: Enumeration) -> None:
        parts = [p.quantity for p in enum.parts]
        unit = next((q for q in parts if q.unit), parts[0])
        nearest = enum.candidates[0]
        total_sum = sum((q.value for q in parts), Fraction(0))
        detail = " + ".join(_show(q.value) for q in parts)
        snippet = self._quote(nearest.label_start, enum.end, keep="start")
        label = nearest.label or nearest.text
        candidates = [c for c in enum.candidates if c.same_unit(unit)]
        if not nearest.same_unit(unit):
            self._add(
                "enumeration", "unchecked", "units-differ", nearest.start, snippet,
                nearest.text, "", "",
            )  # fmt: skip
            return
        if any(q.approx for q in parts):
            self._add(
                "enumeration", "unchecked", "approximate-part", nearest.start,
                snippet, nearest.text, "", "",
            )  # fmt: skip
            self._part_shares(enum, [nearest.value], certain=not nearest.approx)
            return
        if len(parts) == 1:
            self._single_part(enum, nearest)
            return
        rule = "total = Σ parts"
        exact_match = next(
            (c for c in candidates if not c.approx and c.value == total_sum), None
        )
        approx_match = next(
            (
                c
                for c in candidates
                if c.approx and c.step is not None and _approx_ok(c, total_sum)
            ),
            None,
        )
        if exact_match is not None:
            self._add(
                "enumeration", "right", "", exact_match.start, snippet,
                exact_match.text, _show(total_sum), rule, detail=detail,
            )  # fmt: skip
            self._part_shares(enum, [total_sum], certain=True)
            return
        if approx_match is not None:
            self._approximation(approx_match, total_sum, detail, snippet)
            self._part_shares(enum, [total_sum], certain=True, rule="sum of parts")
            return
        distinct = {c.value for c in candidates}
        if enum.partial:
            status: Status = "right" if total_sum <= nearest.value else "wrong"
            self._add(
                "enumeration", status, "total-mismatch" if status == "wrong" else "",
                nearest.start, snippet, nearest.text, f"≥ {_show(total_sum)}",
                "total ≥ Σ listed parts (…等)", label=label, detail=detail,
            )  # fmt: skip
            self._part_shares(enum, [nearest.value], certain=not nearest.approx)
            return
        if len(distinct) == 1 and nearest.approx and nearest.step is not None:
            self._approximation(nearest, total_sum, detail, snippet)
            self._part_shares(enum, [total_sum], certain=True, rule="sum of parts")
            return
        exact = [c.value for c in candidates if not c.approx]
        if (
            exact
            and total_sum > max(exact)
            or (len(distinct) == 1 and not nearest.approx and _all_of(enum))
        ):
            # Parts larger than every possible whole are always wrong; fewer than
            # it only when the words say they are all of it.
            self._add(
                "enumeration", "wrong", "total-mismatch", nearest.start, snippet,
                nearest.text, _show(total_sum), rule, label=label, detail=detail,
            )  # fmt: skip
            self._part_shares(enum, [nearest.value, total_sum], certain=True)
            return
        if len(distinct) == 1 and not nearest.approx:
            self._add(
                "enumeration", "unchecked", "parts-not-all", nearest.start, snippet,
                nearest.text, "", "",
            )  # fmt: skip
            self._part_shares(enum, [nearest.value], certain=True)
            return
        self._add(
            "enumeration", "unchecked",
            "parts-not-all" if exact and total_sum < min(exact) else "base-ambiguous",
            nearest.start, snippet, nearest.text, "", "",
        )  # fmt: skip
        bases = [c.value for c in candidates if not c.approx] + [total_sum]
        self._part_shares(enum, bases, certain=False)

    def _single_part(self, enum: Enumeration, whole: Quantity) -> None:
        part = enum.parts[0].quantity
        snippet = self._quote(whole.label_start, enum.end, keep="start")
        bound = whole.value + (whole.step / 2 if whole.approx and whole.step else 0)
        if whole.approx and whole.step is None:
            self._add(
                "subset", "unchecked", "approximate-part", part.start, snippet,
                part.text, "", "",
            )  # fmt: skip
            return
        status: Status = "right" if part.value <= bound else "wrong"
        self._add(
            "subset",
            status,
            "subset-exceeds" if status == "wrong" else "",
            part.start,
            snippet,
            part.text,
            f"≤ {whole.text}",
            "part ≤ whole",
            label=part.label,
            whole_label=whole.label,
            detail=f"{_show(part.value)} ≤ {_show(whole.value)}",
        )
        if status == "wrong":
            self._fix(claimed=_show(part.value), recomputed=_show(whole.value))
        self._part_shares(enum, [whole.value], certain=not whole.approx)

    def _part_shares(
        self,
        enum: Enumeration,
        bases: list[Fraction],
        certain: bool,
        rule: str = "total of the enumeration",
    ) -> None:
        for part in enum.parts:
            self.bases[part.quantity.start] = (bases, certain, rule)
            if part.share is not None:
                self._judge_share(
                    part.share, part.quantity, bases, certain, f"share: {rule}"
                )

    def _approximation(
        self, q: Quantity, exact: Fraction, detail: str, snippet: str = ""
    ) -> None:
        if q.step is None:
            return
        ok = _approx_ok(q, exact)
        self._add(
            "approximation",
            "right" if ok else "wrong",
            "" if ok else "approximation-mismatch",
            q.start,
            snippet or self._quote(q.label_start, q.end),
            q.text,
            f"{_approx_figure(exact, q)}{q.unit}",
            "approximation = exact at its precision",
            label=q.label or q.text,
            detail=f"{detail} = {_show(exact)}" if "+" in detail else _show(exact),
        )

    # Balances

    def _balance(self) -> None:
        """收到75件、上年结转2件、办结71件、结转6件: received and carried over add
        up to concluded and carried forward. Checked when the paragraph states
        each of them once (one value each, in one unit, not as a part of a list);
        without a figure carried over, a balance that does not hold is listed
        unchecked, since the text may have left it out."""
        parts = {p.quantity.start for e in self.para.enumerations for p in e.parts}
        found: dict[str, list[Quantity]] = {}
        for q in self.para.quantities:
            if q.depth or q.role != "count" or q.approx or q.included:
                continue
            if q.start in parts:
                continue
            role = _balance_role(q.label)
            if role:
                found.setdefault(role, []).append(q)
        if any(len({q.value for q in found.get(r, [])}) > 1 for r in _ROLES):
            return
        got = {r: qs[0] for r, qs in found.items()}
        if any(r not in got for r in ("received", "concluded", "carried_out")):
            return
        figures = list(got.values())
        if any(not q.same_unit(figures[0]) for q in figures):
            return
        left = [got[r] for r in ("received", "carried_in") if r in got]
        right = [got["concluded"], got["carried_out"]]
        into = sum((q.value for q in left), Fraction(0))
        out = sum((q.value for q in right), Fraction(0))
        first = min(figures, key=_start)
        last = max(figures, key=_start)
        status: Status = "right" if into == out else "wrong"
        code = "" if into == out else "balance-mismatch"
        if status == "wrong" and "carried_in" not in got:
            status, code = "unchecked", "balance-incomplete"
        self._add(
            "balance",
            status,
            code,
            first.start,
            self._quote(first.label_start, last.end, keep="start"),
            _show(into),
            _show(out),
            "received + carried over = concluded + carried forward",
            left=" + ".join(f"{q.label}{_show(q.value)}" for q in left),
            right=" + ".join(f"{q.label}{_show(q.value)}" for q in right),
            detail=" + ".join(_show(q.value) for q in left)
            + " = "
            + " + ".join(_show(q.value) for q in right),
        )

    # Shares, rates, changes outside enumerations

    def _part_before(self, pct: Percent, before: int) -> Quantity | None:
        found = [
            q
            for q in self.para.index.counts_before(before, pct.sentence)
            if q.depth <= pct.depth
        ]
        return found[-1] if found else None

    def _share(self, pct: Percent) -> None:
        at = pct.clause.find("占")
        before = pct.clause_start + at if at >= 0 else pct.clause_start
        part = self._part_before(pct, before)
        if part is None:
            self._unchecked("share", pct, "base-unknown")
            return
        named = [
            q
            for q in self.para.index.between(pct.clause_start, pct.start)
            if q.role == "base"
        ]
        if named:
            self._judge_share(pct, part, [named[0].value], True, "share: named base")
            return
        name = _base_name(pct.clause)
        if name is not None and name not in _TOTAL_NAMES:
            match = [
                q
                for q in self.para.index.counts_before(part.start)
                if q.start < part.start and _names(q, name)
            ]
            if len({q.value for q in match}) == 1:
                self._judge_share(
                    pct, part, [match[0].value], True, "share: named base"
                )
            else:
                self._unchecked("share", pct, "base-unknown")
            return
        if part.start in self.bases:
            bases, certain, rule = self.bases[part.start]
            self._judge_share(pct, part, bases, certain, f"share: {rule}")
            return
        self._judge_share(pct, part, self._inferred(part), False, "share: stated total")

    def _inferred(self, part: Quantity) -> list[Fraction]:
        """Totals stated before ``part`` in its paragraph, nearest first."""
        if self.totals is None:
            self.totals = {e.candidates[0].start for e in self.para.enumerations}
        totals = self.totals
        found = [
            q.value
            for q in self.para.index.counts_before(part.start)
            if q.depth == 0
            and q.unit == part.unit
            and not q.approx
            and q.value >= part.value
            and (q.is_total or q.start in totals)
        ]
        return list(reversed(found))

    def _respectively(self, group: list[Percent]) -> None:
        first = group[0]
        index = self.para.index
        counts = index.by_sentence.get(first.sentence, [])
        i = bisect.bisect_right(
            index.sentence_ends.get(first.sentence, []), first.clause_start
        )
        parts = [
            q for q in counts[max(i - len(group) - LOOKBACK, 0) : i] if q.depth == 0
        ][-len(group) :]
        if len(parts) != len(group):
            for pct in group:
                self._unchecked("share", pct, "base-unknown")
            return
        for pct, part in zip(group, parts, strict=True):
            if part.start in self.bases:
                bases, certain, rule = self.bases[part.start]
            else:
                bases, certain, rule = self._inferred(part), False, "stated total"
            self._judge_share(pct, part, bases, certain, f"share: {rule}")

    def _rate(self, pct: Percent) -> None:
        stems = _RATE_SYNONYMS.get(pct.stem, (pct.stem,))
        index = self.para.index
        ending = sorted(
            {id(q): q for s in stems for q in index.by_suffix(s, _core)}.values(),
            key=_start,
        )
        exact = [q for q in ending if _core(q.label) in stems]
        numerators = exact or ending
        if len({q.value for q in numerators}) != 1:
            self._unchecked("rate", pct, "no-counts")
            return
        num = numerators[0]
        dens = [
            q
            for q in index.counts_before(num.start, num.sentence)
            if q.depth == 0
            and q.unit == num.unit
            and not q.approx
            and q.value >= num.value
            and q.value > 0
        ]
        if not dens:
            self._unchecked("rate", pct, "no-counts")
            return
        totals = [q for q in dens if q.is_total] or dens
        den = totals[-1]
        value = num.value * 100 / den.value
        status, code, up = judge_percent(value, pct.value, pct.places)
        if status == "wrong" and len({q.value for q in dens}) > 1:
            self._unchecked("rate", pct, "no-counts")
            return
        self.done.add(pct.start)
        self._add(
            "rate",
            status,
            "rate-mismatch" if code == "share-mismatch" else code,
            pct.start,
            self._quote(pct.clause_start, pct.end),
            pct.text,
            f"{format_decimal(up)}%",
            f"{pct.stem}率 = {num.label} / {den.label}",
            label=f"{pct.stem}率",
            detail=f"{_show(num.value)}/{_show(den.value)}",
            exact=exact_percent(value, pct.places),
        )

    def _change(self, pct: Percent) -> None:
        if pct.end < len(self.para.text) + self.para.start and self.para.snippet(
            pct.end, pct.end + 3
        ).startswith(("个百分点", "百分点")):
            self._unchecked("change", pct, "percentage-points")
            return
        stated = self._stated_change(pct)
        if stated is not None:
            cur, prev = stated
        else:
            found = self._counts_of_change(pct)
            if found is None:
                return
            cur, prev = found
        self._judge_change(pct, cur, prev)

    def _stated_change(self, pct: Percent) -> tuple[Quantity, Quantity] | None:
        """``173件，比上年增加38件，增长28.1%`` (issue 19): this year's count and
        last year's, which is that count less the change stated before the
        percentage; None when the percentage is not worded so."""
        if not _CHANGE_ONLY.fullmatch(pct.clause.strip()):
            return None
        start = max(pct.clause_start - CLAUSE_MAX, self.para.start)
        changes = [
            q
            for q in self.para.index.between(start, pct.start)
            if q.role == "change" and q.sentence == pct.sentence and q.depth == 0
        ]
        if not changes:
            return None
        diff = changes[-1]
        current = [
            q
            for q in self.para.index.counts_before(diff.start, pct.sentence)
            if q.depth == 0 and q.unit == diff.unit and q.end <= diff.start
        ]
        if not current:
            return None
        cur = current[-1]
        down = _DECREASE.search(diff.label) is not None
        before = cur.value + diff.value if down else cur.value - diff.value
        if before <= 0:
            return None  # from 0 last year no percentage is meaningful
        return cur, replace(diff, value=before, role="previous")

    def _counts_of_change(self, pct: Percent) -> tuple[Quantity, Quantity] | None:
        """This year's and last year's counts of a change whose words state last
        year's (``比去年同期的137405个增加7.3%``); None (told unchecked) without."""
        index = self.para.index
        if pct.sentence not in self.previous:
            # Once per sentence: its counts of last year, kept as one of each value
            # (only whether there is one value, and which, is asked).
            kept: dict[Fraction, Quantity] = {}
            for q in index.by_sentence.get(pct.sentence, []):
                if q.depth == 0 and q.value > 0 and _PREVIOUS_WORDS.search(q.label):
                    kept.setdefault(q.value, q)
                    if len(kept) > 1:
                        break
            self.previous[pct.sentence] = list(kept.values())
        previous = [
            q
            for q in index.between(pct.clause_start, pct.start)
            if q.role == "previous" and q.sentence == pct.sentence and q.depth == 0
        ] or self.previous[pct.sentence]
        if len({q.value for q in previous}) != 1:
            self._unchecked("change", pct, "no-previous")
            return None
        prev = previous[0]
        current = [
            q
            for q in index.counts_before(pct.start, pct.sentence)
            if q.depth == 0
            and q.unit == prev.unit
            and q is not prev
            and not _PREVIOUS_WORDS.search(q.label)
        ]
        if not current:
            self._unchecked("change", pct, "no-previous")
            return None
        return current[-1], prev

    def _judge_change(self, pct: Percent, cur: Quantity, prev: Quantity) -> None:
        change = (cur.value - prev.value) * 100 / prev.value
        rising = any(w in pct.clause for w in _INCREASE)
        status, code, up = judge_percent(abs(change), pct.value, pct.places)
        direction_wrong = change != 0 and (change > 0) != rising
        if direction_wrong:
            status, code = "wrong", "change-mismatch"
        elif code == "share-mismatch":
            code = "change-mismatch"
        self.done.add(pct.start)
        verbs = _CHANGE_VERB.findall(pct.clause)
        printed_verb = verbs[-1] if verbs else ""
        # The direction in the printed verb's own words: 增长 → 下降, 增加 → 减少.
        word = _OPPOSITE.get(printed_verb, "增加" if change > 0 else "减少")
        self._add(
            "change",
            status,
            code,
            pct.start,
            self._quote(cur.label_start, pct.end),
            printed_verb + pct.text if direction_wrong else pct.text,
            f"{word}{format_decimal(up)}%" if direction_wrong else f"{up}%",
            "change = (this year − last year) / last year",
            label=cur.label or cur.text,
            detail=f"({_show(cur.value)} − {_show(prev.value)})/{_show(prev.value)}",
            exact=exact_percent(change, pct.places),
        )


# Each verb of change with the one saying the other direction.
_OPPOSITE = {
    **dict(zip(_INCREASE, ("减少", "下降", "下降", "降低", "降幅"), strict=True)),
    "减少": "增加",
    "下降": "增长",
    "降低": "提高",
    "回落": "上升",
    "降幅": "增幅",
}

_ROLES = ("received", "carried_in", "concluded", "carried_out")


def _balance_role(label: str) -> str:
    """Which figure of an applications balance a count's words state, if any."""
    if _CARRIED_IN.search(label):
        return "carried_in"
    if "结转" in label or "转入下一年度" in label or "转入下年" in label:
        return "carried_out"
    if _RECEIVED.search(label):
        return "received"
    if _CONCLUDED.search(label):
        return "concluded"
    return ""


def _all_of(enum: Enumeration) -> bool:
    """True when the text says the parts listed are all of the total: its words
    (分别, …，共计), or their shares adding up to 100 % (each rounded: within half
    a unit of the last printed decimal per share)."""
    if enum.exhaustive:
        return True
    shares = [p.share for p in enum.parts]
    if len(shares) < 2 or any(s is None for s in shares):
        return False
    printed = [s.value for s in shares if s is not None]
    places = max(s.places for s in shares if s is not None)
    slack = Decimal(len(printed)) * Decimal(5) / Decimal(10) ** (places + 1)
    return abs(sum(printed, Decimal(0)) - 100) <= slack


def _respectively_groups(percents: Iterable[Percent]) -> list[list[Percent]]:
    groups: list[list[Percent]] = []
    for p in percents:
        if not p.respectively:
            continue
        if groups and groups[-1][-1].sentence == p.sentence and not p.clause:
            groups[-1].append(p)
        else:
            groups.append([p])
    return groups


def _base_name(clause: str) -> str | None:
    """``占全部申请的`` → ``全部申请``; None when the share names no base."""
    m = re.search(r"占(?P<name>[^占]*?)的[^的]*$", clause)
    if not m:
        return None
    return m.group("name").strip()


def _names(q: Quantity, name: str) -> bool:
    label = _core(q.label)
    return len(name) >= 2 and len(label) >= 2 and (name in label or label in name)


def _start(q: Quantity) -> int:
    return q.start


def _core(label: str) -> str:
    """A label without the words around its subject: 已答复 → 答复."""
    core = label
    for word in ("已", "共", "累计", "全部", "全年"):
        if core.startswith(word):
            core = core[len(word) :]
    return core.rstrip("的")


def _placeholders(doc: Document) -> list[Check]:
    from govstats.audit.claims import normalize

    text = normalize(doc.text)
    out = []
    for m in PLACEHOLDERS.finditer(text):
        # The 15 characters around it on its line (looked for no further: a line
        # may be as long as the text).
        line_start = text.rfind("\n", max(m.start() - 15, 0), m.start()) + 1
        line_start = max(line_start, m.start() - 15)
        line_end = text.find("\n", m.end(), m.end() + 15)
        end = line_end if line_end >= 0 else min(m.end() + 15, len(text))
        snippet = doc.text[line_start:end]
        out.append(
            Check.make(
                "placeholder",
                "wrong",
                "placeholder-left",
                doc.locate(m.start()),
                snippet=snippet,
                claimed=doc.text[m.start() : m.end()],
                recomputed="",
                rule="no template text in a published report",
            )
        )
    return out
