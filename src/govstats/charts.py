"""Bar charts of the report: an SVG written here, and a PNG drawn with matplotlib.

A format declares its charts (``report.charts`` in ``schemas/*.yaml``); here each
becomes an inline SVG for report.html (text left as text, so it is searchable,
selectable and read by screen readers) and, when a CJK font is installed, a PNG for
report.docx.

The SVG is built as a string, its layout computed from the labels' length in ems
(:func:`_width`) rather than measured with a font, so the same figures give the
same bytes on any machine and with any version of any library. Which font draws the
text is the reader's: the SVG names the CJK stack of report.html's stylesheet,
which also sets it. The PNG is drawn with the first font of :data:`FONT_STACK`
installed.

matplotlib is imported only here, and only while report.docx is rendered.
"""

from __future__ import annotations

import contextlib
import html
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from govstats.formats import Chart

if TYPE_CHECKING:
    from govstats.aggregate import Figures

__all__ = ["FONT_STACK", "Bar", "ChartData", "chart_data", "chart_png", "chart_svg"]

# The CJK fonts that may draw a chart, in order (report.html's `--sans`).
FONT_STACK = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Microsoft YaHei",
    "PingFang SC",
    "WenQuanYi Zen Hei",
    "SimHei",
)
FONT_SIZE = 10.0  # points
PT = 72.0  # points per inch
WIDTH = 6.3 * PT  # the text width of A4 with 2.5 cm margins
BAR_PITCH = 0.34 * PT  # per bar
BAR_FILL = 0.62  # of the pitch
MARGIN = 0.1 * PT  # around the chart
GAP = 3.5  # points between a label and its bar, and a bar and its value
AXIS = 0.8  # points: the line the bars stand on
BASELINE = 0.35  # ems below a line's middle: centres CJK and digits alike
COLOR = "#2F5597"
DPI = 200  # of the PNG


@dataclass(frozen=True)
class Bar:
    """One bar: its label, the figure as printed, its share as printed (or "")."""

    code: str
    label: str
    value: float
    printed: str
    share: str


@dataclass(frozen=True)
class ChartData:
    """A chart's numbers, as drawn and as text."""

    id: str
    section: str
    title: str
    unit: str
    bars: tuple[Bar, ...]

    @property
    def caption(self) -> str:
        """``图：政府信息公开申请渠道（单位：件）``."""
        return f"图：{self.title}（单位：{self.unit}）"

    @property
    def text(self) -> str:
        """The numbers as a sentence, worded like the report's prose."""
        parts = [
            f"{b.label}{b.printed}{self.unit}" + (f"，占{b.share}" if b.share else "")
            for b in self.bars
        ]
        return "；".join(parts) + "。"


def chart_data(
    chart: Chart, figures: Figures, value: Callable[[str], str]
) -> ChartData:
    """The numbers of a declared chart from the compiled figures."""
    bars = []
    for code, label in zip(chart.bars, chart.labels, strict=True):
        share = ""
        if chart.shares:
            d = figures.share(code, chart.total)
            share = d.printed if d.value is not None else ""
        bars.append(Bar(code, label, float(figures.value(code)), value(code), share))
    return ChartData(chart.id, chart.section, chart.title, chart.unit, tuple(bars))


# Layout


@dataclass(frozen=True)
class _Row:
    """Where one bar goes, in points from the chart's top left corner."""

    label: str
    text: str  # the value beside the bar: ``printed（share）``
    top: float
    bottom: float
    end: float  # the bar's right end; it starts at the axis


@dataclass(frozen=True)
class _Layout:
    height: float
    axis: float  # x of the line the bars stand on
    rows: tuple[_Row, ...]


def _layout(data: ChartData, measure: Callable[[str], float]) -> _Layout:
    """Lay the chart out, ``measure`` giving a text's width in points.

    Bars go from top to bottom in table order; labels stay on one line, ending at
    the axis, and the scale leaves room beyond each bar for its value.
    """
    n = len(data.bars)
    texts = [b.printed + (f"（{b.share}）" if b.share else "") for b in data.bars]
    axis = MARGIN + max(measure(b.label) for b in data.bars) + GAP
    span = WIDTH - MARGIN - axis  # from the axis to the right margin
    xmax = 1.0
    for b, text in zip(data.bars, texts, strict=True):
        room = max(span - GAP - measure(text), MARGIN)
        xmax = max(xmax, b.value * span / room)
    thick = BAR_PITCH * BAR_FILL
    rows = []
    for i, (b, text) in enumerate(zip(data.bars, texts, strict=True)):
        middle = MARGIN + (i + 0.5) * BAR_PITCH
        end = axis + b.value * span / xmax
        rows.append(_Row(b.label, text, middle - thick / 2, middle + thick / 2, end))
    return _Layout(2 * MARGIN + n * BAR_PITCH, axis, tuple(rows))


def _width(text: str) -> float:
    """Width of a text in ems: CJK characters are one em, others about half."""
    import unicodedata

    return sum(1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.6 for ch in text)


# SVG


def chart_svg(data: ChartData) -> str:
    """The chart as an ``<svg>`` element to put inline in HTML (no XML prolog).

    Each bar is a ``<g id="{chart}-bar-{i}">`` holding its label, its bar (a path,
    which keeps its height when its value is 0) and its value, in user units of
    points. Only those groups have ids, so ids stay unique in a page of charts.
    """
    lay = _layout(data, lambda text: _width(text) * FONT_SIZE)
    family = ", ".join(f"'{f}'" for f in FONT_STACK) + ", sans-serif"
    w, h = _num(WIDTH), _num(lay.height)
    lines = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}pt" height="{h}pt"'
        f' viewBox="0 0 {w} {h}" font-family="{_esc(family)}"'
        f' font-size="{_num(FONT_SIZE)}">',
        f'<path d="M{_num(lay.axis)} {_num(MARGIN)}V{_num(lay.height - MARGIN)}"'
        f' stroke="#000" stroke-width="{_num(AXIS)}"/>',
    ]
    for i, row in enumerate(lay.rows, start=1):
        x0, x1 = _num(lay.axis), _num(row.end)
        y = _num((row.top + row.bottom) / 2 + BASELINE * FONT_SIZE)
        lines += [
            f'<g id="{_esc(data.id)}-bar-{i}">',
            f'<text x="{_num(lay.axis - GAP)}" y="{y}" text-anchor="end">'
            f"{_esc(row.label)}</text>",
            f'<path d="M{x0} {_num(row.top)}H{x1}V{_num(row.bottom)}H{x0}Z"'
            f' fill="{COLOR}"/>',
            f'<text x="{_num(row.end + GAP)}" y="{y}">{_esc(row.text)}</text>',
            "</g>",
        ]
    lines.append("</svg>")
    return "\n".join(lines)


def _num(x: float) -> str:
    """A coordinate with at most two decimals, the same on every platform."""
    text = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _esc(text: str) -> str:
    """Text escaped for XML content and double-quoted attribute values."""
    return html.escape(text, quote=False).replace('"', "&quot;")


# PNG


def chart_png(data: ChartData) -> bytes | None:
    """The chart as a PNG, or None when no CJK font is installed to draw it with."""
    from matplotlib import font_manager

    for family in FONT_STACK:
        try:
            with _quiet_fonts():
                font_manager.findfont(family, fallback_to_default=False)
        except ValueError:
            continue
        return _render(data)
    return None


@contextlib.contextmanager
def _quiet_fonts() -> Iterator[None]:
    """Silence matplotlib's font lookup: fonts of the stack that this machine lacks
    are expected, and so are missing glyphs of the fallback."""
    import logging
    import warnings

    log = logging.getLogger("matplotlib.font_manager")
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Glyph .* missing")
            yield
    finally:
        log.setLevel(level)


def _render(data: ChartData) -> bytes:
    import matplotlib
    from matplotlib.figure import Figure

    n = len(data.bars)
    height = BAR_PITCH / PT * n + 0.35
    em = FONT_SIZE / 72  # inches
    label_width = max(_width(b.label) for b in data.bars)
    left = (label_width * em + 0.15) / (WIDTH / PT)
    right = 0.98
    axes_width = (right - left) * WIDTH / PT
    texts = [b.printed + (f"（{b.share}）" if b.share else "") for b in data.bars]
    # The value labels stand beyond the bars: make room for the widest of them.
    xmax = 1.0
    for b, text in zip(data.bars, texts, strict=True):
        room = axes_width - (_width(text) * em + 0.08)
        xmax = max(xmax, b.value * axes_width / max(room, 0.1))
    rc: dict[Any, Any] = {
        "font.family": [*FONT_STACK, "DejaVu Sans"],
        "font.size": FONT_SIZE,
    }
    # Every artist takes its font from rcParams when it is made: make them inside.
    with matplotlib.rc_context(rc), _quiet_fonts():
        fig = Figure(figsize=(WIDTH / PT, height))
        ax = fig.add_axes((left, 0.1 / height, right - left, 1 - 0.2 / height))
        ys = list(range(n))
        ax.barh(ys, [b.value for b in data.bars], height=0.62, color=COLOR)
        for i, text in enumerate(texts):
            ax.text(
                data.bars[i].value + xmax * 0.01,
                i,
                text,
                va="center",
                ha="left",
                fontsize=FONT_SIZE,
            )
        ax.set_yticks(ys, [b.label for b in data.bars])
        ax.set_xlim(0, xmax)
        ax.set_ylim(n - 0.5, -0.5)  # the first bar on top, as the table reads
        ax.xaxis.set_visible(False)
        ax.tick_params(axis="y", length=0)
        for side in ("top", "right", "bottom"):
            ax.spines[side].set_visible(False)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", metadata={"Software": None}, dpi=200)
    return buf.getvalue()
