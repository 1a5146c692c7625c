"""The figures a report's prose quotes, against its own tables.

一、总体情况 restates figures of tables 三 and 四: 本年新收政府信息公开申请173件,
上年结转11件, 予以公开88件，占50.0%, 行政复议12件，其中结果维持7件. Which words
state which figure is declared per format (``audit.prose`` in ``schemas/*.yaml``),
never written here: a count whose words end with a declared phrase states that
figure, the longest phrase winning; a phrase declared ``within`` a figure states it
only as a part of an enumeration whose total states that figure (结果维持 of
行政复议 or of 行政诉讼).

A count is compared with the table's figure, or the subtotal the format derives
(不予公开 = Σ （三）). When the table itself is inconsistent about that figure (its
总计 is not the sum of its parts), the prose agreeing with either reading is not a
contradiction of the table: the table's own finding says what is wrong. A share
beside a count (占x%) is checked on the table when the prose alone cannot check it
(no stated total), on the total the format's report declares for it (（七）总计).
A count that names a figure the tables do not give (a table not printed, a blank
cell) is listed as not checked, never guessed.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from decimal import Decimal
from fractions import Fraction

from govstats.aggregate import label_of
from govstats.audit.claims import Paragraph, Percent, Quantity
from govstats.audit.documents import Document
from govstats.audit.findings import Check
from govstats.audit.labels import label_key
from govstats.audit.layout import PublishedTables
from govstats.core.numbers import format_decimal
from govstats.formats import Format, ProseFigure

__all__ = ["check_prose", "readings"]

_PREVIOUS = re.compile(r"去年|上年|上一年|前一年|同期")
# Words of time and totality before what a count states: 本年度共已答复 → 答复.
_WORDS_BEFORE = re.compile(
    r"^(?:\d{4}年度?|本年度|本年|全年|年内|共计|共|累计|均已|已|全部)+"
)
# More readings of a subtotal than this are not tried (its parts each have two).
_MAX_READINGS = 64


def readings(
    code: str, tables: PublishedTables, alternatives: dict[str, set[Decimal]]
) -> set[Decimal] | None:
    """Every value the tables give ``code``: the printed figure, the sum of its
    parts when its total is wrong, and for a subtotal every sum of those; None
    when a figure it needs was not read."""
    fmt = tables.fmt
    if code in tables.figures:
        return {tables.figures[code], *alternatives.get(code, ())}
    subtotal = next((s for s in fmt.subtotals if s.code == code), None)
    if subtotal is None or code in tables.blanks:
        return None
    return _sums(subtotal.parts, tables, alternatives)


def _sums(
    codes: Iterable[str],
    tables: PublishedTables,
    alternatives: dict[str, set[Decimal]],
) -> set[Decimal] | None:
    """Every sum of the readings of ``codes``; None when one was not read."""
    parts = [readings(p, tables, alternatives) for p in codes]
    if any(p is None for p in parts):
        return None
    choices = [sorted(p) for p in parts if p is not None]
    out: set[Decimal] = set()
    for combo in itertools.islice(itertools.product(*choices), _MAX_READINGS):
        out.add(sum(combo, Decimal(0)))
    return out


def _entry_readings(
    entry: ProseFigure, tables: PublishedTables, alternatives: dict[str, set[Decimal]]
) -> set[Decimal] | None:
    """Every value the tables give a figure the prose names: each of its sums
    of table figures (:func:`readings` of each); None when no sum can be made."""
    found = [_sums(codes, tables, alternatives) for codes in entry.sums]
    if all(f is None for f in found):
        return None
    return {v for f in found if f is not None for v in f}


def _entry_printed(entry: ProseFigure, tables: PublishedTables) -> Decimal | None:
    """The figure as the tables print it: its first sum whose figures are all
    printed."""
    for codes in entry.sums:
        parts = [_printed(c, tables) for c in codes]
        if all(p is not None for p in parts):
            return sum((p for p in parts if p is not None), Decimal(0))
    return None


def _printed(code: str, tables: PublishedTables) -> Decimal | None:
    """The figure as the tables print it (a subtotal: the sum of printed parts)."""
    if code in tables.figures:
        return tables.figures[code]
    subtotal = next((s for s in tables.fmt.subtotals if s.code == code), None)
    if subtotal is None or any(p not in tables.figures for p in subtotal.parts):
        return None
    return sum((tables.figures[p] for p in subtotal.parts), Decimal(0))


def _unit_of(code: str, fmt: Format) -> str:
    if code in fmt.indicators:
        return fmt.indicators[code].unit
    subtotal = next(s for s in fmt.subtotals if s.code == code)
    return _unit_of(subtotal.parts[0], fmt)


def _table_number(code: str, fmt: Format) -> str:
    if code not in fmt.indicators:
        code = next(s for s in fmt.subtotals if s.code == code).parts[0]
    return fmt.table_of(code).number


def _stated(q: Quantity, entries: Iterable[ProseFigure]) -> list[ProseFigure]:
    """The declared figures whose phrase ends the words before ``q`` (or is the
    whole of them, for a ``whole`` phrase), longest phrase first; words about last
    year before the phrase rule it out."""
    label = label_key(q.label)
    bare = _WORDS_BEFORE.sub("", label)
    found: list[tuple[int, ProseFigure]] = []
    for entry in entries:
        for phrase in entry.phrases:
            key = label_key(phrase)
            if label.endswith(key) and not _PREVIOUS.search(label[: -len(key)]):
                found.append((len(key), entry))
        for phrase in entry.whole:
            if bare == label_key(phrase):
                found.append((len(bare), entry))
    found.sort(key=lambda item: -item[0])
    longest = found[0][0] if found else 0
    return [e for n, e in found if n == longest]


def check_prose(
    paragraphs: list[Paragraph],
    doc: Document,
    tables: PublishedTables,
    alternatives: dict[str, set[Decimal]],
    judged: set[str],
) -> list[Check]:
    """Every count of the prose that states a figure of the tables, compared with
    it; and shares beside those counts that the prose alone does not check.

    :param alternatives: the sums of parts of each total the tables print wrong.
    :param judged: where (``str(Location)``) the text audit already judged a share.
    """
    fmt = tables.fmt
    out: list[Check] = []
    for para in paragraphs:
        if "\t" in para.text or para.text.lstrip().startswith("|"):
            continue  # a table row, not prose
        ties = _ties(para, fmt)
        for q in para.quantities:
            entry = ties.get(q.start)
            if entry is None:
                continue
            code = entry.code
            snippet = para.snippet(q.label_start, q.end).strip()
            values = _entry_readings(entry, tables, alternatives)
            where = doc.locate(q.start)
            if values is None:
                out.append(
                    Check.make(
                        "prose", "unchecked", "not-in-table", where,
                        snippet=snippet, claimed=q.text,
                    )
                )  # fmt: skip
                continue
            printed = _entry_printed(entry, tables)
            shown = format_decimal(printed if printed is not None else min(values))
            number = _table_number(entry.sums[0][0], fmt)
            ok = Decimal(q.value.numerator) / q.value.denominator in values
            out.append(
                Check.make(
                    "prose",
                    "right" if ok else "wrong",
                    "" if ok else "prose-table-mismatch",
                    where,
                    snippet=snippet,
                    claimed=q.text,
                    recomputed=shown,
                    rule=f"prose = table: {code}",
                    context={
                        "label": q.label,
                        "table": number,
                        "other_label": entry.label or label_of(fmt, code),
                        "detail": f"表{number} {_sum_text(entry)} = {shown}",
                    },
                )
            )
        out += _shares(para, doc, tables, ties, judged)
    return out


def _sum_text(entry: ProseFigure) -> str:
    """``t3.r.public.total + t3.r.partial.total`` (the first sum of a figure)."""
    return " + ".join(entry.sums[0])


def _ties(para: Paragraph, fmt: Format) -> dict[int, ProseFigure]:
    """The figure each count of a paragraph states, by the count's start."""
    ties: dict[int, ProseFigure] = {}
    counts = [q for q in para.quantities if q.role == "count" and not q.approx]
    plain = [e for e in fmt.audit.prose if not e.within]
    for q in counts:
        found = {e.code: e for e in _stated(q, plain)}
        if len(found) == 1:
            ties[q.start] = found.popitem()[1]
    # A part of an enumeration whose total states the figure ``within``.
    totals = {
        p.quantity.start: tie.code
        for e in para.enumerations
        if (tie := ties.get(e.candidates[0].start)) is not None
        for p in e.parts
    }
    scoped = [e for e in fmt.audit.prose if e.within]
    for q in counts:
        total = totals.get(q.start, "")
        found = {e.code: e for e in _stated(q, scoped) if e.within == total}
        if total and len(found) == 1:
            ties[q.start] = found.popitem()[1]
    # 宗 and 起 count as 件 does; a count printed without its unit is the
    # figure's.
    units = {q.start: q.counted for q in counts}
    return {
        start: entry
        for start, entry in ties.items()
        if units[start] in ("", _unit_of(entry.sums[0][0], fmt))
    }


def _shares(
    para: Paragraph,
    doc: Document,
    tables: PublishedTables,
    ties: dict[int, ProseFigure],
    judged: set[str],
) -> list[Check]:
    from govstats.audit.judging import SNIPPET_MAX, exact_percent, judge_percent

    fmt = tables.fmt
    bases = {
        part: rt.total for rt in fmt.report.tables if rt.shares for part in rt.parts
    }
    out: list[Check] = []
    for pct in para.percents:
        where = doc.locate(pct.start)
        if pct.cue != "share" or str(where) in judged:
            continue
        part = _part_of(pct, para)
        tie = ties.get(part.start) if part is not None else None
        code = tie.code if tie is not None else None
        if part is None or code is None or code not in bases:
            continue
        num, den = _printed(code, tables), _printed(bases[code], tables)
        if num is None or den is None or den == 0:
            continue
        exact = Fraction(num) * 100 / Fraction(den)
        status, problem, up = judge_percent(exact, pct.value, pct.places)
        snippet = para.snippet(part.label_start, pct.end).strip()[-SNIPPET_MAX:]
        out.append(
            Check.make(
                "share",
                status,
                problem,
                where,
                snippet=snippet,
                claimed=pct.text,
                recomputed=f"{format_decimal(up)}%",
                rule=f"share: table {bases[code]}",
                context={
                    "label": part.label or part.text,
                    "detail": f"{format_decimal(num)}/{format_decimal(den)}",
                    "exact": exact_percent(exact, pct.places),
                },
            )
        )
    return out


def _part_of(pct: Percent, para: Paragraph) -> Quantity | None:
    """The count a share stands beside: the last one before it in its sentence."""
    before = para.index.counts_before(pct.start, pct.sentence)
    return before[-1] if before else None
