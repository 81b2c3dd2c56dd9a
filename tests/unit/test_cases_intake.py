"""cases.intake: ID numbers (GB 11643), phone numbers and 提示建议单 numbers (附件3 三(一)8)."""

from __future__ import annotations

import datetime as dt

import pytest

from cases.intake import (
    IntakeError,
    format_prompt_number,
    id_check_char,
    next_prompt_seq,
    normalize_id_number,
    normalize_phone,
    parse_prompt_number,
)

TODAY = dt.date(2026, 11, 27)


def test_prompt_number_reads_like_the_bureau_s_document_numbers():
    assert format_prompt_number(2024, 12) == "石自然提〔2024〕12号"
    assert format_prompt_number(2025, 1) == "石自然提〔2025〕1号"


@pytest.mark.parametrize("year,seq", [(2024, 0), (2024, -3), (99, 1), (10000, 1)])
def test_prompt_number_refuses_impossible_years_and_sequences(year, seq):
    with pytest.raises(ValueError):
        format_prompt_number(year, seq)


def test_prompt_number_round_trips():
    for year, seq in [(2024, 1), (2024, 12), (2031, 407)]:
        assert parse_prompt_number(format_prompt_number(year, seq)) == (year, seq)


@pytest.mark.parametrize(
    "text",
    ["石自然提[2024]12号", "石自然提〔2024〕012号", "石自然提〔24〕1号", "石自然提〔2024〕号", ""],
)
def test_parse_refuses_what_is_not_a_sheet_number(text):
    with pytest.raises(ValueError):
        parse_prompt_number(text)


def test_next_sequence_continues_without_gaps_and_starts_each_year_at_one():
    assert next_prompt_seq(None) == 1
    assert next_prompt_seq(0) == 1
    assert next_prompt_seq(11) == 12


# ---------------------------------------------------------------- ID numbers


@pytest.mark.parametrize(
    "first17,check",
    [
        ("64020219900101123", "2"),
        ("64020219850615002", "2"),
        ("64022119720304051", "7"),
        ("11010519491231002", "X"),
    ],
)
def test_check_character_follows_gb_11643(first17, check):
    assert id_check_char(first17) == check


def test_a_valid_id_number_is_kept_with_an_upper_case_x():
    assert normalize_id_number("640202199001011232", TODAY) == "640202199001011232"
    assert normalize_id_number(" 11010519491231002x ", TODAY) == "11010519491231002X"


def test_no_id_number_is_allowed():
    assert normalize_id_number("", TODAY) == ""
    assert normalize_id_number("   ", TODAY) == ""


@pytest.mark.parametrize(
    "value,fragment",
    [
        ("640202199001011234", "校验位"),  # the wrong check digit
        ("64020219900101123", "18 位"),  # 17 characters
        ("6402021990010112321", "18 位"),
        ("64020219900101123A", "最后一位"),
        ("6402021990O101123X", "前 17 位"),
        ("990202199001011232", "地区码"),
        ("640202199002301236", "出生日期"),  # 30 February
        ("640202189901011230", "出生日期"),  # before 1900
        ("640202203001011235", "出生日期"),  # born in the future
        ("６４０２０２１９９００１０１１２３２", "前 17 位"),  # full-width digits
    ],
)
def test_bad_id_numbers_are_refused_in_chinese(value, fragment):
    with pytest.raises(IntakeError) as caught:
        normalize_id_number(value, TODAY)
    assert caught.value.field == "id_number"
    assert fragment in caught.value.message


# ---------------------------------------------------------------- phone numbers


@pytest.mark.parametrize(
    "raw,normalized",
    [
        ("13900000001", "13900000001"),
        ("139 0000 0001", "13900000001"),
        ("139-0000-0001", "13900000001"),
        ("+86 139 0000 0001", "13900000001"),
        ("0952-2012345", "0952-2012345"),
        ("(0952)2012345", "0952-2012345"),
        ("09522012345", "0952-2012345"),
        ("010-62345678", "010-62345678"),
        ("", ""),
    ],
)
def test_phone_numbers_are_normalized(raw, normalized):
    assert normalize_phone(raw) == normalized


@pytest.mark.parametrize(
    "raw,fragment",
    [
        ("1390000000", "11 位"),  # ten digits
        ("139000000012", "11 位"),
        ("12900000001", "11 位"),  # no such mobile prefix
        ("0952-201234", "固定电话"),  # six-digit local number
        ("2012345", "固定电话"),
        ("139abc00001", "只能包含数字"),
        ("１３９００００００01", "只能包含数字"),
    ],
)
def test_bad_phone_numbers_are_refused_in_chinese(raw, fragment):
    with pytest.raises(IntakeError) as caught:
        normalize_phone(raw)
    assert caught.value.field == "phone"
    assert fragment in caught.value.message
