"""The words of the intake site's pages, Chinese first, English with ``?lang=en``."""

from __future__ import annotations

from govstats.core.problems import Words

__all__ = ["TEXTS", "texts"]


TEXTS = Words("site")


def texts(lang: str) -> dict[str, str]:
    """The words of the pages in ``lang`` (``zh`` unless ``en``)."""
    return TEXTS["en" if lang == "en" else "zh"]
