"""The pages per user show real output: regenerating them changes nothing."""

from __future__ import annotations

import pytest

from govstats.cli.docs import DOCS, USER_PAGES, user_pages
from tests.libreoffice import soffice


@pytest.fixture(scope="module")
def pages() -> dict[str, str]:
    return user_pages()


@pytest.mark.parametrize("name", USER_PAGES)
def test_user_page_is_current(pages, name):
    # Run `make docs` after changing what a command prints, and review the diff.
    assert (DOCS / name).read_text(encoding="utf-8") == pages[name], name


def test_readme_links_every_page():
    readme = (DOCS.parent / "README.md").read_text(encoding="utf-8")
    for name in (*USER_PAGES, "cli.md", "errors.md"):
        assert f"(docs/{name})" in readme, name


# Screenshots of the live checks (issue 17)

RED, AMBER = (0xFF, 0xC7, 0xCE), (0xFF, 0xEB, 0x9C)


def _colours(png):
    from PIL import Image

    with Image.open(png) as image:
        return {c for _, c in image.convert("RGB").getcolors(maxcolors=1 << 16)}


def test_clerk_page_shows_the_checks_rendered():
    from govstats.cli.docs import IMAGES

    page = (DOCS / "department-clerk.md").read_text(encoding="utf-8")
    for sheet, name in (
        ("表3 依申请公开情况", "clerk-table3.png"),
        ("校验", "clerk-checks.png"),
    ):
        assert f'<!-- screenshot: 财政局.xlsx "{sheet}" {name} -->' in page
        assert f"](img/{name})" in page
        png = IMAGES / name
        assert png.stat().st_size < 60_000, name
        # The planted slip in red, the answer it leaves open in amber.
        assert {RED, AMBER} <= _colours(png), name


@soffice
def test_render_sheet_shows_a_failed_rule_red(tmp_path):
    from govstats.cli.docs import render_sheet
    from govstats.core.output import write_workbook
    from govstats.formats import load_format
    from govstats.publish.template_xlsx import build_template
    from tests.conftest import consistent_values

    values = {**consistent_values(), "zd.total": 1}
    path = tmp_path / "unit.xlsx"
    write_workbook(build_template(load_format("gk2008"), 2017, values=values), path)
    render_sheet(path, "校验", tmp_path / "checks.png")
    render_sheet(path, "表1 主动公开政府信息情况", tmp_path / "t1.png")
    assert RED in _colours(tmp_path / "checks.png")
    assert RED in _colours(tmp_path / "t1.png")
    assert AMBER not in _colours(tmp_path / "t1.png")
