"""Bar charts of the report: an SVG written here, and a PNG drawn with Pillow.

A format declares its charts (``report.charts`` in ``schemas/*.yaml``); here each
becomes an inline SVG for report.html (text left as text, so it is searchable,
selectable and read by screen readers) and, when a CJK font is installed, a PNG for
report.docx.

The SVG is built as a string, its layout computed from the labels' length in ems
(:func:`_width`) rather than measured with a font, so the same figures give the
same bytes on any machine and with any version of any library. Which font draws the
text is the reader's: the SVG names the CJK stack of report.html's stylesheet,
which also sets it. The PNG is laid out the same way, but measured with the font
that draws it, the first of :data:`FONT_STACK` found in the system's font folders.

Pillow is imported only here, and only while report.docx is rendered (a small
fraction of what matplotlib's import and rendering cost on every compile).
"""

from __future__ import annotations

import functools
import html
import io
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from govstats.formats import Chart

if TYPE_CHECKING:
    from PIL.ImageFont import FreeTypeFont

    from govstats.aggregate import Figures

__all__ = [
    "FONT_STACK",
    "YEARS_CHART",
    "Bar",
    "ChartData",
    "chart_by_id",
    "chart_data",
    "chart_png",
    "chart_svg",
    "years_chart_data",
]

# The CJK fonts that may draw a chart, in order (report.html's `--sans`), each with
# the file names its regular face is installed under: Debian, Fedora, Arch and
# Alpine packages, Adobe's and Google's releases, Windows, macOS.
FONT_FILES: dict[str, tuple[str, ...]] = {
    "Noto Sans CJK SC": (
        "NotoSansCJK-Regular.ttc",
        "NotoSansCJKsc-Regular.otf",
        "NotoSansSC-Regular.otf",
    ),
    "Source Han Sans SC": (
        "SourceHanSans-Regular.ttc",
        "SourceHanSansSC-Regular.otf",
    ),
    "Microsoft YaHei": ("msyh.ttc", "msyh.ttf"),
    "PingFang SC": ("PingFang.ttc",),
    "WenQuanYi Zen Hei": ("wqy-zenhei.ttc",),
    "SimHei": ("simhei.ttf",),
}
FONT_STACK = tuple(FONT_FILES)
FONT_SIZE = 10.0  # points
PT = 72.0  # points per inch
WIDTH = 6.3 * PT  # the text width of A4 with 2.5 cm margins
BAR_PITCH = 0.34 * PT  # per bar
BAR_FILL = 0.62  # of the pitch
MARGIN = 0.1 * PT  # around the chart
GAP = 3.5  # points between a label and its bar, and a bar and its value
AXIS = 0.8  # points: the line the bars stand on
MIN_BAR = 1.5 * AXIS  # the least a figure other than 0 reaches: beyond the axis line
BASELINE = 0.35  # ems below a line's middle: centres CJK and digits alike
COLOR = "#2F5597"
DPI = 200  # of the PNG
# zlib's level for the PNG: 3 is markedly faster than the default (6) for a few
# per cent more bytes.
PNG_COMPRESSION = 3


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


#: the id of the two-year bar chart (issue 19), drawn only with last year's figures
YEARS_CHART = "years"


def years_chart_data(figures: Figures, value: Callable[[str], str]) -> ChartData | None:
    """The two-year bar chart: last year's bar and this year's for each figure the
    format compares and marks ``chart``; None without last year's figures, or
    where it would not help (every such figure 0 in both years)."""
    from govstats.aggregate import format_value

    charted = {c.code for c in figures.fmt.report.compared if c.chart}
    changes = [c for code, c in figures.changes.items() if code in charted]
    if figures.previous is None or not any(c.current or c.previous for c in changes):
        return None
    last, year = figures.previous.year, figures.year
    bars = []
    for c in changes:
        bars.append(
            Bar(
                f"{c.code}@{last}",
                f"{c.label}（{last}年）",
                float(c.previous),
                format_value(c.previous, c.places),
                "",
            )
        )
        bars.append(
            Bar(c.code, f"{c.label}（{year}年）", float(c.current), value(c.code), "")
        )
    title = f"主要数据与{last}年比较"
    return ChartData(YEARS_CHART, "一", title, changes[0].unit, tuple(bars))


def chart_by_id(
    chart_id: str, figures: Figures, value: Callable[[str], str]
) -> ChartData | None:
    """The numbers of the chart ``chart_id``: one the format declares, or the
    two-year chart (None when it is not drawn)."""
    if chart_id == YEARS_CHART:
        return years_chart_data(figures, value)
    spec = next(c for c in figures.fmt.report.charts if c.id == chart_id)
    return chart_data(spec, figures, value)


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
        if b.value > 0:
            end = max(end, axis + MIN_BAR)
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
    """The chart as a PNG at :data:`DPI`, or None when no CJK font is installed to
    draw it with. The same pixels give the same bytes: no date or other metadata."""
    font = _cjk_font()
    if font is None:
        return None
    from PIL import Image, ImageDraw

    scale = DPI / PT  # pixels per point
    lay = _layout(data, lambda text: font.getlength(text) / scale)

    def px(x: float) -> int:
        return round(x * scale)

    image = Image.new("RGB", (px(WIDTH), px(lay.height)), "white")
    draw = ImageDraw.Draw(image)  # antialiases text in an RGB image
    axis = px(lay.axis)
    for row in lay.rows:
        middle = (row.top + row.bottom) / 2 * scale
        # Anchored at the right (label) or left (value) end, and the middle.
        label_at = (axis - GAP * scale, middle)
        draw.text(label_at, row.label, fill="black", font=font, anchor="rm")
        # Pillow's rectangles include their right edge; a 0 draws no bar.
        if px(row.end) > axis:
            box = (axis, px(row.top), px(row.end) - 1, px(row.bottom) - 1)
            draw.rectangle(box, fill=COLOR)
        value_at = ((row.end + GAP) * scale, middle)
        draw.text(value_at, row.text, fill="black", font=font, anchor="lm")
    axis_line = ((axis, px(MARGIN)), (axis, px(lay.height - MARGIN)))
    draw.line(axis_line, fill="black", width=px(AXIS))
    buf = io.BytesIO()
    image.save(buf, format="PNG", dpi=(DPI, DPI), compress_level=PNG_COMPRESSION)
    return buf.getvalue()


def prepare() -> None:
    """Find the CJK font the PNG charts are drawn with, ahead of time (a walk of
    the system's font folders)."""
    _cjk_font()


@functools.cache
def _cjk_font() -> FreeTypeFont | None:
    """The first font of :data:`FONT_STACK` installed, at :data:`FONT_SIZE`.

    Files are looked up by name in one walk of the system's font folders: cheap
    (a few ms) and the same wherever fonts are installed, where fontconfig is
    Linux's only and Pillow's own lookup walks the folders again for each name.
    """
    from PIL import ImageFont

    files: dict[str, Path] = {}
    for folder in _font_dirs():
        for root, _dirs, names in os.walk(folder):
            for name in names:
                files.setdefault(name.lower(), Path(root, name))
    size = FONT_SIZE * DPI / PT
    for family in FONT_STACK:
        for name in FONT_FILES[family]:
            path = files.get(name.lower())
            if path is None:
                continue
            # A collection (.ttc) holds several faces: take the family's, else the
            # first. A file FreeType cannot read has none, and the next is tried.
            faces = []
            for index in range(32):
                try:
                    face = ImageFont.truetype(
                        path, size, index=index, layout_engine=ImageFont.Layout.BASIC
                    )
                except OSError:
                    break
                if face.getname()[0] == family:
                    return face
                faces.append(face)
            if faces:
                return faces[0]
    return None


def _font_dirs() -> list[Path]:
    """The folders the system and the user install fonts in, as far as they exist."""
    home = Path(os.path.expanduser("~"))  # never raises, unlike Path.home()
    if sys.platform == "win32":
        windir = os.environ.get("WINDIR", r"C:\Windows")
        local = os.environ.get("LOCALAPPDATA", str(home / "AppData" / "Local"))
        dirs = [Path(windir, "Fonts"), Path(local, "Microsoft", "Windows", "Fonts")]
    elif sys.platform == "darwin":
        dirs = [Path("/System/Library/Fonts"), Path("/Library/Fonts")]
        dirs.append(home / "Library" / "Fonts")
    else:
        data_home = os.environ.get("XDG_DATA_HOME") or str(home / ".local" / "share")
        data_dirs = os.environ.get("XDG_DATA_DIRS") or "/usr/local/share:/usr/share"
        dirs = [Path(d, "fonts") for d in [data_home, *data_dirs.split(":")] if d]
        dirs.append(home / ".fonts")
    return [d for d in dirs if _is_dir(d)]


def _is_dir(path: Path) -> bool:
    """Whether ``path`` is a folder; False for one the user may not look into
    (a HOME without read permission: is_dir raises PermissionError there, and a
    folder no one can read holds no font to draw with)."""
    try:
        return path.is_dir()
    except OSError:
        return False
