"""Bar charts (charts.py): text left as text, reproducible, the same whatever fonts
the machine has."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from govstats.publish import charts
from govstats.publish.charts import FONT_STACK, Bar, ChartData, chart_png, chart_svg

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
SVG = "{http://www.w3.org/2000/svg}"


def test_svg_keeps_text_as_text_and_names_each_bar():
    svg = chart_svg(DATA)
    assert svg.startswith("<svg")  # no XML prolog: it goes inline in HTML
    root = ET.fromstring(svg)  # well-formed XML
    assert root.get("viewBox") == f"0 0 453.6 {root.get('height', '')[:-2]}"
    # The fonts of report.html's `--sans`, which FONT_STACK draws PNGs with.
    css = (Path(charts.__file__).parent / "templates/html/base.html.j2").read_text()
    sans = re.search(r"--sans: ([^;]+);", css).group(1)
    assert root.get("font-family") == sans.replace('"', "'")
    assert sans.startswith('"' + '", "'.join(FONT_STACK) + '", ')
    bars = [g for g in root.iter(f"{SVG}g") if g.get("id")]
    assert [g.get("id") for g in bars] == [
        "sq-outcomes-bar-1",
        "sq-outcomes-bar-2",
        "sq-outcomes-bar-3",
    ]
    # Each bar holds its label, its bar, and its value, in table order.
    for g, bar in zip(bars, DATA.bars, strict=True):
        label, value = (t.text for t in g.iter(f"{SVG}text"))
        assert (label, value) == (bar.label, f"{bar.printed}（{bar.share}）")
        assert len(list(g.iter(f"{SVG}path"))) == 1
    # The only ids are the bars': unique in a page of charts.
    assert re.findall(r'\bid="', svg) == ['id="'] * 3
    assert chart_svg(DATA) == svg


def _bar_box(svg: str, i: int, chart: str = "sq-outcomes") -> list[float]:
    """x0, y0, x1, y1 of the i-th bar's path."""
    root = ET.fromstring(svg)
    g = next(g for g in root.iter(f"{SVG}g") if g.get("id") == f"{chart}-bar-{i}")
    path = next(g.iter(f"{SVG}path")).get("d", "")
    return [
        float(n) for n in re.fullmatch(r"M(\S+) (\S+)H(\S+)V(\S+)H\S+Z", path).groups()
    ]


def test_svg_bars_scale_with_their_values_and_a_0_keeps_its_height():
    svg = chart_svg(DATA)
    (x0, y0, x1, y1), (_, y2, x2, _), (x3, y4, x4, y5) = (
        _bar_box(svg, i) for i in (1, 2, 3)
    )
    assert y0 < y1 < y2  # top to bottom in table order
    assert (x1 - x0) / (x2 - x0) == pytest.approx(135 / 155, abs=0.01)
    assert x4 == x3 and y5 - y4 == pytest.approx(y1 - y0)
    # A figure other than 0, however small beside the others, shows beyond the axis.
    tiny = ChartData(
        "t",
        "一",
        "t",
        "件",
        (Bar("a", "甲", 1, "1", ""), Bar("b", "乙", 10**6, "1000000", "")),
    )
    x0, _, x1, _ = _bar_box(chart_svg(tiny), 1, "t")
    assert x1 - x0 == pytest.approx(charts.MIN_BAR)


def test_svg_numbers_have_at_most_two_decimals():
    # Rounded the same on every platform, with no trailing zeros.
    svg = chart_svg(DATA)
    attributes = re.findall(r'\b(?:x|y|d|width|height|viewBox)="([^"]*)"', svg)
    numbers = re.findall(r"\d+(?:\.\d+)?", " ".join(attributes))
    assert len(numbers) > 20
    assert all(re.fullmatch(r"\d+(\.\d?[1-9])?", n) for n in numbers), numbers


def test_svg_escapes_its_text():
    bar = Bar("x", '<a href="x">&', 1, "1", "")
    svg = chart_svg(ChartData('a"b', "一", "t", "件", (bar,)))
    root = ET.fromstring(svg)
    assert [t.text for t in root.iter(f"{SVG}text")] == ['<a href="x">&', "1"]
    assert next(g for g in root.iter(f"{SVG}g")).get("id") == 'a"b-bar-1'


# PNG


@pytest.fixture
def installed_font() -> str:
    """The path of the CJK font this machine draws PNG charts with."""
    font = charts._cjk_font()
    if font is None:
        pytest.skip("no CJK font installed (fonts-wqy-zenhei, as `make system-deps`)")
    return str(font.path)


def test_png_is_drawn_with_a_cjk_font_and_is_reproducible(installed_font):
    from PIL import Image

    png = chart_png(DATA)
    assert png is not None and chart_png(DATA) == png
    image = Image.open(io.BytesIO(png))
    # 6.3 in at 200 dpi, 0.34 in a bar and 0.1 in margins.
    assert image.format == "PNG" and image.size == (1260, round(1.22 * 200))
    assert set(image.info) <= {"dpi"}  # no date or software
    rgb = image.convert("RGB")
    color = (0x2F, 0x55, 0x97)
    # The bar of 155 reaches further right than that of 135, 0 draws none.
    rows = [round((7.2 + 24.48 * i) * 200 / 72) for i in (0.5, 1.5, 2.5)]
    reach = [
        max((x for x in range(1260) if rgb.getpixel((x, y)) == color), default=None)
        for y in rows
    ]
    assert reach[0] is not None and reach[1] is not None and reach[0] < reach[1]
    assert reach[2] is None
    # Labels and values are drawn, antialiased: grey pixels beside black ones.
    colors = [c for _, c in rgb.getcolors(1260 * 1000) or []]
    greys = [c for c in colors if c[0] == c[1] == c[2] and 0 < c[0] < 255]
    assert len(greys) > 10


@pytest.fixture
def no_cjk_fonts(monkeypatch, tmp_path):
    """As on a machine whose font folders hold no font of the stack."""
    charts._cjk_font.cache_clear()
    monkeypatch.setattr(charts, "_font_dirs", lambda: [tmp_path])
    yield tmp_path
    monkeypatch.undo()
    charts._cjk_font.cache_clear()


def test_svg_does_not_depend_on_the_fonts_installed(request):
    with_fonts = chart_svg(DATA)
    request.getfixturevalue("no_cjk_fonts")
    assert chart_svg(DATA) == with_fonts
    # The PNG needs a CJK font to draw the labels; without one there is none.
    assert chart_png(DATA) is None


def test_fonts_are_found_by_file_name_in_the_stack_order(installed_font, request):
    no_cjk_fonts = request.getfixturevalue("no_cjk_fonts")
    folder = no_cjk_fonts / "sub"
    folder.mkdir()
    # Named as another family's file, the same font stands for that family: the
    # stack's order decides, whatever the folders' order; names match in any case
    # (Windows may have them in capitals).
    (no_cjk_fonts / "simhei.ttf").symlink_to(installed_font)
    (folder / "WQY-ZENHEI.TTC").symlink_to(installed_font)
    font = charts._cjk_font()
    assert font is not None and str(font.path).endswith("WQY-ZENHEI.TTC")
    assert font.getname() == ("WenQuanYi Zen Hei", "Regular")
    charts._cjk_font.cache_clear()
    # A collection without a face of the family's name gives its first face.
    (folder / "msyh.ttc").symlink_to(installed_font)
    font = charts._cjk_font()
    assert font is not None and str(font.path).endswith("msyh.ttc")
    assert font.getname() == ("WenQuanYi Zen Hei", "Regular")
