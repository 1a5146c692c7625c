"""YAML declarations read through a cache (govstats.core.declarations; issue 5)."""

from __future__ import annotations

import sys
from pathlib import Path

from govstats.core import declarations


def read_yaml(path: Path):
    return declarations.read_yaml(path, path.parent / "cache")


def caches(folder: Path) -> list[str]:
    return sorted(p.name for p in (folder / "cache").glob("*.marshal"))


def test_parsed_once_then_read_from_the_cache(tmp_path):
    path = tmp_path / "f.yaml"
    path.write_text("a: 1\nb: [x, 'y', 2.5]\n", encoding="utf-8")
    assert read_yaml(path) == {"a": 1, "b": ["x", "y", 2.5]}
    [name] = caches(tmp_path)
    # Whatever the cache holds is what is read: proof that it is used.
    import marshal

    (tmp_path / "cache" / name).write_bytes(marshal.dumps({"a": 2}))
    assert read_yaml(path) == {"a": 2}


def test_an_edited_file_is_parsed_afresh_and_its_old_cache_removed(tmp_path):
    path = tmp_path / "f.yaml"
    path.write_text("a: 1\n", encoding="utf-8")
    read_yaml(path)
    before = caches(tmp_path)
    path.write_text("a: 3\n", encoding="utf-8")
    assert read_yaml(path) == {"a": 3}
    after = caches(tmp_path)
    assert len(after) == 1 and after != before


def test_a_damaged_or_impossible_cache_is_not_used(tmp_path):
    path = tmp_path / "f.yaml"
    path.write_text("when: 2017-01-01\nname: 株洲\n", encoding="utf-8")
    # A date cannot be kept by marshal: read, but not cached.
    assert str(read_yaml(path)["when"]) == "2017-01-01"
    assert caches(tmp_path) == []
    path.write_text("name: 株洲\n", encoding="utf-8")
    read_yaml(path)
    [name] = caches(tmp_path)
    (tmp_path / "cache" / name).write_bytes(b"\x00garbage")
    assert read_yaml(path) == {"name": "株洲"}


def test_a_folder_that_cannot_hold_a_cache(tmp_path):
    (tmp_path / "cache").write_text("a file, not a folder")
    path = tmp_path / "f.yaml"
    path.write_text("a: 1\n", encoding="utf-8")
    assert read_yaml(path) == {"a": 1}


def test_the_cache_is_in_the_users_cache_folder_never_in_the_package(
    tmp_path, monkeypatch
):
    # Issue 13: a cache written into schemas/__pycache__ dirtied a checkout and
    # failed in a read-only installation.
    from govstats.formats import schemas_dir

    monkeypatch.delenv("GOVSTATS_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    if sys.platform.startswith("linux"):
        assert declarations.cache_dir() == tmp_path / "xdg" / "govstats"
    monkeypatch.setenv("GOVSTATS_CACHE_DIR", str(tmp_path / "mine"))
    assert declarations.cache_dir() == tmp_path / "mine"
    declarations.read_yaml(schemas_dir() / "gk2008.yaml")
    [kept] = (tmp_path / "mine" / "declarations").glob("gk2008.yaml.*.marshal")
    assert not (schemas_dir() / "__pycache__").exists() or not list(
        (schemas_dir() / "__pycache__").glob("*.marshal")
    )


def test_files_of_one_name_in_two_places_are_kept_apart(tmp_path):
    for place, value in (("a", 1), ("b", 2)):
        (tmp_path / place).mkdir()
        (tmp_path / place / "f.yaml").write_text(f"v: {value}\n", encoding="utf-8")
    cache = tmp_path / "cache"
    for _ in range(2):
        assert declarations.read_yaml(tmp_path / "a" / "f.yaml", cache) == {"v": 1}
        assert declarations.read_yaml(tmp_path / "b" / "f.yaml", cache) == {"v": 2}
    assert len(list(cache.glob("f.yaml.*.marshal"))) == 2
