"""report.html: the report's sections as one self-contained page."""

from __future__ import annotations

from typing import Any

from govstats.aggregate import Figures


def report_html(env: Any, context: dict[str, Any], figures: Figures) -> str:
    """report.html: the same figures drawn by ``<format>/report.html.j2``.

    Tables come as grids (:mod:`govstats.publish.grid`) that the template's macros draw
    with their merged cells; charts as inline SVG with their numbers as text.
    """
    from markupsafe import Markup

    from govstats.publish.charts import chart_by_id, chart_svg
    from govstats.publish.grid import format_grid, share_grid

    fmt = figures.fmt
    v = context["v"]

    def chart(chart_id: str) -> dict[str, Any] | None:
        # None for the two-year chart when it is not drawn (no last year).
        data = chart_by_id(chart_id, figures, v)
        if data is None:
            return None
        # charts.py's own SVG, whose text it escapes; nothing from a workbook.
        return {"data": data, "svg": Markup(chart_svg(data))}

    html = {
        **context,
        "grid": lambda table_id: format_grid(
            next(t for t in fmt.tables if t.id == table_id), v
        ),
        "share_grid": lambda table_id: share_grid(
            figures, next(t for t in fmt.report.tables if t.id == table_id), v
        ),
        "chart": chart,
    }
    return str(env.get_template(f"{fmt.id}/report.html.j2").render(html))
