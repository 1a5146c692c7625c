"""YAML declarations read through a cache (govstats.core.declarations; issue 5)."""

from __future__ import annotations

from pathlib import Path

from govstats.core.declarations import read_yaml


def caches(folder: Path) -> list[str]:
    return sorted(p.name for p in (folder / "__pycache__").glob("*.marshal"))


def test_parsed_once_then_read_from_the_cache(tmp_path):
    path = tmp_path / "f.yaml"
    path.write_text("a: 1\nb: [x, 'y', 2.5]\n", encoding="utf-8")
    assert read_yaml(path) == {"a": 1, "b": ["x", "y", 2.5]}
    [name] = caches(tmp_path)
    # Whatever the cache holds is what is read: proof that it is used.
    import marshal

    (tmp_path / "__pycache__" / name).write_bytes(marshal.dumps({"a": 2}))
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
    (tmp_path / "__pycache__" / name).write_bytes(b"\x00garbage")
    assert read_yaml(path) == {"name": "株洲"}


def test_a_folder_that_cannot_hold_a_cache(tmp_path):
    (tmp_path / "__pycache__").write_text("a file, not a folder")
    path = tmp_path / "f.yaml"
    path.write_text("a: 1\n", encoding="utf-8")
    assert read_yaml(path) == {"a": 1}
