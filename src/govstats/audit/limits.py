"""What `audit --text` refuses to read, and how it decodes what it reads (issue 20).

A report to audit arrives from a portal, by e-mail or on a stick, and may be
damaged or built to harm. Every limit here is far above a real yearly report (tens
of KB of text with a few hundred figures; a PDF of a few dozen pages) and keeps an
audit within about a second per MB of text and 200 MB of memory:

- a text, Markdown or HTML file of more than ``text_bytes`` is refused unread, and
  a text stating more than ``figures`` figures is refused before its claims are
  read (``text-too-large``);
- a PDF is read by pypdf within limits on its size, pages, the bytes its streams
  inflate to, the operators of its content streams and the nesting of its objects
  (``pdf-too-large``; the zip-bomb limits of a workbook, for a PDF);
- a text is decoded by its byte order mark, else as UTF-8, BOM-less UTF-16 (told by
  its zero bytes) or GB18030; a decoding that is a guess is said (a note,
  ``encoding-uncertain``), and bytes that decode to no text are refused
  (``text-undecodable``), never audited as garbage.
"""

from __future__ import annotations

import codecs
import functools
import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from govstats.core.limits import DEFAULT_LIMITS, MIB, Limits
from govstats.core.problems import GovstatsError, Problem

if TYPE_CHECKING:
    from govstats.audit.documents import Document

__all__ = ["count_figures", "decode_text", "geometry_fits", "pdf_limits"]


# Characters no text holds: controls other than line and tab breaks, U+FFFD (a
# byte that did not decode), private use, surrogates, unassigned code points.
_BAD_CATEGORIES = frozenset(("Cc", "Co", "Cs", "Cn"))
_BREAKS = frozenset("\t\n\r\f\v")
# Share of such characters above which a decoding is garbage, and above which
# (but not 0) it is audited with a note.
GARBAGE = 0.05
# Share of the characters of BOM-less UTF-16 that must be what a Chinese report is
# written in (CJK ideographs and punctuation, ASCII, full-width forms).
UTF16_COMMON = 0.9
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def _bad_share(text: str) -> float:
    """The share of characters no text holds (a sample of 64 K characters, spread
    over the text, so that this stays linear and cheap)."""
    if not text:
        return 0.0
    step = max(len(text) // 65536, 1)
    sample = text[::step]
    counts: dict[str, int] = {}
    for ch in sample:
        counts[ch] = counts.get(ch, 0) + 1
    bad = sum(
        n
        for ch, n in counts.items()
        if ch == "\ufffd"
        or (ch not in _BREAKS and unicodedata.category(ch) in _BAD_CATEGORIES)
    )
    return bad / len(sample)


def _common_share(text: str) -> float:
    """The share of characters a Chinese report is written in."""
    sample = text[:: max(len(text) // 65536, 1)]
    if not sample:
        return 0.0
    common = sum(
        1
        for ch in sample
        if ch < "\x7f"
        or "\u4e00" <= ch <= "\u9fff"
        or "\u3000" <= ch <= "\u303f"
        or "\uff00" <= ch <= "\uffef"
        or "\u2000" <= ch <= "\u206f"
    )
    return common / len(sample)


def _utf16_orders(data: bytes) -> list[str]:
    """The byte orders BOM-less UTF-16 may be in, likelier first, from where its
    zero bytes are: the high byte of every ASCII character (a line break, a digit)
    is zero, while UTF-8 and GB18030 text holds no zero byte, and noise one in 256
    on either side."""
    if len(data) < 4 or len(data) % 2:
        return []
    even = data[0::2].count(0)
    odd = data[1::2].count(0)
    if max(even, odd) < max(len(data) // 100, 1) or max(even, odd) < 2 * min(even, odd):
        return []
    return ["utf-16-le", "utf-16-be"] if odd > even else ["utf-16-be", "utf-16-le"]


def decode_text(data: bytes, path: str) -> tuple[str, dict[str, str] | None]:
    """The text of a report file, and a note when its encoding is a guess.

    :returns: ``(text, note)``; ``note`` holds ``found`` (the encoding read) and
        ``expected`` (why it is a guess), for an ``encoding-uncertain`` finding.
    :raises GovstatsError: ``text-undecodable`` when no encoding gives text.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            text = data[len(bom) :].decode(encoding, errors="replace")
            return _judged(text, encoding, path, "")
    orders = _utf16_orders(data)
    for order in orders:
        text = data.decode(order, errors="replace")
        if _common_share(text) >= UTF16_COMMON:
            return _judged(text, order, path, "no BOM")
    if orders:
        raise _undecodable(path, f"{orders[0]}?")
    for encoding in ("utf-8", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return _judged(text, encoding, path, None)
    return _judged(data.decode("utf-8", errors="replace"), "utf-8", path, "")


def _judged(
    text: str, encoding: str, path: str, guess: str | None
) -> tuple[str, dict[str, str] | None]:
    """``text`` when it reads as text; a note when ``guess`` says why the encoding
    is a guess or some characters did not decode."""
    bad = _bad_share(text)
    if bad > GARBAGE:
        raise _undecodable(path, f"{encoding}? {bad:.0%} U+FFFD/controls")
    name = encoding.upper().replace("-LE", "LE").replace("-BE", "BE")
    if guess:
        return text, {"found": name, "expected": guess}
    if bad or "\ufffd" in text:
        lost = text.count("\ufffd")
        return text, {"found": name, "expected": f"{lost} × U+FFFD"}
    return text, None


def judge_text(text: str, source: str, path: str) -> dict[str, str] | None:
    """A note when some characters of a text read from ``source`` (a converted
    Word file) did not decode; ``text-undecodable`` when it is garbage."""
    return _judged(text, source, path, None)[1]


def _undecodable(path: str, found: str) -> GovstatsError:
    return GovstatsError(Problem.make("text-undecodable", file=path, found=found))


def too_large(path: str, found: str, expected: str) -> GovstatsError:
    """A ``text-too-large`` refusal."""
    return GovstatsError(
        Problem.make("text-too-large", file=path, found=found, expected=expected)
    )


def pdf_too_large(path: str, found: str, expected: str) -> GovstatsError:
    """A ``pdf-too-large`` refusal."""
    return GovstatsError(
        Problem.make("pdf-too-large", file=path, found=found, expected=expected)
    )


def size_text(n: int) -> str:
    """A byte count as people read it (4 MiB, 512 KiB)."""
    if n >= MIB:
        return f"{n / MIB:.1f} MiB".replace(".0 ", " ")
    return f"{n / 1024:.0f} KiB" if n >= 1024 else f"{n} B"


def count_figures(doc: Document, limits: Limits = DEFAULT_LIMITS) -> None:
    """Refuse a text stating more than ``figures`` figures, counted before any
    claim is read (a figure costs the audit tens of µs, a character far less)."""
    import itertools

    from govstats.audit.claims import _NUMBER, normalize

    limit = limits.text_figures
    found = itertools.islice(_NUMBER.finditer(normalize(doc.text)), limit + 1)
    if sum(1 for _ in found) > limit:
        raise too_large(doc.path, f"figures > {limit:,}", f"{limit:,} figures")


# PDF


@functools.lru_cache(maxsize=4)
def _nested(depth: int) -> re.Pattern[bytes]:
    return re.compile(rb"(?:(?:\[|<<)\s*){%d}" % depth)


@contextmanager
def pdf_limits(limits: Limits = DEFAULT_LIMITS) -> Iterator[None]:
    """pypdf's own limits, set to ours while a PDF is read (pypdf raises
    ``LimitReachedError`` beyond them)."""
    from pypdf import apply_configuration

    overwrites: dict[str, Any] = {
        "maximum_declared_stream_length": limits.file_bytes,
        "zlib_maximum_output_length": limits.pdf_stream_bytes,
        "lzw_maximum_output_length": limits.pdf_stream_bytes,
        "run_length_maximum_output_length": limits.pdf_stream_bytes,
        "brotli_maximum_output_length": limits.pdf_stream_bytes,
        "array_based_stream_maximum_output_length": limits.pdf_stream_bytes,
        "jbig2_maximum_output_length": limits.pdf_stream_bytes,
        "image_maximum_buffer_size": limits.pdf_stream_bytes,
        "stream_decoding_work_maximum_length": 4 * limits.pdf_stream_bytes,
        "zlib_maximum_recovery_input_length": MIB,
        "stream_parsing_work_maximum_count": 4 * limits.pdf_text_operators,
        "page_tree_maximum_entries": 10 * limits.pdf_pages,
        "page_tree_maximum_page_entries": 100 * limits.pdf_pages,
        "array_maximum_element_count": 10 * limits.pdf_pages,
        "xform_maximum_invocations_per_extraction": 100,
    }
    with apply_configuration(**overwrites):
        yield


def check_pdf_bytes(data: bytes, path: str, limits: Limits = DEFAULT_LIMITS) -> None:
    """Refuse a PDF too large, or whose objects nest too deep, before parsing it."""
    if len(data) > limits.file_bytes:
        raise pdf_too_large(
            path,
            f"file {size_text(len(data))}",
            size_text(limits.file_bytes),
        )
    if _nested(limits.pdf_nesting).search(data):
        raise _nesting(path, limits)


def _nesting(path: str, limits: Limits) -> GovstatsError:
    limit = limits.pdf_nesting
    return pdf_too_large(path, f"nesting > {limit}", str(limit))


def check_pdf_contents(
    contents: list[bytes], path: str, limits: Limits = DEFAULT_LIMITS
) -> None:
    """Refuse content streams too large, with too many text operators, or nesting
    too deep, before pypdf extracts their text (which costs tens of µs per
    operator)."""
    total = sum(len(c) for c in contents)
    if total > limits.pdf_content_bytes:
        raise pdf_too_large(
            path,
            f"content streams inflated {size_text(total)}",
            size_text(limits.pdf_content_bytes),
        )
    operators = 0
    for content in contents:
        if _nested(limits.pdf_nesting).search(content):
            raise _nesting(path, limits)
        # Counted as bytes, not tokens (an upper bound: a string may hold them
        # too), so that 15 million operators cost no Python loop.
        operators += sum(content.count(op) for op in (b"Tj", b"TJ", b"'", b'"'))
        if operators > limits.pdf_text_operators:
            raise pdf_too_large(
                path,
                f"text operators > {limits.pdf_text_operators:,}",
                f"{limits.pdf_text_operators:,}",
            )


# Streams a layout analysis (pdfminer) inflates besides the pages' contents: the
# forms they draw and the fonts they show (their programs and ToUnicode maps).
_FONT_STREAMS = ("/FontFile", "/FontFile2", "/FontFile3")
# Forms and fonts looked at: more than a report holds, few enough to cost nothing.
GEOMETRY_OBJECTS = 2_000


def geometry_fits(
    reader: Any, contents: int, path: str, limits: Limits = DEFAULT_LIMITS
) -> bool:
    """Whether a PDF may be read from its geometry: its content streams
    (``contents`` bytes inflated), the forms they draw and the streams of their
    fonts, inflated by pypdf under its limits (beyond which it raises), add up to
    at most ``pdf_geometry_bytes``, and the forms nest no deeper and show no more
    text operators than the limits allow (else ``pdf-too-large``, as for a page).

    pdfminer, which pdfplumber reads with, inflates every stream it meets without
    a cap: it is given only PDFs whose every such stream was inflated here first.
    """
    budget = limits.pdf_geometry_bytes - contents
    if budget < 0:
        return False
    seen: set[int] = set()
    forms: list[bytes] = []
    pending = [page.get("/Resources") for page in reader.pages]
    while pending:
        resources = _resolved(pending.pop())
        if not hasattr(resources, "get") or id(resources) in seen:
            continue
        seen.add(id(resources))
        if len(seen) > GEOMETRY_OBJECTS:
            return False
        for kind in ("/XObject", "/Font"):
            entries = _resolved(resources.get(kind))
            if not hasattr(entries, "values"):
                continue
            for entry in entries.values():
                obj = _resolved(entry)
                if not hasattr(obj, "get") or id(obj) in seen:
                    continue
                seen.add(id(obj))
                streams = _streams(obj)
                for stream in streams:
                    data = stream.get_data()
                    budget -= len(data)
                    if budget < 0:
                        return False
                    if stream.get("/Subtype") == "/Form":
                        forms.append(data)
                if obj.get("/Subtype") == "/Form":
                    pending.append(obj.get("/Resources"))
                for font in _resolved(obj.get("/DescendantFonts")) or []:
                    pending.append({"/Font": {"F": font}})
    check_pdf_contents(forms, path, limits)
    return True


def _resolved(obj: Any) -> Any:
    return obj.get_object() if hasattr(obj, "get_object") else obj


def _streams(obj: Any) -> list[Any]:
    """The streams of an XObject or a font that pdfminer inflates: a form's
    content, a font's program, ToUnicode map and embedded encoding (an image's
    data it never decodes to lay a page out)."""
    if obj.get("/Subtype") == "/Image":
        return []
    out = [obj] if hasattr(obj, "get_data") else []
    places: list[tuple[Any, tuple[str, ...]]] = [(obj, ("/ToUnicode", "/Encoding"))]
    descriptor = _resolved(obj.get("/FontDescriptor"))
    if hasattr(descriptor, "get"):
        places.append((descriptor, _FONT_STREAMS))
    for holder, keys in places:
        for key in keys:
            stream = _resolved(holder.get(key))
            if hasattr(stream, "get_data"):
                out.append(stream)
    return out
