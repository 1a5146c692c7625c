"""Text from inputs made safe to print: no control or format characters, one line."""

from __future__ import annotations

import unicodedata

# Controls, format characters (bidi overrides), line and paragraph separators and
# lone surrogates; spaces of every width (the full-width U+3000 too) are kept.
_UNPRINTABLE = {"Cc", "Cf", "Zl", "Zp", "Cs"}


def plain(text: str) -> str:
    """Text safe to print on a terminal: one line, no control character.

    A unit name or a cell quoted from a hostile workbook may hold an escape sequence
    (``\\x1b[2J`` clears the screen), a line break that forges a line of the report,
    or a right-to-left override; each is shown as its escape instead (issue 6).
    """
    if text.isprintable():
        return text
    return "".join(
        ch.encode("unicode_escape").decode("ascii")
        if unicodedata.category(ch) in _UNPRINTABLE
        else ch
        for ch in text
    )
