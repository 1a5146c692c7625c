"""Bar charts (charts.py): text left as text, reproducible, the same whatever fonts
the machine has."""

from __future__ import annotations

import re

import pytest

from govstats.charts import FONT_STACK, Bar, ChartData, chart_png, chart_svg

DATA = ChartData(
    "sq-outcomes",
    "四(二)",
    "政府信息公开申请答复情况",
    "件",
    (
        Bar("sq.out.granted", "同意公开", 135, "135", "25.6%"),
        Bar("sq.out.other", "不属于行政机关信息、信息不存在等", 155, "155", "29.4%"),
        Bar("sq.out.denied", "不予公开", 0, "0", "0.0%"),
    ),
)


def test_svg_keeps_text_as_text_and_names_each_bar():
    svg = chart_svg(DATA)
    assert svg.startswith("<svg")  # no XML prolog: it goes inline in HTML
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert "不属于行政机关信息、信息不存在等" in texts
    assert "155（29.4%）" in texts
    assert re.findall(r'id="(sq-outcomes-bar-\d+)"', svg) == [
        "sq-outcomes-bar-1",
        "sq-outcomes-bar-2",
        "sq-outcomes-bar-3",
    ]
    assert "<dc:date>" not in svg and "Matplotlib v" not in svg
    assert chart_svg(DATA) == svg


@pytest.fixture
def no_cjk_fonts(monkeypatch):
    """matplotlib as on a machine without any CJK font."""
    from matplotlib import font_manager

    def clear():
        font_manager.fontManager._findfont_cached.cache_clear()
        font_manager._get_font.cache_clear()

    kept = [
        f for f in font_manager.fontManager.ttflist if f.name not in FONT_STACK[:-1]
    ]
    clear()
    monkeypatch.setattr(font_manager.fontManager, "ttflist", kept)
    yield
    monkeypatch.undo()
    clear()


def test_svg_does_not_depend_on_the_fonts_installed(request):
    with_fonts = chart_svg(DATA)
    request.getfixturevalue("no_cjk_fonts")
    assert chart_svg(DATA) == with_fonts
    # The PNG needs a CJK font to draw the labels; without one there is none.
    assert chart_png(DATA) is None
