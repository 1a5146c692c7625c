"""Reading the numeric claims of a report's prose, without judging them.

Each paragraph (a line of the document text) is cut into tokens: quantities (a
number with its counting unit: ``527件``, ``2.3万条``, ``100余件``), percentages,
punctuation, parentheses and the word 其中. From the tokens this module reads the
structures whose arithmetic a report states:

- :class:`Enumeration`: a total, 其中, and its parts (``共收到527件，其中市本级收到
  440件，县市区政府收到87件``), each part with the share printed beside it;
- :class:`Subset`: a parenthesised part of the figure before it (``440件(含市政府工作
  部门398件)``), and :class:`Approximation` (``22966条(约2.3万条)``);
- :class:`Percent` claims that are not parts of an enumeration: shares with a named
  or inferred base, rates (``办结率99.2%``) and changes (``比去年同期增加7.3%``).

How an enumeration is delimited: its parts follow 其中 in the same sentence and are
separated by one separator, the one after the first part (``，`` or ``、``; ``；``
only when each part carries its share, ``…22件，占4.2%；…``, or after ``其中：``). A
different or stronger separator, another 其中, or the end of the sentence ends it.
Its total is the last figure before 其中 in the sentence (in the previous sentence
when 其中 starts one), or a total that figure is itself a part of: ``…，县市区政府
收到87件，其中，当面申请22件…`` may break down the 87 or the whole 527, and the
checks take the one the parts add up to.

:mod:`govstats.audit.text` checks what is read here.
"""

from __future__ import annotations

import bisect
import functools
import re
import unicodedata
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from fractions import Fraction

__all__ = [
    "Approximation",
    "Enumeration",
    "Paragraph",
    "Part",
    "Percent",
    "Quantity",
    "Subset",
    "normalize",
    "read_paragraphs",
    "reread",
]

# Counting units of the figures reports state (longest first where one is a prefix).
UNITS = (
    "人次",
    "批次",
    "件",
    "条",
    "个",
    "项",
    "次",
    "场",
    "期",
    "家",
    "起",
    "户",
    "篇",
    "份",
    "人",
    "名",
    "元",
    "例",
    "宗",
    "封",
)
MAGNITUDES = {"万": 10**4, "亿": 10**8}
# Units that count the same things: 收到申请5件 … 行政复议2宗 … 行政诉讼1起.
_COUNTED_AS = {"宗": "件", "起": "件"}
# Every repetition below is bounded (issue 20): a figure has at most 15 digits and
# 6 decimals, and at most 4 spaces stand before its unit, so that no run of digits
# or spaces makes the expression backtrack over the whole line, and no figure is
# too long to convert.
_NUMBER = re.compile(
    # Not part of a longer token: bat365, 0731-28680652, www.163.com, v2.3.
    r"(?<![A-Za-z0-9.\-_/@])"
    r"(?P<num>\d{1,3}(?:,\d{3}){1,4}(?:\.\d{1,6})?|\d{1,15}(?:\.\d{1,6})?)"
    r"[ \u00a0]{0,4}(?P<mag>[万亿])?(?P<more>[余多])?[ \u00a0]{0,4}"
    r"(?:(?P<pct>%)|(?P<unit>" + "|".join(UNITS) + "))"
)
# A count printed without its unit (当面申请30，网络申请70): an integer right
# after the words that name it and right before a delimiter (not a thousands
# separator): a year, a date, a phone number or a code is never followed by one.
_BARE = re.compile(r"(?<=[\u4e00-\u9fff])(?P<num>\d{1,15})(?=[,，、;；。](?!\d))")
# A count stated as the base of what follows: 已办结的412件中，… / 在…的60件当中;
# not 中 beginning a word (中心, 中国, 中止, …).
_BASE_WORDS = ("当中", "之中", "中")
_NOT_BASE = frozenset("心国央华旬层级小期介标止断转学医药部文共")
# A base stated by name: 在已公开信息当中，…
_NAMED_BASE = re.compile(
    r"在(?P<name>[\u4e00-\u9fff“”]{2,20}?)(?:当中|之中|中)(?=[,，:：])"
)
_APPROX_BEFORE = re.compile(r"(?:大约|约|近|逾|超过|将近|接近)[ \u00a0]{0,4}$")
# How far the reading looks around a figure (issue 20: reading a paragraph is
# linear in its length). The words before a figure that say it is approximate;
# the clause before a percentage that says what it is (a share, a rate, a change);
# the enumerations a part may be nested in; how many counts back a base is looked
# for. Reports state their claims within a few dozen characters and counts.
_APPROX_WINDOW = 12
CLAUSE_MAX = 200
NESTING_MAX = 4
LOOKBACK = 64
# A paragraph longer than this is read in pieces cut at a sentence end (or, in a
# sentence this long, at a delimiter): no claim of a report spans that much text.
PARAGRAPH_MAX = 20_000
# The longest stem of a rate (办结率: the 1 to 8 characters before 率).
SUFFIX_MAX = 8
_DELIMS = "，,；;：:、。！？!?"
_SENTENCE_ENDS = "。！？!?"
_OPEN, _CLOSE = "(（[【", ")）]】"
_PUNCTUATION = re.compile("[" + re.escape(_DELIMS + "(（[【)）]】") + "]")
_QUOTE_OPENERS = re.compile("[“「『《]")
_MARKER = "其中"
_QUOTES = {"“": "”", "「": "」", "『": "』", "《": "》"}
_TOTAL_WORDS = ("共", "合计", "总计", "累计", "总数", "总量", "全年", "全部")
_CHANGE_VERB = re.compile(r"(增加|增长|上升|减少|下降|降低|提高|回落|增幅|降幅)")
_CHANGE_REF = re.compile(r"(比|较|同比|环比|相比)")
_PREVIOUS_WORDS = re.compile(r"(去年|上年|上一年|前一年|同期)")
_CHANGE_ONLY = re.compile(r"(增长|增加|上升|下降|减少|降低|提高|回落)了?")
_RATE = re.compile(
    r"(?P<stem>[\u4e00-\u9fff]{1,8}?)率[ \u00a0]{0,4}"
    r"(?:达到|达|为|是|约为|约|高达|仅为)?[ \u00a0]{0,4}$"
)
_LABEL_STRIP = " \u00a0\t\r\n“”\"'‘’《》「」『』*_#>|"
_INCLUDING = ("包括", "包含", "含")
_CONNECTORS = ("以及", "和", "及", "与")
# Words after a list that say its parts are all of the total: …，共计100件.
_ALL_WORDS = ("共计", "合计", "总计")


def normalize(text: str) -> str:
    """NFKC, character by character, so that offsets stay those of the original:
    full-width digits, ``％`` and ``，`` become ASCII; a character whose NFKC form is
    longer than one character is kept as it is."""
    return _normalize(text)


@functools.lru_cache(maxsize=2)
def _normalize(text: str) -> str:
    # Cached: an audit normalizes a document's whole text three times (to count
    # its figures, to read its claims, to find placeholders).
    if text.isascii() or unicodedata.is_normalized("NFKC", text):
        return text
    table: dict[int, str] = {}
    for ch in set(text):
        n = unicodedata.normalize("NFKC", ch)
        if len(n) == 1 and n != ch:
            table[ord(ch)] = n
    return text.translate(table)


@dataclass(frozen=True)
class Quantity:
    """A figure with its counting unit, as printed.

    ``value`` is exact (``2.3万`` is 23000). An approximation (约, 余, 万) has
    ``approx`` set and, where the printed precision tells it, ``step``: 1000 for
    ``2.3万``, 10000 for ``1124万``.
    """

    start: int
    end: int
    text: str
    value: Fraction
    unit: str
    approx: bool
    step: Fraction | None
    label: str
    depth: int
    sentence: int
    role: str = "count"  # count | base | change | previous
    magnitude: int = 1  # 10**4 for a figure printed in 万
    label_start: int = 0  # where the words before it begin (for quoting)
    included: bool = False  # 包括/含 …: a part of the count before it

    @property
    def is_total(self) -> bool:
        """True when its words say it is a total (共, 合计, 全部, ...)."""
        return any(w in self.label for w in _TOTAL_WORDS)

    @property
    def counted(self) -> str:
        """The unit it counts in: 宗 and 起 count cases as 件 does; ``""`` for a
        count printed without its unit."""
        return _COUNTED_AS.get(self.unit, self.unit)

    def same_unit(self, other: Quantity) -> bool:
        """True when both count in the same unit, or one is printed without it."""
        return self.counted == other.counted or not self.unit or not other.unit


@dataclass(frozen=True)
class Percent:
    """A percentage as printed: ``value`` and ``places`` decimals.

    ``cue`` says what the words before it make of it: ``share`` (占, 比例),
    ``rate`` (``stem`` + 率), ``change`` (比…增加), ``points`` or ``other``.
    ``clause`` is the text of its clause before it.
    """

    start: int
    end: int
    text: str
    value: Decimal
    places: int
    cue: str
    clause: str
    clause_start: int
    depth: int
    sentence: int
    stem: str = ""
    respectively: bool = False


@dataclass
class Part:
    """One part of an enumeration, with the share printed beside it (if any)."""

    quantity: Quantity
    share: Percent | None = None


@dataclass
class Enumeration:
    """``<total>，其中<part>，<part>…``: parts that should add up to their total.

    ``candidates`` are the possible totals, nearest first (see the module doc).
    ``partial`` is set when the list ends with 等 (the parts need not add up).
    """

    marker: int
    candidates: list[Quantity]
    parts: list[Part]
    partial: bool = False
    end: int = 0
    exhaustive: bool = False  # the words say the parts are all of it (分别, 共计)

    @property
    def start(self) -> int:
        return self.candidates[0].start if self.candidates else self.marker


@dataclass
class Subset:
    """``<whole>(含<part>…)``: parenthesised parts of the figure before them."""

    whole: Quantity
    parts: list[Quantity]


@dataclass
class Approximation:
    """``<exact>(约<approx>)``: a rounded restatement of the figure before it."""

    exact: Quantity
    approx: Quantity


@dataclass(slots=True)
class _Token:
    kind: str  # qty | pct | delim | marker | open | close
    start: int
    end: int
    text: str
    depth: int = 0
    sentence: int = 0
    qty: Quantity | None = None
    pct: Percent | None = None
    name: str = ""  # a marker's base stated by name (在已公开信息当中)


@dataclass
class Paragraph:
    """The claims of one paragraph; ``text`` is normalized (:func:`normalize`),
    ``original`` as printed, for quoting."""

    start: int
    text: str
    quantities: list[Quantity] = field(default_factory=list)
    percents: list[Percent] = field(default_factory=list)
    enumerations: list[Enumeration] = field(default_factory=list)
    subsets: list[Subset] = field(default_factory=list)
    approximations: list[Approximation] = field(default_factory=list)
    sentences: list[tuple[int, int]] = field(default_factory=list)
    original: str = ""
    _index: _Index | None = field(default=None, repr=False, compare=False)

    @property
    def index(self) -> _Index:
        """The quantities sorted for look-ups by position (built once)."""
        if self._index is None:
            self._index = _Index(self.quantities)
        return self._index

    def snippet(self, start: int, end: int) -> str:
        """The text between two document offsets as printed (not normalized)."""
        return (self.original or self.text)[start - self.start : end - self.start]

    def sentence_span(self, index: int) -> tuple[int, int]:
        return self.sentences[index]


class _Index:
    """A paragraph's quantities by position, so that a check looks up the counts
    before a claim by bisection instead of scanning the paragraph (issue 20): every
    look-up returns LOOKBACK quantities at most, nearest last."""

    def __init__(self, quantities: list[Quantity]) -> None:
        self.quantities = quantities
        self.starts = [q.start for q in quantities]
        self.counts = [q for q in quantities if q.role == "count"]
        self.count_ends = [q.end for q in self.counts]
        self.by_sentence: dict[int, list[Quantity]] = {}
        for q in self.counts:
            self.by_sentence.setdefault(q.sentence, []).append(q)
        self.sentence_ends = {
            k: [q.end for q in qs] for k, qs in self.by_sentence.items()
        }
        self._suffixes: dict[str, list[Quantity]] | None = None

    def between(self, start: int, end: int) -> list[Quantity]:
        """Every quantity starting in ``[start, end)`` (a clause: bounded)."""
        i = bisect.bisect_left(self.starts, start)
        j = bisect.bisect_left(self.starts, end)
        return self.quantities[i:j]

    def counts_before(self, end: int, sentence: int | None = None) -> list[Quantity]:
        """The counts ending at ``end`` or before, of ``sentence`` (or of the whole
        paragraph), LOOKBACK at most, nearest last."""
        if sentence is None:
            counts, ends = self.counts, self.count_ends
        else:
            counts = self.by_sentence.get(sentence, [])
            ends = self.sentence_ends.get(sentence, [])
        i = bisect.bisect_right(ends, end)
        return counts[max(i - LOOKBACK, 0) : i]

    def by_suffix(self, suffix: str, core: Callable[[str], str]) -> list[Quantity]:
        """The counts at depth 0 whose label's ``core`` ends with ``suffix`` (of
        SUFFIX_MAX characters at most), in order."""
        if self._suffixes is None:
            self._suffixes = {}
            for q in self.counts:
                if q.depth:
                    continue
                key = core(q.label)
                for n in range(1, min(len(key), SUFFIX_MAX) + 1):
                    self._suffixes.setdefault(key[-n:], []).append(q)
        return self._suffixes.get(suffix, [])


def read_paragraphs(text: str) -> list[Paragraph]:
    """Every paragraph of a document's text that states a figure, with its claims
    read (a paragraph without one holds no claim)."""
    out = []
    # The last counts read, where a base named in words is looked for.
    recent: deque[Quantity] = deque(maxlen=LOOKBACK)
    # Normalized once, character by character: its lines are those of the text.
    for offset, line, norm in _lines(text, normalize(text)):
        for start, original in _pieces(line):
            piece = norm[start : start + len(original)]
            if original.strip() and _figure(piece):  # no figure, no claim
                para = _read_paragraph(piece, offset + start, recent)
                para.original = original
                out.append(para)
                parts = {p.quantity.start for e in para.enumerations for p in e.parts}
                recent.extend(
                    q
                    for q in para.quantities
                    if q.depth == 0
                    and q.role == "count"
                    and not q.included
                    and q.start not in parts
                )
    return out


def _figure(line: str) -> bool:
    """True when a line states a figure (with its unit or without)."""
    return bool(_NUMBER.search(line) or _BARE.search(line))


def _lines(text: str, norm: str) -> list[tuple[int, str, str]]:
    """The paragraphs of a text: its lines, except that a line ending with a colon
    or a semicolon goes on in the next lines of prose (其中：\n1. 予以公开530件；\n
    2. …), PARAGRAPH_MAX characters at most. Each is ``(offset, text, normalized)``,
    the newlines kept so that offsets stay those of the text."""
    lines = text.split("\n")
    norms = norm.split("\n")
    out: list[tuple[int, str, str]] = []
    offset = 0
    i = 0
    while i < len(lines):
        start, j = offset, i
        end = offset + len(lines[i])
        while (
            norms[j].rstrip().endswith((":", ";", "：", "；"))
            and j + 1 < len(lines)
            and _prose(norms[j + 1])
            and end - start + len(lines[j + 1]) < PARAGRAPH_MAX
        ):
            j += 1
            end += 1 + len(lines[j])
        out.append((start, text[start:end], norm[start:end]))
        offset = end + 1
        i = j + 1
    return out


def _prose(line: str) -> bool:
    """True for a line of prose that may go on a list (not blank, not a table row,
    not a heading)."""
    stripped = line.strip()
    return bool(stripped) and "\t" not in line and not stripped.startswith(("|", "#"))


def _pieces(line: str) -> list[tuple[int, str]]:
    """A line cut into pieces of PARAGRAPH_MAX characters at most, each ending at
    the last sentence end (else delimiter) it holds; a line that long is no
    paragraph of a report, and reading it whole would hold all its tokens at once."""
    if len(line) <= PARAGRAPH_MAX:
        return [(0, line)]
    out = []
    start = 0
    while len(line) - start > PARAGRAPH_MAX:
        window = line[start : start + PARAGRAPH_MAX]
        cut = max(window.rfind(ch) for ch in _SENTENCE_ENDS)
        if cut < PARAGRAPH_MAX // 2:
            cut = max(window.rfind(ch) for ch in _DELIMS)
        end = start + (cut + 1 if cut > 0 else PARAGRAPH_MAX)
        out.append((start, line[start:end]))
        start = end
    out.append((start, line[start:]))
    return out


# Tokens


def _quantity_or_percent(
    m: re.Match[str], line: str, base: int
) -> Quantity | Percent | None:
    if m.start() and line[m.start() - 1] == "第":
        return None  # an ordinal: 第3次
    if m.group("unit") == "个" and line.startswith("百分点", m.end()):
        return None
    before = line[max(m.start() - _APPROX_WINDOW, 0) : m.start()]
    number = m.group("num").replace(",", "")
    value = Fraction(Decimal(number))
    places = len(number.split(".")[1]) if "." in number else 0
    if m.group("pct"):
        if m.group("mag") or m.group("more"):
            return None
        return Percent(
            start=base + m.start(),
            end=base + m.end(),
            text=m.group(),
            value=Decimal(number),
            places=places,
            cue="other",
            clause="",
            clause_start=0,
            depth=0,
            sentence=0,
        )
    approx = bool(_APPROX_BEFORE.search(before) or m.group("more"))
    step: Fraction | None = Fraction(1) if not approx else None
    magnitude = MAGNITUDES.get(m.group("mag") or "", 1)
    if m.group("mag"):
        value *= MAGNITUDES[m.group("mag")]
        step = MAGNITUDES[m.group("mag")] / Fraction(10) ** places
        approx = True
    elif approx and not m.group("more"):
        zeros = len(number) - len(number.rstrip("0")) if "." not in number else 0
        step = Fraction(10) ** zeros if zeros else None
    if m.group("more"):
        step = None
    return Quantity(
        start=base + m.start(),
        end=base + m.end(),
        text=m.group(),
        value=value,
        unit=m.group("unit"),
        approx=approx,
        step=step,
        label="",
        depth=0,
        sentence=0,
        magnitude=magnitude,
    )


def _bare(m: re.Match[str], base: int) -> Quantity:
    """A count printed without its unit."""
    return Quantity(
        start=base + m.start(),
        end=base + m.end(),
        text=m.group(),
        value=Fraction(int(m.group("num"))),
        unit="",
        approx=False,
        step=Fraction(1),
        label="",
        depth=0,
        sentence=0,
    )


def _tokens(line: str, base: int) -> list[_Token]:
    tokens: list[_Token] = []
    # Characters that are part of a figure or of a quoted name (1 = covered).
    covered = _quoted(line)
    for m in _NUMBER.finditer(line):
        item = _quantity_or_percent(m, line, base)
        if item is None:
            continue
        covered[m.start() : m.end()] = b"\x01" * (m.end() - m.start())
        if isinstance(item, Quantity):
            tokens.append(_Token("qty", item.start, item.end, item.text, qty=item))
        else:
            tokens.append(_Token("pct", item.start, item.end, item.text, pct=item))
    # Where each count ends (for 412件中).
    counts = [t.end - base for t in tokens if t.qty is not None]
    for m in _BARE.finditer(line):
        if covered[m.start()] or (m.start() and line[m.start() - 1] == "第"):
            continue
        covered[m.start() : m.end()] = b"\x01" * (m.end() - m.start())
        q = _bare(m, base)
        tokens.append(_Token("qty", q.start, q.end, q.text, qty=q))
        counts.append(m.end())
    for m in re.finditer(_MARKER, line):
        tokens.append(_Token("marker", base + m.start(), base + m.end(), m.group()))
    for end in counts:
        # A count followed by 中 is the base of what follows: 已办结的412件中，…
        word = next((w for w in _BASE_WORDS if line.startswith(w, end)), "")
        after = end + len(word)
        if word and (after == len(line) or line[after] not in _NOT_BASE):
            tokens.append(_Token("marker", base + end, base + after, "中"))
    for m in _NAMED_BASE.finditer(line):
        if not covered[m.start()]:
            name = m.group("name").strip("“”")
            tokens.append(
                _Token("marker", base + m.end() - 1, base + m.end(), "中", name=name)
            )
    for m in _PUNCTUATION.finditer(line):
        i, ch = m.start(), m.group()
        if covered[i]:
            continue
        if ch in _DELIMS:
            tokens.append(_Token("delim", base + i, base + i + 1, ch))
        elif ch in _OPEN:
            tokens.append(_Token("open", base + i, base + i + 1, ch))
        elif ch in _CLOSE:
            tokens.append(_Token("close", base + i, base + i + 1, ch))
    tokens.sort(key=lambda t: t.start)
    depth = sentence = 0
    for t in tokens:
        if t.kind == "close":
            depth = max(depth - 1, 0)
        t.depth, t.sentence = depth, sentence
        if t.kind == "open":
            depth += 1
        elif t.kind == "delim" and t.text in _SENTENCE_ENDS and depth == 0:
            sentence += 1
    return tokens


def _quoted(line: str) -> bytearray:
    """Characters inside a closed pair of “”, 「」, 『』 or 《》 (1): punctuation there
    is part of a name (“不属于行政机关信息、申请信息不存在…”), not of the sentence.

    One pass: a quote found closed is skipped whole, and once a closing mark is
    known to be absent from the rest of the line it is not looked for again."""
    inside = bytearray(len(line))
    unclosed: set[str] = set()
    i = 0
    while True:
        m = _QUOTE_OPENERS.search(line, i)
        if m is None:
            return inside
        i = m.start()
        close = _QUOTES[m.group()]
        end = -1 if close in unclosed else line.find(close, i + 1)
        if end < 0:
            unclosed.add(close)
            i += 1
            continue
        inside[i + 1 : end] = b"\x01" * (end - i - 1)
        i = end + 1


def _clean_label(text: str) -> str:
    label = text.strip(_LABEL_STRIP + _DELIMS)
    for word in (_MARKER, "含", "包括", "包含", *_CONNECTORS):
        if label.startswith(word):
            label = label[len(word) :].strip(_LABEL_STRIP + _DELIMS)
    return label


def reread(para: Paragraph, values: Mapping[int, Fraction]) -> Paragraph:
    """``para`` read again with some counts given other values (by where they
    start): what its arithmetic says once a figure is corrected."""
    again = _read_paragraph(para.text, para.start, (), values)
    again.original = para.original
    return again


def _read_paragraph(
    line: str,
    base: int,
    earlier: Sequence[Quantity] = (),
    values: Mapping[int, Fraction] | None = None,
) -> Paragraph:
    para = Paragraph(start=base, text=line)
    if not _figure(line):
        # No figure, no claim: its punctuation is not read (a text of nothing but
        # punctuation costs no token), and it is one sentence.
        para.sentences.append((base, base + len(line)))
        return para
    tokens = _tokens(line, base)
    _sentences(para, tokens, line)
    # Labels and cues: the words between the previous token and this one.
    prev_end = base
    clause_start = base
    for t in tokens:
        prev_end = max(prev_end, t.start - CLAUSE_MAX)  # a label: CLAUSE_MAX at most
        words = line[prev_end - base : t.start - base]
        if t.kind == "qty" and t.qty is not None:
            lead = len(words) - len(words.lstrip(_LABEL_STRIP.replace("“", "")))
            t.qty = replace(
                t.qty,
                label=_clean_label(words),
                label_start=prev_end + lead,
                depth=t.depth,
                sentence=t.sentence,
                included=words.strip(_LABEL_STRIP + _DELIMS).startswith(_INCLUDING),
            )
            if values and t.start in values:
                t.qty = replace(t.qty, value=values[t.start])
        elif t.kind == "pct" and t.pct is not None:
            # A clause is read back to its last punctuation, CLAUSE_MAX at most.
            clause_start = max(clause_start, t.start - CLAUSE_MAX)
            clause = line[clause_start - base : t.start - base]
            t.pct = _classify(t.pct, clause, clause_start, t)
        if t.kind in ("delim", "open", "close"):
            clause_start = t.end
        prev_end = t.end
    _roles(tokens)
    _respectively(tokens)
    para.quantities = [t.qty for t in tokens if t.qty is not None]
    para.percents = [t.pct for t in tokens if t.pct is not None]
    para.enumerations, included = _enumerations(tokens, line, base, earlier)
    para.subsets, para.approximations = _parentheses(tokens, line, base)
    para.subsets += included
    return para


def _sentences(para: Paragraph, tokens: list[_Token], line: str) -> None:
    start = para.start
    for t in tokens:
        if t.kind == "delim" and t.text in _SENTENCE_ENDS and t.depth == 0:
            para.sentences.append((start, t.end))
            start = t.end
    if start < para.start + len(line):
        para.sentences.append((start, para.start + len(line)))
    if not para.sentences:
        para.sentences.append((para.start, para.start + len(line)))


def _classify(p: Percent, clause: str, clause_start: int, t: _Token) -> Percent:
    cue, stem = "other", ""
    verb = _CHANGE_VERB.search(clause)
    rate = _RATE.search(clause)
    if verb and (_CHANGE_REF.search(clause[: verb.start()]) or "同比" in clause):
        cue = "change"
    elif rate and "占" not in clause:
        cue, stem = "rate", rate.group("stem")
    elif "占" in clause or "比例" in clause or "比重" in clause:
        cue = "share"
    return replace(
        p,
        cue=cue,
        stem=stem,
        clause=clause,
        clause_start=clause_start,
        depth=t.depth,
        sentence=t.sentence,
        respectively=cue == "share" and "分别" in clause,
    )


def _roles(tokens: list[_Token]) -> None:
    """Mark quantities that are not counts of the text's own subject: the named
    base of a share (占申请总数527件的4.2%), a change (比上年增加20件) and last
    year's figure it is measured from (比去年同期的137405个增加7.3%)."""
    for i, t in enumerate(tokens):
        if t.kind != "pct" or t.pct is None:
            continue
        p = t.pct
        for q_tok in _clause_quantities(tokens, i, p.clause_start):
            assert q_tok.qty is not None
            if p.cue == "share":
                at = p.clause.find("占")
                if at >= 0 and q_tok.start >= p.clause_start + at:
                    q_tok.qty = replace(q_tok.qty, role="base")
            elif p.cue == "change":
                q_tok.qty = replace(q_tok.qty, role="previous")
    for t in tokens:
        if t.kind != "qty" or t.qty is None or t.qty.role != "count":
            continue
        verb = _CHANGE_VERB.search(t.qty.label)
        if verb and _CHANGE_REF.search(t.qty.label[: verb.start()]):
            t.qty = replace(t.qty, role="change")
    # 比上年增加20件，增长9.1%: a percentage whose clause is only a verb of change,
    # right after a change stated as a count, is that change in per cent (issue 19).
    for i, t in enumerate(tokens):
        if t.kind != "pct" or t.pct is None or t.pct.cue != "other":
            continue
        if not _CHANGE_ONLY.fullmatch(t.pct.clause.strip()):
            continue
        j = i - 1
        while j >= 0 and tokens[j].kind == "delim" and tokens[j].text in "，,":
            j -= 1
        before = tokens[j] if j >= 0 else None
        if (
            before is not None
            and before.qty is not None
            and before.qty.role == "change"
            and before.sentence == t.sentence
        ):
            t.pct = replace(t.pct, cue="change")


def _clause_quantities(tokens: list[_Token], index: int, start: int) -> list[_Token]:
    """The quantities of the tokens before ``index`` that start at ``start`` or
    after it (walking back no further than ``start``)."""
    out = []
    j = index - 1
    while j >= 0 and tokens[j].start >= start:
        t = tokens[j]
        if t.kind == "qty" and t.qty is not None:
            out.append(t)
        j -= 1
    out.reverse()
    return out


def _respectively(tokens: list[_Token]) -> None:
    """``…，分别占4.2%、53.5%``: the percentages after the first share the cue."""
    for i, t in enumerate(tokens):
        if t.kind != "pct" or t.pct is None or t.pct.respectively:
            continue
        if i >= 2 and tokens[i - 1].kind == "delim" and tokens[i - 1].text == "、":
            prev = tokens[i - 2].pct
            if prev is not None and prev.respectively and not t.pct.clause:
                t.pct = replace(t.pct, cue="share", respectively=True)


# Enumerations


def _enumerations(
    tokens: list[_Token], line: str, base: int, earlier: Sequence[Quantity] = ()
) -> tuple[list[Enumeration], list[Subset]]:
    """The enumerations of a paragraph, and the parts a count states it includes
    (``答复820件，包括上年结转12件``: 12 is a part of 820, never the total of
    what follows).

    :param earlier: the last counts of the paragraphs before (LOOKBACK at most),
        where a base named in words (在已公开信息当中) may have been stated.
    """
    found: list[Enumeration] = []
    subsets: list[Subset] = []
    part_of: dict[int, Enumeration] = {}
    # One pass keeps what _totals needs at each marker: the last count (depth 0)
    # before it that is not a part it includes, the last such counts of each
    # sentence, and whether a token other than a delimiter opens its sentence.
    last: Quantity | None = None
    heads: dict[int, list[Quantity]] = {}
    recent: deque[Quantity] = deque(earlier, maxlen=LOOKBACK)
    including: Subset | None = None
    sentence, opened = 0, False
    for i, t in enumerate(tokens):
        if t.sentence != sentence:
            sentence, opened, including = t.sentence, False, None
        q = t.qty
        implicit = (
            not opened
            and q is not None
            and t.depth == 0
            and q.role == "count"
            and q.start not in part_of
            and _share_follows(tokens, i)
        )
        if (t.kind == "marker" and t.depth == 0) or implicit:
            if t.name:
                candidates = _named(t.name, recent)
            else:
                candidates = _totals(t, last, opened, part_of, heads)
            opened = True
            if implicit:
                enum = _parts(tokens, i, t.start, False, line, base)
            else:
                enum = _parts(tokens, i + 1, t.start, _colon(tokens, i), line, base)
            if enum.parts and candidates:
                enum.candidates = candidates
                found.append(enum)
                for part in enum.parts:
                    part_of[part.quantity.start] = enum
            if not implicit:
                continue
        if t.kind != "delim":
            opened = True
        elif t.text != "、":
            including = None
        if q is None or t.depth > 0 or q.role != "count":
            continue
        if q.start in part_of:
            last = q
            continue
        if including is not None and q.same_unit(including.whole):
            including.parts.append(q)
            continue
        if q.included and last is not None and last.sentence == q.sentence:
            if q.same_unit(last):
                including = Subset(last, [q])
                subsets.append(including)
            continue
        last = q
        kept = heads.setdefault(t.sentence, [])
        kept.append(q)
        del kept[:-NESTING_MAX]
        recent.append(q)
    return found, subsets


def _share_follows(tokens: list[_Token], i: int) -> bool:
    """True when the count at ``i`` is followed by its share (…22件，占4.2%)."""
    t = tokens[i] if i < len(tokens) else None
    if t is None or t.qty is None or t.depth or t.qty.role != "count":
        return False
    j = i + 1
    if j < len(tokens) and tokens[j].kind == "delim" and tokens[j].text in ",，":
        j += 1
    p = tokens[j].pct if j < len(tokens) else None
    return p is not None and p.cue == "share" and not p.respectively


def _colon(tokens: list[_Token], index: int) -> bool:
    """True when the marker at ``index`` is followed by a colon (其中：)."""
    marker = tokens[index]
    return any(
        t.kind == "delim" and t.text in "：:"
        for t in tokens[index + 1 : index + 2]
        if t.start == marker.end
    )


def _named(name: str, recent: Iterable[Quantity]) -> list[Quantity]:
    """The count a base named in words stands for (在已公开信息当中: the last
    count of 主动公开政府信息), when the recent counts so named agree."""
    key = name
    for word in ("已经", "已", "全部", "所有", "上述"):
        key = key.removeprefix(word)
    key = key.removesuffix("的")
    found = [q for q in recent if _subsequence(key, q.label)]
    if len(key) < 2 or not found or len({q.value for q in found}) != 1:
        return []
    return [found[-1]]


def _subsequence(key: str, label: str) -> bool:
    """True when the characters of ``key`` appear in ``label`` in order."""
    it = iter(label)
    return all(ch in it for ch in key)


def _totals(
    marker: _Token,
    last: Quantity | None,
    opened: bool,
    part_of: dict[int, Enumeration],
    heads: dict[int, list[Quantity]],
) -> list[Quantity]:
    """The possible totals of the enumeration at ``marker``: ``last``, the last
    count before it, when it is in the marker's sentence (or in the sentence before
    when 其中 opens one, ``opened`` being False), then the totals it is a part of,
    then (when 其中 opens a sentence) the other counts of the sentence before,
    nearest first: NESTING_MAX in all."""
    if last is None:
        return []
    if last.sentence != marker.sentence and (
        opened or last.sentence != marker.sentence - 1
    ):
        return []
    nearest = last
    out = [nearest]
    seen = {nearest.start}
    while nearest.start in part_of and len(out) < NESTING_MAX:
        enclosing = part_of[nearest.start].candidates
        for q in enclosing:
            if q.start not in seen and len(out) < NESTING_MAX:
                out.append(q)
                seen.add(q.start)
        nearest = enclosing[0]
    if last.sentence != marker.sentence:
        for q in reversed(heads.get(last.sentence, [])):
            if q.start not in seen and len(out) < NESTING_MAX:
                out.append(q)
                seen.add(q.start)
    return out


def _parts(
    tokens: list[_Token],
    first: int,
    marker: int,
    colon: bool,
    line: str,
    base: int,
) -> Enumeration:
    """The parts listed from the token at ``first`` on. The list goes on into the
    next sentence when each part so far carries its share and so does the count
    that opens the next one (a list of shares, a sentence each)."""
    enum = Enumeration(marker=marker, candidates=[], parts=[])
    sep: str | None = None
    pending: list[str] = []
    continued = False
    last_end = tokens[first - 1].end if first else marker
    k = first
    while k < len(tokens):
        t = tokens[k]
        k += 1
        if t.depth > 0 or t.kind in ("open", "close"):
            continue
        if t.kind == "marker":
            break
        if t.kind == "delim":
            if t.text in _SENTENCE_ENDS:
                if (
                    enum.parts
                    and all(p.share is not None for p in enum.parts)
                    and _share_follows(tokens, k)
                ):
                    continued, pending = True, []
                    continue
                break
            if enum.parts:
                pending.append(t.text)
            continue
        if t.kind == "pct" and t.pct is not None:
            if t.pct.respectively and enum.parts:
                break  # 分别占 x%、y%: the shares of the parts listed, read apart
            if t.pct.cue == "share" and enum.parts and enum.parts[-1].share is None:
                if not pending or pending == ["，"] or pending == [","]:
                    enum.parts[-1].share = t.pct
                    pending = []
                    last_end = t.end
                    continue
            if enum.parts:
                break
            continue
        q = t.qty
        if q is None or q.role != "count":
            continue
        if enum.parts:
            joined = q.label.startswith(_CONNECTORS) or _connected(
                line, base, t, pending
            )
            if continued:
                ok = True
            else:
                ok, sep = _separated(pending, sep, enum.parts[0], colon, joined)
            if not ok or not q.same_unit(enum.parts[0].quantity):
                break
        enum.parts.append(Part(q))
        pending = []
        continued = False
        last_end = t.end
    enum.end = last_end
    tail = line[last_end - base : last_end - base + 3]
    enum.partial = tail.startswith("等")
    enum.exhaustive = tail.lstrip(",，").startswith(_ALL_WORDS) or any(
        "分别" in p.quantity.label for p in enum.parts
    )
    return enum


def _connected(line: str, base: int, t: _Token, pending: list[str]) -> bool:
    if pending:
        return False
    words = line[: t.start - base]
    return any(c in words[-12:] for c in _CONNECTORS)


def _separated(
    pending: list[str], sep: str | None, first: Part, colon: bool, joined: bool
) -> tuple[bool, str | None]:
    """Whether the punctuation between two parts continues the enumeration."""
    if not pending:
        return joined, sep
    if len(pending) != 1:
        return False, sep
    mark = {",": "，", ";": "；"}.get(pending[0], pending[0])
    if mark == "、":
        return True, sep or mark
    if sep is None:
        if mark == "，":
            return True, mark
        if mark == "；" and (first.share is not None or colon):
            return True, mark
        return False, sep
    return mark == sep, sep


# Parentheses


def _parentheses(
    tokens: list[_Token], line: str, base: int
) -> tuple[list[Subset], list[Approximation]]:
    subsets: list[Subset] = []
    approximations: list[Approximation] = []
    # One pass with a stack of the parentheses open, each collecting the
    # quantities directly inside it; a parenthesis is judged once closed (or at
    # the end of the paragraph), in the order they open.
    stack: list[tuple[int, _Token, Quantity | None, list[Quantity]]] = []
    closed: list[tuple[int, _Token, Quantity | None, list[Quantity]]] = []
    for i, t in enumerate(tokens):
        if t.kind == "close":
            while stack and stack[-1][1].depth >= t.depth:
                closed.append(stack.pop())
        elif t.kind == "open":
            before = tokens[i - 1] if i else None
            whole = None
            if before is not None and before.end == t.start:
                whole = before.qty
            stack.append((i, t, whole, []))
        elif t.qty is not None and stack and t.depth == stack[-1][1].depth + 1:
            stack[-1][3].append(t.qty)
    closed += stack
    closed.sort(key=lambda frame: frame[0])
    for _, t, whole, inner in closed:
        if whole is None or not inner:
            continue
        words = line[t.end - base : t.end - base + 2]
        if len(inner) == 1 and inner[0].approx and inner[0].unit == whole.unit:
            approximations.append(Approximation(whole, inner[0]))
        elif words.startswith(("含", "包括", "包含", _MARKER)):
            parts = [q for q in inner if q.unit == whole.unit and q.role == "count"]
            if parts:
                subsets.append(Subset(whole, parts))
    return subsets, approximations
