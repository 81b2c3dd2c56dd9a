"""cases.ledger: the 台账's columns and the tolerant reading of what people type into them."""

from __future__ import annotations

import datetime as dt

import pytest

from cases.classify import classify
from cases.facts import parse_facts
from cases.ledger import (
    DEFECT_COLUMNS,
    FORMULA_PREFIXES,
    PROJECT_COLUMNS,
    PROJECT_SHEET,
    CellError,
    Problem,
    Step,
    find_header,
    is_empty_row,
    is_repeated_header,
    is_total_row,
    neutralise,
    parse_bool,
    parse_choice,
    parse_code,
    parse_date,
    parse_datetime,
    parse_defect_row,
    parse_int,
    parse_project_row,
    parse_text,
    postponements,
    row_values,
    type_disagreements,
    unneutralise,
)
from cases.taxonomy import FACT_FIELDS

COLUMNS = {c.key: c for c in PROJECT_COLUMNS}
MAY_1 = dt.date(2003, 5, 1)


# ---------------------------------------------------------------- dates


@pytest.mark.parametrize(
    "raw",
    [
        "2003-05-01",
        "2003/5/1",
        "2003.5.1",
        "2003年5月1日",
        "2003年5月1号",
        "2003.5",  # month only: the 1st
        "2003年5月",
        "2003-05",
        "20030501",
        "２００３年５月１日",  # full-width digits
        " 2003 - 05 - 01 ",  # spaces
        "2003-05-01 00:00:00",
        37742,  # an Excel serial
        37742.0,
        "37742",  # a serial stored as text
        2003.5,  # 2003.5 typed as a number
        dt.date(2003, 5, 1),
        dt.datetime(2003, 5, 1, 0, 0),
        "'2003-05-01",  # neutralised by an export? Dates never are, but a user may type it
    ],
)
def test_every_written_form_of_a_date_reads_as_that_day(raw):
    assert parse_date(raw) == MAY_1


def test_two_digit_months_typed_as_numbers_read_right():
    assert parse_date(2003.12) == dt.date(2003, 12, 1)
    assert parse_date("2003.10") == dt.date(2003, 10, 1)  # text keeps the zero


def test_excel_serials_around_the_phantom_leap_day():
    assert parse_date(1) == dt.date(1900, 1, 1)
    assert parse_date(59) == dt.date(1900, 2, 28)
    assert parse_date(61) == dt.date(1900, 3, 1)
    with pytest.raises(CellError):
        parse_date(60)  # 1900-02-29 never existed


@pytest.mark.parametrize("raw", [None, "", "   ", "\u3000"])
def test_an_empty_date_is_unknown(raw):
    assert parse_date(raw) is None


@pytest.mark.parametrize(
    ("raw", "detail"),
    [
        ("2003年13月", "无法识别：2003年13月"),
        ("2003-02-30", "无法识别：2003-02-30"),
        ("去年五月", "无法识别：去年五月"),
        ("1850-01-01", "无法识别：1850-01-01"),
        (True, "无法识别：True"),
        (0, "无法识别：0"),
    ],
)
def test_an_impossible_date_is_refused_quoting_what_was_typed(raw, detail):
    with pytest.raises(CellError) as caught:
        parse_date(raw)
    assert caught.value.detail == detail


def test_a_year_alone_is_refused_with_an_example():
    for raw in (2003, "2003", "2003年"):
        with pytest.raises(CellError, match="只有年份"):
            parse_date(raw)


def test_2003_point_1_typed_as_a_number_is_ambiguous_and_refused():
    with pytest.raises(CellError) as caught:
        parse_date(2003.1)
    assert "1月还是10月" in caught.value.detail


def test_datetime_of_the_last_update_reads_as_exported():
    assert parse_datetime("2026-11-27 10:30:05") == dt.datetime(2026, 11, 27, 10, 30, 5)
    assert parse_datetime(dt.datetime(2026, 11, 27, 10, 30, 5, 123)) == dt.datetime(
        2026, 11, 27, 10, 30, 5
    )
    with pytest.raises(CellError):
        parse_datetime("昨天")


# ---------------------------------------------------------------- 是/否, numbers, text


@pytest.mark.parametrize("raw", ["是", "√", "✓", "✔", "Y", "yes", "TRUE", "有", 1, True, " 是 "])
def test_yes_in_its_many_forms(raw):
    assert parse_bool(raw) is True


@pytest.mark.parametrize("raw", ["否", "×", "✗", "N", "no", "False", "无", 0, False])
def test_no_in_its_many_forms(raw):
    assert parse_bool(raw) is False


@pytest.mark.parametrize("raw", [None, "", "不详", "未知", "-", "—", "/"])
def test_unknown_in_its_many_forms(raw):
    assert parse_bool(raw) is None


@pytest.mark.parametrize("raw", ["可能", 2, "是否"])
def test_a_bool_that_is_neither_is_refused(raw):
    with pytest.raises(CellError, match="应填“是”或“否”"):
        parse_bool(raw)


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        (120, 120),
        (120.0, 120),
        ("120", 120),  # a number stored as text
        ("１２０", 120),  # full-width
        (" 120 ", 120),
        ("1,200", 1200),
        ("１，２００", 1200),
        ("120户", 120),
        ("36套", 36),
        ("0", 0),
    ],
)
def test_whole_numbers_stored_every_way(raw, value):
    assert parse_int(raw) == value


@pytest.mark.parametrize(
    ("raw", "detail"),
    [
        (12.5, "应为整数：12.5"),
        ("十二", "无法识别：十二"),
        ("-3", "不能为负数：-3"),
        (True, "应为整数：True"),
    ],
)
def test_a_number_that_is_not_a_whole_number_is_refused(raw, detail):
    with pytest.raises(CellError) as caught:
        parse_int(raw)
    assert caught.value.detail == detail


def test_text_is_trimmed_of_full_width_spaces_but_otherwise_kept():
    assert parse_text("\u3000星海（二期）小区 ") == "星海（二期）小区"
    assert parse_text(2003) == "2003"
    assert parse_text(12.0) == "12"
    with pytest.raises(CellError, match="长度不能超过 5"):
        parse_text("一二三四五六", 5)


@pytest.mark.parametrize("raw", ["DWK-0001", "dwk-0001", "ＤＷＫ－０００１", " DWK-0001 "])
def test_project_codes_are_forgiven_case_and_width(raw):
    assert parse_code(raw) == "DWK-0001"


def test_a_malformed_project_code_is_refused():
    with pytest.raises(CellError, match="DWK-0001"):
        parse_code("第一个")


@pytest.mark.parametrize(
    ("raw", "code"),
    [("大武口区", "dwk"), ("大武口", "dwk"), ("dwk", "dwk"), ("640205", "hn"), ("平罗县", "pl")],
)
def test_districts_by_name_code_or_adcode(raw, code):
    assert parse_choice(raw, COLUMNS["district"]) == code


@pytest.mark.parametrize(
    ("raw", "code"),
    [("经济适用住房", "affordable"), ("经济适用房", "affordable"), ("commercial", "commercial")],
)
def test_project_types_by_name_alias_or_code(raw, code):
    assert parse_choice(raw, COLUMNS["project_type"]) == code


def test_an_unknown_choice_is_refused_quoting_it():
    with pytest.raises(CellError) as caught:
        parse_choice("商业房", COLUMNS["project_type"])
    assert caught.value.detail == "无法识别：商业房"


# ---------------------------------------------------------------- formulas


@pytest.mark.parametrize("text", ["=1+1", "+86", "-5", "@SUM(A1)", "\tx", "\rx"])
def test_formula_like_text_gets_an_apostrophe_and_comes_back_unchanged(text):
    assert text.startswith(FORMULA_PREFIXES)
    assert neutralise(text) == "'" + text
    assert unneutralise(neutralise(text)) == text
    assert parse_text(neutralise(text).strip()) == text.strip()


def test_ordinary_text_is_left_alone():
    assert neutralise("星海小区") == "星海小区"
    assert unneutralise("'星海") == "'星海"


# ---------------------------------------------------------------- header and rows


def _header(values, row=3):
    return find_header(PROJECT_SHEET, row, values, PROJECT_COLUMNS, ("name", "district"))


def test_the_header_is_found_under_title_rows_with_aliases_and_extra_columns():
    assert _header(["石嘴山市台账", None, None], row=1) is None  # a merged title
    header = _header(
        [
            "序号",
            "小区名称",
            "所属县区",
            "联系人",
            "开工日期（住建部门认定）",
            "竣工日期",
            "涉法涉诉",
        ]
    )
    assert header is not None
    assert header.keys == {
        "seq",
        "name",
        "district",
        "construction_start_date",
        "completion_date",
        "in_litigation",
    }
    assert header.ignored == ("联系人",)
    assert header.labels["name"] == "小区名称"


def test_headers_forgive_spaces_line_breaks_and_required_marks():
    header = _header(["项目 名称*", "县区（必填）", "总\n户数"])
    assert header is not None
    assert header.keys == {"name", "district", "total_households"}


def test_a_column_given_twice_is_a_problem_at_the_header():
    header = _header(["项目名称", "县区", "开工日期", "开工时间"])
    assert header is not None
    assert [p.message for p in header.problems] == [
        "第3行『开工时间』与『开工日期』是同一列，出现了两次。"
    ]


def test_a_row_without_name_and_district_is_not_the_header():
    assert _header(["项目名称", "备注"]) is None


def test_empty_pre_numbered_and_total_rows_are_recognised():
    header = _header(["序号", "项目名称", "县区", "总户数"])
    assert is_empty_row(row_values(header, [7, None, "  ", None]))
    assert not is_empty_row(row_values(header, [7, "星海", None, None]))
    assert is_total_row(row_values(header, ["合计", None, None, 1200]))
    assert is_repeated_header(header, ["序号", "项目名称", "县区", "总户数"])


def _parse(values):
    header = _header(["序号", "项目名称", "县区", "开工日期", "总户数", "涉法涉诉"])
    return parse_project_row(PROJECT_SHEET, 12, row_values(header, values), header)


def test_every_unreadable_cell_of_a_row_is_reported_by_row_and_column():
    row, problems = _parse([1, "星海", "火星区", "2003年13月", "很多", "也许"])
    assert [p.message for p in problems] == [
        "第12行『县区』无法识别：火星区",
        "第12行『开工日期』无法识别：2003年13月",
        "第12行『总户数』无法识别：很多",
        "第12行『涉法涉诉』无法识别：也许（应填“是”或“否”）",
    ]
    assert str(problems[1]) == "「项目台账」第12行『开工日期』无法识别：2003年13月"
    assert "construction_start_date" not in row.values


def test_a_required_cell_left_empty_is_reported_with_a_hint_for_merged_cells():
    _, problems = _parse([1, "星海", None, "2003-05-01", 100, "否"])
    assert [p.message for p in problems] == [
        "第12行『县区』此项为必填项（如为合并单元格，请取消合并并逐行填写）。"
    ]


def test_a_good_row_parses_into_typed_values_and_facts():
    row, problems = _parse([1, " 星海 ", "大武口区", "2003.5", "１２０户", "√"])
    assert problems == []
    assert row.values["name"] == "星海"
    assert row.values["district"] == "dwk"
    assert row.values["total_households"] == 120
    assert row.facts() == {"construction_start_date": MAY_1, "in_litigation": True}
    parse_facts(row.facts())  # the engine accepts them as they are


def test_the_last_update_column_never_blocks_a_row():
    header = _header(["项目名称", "县区", "总户数", "最后更新时间"])
    cells = row_values(header, ["星海", "大武口区", 10, "不知道"])
    row, problems = parse_project_row(PROJECT_SHEET, 5, cells, header)
    assert problems == [] and "updated_at" not in row.values


def test_problem_messages_without_row_or_column():
    assert Problem("问题清单", None, None, "表中没有数据。").message == "表中没有数据。"
    assert str(Problem("", 4, None, "重复")) == "第4行：重复"


def test_a_defect_row_reads_type_by_name_and_warns_about_an_unknown_type():
    header = find_header(
        "问题清单", 3, ["项目编号", "问题类型", "当前状态"], DEFECT_COLUMNS, ("type",)
    )
    assert header is not None
    row, problems = parse_defect_row(
        "问题清单", 4, row_values(header, ["DWK-0001", "未办理消防验收", "待交办"]), header
    )
    assert row is not None and row.type == "fire" and row.code == "DWK-0001" and problems == []
    row, problems = parse_defect_row(
        "问题清单", 5, row_values(header, ["DWK-0001", "楼歪了", ""]), header
    )
    assert row is None and problems[0].message == "第5行『问题类型』无法识别：楼歪了，本行未比对"


# ---------------------------------------------------------------- the columns


def test_every_fact_has_a_column_headed_by_its_label():
    headers = {c.key: c.header for c in PROJECT_COLUMNS}
    for spec in FACT_FIELDS:
        assert spec.name in headers
        if spec.name not in ("project_type", "construction_start_date", "completion_date"):
            assert headers[spec.name] == spec.label


def test_the_project_sheet_has_the_issue_columns_in_order():
    headers = [c.header for c in PROJECT_COLUMNS]
    assert headers[:14] == [
        "序号", "项目编号", "项目名称", "县区", "街道/地址", "开发建设单位", "开发单位是否存续",
        "项目类型", "开工日期", "建成日期", "总户数", "已办证户数", "首次登记日期", "包抓领导",
    ]  # fmt: skip
    assert headers[-2:] == ["最后更新人", "最后更新时间"]
    assert [c.header for c in DEFECT_COLUMNS][2:] == [
        "问题类型", "条款", "牵头部门", "配合部门", "化解路径（一项目一策）", "当前状态", "堵点",
        "下一步措施", "计划完成时间", "实际完成时间", "延期原因", "延期次数",
    ]  # fmt: skip


# ---------------------------------------------------------------- engine and history


def test_disagreements_name_both_directions():
    facts = parse_facts({"project_type": "commercial", "in_litigation": True})
    messages = type_disagreements({"land"}, classify(facts))
    assert messages == [
        "表中列有『用地手续不完善』，按导入的事实引擎未认定此问题",
        "引擎按导入的事实认定『涉法涉诉类“办证难”』（附件3 三(一)7），表中未列出",
    ]
    assert type_disagreements({"litigation"}, classify(facts)) == []


def test_postponements_count_later_deadlines_and_later_planned_months():
    steps = [
        Step("register", {}),
        Step("plan", {"planned_month": "2026-12"}),
        Step("assign", {"deadline": "2026-12-31"}),
        Step("return", {"reason": "非本部门职责"}),
        Step("assign", {"deadline": "2027-03-31"}),  # later: 1
        Step("plan", {"planned_month": "2027-03", "delay_reason": "等待政府批复"}),  # later: 2
        Step("plan", {"planned_month": "2027-02"}),  # earlier: no
        Step("assign", {"deadline": "2027-01-31"}),  # earlier: no
    ]
    assert postponements(steps) == (2, "等待政府批复")
    assert postponements(steps[:5]) == (1, "退回改派：非本部门职责")
    assert postponements([]) == (0, "")
