"""The report templates' jinja2 environment."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from govstats.publish.report_md import markdown_text


@functools.lru_cache(maxsize=4)
def report_environment(templates: str | Path | None) -> Any:
    """The report templates' environment; kept, so that a template is compiled
    once (a template changed on disk is compiled again: auto_reload)."""
    import jinja2

    loaders: list[jinja2.BaseLoader] = []
    if templates is not None:
        loaders.append(jinja2.FileSystemLoader(str(templates)))
    loaders.append(jinja2.FileSystemLoader(str(Path(__file__).with_name("templates"))))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        # HTML templates escape what they print (unit names come from workbooks);
        # Markdown templates print text as it is.
        autoescape=jinja2.select_autoescape(["html.j2"], default=False),
    )
    # report.md is Markdown, not HTML: names from inputs go through `| md`, which
    # makes them literal text (no markup, no raw HTML, one line).
    env.filters["md"] = markdown_text
    return env
