"""Validation of gk2008 workbooks: each kind of mistake, located to its cell."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from govstats.actions import validate_workbooks
from tests.conftest import set_value


def problems(path: Path, **kw):
    report = validate_workbooks([path], **kw).report
    return report.flatten(["code", "severity", "sheet", "cell", "indicator"])


T1 = "表1 主动公开政府信息情况"
T3 = "表3 依申请公开情况"
T5 = "表5 行政复议、行政诉讼和举报投诉情况"


def test_consistent_workbook_is_valid(make_workbook):
    result = validate_workbooks([make_workbook()], year=2017)
    assert result.report.valid
    assert result.report.problems == []
    assert result.unit_values(0)["sq.received"] == 12
    assert str(result.unit_values(0)["zd.portal_visits"]) == "12.5"


@pytest.mark.parametrize(
    ("code", "value", "expected"),
    [
        ("sq.ch.fax", -1, ["negative-value", "error", T3, "D6", "sq.ch.fax"]),
        ("sq.ch.fax", "abc", ["not-a-number", "error", T3, "D6", "sq.ch.fax"]),
        ("sq.ch.fax", None, ["value-blank", "error", T3, "D6", "sq.ch.fax"]),
        ("sq.ch.fax", 3.5, ["not-integer", "error", T3, "D6", "sq.ch.fax"]),
        (
            "sf.fees",
            1.255,
            ["too-many-decimals", "error", "表4 依申请公开收费情况", "D4", "sf.fees"],
        ),
        ("sq.ch.fax", True, ["not-a-number", "error", T3, "D6", "sq.ch.fax"]),
    ],
)
def test_bad_cell_is_located(make_workbook, code, value, expected):
    path = make_workbook(edit=lambda wb: set_value(wb, code, value))
    found = problems(path)
    assert expected in found
    # A cell with no valid value does not also trip the totals that use it.
    assert all(p[0] not in ("total-mismatch",) for p in found)


def test_total_differs_from_parts(make_workbook):
    path = make_workbook(values={"sq.received": 13})
    report = validate_workbooks([path]).report
    [p] = [p for p in report.problems if p.code == "total-mismatch"]
    assert (p.sheet, p.cell, p.rule, p.found, p.expected) == (
        T3,
        "D4",
        "SQ-CH-SUM",
        "13",
        "12",
    )
    assert "各分项之和为 12" in p.message("zh")
    assert "当面申请 3 + 传真申请 0 + 网络申请 8 + 信函申请 1" in p.message("zh")
    assert "add up to 12" in p.message("en")


def test_subset_larger_than_whole(make_workbook):
    path = make_workbook(values={"fy.litigation_upheld": 2})
    assert problems(path) == [
        ["subset-exceeds", "error", T5, "D6", "fy.litigation_upheld"],
    ]


def test_deleted_code_row(make_workbook):
    path = make_workbook(edit=lambda wb: wb[T3].delete_rows(6))
    found = problems(path)
    assert ["code-missing", "error", T3, "", "sq.ch.fax"] in found


def test_duplicated_code_row(make_workbook):
    def dup(wb):
        ws = wb[T3]
        ws.cell(30, 2, "sq.ch.fax")
        ws.cell(30, 4, 0)

    assert problems(make_workbook(edit=dup)) == [
        ["code-duplicate", "error", T3, "B30", "sq.ch.fax"]
    ]


def test_reordered_rows_and_blank_rows_are_fine(make_workbook):
    def shuffle(wb):
        ws = wb[T3]
        ws.protection.sheet = False
        ws.insert_rows(6, 3)
        ws.move_range("A4:E4", rows=30)

    assert problems(make_workbook(edit=shuffle)) == []


def test_text_numbers_are_read_with_warning(make_workbook):
    def edit(wb):
        set_value(wb, "sq.ch.in_person", " 3 ")
        set_value(wb, "sq.ch.online", "８")
        set_value(wb, "sq.ch.letter", "1件")
        set_value(wb, "zd.news", "30")

    result = validate_workbooks([make_workbook(edit=edit)])
    assert result.report.valid
    assert [p.code for p in result.report.problems] == ["number-as-text"] * 4
    assert result.unit_values(0)["sq.ch.online"] == 8


def test_grouped_thousands(make_workbook):
    def edit(wb):
        set_value(wb, "zd.news", "1,234")
        set_value(wb, "zd.total", 1263)

    result = validate_workbooks([make_workbook(edit=edit)])
    assert result.report.valid
    assert result.unit_values(0)["zd.news"] == 1234


def test_renamed_and_hidden_sheets_are_recognised(make_workbook):
    def edit(wb):
        wb[T3].title = "依申请公开"
        wb[T1].sheet_state = "hidden"

    found = problems(make_workbook(edit=edit))
    assert sorted(found) == [
        ["sheet-hidden", "warning", T1, "", ""],
        ["sheet-renamed", "warning", "依申请公开", "", ""],
    ]


def test_missing_sheet_is_reported_once(make_workbook):
    found = problems(make_workbook(edit=lambda wb: wb.remove(wb[T5])))
    assert found == [["sheet-missing", "error", "", "", ""]]


def test_formula_cells_use_cached_value_or_ask_to_save(make_workbook):
    path = make_workbook(edit=lambda wb: set_value(wb, "sq.received", "=SUM(D5:D8)"))
    assert problems(path) == [["formula-no-value", "error", T3, "D4", "sq.received"]]


def test_merged_value_cell(make_workbook):
    path = make_workbook(edit=lambda wb: wb[T3].merge_cells("D5:D6"))
    assert ["merged-cell", "error", T3, "D6", "sq.ch.fax"] in problems(path)


def test_soft_rules_warn_and_quote_the_remark(make_workbook):
    def edit(wb):
        set_value(wb, "sq.answered", 11)
        set_value(wb, "sq.out.other", 2)
        wb[T3].cell(9, 5, "1件年底仍在办理")

    result = validate_workbooks([make_workbook(edit=edit)])
    assert result.report.valid
    [p] = result.report.problems
    # Explained in 说明: a note, not a warning to chase (issue 16, point 15).
    assert (p.code, p.rule, p.severity, p.cell) == (
        "values-differ",
        "SQ-OPEN",
        "note",
        "D9",
    )
    assert "（说明：1件年底仍在办理）" in p.message()
    assert result.report.stats["warnings"] == 0
    assert result.report.stats["notes"] == 1


def test_soft_rule_without_a_remark_stays_a_warning(make_workbook):
    def edit(wb):
        set_value(wb, "sq.answered", 11)
        set_value(wb, "sq.out.other", 2)

    [p] = validate_workbooks([make_workbook(edit=edit)]).report.problems
    assert (p.code, p.severity) == ("values-differ", "warning")


def test_explained_warning_shown_as_a_note(make_workbook):
    # Issue 16, point 15: the terminal, validation.md and the annotated copy
    # show an explained warning as explained, and count it apart.
    from govstats.check.annotate import annotate_workbooks
    from govstats.cli.present import report_text
    from govstats.publish.validation import report_markdown

    def edit(wb):
        set_value(wb, "sq.answered", 11)
        set_value(wb, "sq.out.other", 2)
        wb[T3].cell(9, 5, "1件年底仍在办理")

    path = make_workbook(edit=edit)
    result = validate_workbooks([path])
    lines = report_text(result.report).splitlines()
    assert lines[0] == f"✓ {path} (U01 测试局)：0 个错误，0 个警告，1 条已说明"
    assert lines[1].startswith(f"  已说明  {T3}!D9  values-differ [SQ-OPEN]")
    assert (
        lines[-1] == "共检查 1 个文件，0 个未通过；错误 0 个，警告 0 个，1 条已说明。"
    )
    en = report_text(result.report, "en").splitlines()
    assert en[0].endswith(": 0 error(s), 0 warning(s), 1 explained")
    assert en[1].startswith(f"  explained  {T3}!D9")
    md = report_markdown(result.report)
    assert f"| 已说明 | {T3}!D9 | values-differ |" in md
    import openpyxl

    [copy] = annotate_workbooks(result, path.parent / "annotated")
    wb = openpyxl.load_workbook(copy)
    assert wb["问题清单"]["B2"].value == "已说明"
    assert wb[T3]["D9"].fill.fgColor.rgb.endswith("DDEBF7")


def test_year_roster_and_duplicates(make_workbook, tmp_path):
    roster = tmp_path / "units.csv"
    roster.write_text(
        "单位代码,单位名称,层级,类别\nU01,测试局,市本级,市政府工作部门\n",
        encoding="utf-8",
    )
    a = make_workbook("a.xlsx", year=2016)
    b = make_workbook("b.xlsx", unit_code="U99")
    c = make_workbook("c.xlsx", year=2017)
    report = validate_workbooks([a, b, c], year=2017, roster=roster).report
    assert report.flatten(["file", "code", "cell"]) == [
        [str(a), "year-mismatch", "B5"],
        [str(b), "unit-not-in-roster", "B4"],
        [str(c), "unit-duplicate", "B4"],
    ]


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("empty.xlsx", b"", "file-unreadable"),
        ("text.xlsx", b"just some text\n", "file-unreadable"),
        ("data.csv", "单位代码,值\n".encode(), "file-format-unsupported"),
        ("truncated.xlsx", None, "file-unreadable"),
    ],
)
def test_unreadable_files_become_problems(make_workbook, tmp_path, name, content, code):
    path = tmp_path / name
    if content is None:
        content = make_workbook().read_bytes()[:1000]
    path.write_bytes(content)
    report = validate_workbooks([path]).report
    assert report.flatten(["code", "file"]) == [[code, str(path)]]
    assert not report.valid


def test_missing_file(tmp_path):
    report = validate_workbooks([tmp_path / "nope.xlsx"]).report
    assert report.flatten(["code"]) == [["file-not-found"]]


def test_every_problem_of_many_files_at_once(make_workbook):
    paths = [
        make_workbook(f"u{i}.xlsx", unit_code=f"U{i}", values={"zd.total": 59 + i})
        for i in range(3)
    ]
    report = validate_workbooks(paths).report
    assert [f.valid for f in report.files] == [True, False, False]
    assert report.stats == {
        "files": 3,
        "invalid_files": 2,
        "errors": 2,
        "warnings": 0,
        "notes": 0,
    }


def test_max_problems_adds_limit_warning(make_workbook):
    def edit(wb):
        for code in ("sq.ch.fax", "sq.ch.letter", "zd.org"):
            set_value(wb, code, "x")

    report = validate_workbooks([make_workbook(edit=edit)], max_problems=2).report
    assert [p.code for p in report.problems] == [
        "not-a-number",
        "not-a-number",
        "limit-reached",
    ]


def test_input_is_never_modified(make_workbook):
    import hashlib

    path = make_workbook(values={"sq.received": 1})
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    validate_workbooks([path])
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_unknown_stated_year_is_reported_not_fatal(make_workbook):
    path = make_workbook(year=1999)
    report = validate_workbooks([path], year=2017).report
    assert report.flatten(["code", "found", "expected"]) == [
        ["year-mismatch", "1999", "2017"]
    ]
    assert validate_workbooks([path]).report.valid  # without --year: read as gk2008


# Many workbooks are read by a pool of processes (issue 5): same units, same order.


@pytest.mark.parametrize("year", [2017, None])  # None: the first readable one says
def test_a_pool_of_readers_gives_the_same_units_in_order(
    make_workbook, tmp_path, monkeypatch, year
):
    import govstats.check.validate as validate

    paths = [
        make_workbook(f"u{i}.xlsx", unit_code=f"U{i}", values=values)
        for i, values in enumerate([{}, {"zd.total": 60}, {"sf.fees": Decimal("12.5")}])
    ]
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    paths.insert(0 if year is None else 1, broken)
    alone = validate.load_units(paths, year, None)

    monkeypatch.setattr(validate, "PARALLEL_MIN", 1)
    monkeypatch.setattr(validate, "_CHUNK", 1)
    monkeypatch.setattr(validate, "_cpus", lambda: 2)
    pools: list[object] = []
    start_method = validate._start_method
    monkeypatch.setattr(
        validate, "_start_method", lambda: pools.append(1) or start_method()
    )
    seen: list[tuple[int, int, Path]] = []
    pooled = validate.load_units(
        paths, year, None, lambda n, total, path: seen.append((n, total, path))
    )
    assert pools, "the workbooks were not read by a pool"
    assert pooled[0] is alone[0]
    assert pooled[1] == alone[1]
    cells = [
        [(c.code, str(c.value), c.remark) for c in u.cells.values()] for u in alone[1]
    ]
    assert [
        [(c.code, str(c.value), c.remark) for c in u.cells.values()] for u in pooled[1]
    ] == cells
    assert seen == [(n, len(paths), p) for n, p in enumerate(paths, start=1)]


def test_with_another_thread_running_workers_are_spawned(make_workbook, monkeypatch):
    # A progress bar runs a thread; forking then is unsafe, so workers are spawned.
    import threading

    import govstats.check.validate as validate

    paths = [make_workbook(f"u{i}.xlsx", unit_code=f"U{i}") for i in range(2)]
    alone = validate.load_units(paths, 2017, None)
    monkeypatch.setattr(validate, "PARALLEL_MIN", 1)
    monkeypatch.setattr(validate, "_CHUNK", 1)
    monkeypatch.setattr(validate, "_cpus", lambda: 2)
    monkeypatch.setattr(threading, "active_count", lambda: 2)
    assert validate._start_method().get_start_method() == "spawn"
    assert validate.load_units(paths, 2017, None) == alone


def test_spawned_workers_read_within_the_main_process_limits(
    make_workbook, monkeypatch
):
    # Limits given by the caller (as the hostile tests give them) reach the
    # workers, spawned ones too, which would otherwise read with the defaults.
    import threading

    import govstats.check.validate as validate
    from govstats.core.limits import Limits

    paths = [make_workbook(f"u{i}.xlsx", unit_code=f"U{i}") for i in range(2)]
    limits = Limits(cells=100)
    alone = validate.load_units(paths, 2017, None, limits=limits)
    assert all(u.problems for u in alone[1])
    monkeypatch.setattr(validate, "PARALLEL_MIN", 1)
    monkeypatch.setattr(validate, "_CHUNK", 1)
    monkeypatch.setattr(validate, "_cpus", lambda: 2)
    monkeypatch.setattr(threading, "active_count", lambda: 2)
    assert validate.load_units(paths, 2017, None, limits=limits) == alone


def test_a_worker_takes_the_main_process_collection_thresholds():
    """A spawned worker starts with Python's defaults: _init_worker gives it the
    main process's garbage collection thresholds (limits go with each task)."""
    import gc

    from govstats.check import validate

    thresholds = gc.get_threshold()
    try:
        validate._init_worker((12_345, 6, 7))
        assert gc.get_threshold() == (12_345, 6, 7)
    finally:
        gc.set_threshold(*thresholds)


def test_units_from_workers_share_their_codes_and_sheet_names(make_workbook):
    """A unit comes back from a worker pickled: its cells' codes and sheet names
    are then the strings every unit uses, and units laid out alike share one
    layout (issue 18: a unit's figures are an array, not an object a cell)."""
    import pickle

    from govstats.check import validate
    from govstats.formats import format_for_year

    fmt = format_for_year(2017)
    a, b = (
        pickle.loads(pickle.dumps(validate._load_one(p, fmt.id)))
        for p in (make_workbook(), make_workbook())
    )
    assert a.cells and a.cells.keys() == b.cells.keys()
    assert a.cells._layout is b.cells._layout
    for code, cell in a.cells.items():
        other = b.cells[code]
        assert cell.code is other.code
        assert cell.sheet is other.sheet
        assert (cell.value, cell.remark) == (other.value, other.remark)


def test_unit_cells_keep_every_value_as_it_was_read():
    """Whole numbers go into the array; -0, 5.0, fractions and None are kept as
    they are, and come back the same after a pickle."""
    import pickle
    from decimal import Decimal

    from govstats.read.workbook import CellValue, UnitCells

    cells = UnitCells()
    values = [Decimal(3), Decimal("-0"), Decimal("5.0"), Decimal("1.25"), None]
    for k, value in enumerate(values):
        code = f"c{k}"
        cells[code] = CellValue(code, "表1", k + 1, 3, value, "说明" if k == 2 else "")
    cells.add("big", ("表1", 9, 3), Decimal(10**12 - 1), whole=10**12 - 1)
    for again in (cells, pickle.loads(pickle.dumps(cells))):
        got = [again[f"c{k}"].value for k in range(len(values))]
        assert [str(v) for v in got] == [str(v) for v in values]
        assert again["c2"].remark == "说明" and again["c1"].remark == ""
        assert again["big"].value == 10**12 - 1
        assert list(again.figures()) == [(c, again[c].value) for c in again]
    with pytest.raises(KeyError):
        cells.add("c0", ("表1", 1, 3), Decimal(1), whole=1)


def test_blank_template_warns(tmp_path):
    # Issue 16, point 7: the blank template sent back as it was (every figure 0,
    # the name the office wrote in it) passes every rule: it is warned about.
    from govstats.actions import make_template

    path = make_template(2017, tmp_path / "430200-12-2017.xlsx", "U01", "测试局")
    report = validate_workbooks([path], year=2017).report
    assert report.valid
    assert report.flatten(["code", "severity", "sheet", "cell"]) == [
        ["template-unfilled", "warning", "", ""]
    ]
    [p] = report.problems
    assert p.message() == (
        "“测试局”的 61 项数字全部为0，填报人等信息也未填写，与空白模板相同："
        "请填报本年数字后再提交；本单位确无任何事项的，请填写填报人、联系电话和"
        "填报日期以确认。"
    )


def test_all_zero_workbook_signed_by_its_clerk_is_not_blank(tmp_path):
    # A unit with nothing to report that says so (its clerk signed the form).
    import openpyxl

    from govstats.actions import make_template

    path = make_template(2017, tmp_path / "u.xlsx", "U01", "测试局")
    wb = openpyxl.load_workbook(path)
    wb["基本信息"]["B6"] = "张三"
    wb.save(path)
    assert validate_workbooks([path], year=2017).report.problems == []


def test_one_figure_filled_is_not_blank(make_workbook):
    from govstats.formats import load_format

    zeros = {code: 0 for code in load_format("gk2008").indicators}
    path = make_workbook(values={**zeros, "xw.own": 1})
    assert [p.code for p in validate_workbooks([path]).report.problems] == []


def test_units_checked_in_batches_have_the_problems_of_one_check(
    make_workbook, monkeypatch
):
    """Cells and rules are checked a batch of units at a time, so that a compile's
    frames are bounded (issue 18): every unit has the same problems, in the same
    order, whatever the batches."""
    from govstats.check import validate
    from govstats.formats import load_format
    from govstats.read.workbook import UnitCells

    fmt = load_format("gk2008")
    faults: list[dict[str, object]] = [
        {"sq.received": 13},  # a sum that does not add up
        {"sq.ch.letter": -2, "zd.news": Decimal("1.5")},  # negative, not whole
        {},
        {"sf.fees": Decimal("1.255"), "fy.litigation_upheld": 2},
        {"zd.news": -1, "sq.received": 99},
        {"zd.portal_visits": 12},  # whole numbers only
        {"zd.portal_visits": 12, "sq.received": 0, "zd.news": -3},
    ]
    paths = [
        make_workbook(f"u{i}.xlsx", values=v, unit_code=f"U{i}")
        for i, v in enumerate(faults)
    ]
    _, units = validate.load_units(paths, 2017, None)
    whole = validate.validate_units(units, fmt, 2017).report.to_dict()
    assert sum(len(f["problems"]) for f in whole["files"]) > 8
    for size in (1, 2, 3):
        monkeypatch.setattr(validate, "BATCH_UNITS", size)
        batched = validate.validate_units(units, fmt, 2017).report.to_dict()
        assert batched == whole
    # Units of whole numbers only are taken a unit at a time, the others a
    # cell at a time: the same problems and values as every unit cell by cell.
    plain = [u.cells.whole_numbers() is not None for u in units]
    assert any(plain) and not all(plain)
    fast = validate.validate_units(units, fmt, 2017)
    monkeypatch.setattr(UnitCells, "whole_numbers", lambda self: None)
    slow = validate.validate_units(units, fmt, 2017)
    assert fast.report.to_dict() == slow.report.to_dict()
    assert fast.values.equals(slow.values)
