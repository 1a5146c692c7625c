"""`audit --text` on hostile reports: linear work, limits, PDFs, UTF-16 (issue 20).

No test here times anything. Work is counted: the lines of govstats' own code that
run (a trace function counts them, so a scan per claim over the paragraph shows as
a count that quadruples when the text doubles) and the characters handed to each
regular expression of the audit (so a search over the whole text before each
figure shows the same way). Texts are doubled, and the work must at most double
(with a little room for what is done once).
"""

from __future__ import annotations

import codecs
import re
import sys
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from govstats.actions import audit_text
from govstats.audit import claims, documents, labels, layout, limits, prose, text
from govstats.audit.documents import html_document, read_document, text_document
from govstats.audit.text import audit_document
from govstats.cli import app
from govstats.core.limits import Limits
from govstats.core.problems import GovstatsError
from tests import hostile as h

runner = CliRunner()
SRC = str(Path(claims.__file__).parents[1])
SEED = Path(__file__).parent / "fixtures" / "seed" / "zhuzhou-2017-report.clean.txt"
# Doubling a text may at most double the work, plus this much for what is done
# once (reading the format, the first look-ups); a scan per claim over the
# paragraph quadruples it.
GROWTH = 2.25


# Counting work


class _CountedPattern:
    """A compiled expression that adds the characters it scans to a counter: up
    to the end of its match (of the last one, for ``finditer``), or to the end of
    the string when it finds none."""

    def __init__(self, pattern: re.Pattern[str], counter: list[int]) -> None:
        self._pattern, self._counter = pattern, counter

    def __getattr__(self, name: str) -> object:
        return getattr(self._pattern, name)

    def _find(self, name: str, string: str, pos: int = 0, *rest: int):
        m = getattr(self._pattern, name)(string, pos, *rest)
        self._counter[0] += (m.end() if m else len(string)) - pos + 1
        return m

    def search(self, *args):
        return self._find("search", *args)

    def match(self, *args):
        return self._find("match", *args)

    def fullmatch(self, *args):
        return self._find("fullmatch", *args)

    def finditer(self, string: str, pos: int = 0, *rest: int):
        last = pos
        for m in self._pattern.finditer(string, pos, *rest):
            self._counter[0] += m.end() - last + 1
            last = m.end()
            yield m
        self._counter[0] += len(string) - last

    def findall(self, string: str, *args, **kw):
        self._counter[0] += len(string)
        return self._pattern.findall(string, *args, **kw)

    def sub(self, repl, string: str, *args, **kw):
        self._counter[0] += len(string)
        return self._pattern.sub(repl, string, *args, **kw)

    def split(self, string: str, *args, **kw):
        self._counter[0] += len(string)
        return self._pattern.split(string, *args, **kw)


def _counted_parse(method: Callable[..., int], counter: list[int]):
    """An HTMLParser ``parse_*`` method that adds what it scans: to the end of the
    markup it reads, or to the end of the buffer when the markup does not end
    there (the parser then looks for it again: the quadratic case of issue 20)."""

    def parse(self, i: int, *args: object) -> int:
        end = method(self, i, *args)
        counter[0] += (end if end >= 0 else len(self.rawdata)) - i
        return end

    return parse


def work(fn: Callable[[], object], monkeypatch: pytest.MonkeyPatch) -> int:
    """Lines of govstats code run by ``fn`` plus characters its expressions and
    the HTML parser scan."""
    import html.parser

    scanned = [0]
    with monkeypatch.context() as m:
        for module in (claims, documents, labels, layout, limits, prose, text):
            for name, value in list(vars(module).items()):
                if isinstance(value, re.Pattern):
                    m.setattr(module, name, _CountedPattern(value, scanned))
        parser = html.parser.HTMLParser
        for name in (
            "parse_starttag",
            "parse_endtag",
            "parse_comment",
            "parse_pi",
            "parse_html_declaration",
            "parse_bogus_comment",
        ):
            m.setattr(parser, name, _counted_parse(getattr(parser, name), scanned))
        lines = [0]

        def local(frame, event, arg):  # noqa: ANN001, ANN202
            if event == "line":
                lines[0] += 1
            return local

        def trace(frame, event, arg):  # noqa: ANN001, ANN202
            return local if frame.f_code.co_filename.startswith(SRC) else None

        old = sys.gettrace()
        sys.settrace(trace)
        try:
            fn()
        except GovstatsError:
            pass
        finally:
            sys.settrace(old)
    return lines[0] + scanned[0]


def audit_txt(source: str) -> Callable[[], object]:
    return lambda: audit_document(text_document(source, "t.txt"), True)


def audit_html(source: str) -> Callable[[], object]:
    return lambda: audit_document(html_document(source, "t.html"), True)


def assert_linear(make: Callable[[int], Callable[[], object]], n: int, monkeypatch):
    small, large = work(make(n), monkeypatch), work(make(2 * n), monkeypatch)
    assert large <= GROWTH * small, (small, large, large / small)


# Point 7: linear in the text's length


@pytest.mark.parametrize(
    "unit", list(h.REPEATED_CLAIMS.values()), ids=list(h.REPEATED_CLAIMS)
)
def test_repeated_claims_on_one_line_cost_work_linear_in_their_number(
    unit, monkeypatch
):
    # Issue 20: each of these ran past 60 s at 100,000 repetitions (quadratic).
    assert_linear(lambda n: audit_txt(unit * n), 300, monkeypatch)


def test_nested_brackets_cost_work_linear_in_their_depth(monkeypatch):
    assert_linear(lambda n: audit_txt(h.nested_brackets(n).decode()), 300, monkeypatch)


@pytest.mark.parametrize(
    "unit", ["<", "</", "<!--", "&#", "<![ x", "<a ", "a<br>", "a b "]
)
def test_markup_that_never_ends_costs_work_linear_in_its_length(unit, monkeypatch):
    assert_linear(
        lambda n: audit_html(h.html_unclosed(unit, n).decode()), 2000, monkeypatch
    )


def test_a_one_line_page_costs_work_linear_in_its_length(monkeypatch):
    assert_linear(
        lambda n: audit_html(h.one_line_html(n).decode()), 20_000, monkeypatch
    )


def test_a_report_repeated_on_one_line_costs_work_linear_in_its_length(monkeypatch):
    block = SEED.read_text(encoding="utf-8").replace("\n", "")[:3000]
    assert_linear(lambda n: audit_txt(block * n), 4, monkeypatch)


# Fragments a report's sentences are made of, and the punctuation between them.
_FRAGMENTS = st.sampled_from(
    [
        "共收到申请",
        "其中",
        "占",
        "约",
        "含",
        "同比增长",
        "比去年",
        "办结率",
        "分别占",
        "去年",
        "“",
        "”",
        "（",
        "）",
        "，",
        "、",
        "；",
        "。",
        "：",
        "等",
        "XX",
        " ",
    ]
)
_FIGURES = st.builds(
    lambda n, unit: f"{n}{unit}",
    st.sampled_from(["1", "22", "527", "2.3", "0.5", "1,234", "13"]),
    st.sampled_from(["件", "条", "%", "万条", "个", "余件"]),
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(_FRAGMENTS, _FIGURES), min_size=4, max_size=30))
@example(["）", "分别占", "1%", "1件"])
@example(["共收到申请 1件 "])
@example(["共收到申请共收到申请 1件"])
def test_any_text_doubled_on_its_line_costs_at_most_twice_the_work(parts):
    # Hypothesis draws the text; it is repeated 320, 640 and 1,280 times on one line.
    # The work of the second doubling is compared with the first's: linear work
    # doubles its increment (quadratic work would quadruple it), whatever the
    # fixed cost or the ramp-up before the LOOKBACK window of 64 counts fills.
    # Comparing the totals of 70 and 140 alone failed on a linear text whose
    # ramp-up ends near 70 repetitions ("）分别占1%1件": 1,850 a repetition from
    # 140 on, less before), and so did 70, 140 and 280 on "共收到申请 1件 ", whose
    # work a repetition grows until 140 (the windows of counts a base is looked
    # for in fill up), then stays: 13,251 from 70 to 140, 35,280 from 140 to 280,
    # 70,560 from 280 to 560; 共收到申请共收到申请 1件 until 320 (40,644 from 160
    # to 320, then 102,080 and 204,160).
    unit = "".join(parts)
    audit_txt(unit * 320)()  # once unmeasured: first calls fill caches
    with pytest.MonkeyPatch.context() as mp:
        small = work(audit_txt(unit * 320), mp)
        middle = work(audit_txt(unit * 640), mp)
        large = work(audit_txt(unit * 1280), mp)
    assert large - middle <= GROWTH * max(middle - small, 1), (
        unit,
        small,
        middle,
        large,
    )


@settings(max_examples=40, deadline=None)
@given(st.lists(st.one_of(_FRAGMENTS, _FIGURES, st.text(max_size=5)), max_size=40))
def test_any_text_is_audited_or_refused_never_an_internal_error(parts):
    source = "".join(parts)
    for doc in (text_document(source, "t.txt"), html_document(source, "t.html")):
        try:
            audit_document(doc, True)
        except GovstatsError:
            pass


def test_a_very_long_line_is_read_in_pieces_at_sentence_ends():
    line = ("共收到申请527件，其中网络申请22件。" * 3000)[:-1]
    pieces = claims._pieces(line)
    assert "".join(p for _, p in pieces) == line
    assert all(len(p) <= claims.PARAGRAPH_MAX for _, p in pieces)
    assert all(p.endswith("。") for _, p in pieces[:-1])
    assert [s for s, _ in pieces] == [
        sum(len(p) for _, p in pieces[:k]) for k in range(len(pieces))
    ]
    # Each piece's claims are read as those of a paragraph at its offset.
    paras = claims.read_paragraphs(line)
    assert len(paras) == len(pieces)
    assert sum(len(p.enumerations) for p in paras) == 3000


def test_figures_longer_than_fifteen_digits_are_not_read():
    para = claims.read_paragraphs("共" + "9" * 5000 + "件，其中1件")[0]
    assert para.quantities == [] or para.quantities[0].text == "1件"


# Point 7: limits


def test_a_text_larger_than_the_limit_is_refused_unread(tmp_path):
    path = tmp_path / "report.txt"
    path.write_bytes(h.text_without_figures(5000))
    with pytest.raises(GovstatsError) as err:
        audit_text(path, limits=Limits(text_bytes=1000))
    assert (err.value.exit_code, err.value.problem.message("en")) == (
        2,
        f"'{path}' is 5 KiB, more than the limit of 1000 B, and "
        "was not audited. Audit the yearly report itself (the page's text or the "
        "report's PDF).",
    )


@pytest.mark.parametrize(
    "unit, times", [("占1%", 100_000), ("共1件，其中1件，占1%，", 50_000)]
)
def test_a_text_of_too_many_figures_is_refused_before_its_claims_are_read(
    tmp_path, unit, times
):
    path = tmp_path / "report.txt"
    path.write_bytes(h.repeated_claim(unit, times))
    result = runner.invoke(app, ["audit", "--text", str(path), "--lang", "en"])
    assert result.exit_code == 2
    assert "figures > 10,000, more than the limit of 10,000 figures" in result.stderr


@pytest.mark.parametrize("suffix", [".txt", ".html"])
def test_random_bytes_are_refused_as_undecodable(tmp_path, suffix):
    path = tmp_path / f"report{suffix}"
    path.write_bytes(h.random_bytes(200_000))
    result = runner.invoke(app, ["audit", "--text", str(path), "--lang", "en"])
    assert result.exit_code == 2
    assert "is not recognisable text" in result.stderr


def test_a_malformed_marked_section_is_read_as_text():
    # The standard parser raises AssertionError on these (issue 20: exit 3).
    doc = html_document("<p>共1件<![ foo]>，其中<![1 1件</p>", "t.html")
    assert doc.text == "共1件<![ foo]>，其中<![1 1件"


# The HTML tokenizer's fast path against the standard parser


class _Recorder(HTMLParser):
    """Every handler call, with its arguments and the position the parser gives."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.calls: list[tuple[object, ...]] = []

    def _note(self, *call: object) -> None:
        self.calls.append((*call, self.getpos()))

    def handle_starttag(self, tag, attrs):
        self._note("start", tag, attrs)

    def handle_startendtag(self, tag, attrs):
        self._note("startend", tag, attrs)

    def handle_endtag(self, tag):
        self._note("end", tag)

    def handle_data(self, data):
        self._note("data", data)

    def handle_entityref(self, name):
        self._note("entity", name)

    def handle_charref(self, name):
        self._note("char", name)

    def handle_comment(self, data):
        self._note("comment", data)

    def handle_decl(self, decl):
        self._note("decl", decl)

    def handle_pi(self, data):
        self._note("pi", data)


# What pages are made of, well and badly formed: plain tokens the fast path reads
# itself, and every other construct, which it hands to the parser's own methods.
_MARKUP = st.sampled_from(
    [
        "共收到", "527", "件，", " ", "\n", "\r\n", "\t", "\u3000", "a b",
        "<p>", "</p>", "<br>", "<br/>", "<br />", "<br/ >", "<BR>", "<p\u3000>",
        "<table>", "</table>", "<tr>", "</tr>", "<td>", "</td>", "<th>", "</TD >",
        "<TD ROWSPAN=2>", '<td colspan="3">', "<td rowspan='x&amp;'>", "<td\nrowspan=2>",
        '<a href="x>y">', "<a href=x/>", "<a href=x />", '<img src="a" alt>',
        '<div a=1b=2>', '<a b="1"c>', "<a b = '1'>", "<a b=>", "<a-b>", "<a\x00>",
        "</ p>", "</p x>", "</>", "<>", "<", "&", "&amp;", "&amp", "&AMP;", "&#65;",
        "&#x41;", "&#65", "&#", "&#x;", "&#12a;", "&nbsp;", "&a.b;", "&a-", "&a",
        "<!-- c -->", "<!--", "-->", "--!>", "<!DOCTYPE html>", "<!doctype>", "<!x>",
        "<?pi?>", "<![CDATA[x]]>", "<![ x", "<script>", "</script>", "<script>a<b",
        "<style>p{}</style >", "</SCRIPT>", "<noscript>", "</noscript>", "<head>",
        "</head>", "<title>", "<b>", "</b>", '"', "'", "=", "/", ">", "<a ",
    ]
)  # fmt: skip


def _standard_way(source: str) -> object:
    """What html_document gives with the standard parser alone: its document, or
    the code of the problem it raises."""
    try:
        with pytest.MonkeyPatch.context() as m:
            m.setattr(documents, "_feed_fast", lambda parser, source: False)
            return html_document(source, "t.html")
    except GovstatsError as exc:
        return exc.problem.code


@settings(max_examples=400, deadline=None)
@given(st.lists(_MARKUP, max_size=40))
@example(["<p>", "共收到", "&amp;", "<br/>", "527", "</p>"])
@example(["<script>", "a<b", "</SCRIPT>", "<td rowspan='x&amp;'>", "1"])
def test_the_fast_html_tokenizer_calls_what_the_standard_parser_calls(parts):
    source = documents._defuse("".join(parts))
    reference = _Recorder()
    fast = _Recorder()
    try:
        reference.feed(source)
        reference.close()
    except AssertionError:
        with pytest.raises(AssertionError):
            documents._feed_fast(fast, source)
        return
    if documents._feed_fast(fast, source):
        assert fast.calls == reference.calls
        event("fast")
    else:
        event("handed to the standard parser")
    try:
        found: object = html_document("".join(parts), "t.html")
    except GovstatsError as exc:
        found = exc.problem.code
    assert found == _standard_way("".join(parts))


def test_a_page_of_plain_markup_takes_the_fast_path(monkeypatch):
    page = (SEED.parent / "zhuzhou-2017-report.clean.txt").read_text(encoding="utf-8")
    source = "<!DOCTYPE html><html><head><title>t</title><style>p{}</style></head>"
    source += "".join(
        f"<p class=x>{line}&nbsp;<br/></p>\n" for line in page.splitlines()
    )
    assert documents._feed_fast(_Recorder(), documents._defuse(source))
    assert html_document(source, "t.html") == _standard_way(source)


def _tidy_reference(raw, anchors):
    """The character-by-character tidy-up before issue 20, as an oracle."""
    keep: list[int] = []
    for i, ch in enumerate(raw):
        prev = raw[keep[-1]] if keep else "\n"
        nxt = raw[i + 1] if i + 1 < len(raw) else "\n"
        if ch == " " and (prev in "\n\t" or nxt in "\n\t"):
            continue
        if ch in "\n\t" and prev == "\n":
            continue
        if ch == "\n" and prev == "\t":
            keep[-1] = i
            continue
        keep.append(i)
    new_index = {old: new for new, old in enumerate(keep)}
    text = "".join(raw[i] for i in keep).rstrip("\n\t ")
    moved = [(new_index[o], p, ln, c) for o, p, ln, c in anchors if o in new_index]
    return text, moved


@given(st.lists(st.sampled_from(["a", "共", "5", " ", "\t", "\n"]), max_size=60))
def test_tidy_keeps_the_text_and_anchors_of_the_character_by_character_version(
    chars,
):
    raw = "".join(chars)
    anchors = [(i, 0, 1, i + 1) for i, ch in enumerate(raw) if ch not in " \t\n"]
    assert documents._tidy(raw, anchors) == _tidy_reference(raw, anchors)


def _quoted_reference(line):
    inside = [False] * len(line)
    i = 0
    while i < len(line):
        close = claims._QUOTES.get(line[i])
        end = line.find(close, i + 1) if close else -1
        if end > 0:
            for k in range(i + 1, end):
                inside[k] = True
            i = end
        i += 1
    return inside


@given(st.text(alphabet="“”「」《》a，", max_size=40))
def test_quoted_spans_are_those_of_the_scan_before_issue_20(line):
    assert [bool(b) for b in claims._quoted(line)] == _quoted_reference(line)


# Point 8: hostile PDFs


PDF_CASES = {
    "page-listed-1000000-times": lambda: h.pdf_pages_repeated(1_000_000),
    "flate-bomb": lambda: h.pdf_flate_bomb(64 * limits.MIB),
    "15-million-text-operators": lambda: h.pdf_text_operators(15_000_000),
    "text-operators-over-the-limit": lambda: h.pdf_text_operators(60_000),
    "100000-nested-arrays": lambda: h.pdf_nested_arrays(100_000),
    "nested-object": lambda: h.pdf_nested_object(100_000),
}


@pytest.mark.parametrize("build", PDF_CASES.values(), ids=list(PDF_CASES))
def test_a_hostile_pdf_is_a_catalogued_problem_with_exit_2(tmp_path, build):
    path = tmp_path / "report.pdf"
    path.write_bytes(build())
    result = runner.invoke(app, ["audit", "--text", str(path), "--lang", "en"])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(
        f"govstats: {path}: '{path}' exceeds a limit for PDFs ("
    )
    assert result.stderr.count("\n") == 1


def test_a_pdf_within_the_limits_is_read():
    doc = documents.pdf_document(h.pdf_text(["Total 527", "Hello"]), "r.pdf")
    assert doc.text == "Total 527Hello"


def test_a_pdf_larger_than_the_limit_is_refused_unparsed():
    with pytest.raises(GovstatsError) as err:
        documents.pdf_document(
            h.pdf_text(["Total 527"]), "r.pdf", Limits(file_bytes=100)
        )
    assert err.value.problem.code == "pdf-too-large"


# Point 9: UTF-16


@pytest.mark.parametrize(
    "encode, noted",
    [
        (lambda t: codecs.BOM_UTF16_LE + t.encode("utf-16-le"), []),
        (lambda t: codecs.BOM_UTF16_BE + t.encode("utf-16-be"), []),
        (lambda t: t.encode("utf-16-le"), ["UTF-16LE"]),
        (lambda t: t.encode("utf-16-be"), ["UTF-16BE"]),
        (lambda t: codecs.BOM_UTF32_LE + t.encode("utf-32-le"), []),
    ],
    ids=["le-bom", "be-bom", "le", "be", "utf-32-le-bom"],
)
def test_a_utf16_report_finds_what_its_utf8_copy_finds(tmp_path, encode, noted):
    seed = SEED.read_text(encoding="utf-8")
    path = tmp_path / "report.txt"
    path.write_bytes(encode(seed))
    expected = audit_text(SEED)
    report = audit_text(path)
    keys = ("code", "claimed", "recomputed", "snippet", "where")
    found = [f for f in report.flatten(keys) if f[0] != "encoding-uncertain"]
    assert found == expected.flatten(keys)
    assert report.stats["right"] == expected.stats["right"] == 24
    notes = [c for c in report.checks if c.code == "encoding-uncertain"]
    assert [c.claimed for c in notes if c.status == "note"] == noted


def test_a_bomless_utf16_report_says_its_encoding_is_a_guess(tmp_path):
    path = tmp_path / "report.txt"
    path.write_bytes(SEED.read_text(encoding="utf-8").encode("utf-16-le"))
    result = runner.invoke(app, ["audit", "--text", str(path), "--lang", "en"])
    assert result.exit_code == 1  # the two wrong shares of the seed
    assert (
        f"'{path}' was read as UTF-16LE (no BOM): the encoding is a "
        "guess" in result.stdout
    )


def test_zero_bytes_that_are_no_utf16_text_are_refused(tmp_path):
    path = tmp_path / "report.txt"
    path.write_bytes(
        bytes(b if i % 2 else 0 for i, b in enumerate(h.random_bytes(4000)))
    )
    with pytest.raises(GovstatsError) as err:
        read_document(path)
    assert err.value.problem.code == "text-undecodable"


def test_a_few_undecodable_bytes_are_read_with_a_note(tmp_path):
    path = tmp_path / "report.txt"
    path.write_bytes("共收到申请527件，其中网络申请22件。".encode() * 50 + b"\xff")
    doc = read_document(path)
    assert doc.encoding_note == {"found": "UTF-8", "expected": "1 × U+FFFD"}
    assert [c.code for c in audit_document(doc).findings] == ["encoding-uncertain"]


def test_gb18030_is_read_without_a_note(tmp_path):
    path = tmp_path / "report.txt"
    path.write_bytes("共收到申请527件，其中网络申请22件。".encode("gb18030"))
    doc = read_document(path)
    assert doc.encoding_note is None
    assert doc.text == "共收到申请527件，其中网络申请22件。"


def test_a_report_that_cannot_be_opened_is_a_problem_not_an_internal_error(
    tmp_path, monkeypatch
):
    path = tmp_path / "report.txt"
    path.write_text("共收到申请527件。", encoding="utf-8")

    def refuse(*args, **kw):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "open", refuse)
    with pytest.raises(GovstatsError) as err:
        read_document(path)
    assert (
        err.value.problem.code == "input-unreadable"
    )  # told as a file the user may not read (issue 20)


HOSTILE_TEXTS = {
    **{
        f"repeated-{name}": (lambda u=unit: h.repeated_claim(u, 20_000), ".txt")
        for name, unit in h.REPEATED_CLAIMS.items()
    },
    "nested-brackets": (lambda: h.nested_brackets(20_000), ".txt"),
    "random-txt": (lambda: h.random_bytes(100_000), ".txt"),
    "random-html": (lambda: h.random_bytes(100_000), ".html"),
    "one-line-html": (lambda: h.one_line_html(300_000), ".html"),
    "unclosed-comments": (lambda: h.html_unclosed("<!--", 50_000), ".html"),
    "unclosed-tags": (lambda: h.html_unclosed("<a", 50_000), ".html"),
    "bad-marked-sections": (lambda: h.html_unclosed("<![ x", 10_000), ".html"),
    "character-references": (lambda: h.html_unclosed("&#;", 50_000), ".html"),
    "utf16-noise": (lambda: b"\xff\xfe" + h.random_bytes(10_000), ".txt"),
    "pdf-named-txt": (lambda: h.pdf_nested_arrays(1000), ".txt"),
    "text-named-pdf": (lambda: "共收到申请527件。".encode(), ".pdf"),
}


@pytest.mark.parametrize(
    "build, suffix", HOSTILE_TEXTS.values(), ids=list(HOSTILE_TEXTS)
)
def test_no_hostile_report_ends_in_an_internal_error(tmp_path, build, suffix):
    # Issue 20: none of these may reach exit 3 (内部错误).
    path = tmp_path / f"report{suffix}"
    path.write_bytes(build())
    result = runner.invoke(app, ["audit", "--text", str(path)])
    assert result.exit_code in (0, 1, 2), result.output
    assert "内部错误" not in result.stderr
    assert result.stderr.count("\n") <= 1
