"""The pages per user show real output: regenerating them changes nothing."""

from __future__ import annotations

import pytest

from govstats.cli.docs import DOCS, USER_PAGES, user_pages


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
