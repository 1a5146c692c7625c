"""Bar charts of the report, drawn with matplotlib.

A format declares its charts (``report.charts`` in ``schemas/*.yaml``); here each
becomes an inline SVG for report.html (text left as text, so it is searchable,
selectable and read by screen readers) and, when a CJK font is installed, a PNG for
report.docx. Both are reproducible: no date and a fixed hash salt. The SVG's layout
does not depend on the fonts installed either: margins come from the labels' length
in characters, and text is measured (for vertical centring) with DejaVu Sans, the
font matplotlib ships, so the same figures give the same bytes on any machine with
the same matplotlib. Which font draws the text is the page's business: report.html's
stylesheet gives chart text its CJK font stack. The PNG is drawn with the first CJK
font of :data:`FONT_STACK` installed.

matplotlib is imported only here, and only while a report is rendered. The
object-oriented ``Figure`` API is used without pyplot, so no GUI backend is ever
chosen; PNGs are drawn by Agg.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from govstats.formats import Chart

if TYPE_CHECKING:
    from govstats.aggregate import Figures

__all__ = ["FONT_STACK", "Bar", "ChartData", "chart_data", "chart_png", "chart_svg"]

# The CJK fonts that may draw a PNG chart, in order (as report.html's CSS names them).
FONT_STACK = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Microsoft YaHei",
    "PingFang SC",
    "WenQuanYi Zen Hei",
    "SimHei",
    "DejaVu Sans",
)
# Measures the SVG's text: shipped with matplotlib, so the same on every machine.
MEASURE_FONT = "DejaVu Sans"
FONT_SIZE = 10  # points
WIDTH = 6.3  # inches: the text width of A4 with 2.5 cm margins
BAR_PITCH = 0.34  # inches per bar
COLOR = "#2F5597"


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


def chart_svg(data: ChartData) -> str:
    """The chart as an ``<svg>`` element to put inline in HTML (no XML prolog)."""
    svg = _render(data, "svg")
    return svg.decode()[svg.index(b"<svg") :]


def chart_png(data: ChartData) -> bytes | None:
    """The chart as a PNG, or None when no CJK font is installed to draw it with."""
    from matplotlib import font_manager

    for family in FONT_STACK[:-1]:
        try:
            with _quiet_fonts():
                font_manager.findfont(family, fallback_to_default=False)
        except ValueError:
            continue
        return _render(data, "png")
    return None


@contextlib.contextmanager
def _quiet_fonts() -> Iterator[None]:
    """Silence matplotlib's font lookup: fonts of the stack that this machine lacks
    are expected (the SVG names them for the reader's system), and so are missing
    glyphs while laying out the SVG, whose text the browser draws."""
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


def _width(text: str) -> float:
    """Width of a text in ems: CJK characters are one em, others about half."""
    import unicodedata

    return sum(1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.6 for ch in text)


def _render(data: ChartData, fmt: str) -> bytes:
    import matplotlib
    from matplotlib.figure import Figure

    n = len(data.bars)
    height = BAR_PITCH * n + 0.35
    em = FONT_SIZE / 72  # inches
    # Labels stay on one line: the SVG anchors a line's end (text-anchor), which
    # needs no measuring, where lines of a wrapped label would be placed by widths
    # measured with a font that may not be the one the page draws them in.
    label_width = max(_width(b.label) for b in data.bars)
    left = (label_width * em + 0.15) / WIDTH
    right = 0.98
    axes_width = (right - left) * WIDTH
    texts = [b.printed + (f"（{b.share}）" if b.share else "") for b in data.bars]
    # The value labels stand beyond the bars: make room for the widest of them.
    xmax = 1.0
    for b, text in zip(data.bars, texts, strict=True):
        room = axes_width - (_width(text) * em + 0.08)
        xmax = max(xmax, b.value * axes_width / max(room, 0.1))
    rc: dict[Any, Any] = {
        "svg.fonttype": "none",
        # Clip-path ids derive from this salt: one per chart keeps them unique in
        # a page of several charts, and the same on every run.
        "svg.hashsalt": f"govstats-{data.id}",
        "font.family": list(FONT_STACK) if fmt == "png" else [MEASURE_FONT],
        "font.size": FONT_SIZE,
    }
    # Every artist takes its font from rcParams when it is made: make them inside.
    with matplotlib.rc_context(rc), _quiet_fonts():
        fig = Figure(figsize=(WIDTH, height))
        ax = fig.add_axes((left, 0.1 / height, right - left, 1 - 0.2 / height))
        ys = list(range(n))
        bars = ax.barh(ys, [b.value for b in data.bars], height=0.62, color=COLOR)
        for i, (patch, text) in enumerate(zip(bars, texts, strict=True)):
            patch.set_gid(f"{data.id}-bar-{i + 1}")
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
        _unique_ids(fig, data.id)
        buf = io.BytesIO()
        metadata: dict[str, Any] = (
            {"Date": None, "Creator": "govstats"}
            if fmt == "svg"
            else {"Software": None}
        )
        fig.savefig(buf, format=fmt, metadata=metadata, dpi=200)
    return buf.getvalue()


def _unique_ids(fig: Any, prefix: str) -> None:
    """Give every drawn element an id of this chart: matplotlib numbers them from 1
    in each SVG, which would repeat ids across the charts of one HTML page."""
    for i, artist in enumerate(fig.findobj(), start=1):
        if not artist.get_gid():
            artist.set_gid(f"{prefix}-{i}")
