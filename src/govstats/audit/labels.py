"""Comparing labels as printed with the labels a format declares.

Published reports print the national tables' labels with variants: full-width or
half-width punctuation (（一） or (一), 1． or 1.), 一、 or 一．, quotes or none
around 三安全一稳定, labels broken across lines, and misprints (其他法律行政止公开
for 其他法律行政法规禁止公开). :func:`label_key` removes the variants that carry no
meaning; :class:`LabelIndex` finds a declared label by its key, or the nearest one
when a label is misprinted, conservatively: a clear best match, close enough, and a
label long enough for its similarity to mean something.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["FUZZY_MIN", "LabelIndex", "Nearest", "label_key", "unnumbered"]

T = TypeVar("T")

# A misprinted label is read as the nearest declared one when their similarity
# (difflib's ratio, numbering left out) is at least FUZZY_MIN, the next best is
# FUZZY_MARGIN behind, and the label has FUZZY_LENGTH characters or more:
# 其他法律行政止公开 is 0.86 from 其他法律行政法规禁止公开, while no two labels of
# the national tables are that close (本年新收…/上年结转…申请数量 0.79, 本年制发件数/
# 本年废止件数 0.67, 结果维持/结果纠正 0.5): a declared label is never taken for
# another.
FUZZY_MIN = 0.8
FUZZY_MARGIN = 0.1
FUZZY_LENGTH = 4

_DROPPED = dict.fromkeys(map(ord, "“”\"'‘’「」『』《》〈〉"), None)
_LIST_MARKS = str.maketrans({"、": ".", "。": ".", "，": ",", "；": ";"})
_SPACE = re.compile(r"\s+")
# The numbering of a label's key: 一. (一) 1. (1)
_NUMBERING = re.compile(
    r"^(?:[一二三四五六七八九十]+\.|\([一二三四五六七八九十\d]+\)|\d+\.)"
)


def label_key(text: str) -> str:
    """The form in which two labels are compared: NFKC (full-width punctuation and
    digits become half-width), no whitespace (a label broken across lines reads as
    one), no quotes, and ``、`` after a number read as ``.``."""
    key = unicodedata.normalize("NFKC", text).translate(_DROPPED)
    return _SPACE.sub("", key).translate(_LIST_MARKS).lower()


def unnumbered(key: str) -> str:
    """A label's key without its numbering: ``2.重复申请`` → ``重复申请``."""
    return _NUMBERING.sub("", key, count=1)


@dataclass(frozen=True)
class Nearest(Generic[T]):
    """The declared label nearest to a printed one."""

    value: T
    label: str
    ratio: float


class LabelIndex(Generic[T]):
    """Values by their declared labels: exact look-up by key (with or without the
    label's numbering), and nearest match for a misprint."""

    def __init__(self, items: Iterable[tuple[str, str, T]]) -> None:
        """:param items: ``(key, label, value)``: ``key`` is looked up, ``label``
        is the declared wording that a nearest match reports."""
        self._exact: dict[str, list[T]] = {}
        self._bare: dict[str, list[T]] = {}
        self._labels: dict[str, tuple[str, list[T]]] = {}
        for key, label, value in items:
            self._exact.setdefault(key, []).append(value)
            self._bare.setdefault(unnumbered(key), []).append(value)
            entry = self._labels.setdefault(unnumbered(key), (label, []))
            entry[1].append(value)

    def exact(self, key: str) -> list[T]:
        """Every value whose key is ``key``; else the one whose key without its
        numbering is ``key`` without its numbering (属于国家秘密 for 1.属于国家秘密)."""
        return list(self._exact.get(key) or self._bare.get(unnumbered(key), []))

    def nearest(self, key: str) -> Nearest[T] | None:
        """The one value whose key is clearly nearest to ``key``, or None.

        Keys are compared without their numbering, so that a misprint in a short
        label is not hidden by the number in front of it.
        """
        key = unnumbered(key)
        if len(key) < FUZZY_LENGTH:
            return None
        # A ratio is at most 2·min/(len(key) + len(k)): labels whose lengths alone
        # keep them below FUZZY_MIN are not compared (a line of a hostile text may
        # be megabytes long; comparing it costs its length times the label's).
        scored = sorted(
            (
                (difflib.SequenceMatcher(None, key, k, autojunk=False).ratio(), k)
                for k in self._labels
                if len(k) >= FUZZY_LENGTH
                and 2 * min(len(k), len(key)) >= FUZZY_MIN * (len(k) + len(key))
            ),
            reverse=True,
        )
        if not scored or scored[0][0] < FUZZY_MIN:
            return None
        if len(scored) > 1 and scored[0][0] - scored[1][0] < FUZZY_MARGIN:
            return None
        label, values = self._labels[scored[0][1]]
        if len(values) != 1:
            return None
        return Nearest(values[0], label, scored[0][0])
