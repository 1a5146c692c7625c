"""Printing to any console: no output encoding may crash a command (issue 16).

A Chinese Windows console, or a redirected stdout there, encodes in GBK (code page
936), which has no ✓ or ✗; Python's default ``strict`` error handler then raised
a ``UnicodeEncodeError`` traceback half-way through a report. :func:`tolerate`
gives stdout and stderr an error handler that writes, for a character the stream
cannot encode, the first of its fall-backs it can (``x`` for ✗), and ``?`` for
one without any. JSON is printed with ``\\uXXXX`` escapes on such a stream
(:func:`json_text`), so that programs still read every character exactly.
"""

from __future__ import annotations

import codecs
import json
import sys
from typing import Any

__all__ = ["ERRORS", "json_text", "tolerate"]

ERRORS = "govstats-fallback"

# Fall-backs in order of preference; the last resort for any other character is "?".
FALLBACKS = {
    "✓": ("√", "v"),
    "✗": ("x",),
    "…": ("...",),
    "—": ("-",),
    "–": ("-",),
    "·": (".",),
    "“": ('"',),
    "”": ('"',),
    "‘": ("'",),
    "’": ("'",),
    "「": ("“", '"'),
    "」": ("”", '"'),
    "≤": ("<=",),
    "≥": (">=",),
    "→": ("->",),
}


def _fallback(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    out = []
    for ch in exc.object[exc.start : exc.end]:
        for candidate in (*FALLBACKS.get(ch, ()), "?"):
            try:
                candidate.encode(exc.encoding)
            except (UnicodeEncodeError, LookupError):
                continue
            out.append(candidate)
            break
    return "".join(out), exc.end


codecs.register_error(ERRORS, _fallback)


def _encodes_unicode(stream: Any) -> bool:
    encoding = (getattr(stream, "encoding", None) or "").lower().replace("_", "-")
    return encoding.startswith(("utf-8", "utf8", "utf-16", "utf-32", "gb18030"))


def tolerate(*streams: Any) -> None:
    """Give each text stream (default: stdout and stderr) the fall-back handler,
    unless it encodes every character anyway."""
    for stream in streams or (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is None or _encodes_unicode(stream):
            continue
        try:
            reconfigure(errors=ERRORS)
        except (ValueError, OSError):  # pragma: no cover - a closed or odd stream
            continue


def json_text(data: Any) -> str:
    """``data`` as indented JSON for stdout: characters as they are on a stream that
    encodes them all, ``\\uXXXX`` escapes elsewhere (never a lossy fall-back)."""
    return json.dumps(data, ensure_ascii=not _encodes_unicode(sys.stdout), indent=2)
