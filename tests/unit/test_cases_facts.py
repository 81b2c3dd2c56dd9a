"""parse_facts is strict JSON; facts_to_dict is its inverse."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest

from cases.facts import Facts, FactsError, facts_to_dict, parse_facts
from cases.taxonomy import FACT_FIELDS

FULL = {
    "project_type": "affordable",
    "government_led": True,
    "institution_own_land": False,
    "land_procedures_complete": False,
    "land_premium_unpaid": True,
    "taxes_unpaid": False,
    "policy_housing_sold_as_commercial": False,
    "allocated_self_built_sold": False,
    "sales_invoice_obtainable": False,
    "invoice_obstacle": "resettlement_swap",
    "swap_price_difference_paid": True,
    "planning_permit_obtained": True,
    "planning_verified": False,
    "planning_supplementable": True,
    "conforms_territorial_plan": True,
    "planning_partially_conforming": False,
    "public_housing_shortfall": False,
    "planning_violation": False,
    "completion_filed": False,
    "completion_supplementable": False,
    "quality_and_fire_accepted": True,
    "construction_records_lost": False,
    "fire_acceptance_done": False,
    "construction_start_date": "2003-02-01",
    "completion_date": "2005-10-31",
    "altered_or_expanded": False,
    "in_litigation": True,
    "buyers_at_fault": False,
    "oversize_units": 12,
}

BOOL_FIELDS = [f.name for f in FACT_FIELDS if f.kind == "bool"]


def test_full_facts_object_covers_every_field():
    assert list(FULL) == [f.name for f in FACT_FIELDS]


def test_empty_object_means_everything_unknown():
    facts = parse_facts({})
    assert facts == Facts()
    assert all(getattr(facts, f.name) is None for f in FACT_FIELDS)


def test_full_object_parses_to_typed_values():
    facts = parse_facts(FULL)
    assert facts.project_type == "affordable"
    assert facts.government_led is True
    assert facts.construction_start_date == dt.date(2003, 2, 1)
    assert facts.completion_date == dt.date(2005, 10, 31)
    assert facts.oversize_units == 12


@pytest.mark.parametrize("name", [f.name for f in FACT_FIELDS])
def test_null_means_unknown_for_every_field(name):
    assert getattr(parse_facts({name: None}), name) is None


@pytest.mark.parametrize("name", BOOL_FIELDS)
@pytest.mark.parametrize("value", [True, False])
def test_bool_fact_accepts_json_true_and_false(name, value):
    assert getattr(parse_facts({name: value}), name) is value


@pytest.mark.parametrize("value", [0, 1, 12345, 2**70])
def test_int_fact_accepts_non_negative_integers(value):
    assert parse_facts({"oversize_units": value}).oversize_units == value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1998-08-31", dt.date(1998, 8, 31)),
        ("2000-02-29", dt.date(2000, 2, 29)),
        (dt.date(2020, 6, 30), dt.date(2020, 6, 30)),
    ],
)
def test_date_fact_accepts_an_iso_day_or_a_date(value, expected):
    assert parse_facts({"completion_date": value}).completion_date == expected


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("project_type", "commercial"),
        ("project_type", "self_built"),
        ("invoice_obstacle", "court_ruling"),
        ("invoice_obstacle", "other"),
    ],
)
def test_enum_fact_accepts_its_codes(name, value):
    assert getattr(parse_facts({name: value}), name) == value


@pytest.mark.parametrize(
    ("data", "field", "fragment"),
    [
        ({"no_such_fact": True}, "no_such_fact", "未知字段：no_such_fact"),
        ({"developer": "某公司"}, "developer", "未知字段"),
        ({"government_led": "true"}, "government_led", "应为 true、false 或 null"),
        ({"government_led": "false"}, "government_led", "应为 true、false 或 null"),
        ({"government_led": 1}, "government_led", "应为 true、false 或 null"),
        ({"in_litigation": 0}, "in_litigation", "应为 true、false 或 null"),
        ({"in_litigation": 1.0}, "in_litigation", "应为 true、false 或 null"),
        ({"oversize_units": True}, "oversize_units", "应为非负整数"),
        ({"oversize_units": False}, "oversize_units", "应为非负整数"),
        ({"oversize_units": -1}, "oversize_units", "不能为负数"),
        ({"oversize_units": 1.5}, "oversize_units", "应为非负整数"),
        ({"oversize_units": 2.0}, "oversize_units", "应为非负整数"),
        ({"oversize_units": "3"}, "oversize_units", "应为非负整数"),
        ({"completion_date": "2003-02-30"}, "completion_date", "不是有效日期"),
        ({"completion_date": "2003-13-01"}, "completion_date", "不是有效日期"),
        ({"completion_date": "2003/02/01"}, "completion_date", "日期格式应为 YYYY-MM-DD"),
        ({"completion_date": "20030201"}, "completion_date", "日期格式应为 YYYY-MM-DD"),
        ({"completion_date": "2003-2-1"}, "completion_date", "日期格式应为 YYYY-MM-DD"),
        ({"completion_date": "2003-02-01\n"}, "completion_date", "日期格式应为 YYYY-MM-DD"),
        ({"completion_date": "2003-02-01T00:00"}, "completion_date", "日期格式应为 YYYY-MM-DD"),
        ({"completion_date": "２００３-０２-０１"}, "completion_date", "日期格式应为 YYYY-MM-DD"),
        ({"completion_date": 20030201}, "completion_date", "日期格式应为 YYYY-MM-DD"),
        (
            {"completion_date": dt.datetime(2003, 2, 1, 8, 0)},
            "completion_date",
            "日期格式应为 YYYY-MM-DD",
        ),
        ({"construction_start_date": ""}, "construction_start_date", "日期格式应为 YYYY-MM-DD"),
        ({"project_type": "villa"}, "project_type", "取值无效"),
        ({"project_type": "Commercial"}, "project_type", "取值无效"),
        ({"project_type": 1}, "project_type", "取值无效"),
        ({"invoice_obstacle": "lost"}, "invoice_obstacle", "取值无效"),
        ({"invoice_obstacle": True}, "invoice_obstacle", "取值无效"),
    ],
)
def test_parse_facts_refuses_with_the_field_named(data, field, fragment):
    with pytest.raises(FactsError) as caught:
        parse_facts(data)
    assert caught.value.field == field
    assert fragment in caught.value.message
    assert fragment in str(caught.value)


@pytest.mark.parametrize("data", [[], ["project_type"], "{}", None, 3, True])
def test_parse_facts_refuses_a_non_object(data):
    with pytest.raises(FactsError) as caught:
        parse_facts(data)
    assert caught.value.field == ""
    assert "应为 JSON 对象" in caught.value.message


def test_facts_error_is_a_value_error_with_a_chinese_message():
    with pytest.raises(ValueError, match="政府主导建设"):
        parse_facts({"government_led": "yes"})


def test_refusal_message_names_the_allowed_codes():
    with pytest.raises(FactsError) as caught:
        parse_facts({"invoice_obstacle": "lost"})
    assert "court_ruling" in caught.value.message


def test_parse_facts_does_not_mutate_its_input():
    data = dict(FULL)
    parse_facts(data)
    assert data == FULL


def test_facts_are_frozen():
    facts = parse_facts(FULL)
    with pytest.raises(dataclasses.FrozenInstanceError):
        facts.government_led = False  # type: ignore[misc]


def test_facts_to_dict_omits_unknown_and_writes_iso_dates():
    facts = Facts(completion_date=dt.date(1998, 8, 31), buyers_at_fault=False)
    assert facts_to_dict(facts) == {"completion_date": "1998-08-31", "buyers_at_fault": False}


def test_facts_to_dict_with_unknown_lists_every_field_in_table_order():
    out = facts_to_dict(Facts(oversize_units=0), include_unknown=True)
    assert list(out) == [f.name for f in FACT_FIELDS]
    assert out["oversize_units"] == 0
    assert out["project_type"] is None


def test_facts_to_dict_is_json_and_keeps_table_order():
    out = facts_to_dict(parse_facts(FULL))
    assert out == FULL
    assert json.loads(json.dumps(out)) == FULL


@pytest.mark.parametrize(
    "facts",
    [
        Facts(),
        parse_facts(FULL),
        Facts(oversize_units=0, government_led=False),
        Facts(construction_start_date=dt.date(2020, 6, 30), project_type="other"),
    ],
)
@pytest.mark.parametrize("include_unknown", [False, True])
def test_round_trip_parse_of_dict_gives_back_the_facts(facts, include_unknown):
    assert parse_facts(facts_to_dict(facts, include_unknown=include_unknown)) == facts
