"""classify() implements annex3-rules.md: every row, every path, every boundary."""

from __future__ import annotations

import copy
import datetime as dt
import json

import pytest

from cases.classify import Classification, Defect, Review, classify
from cases.facts import Facts, parse_facts
from cases.taxonomy import DEFECT_TYPES, PATHS

D = dt.date


def run(**facts: object) -> Classification:
    return classify(Facts(**facts))  # type: ignore[arg-type]


def only_defect(result: Classification, type_code: str) -> Defect:
    assert [r.type for r in result.needs_review if r.type == type_code] == []
    found = [d for d in result.defects if d.type == type_code]
    assert len(found) == 1, result
    return found[0]


def only_review(result: Classification, type_code: str) -> Review:
    assert [d.type for d in result.defects if d.type == type_code] == []
    found = [r for r in result.needs_review if r.type == type_code]
    assert len(found) == 1, result
    return found[0]


def path_of(result: Classification, type_code: str) -> str:
    return only_defect(result, type_code).path


def raised(result: Classification) -> list[str]:
    return [d.type for d in result.defects] + [r.type for r in result.needs_review]


# --- no trigger -------------------------------------------------------------------------------


def test_no_facts_raise_nothing():
    assert classify(Facts()).to_dict() == {"defects": [], "needs_review": []}


def test_project_with_every_trigger_negative_raises_nothing():
    facts = Facts(
        project_type="affordable",
        land_procedures_complete=True,
        land_premium_unpaid=False,
        taxes_unpaid=False,
        policy_housing_sold_as_commercial=False,
        allocated_self_built_sold=False,
        sales_invoice_obtainable=True,
        planning_permit_obtained=True,
        planning_verified=True,
        completion_filed=True,
        fire_acceptance_done=True,
        in_litigation=False,
        oversize_units=0,
    )
    assert classify(facts).to_dict() == {"defects": [], "needs_review": []}


@pytest.mark.parametrize(
    "facts",
    [
        # Deciding facts alone never raise a type: only the trigger does.
        {"project_type": "resettlement", "government_led": True},
        {"invoice_obstacle": "court_ruling", "swap_price_difference_paid": True},
        {"planning_violation": True, "conforms_territorial_plan": True},
        {"completion_supplementable": True, "construction_records_lost": True},
        {"completion_date": D(1990, 1, 1), "construction_start_date": D(2005, 1, 1)},
        {"buyers_at_fault": False},
        {"oversize_units": 5},
    ],
)
def test_deciding_facts_without_their_trigger_raise_nothing(facts):
    assert raised(run(**facts)) == []


# --- land, 附件3 三(一)1 ------------------------------------------------------------------------


@pytest.mark.parametrize("trigger", [True, None])
def test_land_not_raised_unless_procedures_known_incomplete(trigger):
    assert raised(run(land_procedures_complete=trigger, project_type="commercial")) == []


@pytest.mark.parametrize(
    "project_type", ["resettlement", "shantytown", "affordable", "price_capped"]
)
def test_land_government_led_policy_housing_is_allocation_or_agreement(project_type):
    result = run(land_procedures_complete=False, project_type=project_type, government_led=True)
    assert path_of(result, "land") == "land_allocation_or_agreement"


@pytest.mark.parametrize(
    "project_type", ["resettlement", "shantytown", "affordable", "price_capped"]
)
def test_land_policy_housing_not_government_led_is_by_construction_era(project_type):
    result = run(land_procedures_complete=False, project_type=project_type, government_led=False)
    assert path_of(result, "land") == "land_by_construction_era"


@pytest.mark.parametrize(
    "project_type", ["resettlement", "shantytown", "affordable", "price_capped"]
)
def test_land_policy_housing_with_unknown_government_lead_needs_review(project_type):
    review = only_review(run(land_procedures_complete=False, project_type=project_type), "land")
    assert review.missing == ("government_led",)
    assert "政府主导" in review.reason


@pytest.mark.parametrize("project_type", ["reform", "fundraised"])
def test_land_institution_own_land_reform_or_fundraised_is_allocation(project_type):
    result = run(
        land_procedures_complete=False, project_type=project_type, institution_own_land=True
    )
    assert path_of(result, "land") == "land_allocation"


@pytest.mark.parametrize("project_type", ["reform", "fundraised"])
def test_land_reform_or_fundraised_not_on_own_land_is_by_construction_era(project_type):
    result = run(
        land_procedures_complete=False, project_type=project_type, institution_own_land=False
    )
    assert path_of(result, "land") == "land_by_construction_era"


@pytest.mark.parametrize("project_type", ["reform", "fundraised"])
def test_land_reform_or_fundraised_with_unknown_land_owner_needs_review(project_type):
    review = only_review(run(land_procedures_complete=False, project_type=project_type), "land")
    assert review.missing == ("institution_own_land",)


@pytest.mark.parametrize("project_type", ["commercial", "self_built", "other"])
def test_land_other_projects_are_by_construction_era(project_type):
    result = run(
        land_procedures_complete=False,
        project_type=project_type,
        government_led=True,
        institution_own_land=True,
    )
    assert path_of(result, "land") == "land_by_construction_era"


def test_land_with_unknown_project_type_needs_review():
    review = only_review(run(land_procedures_complete=False, government_led=True), "land")
    assert review.missing == ("project_type",)
    assert review.lead == "nr"
    assert review.clause == "附件3 三(一)1"


@pytest.mark.parametrize(
    ("facts", "path"),
    [
        ({"project_type": "shantytown", "government_led": True}, "land_allocation_or_agreement"),
        ({"project_type": "commercial"}, "land_by_construction_era"),
    ],
)
@pytest.mark.parametrize("start", [D(2003, 2, 1), None])
def test_land_agreement_transfer_appraised_at_recognized_start_date(facts, path, start):
    defect = only_defect(
        run(land_procedures_complete=False, construction_start_date=start, **facts), "land"
    )
    assert defect.path == path
    expected = None if start is None else start.isoformat()
    assert defect.extras == {"appraisal_base_date": expected}
    assert defect.to_dict()["appraisal_base_date"] == expected


def test_land_allocation_has_no_appraisal_base_date():
    defect = only_defect(
        run(
            land_procedures_complete=False,
            project_type="reform",
            institution_own_land=True,
            construction_start_date=D(1995, 5, 1),
        ),
        "land",
    )
    assert "appraisal_base_date" not in defect.to_dict()


# --- arrears, 附件3 三(一)2 ---------------------------------------------------------------------

ARREARS_FACTS = [
    "land_premium_unpaid",
    "taxes_unpaid",
    "policy_housing_sold_as_commercial",
    "allocated_self_built_sold",
]


@pytest.mark.parametrize("fact", ARREARS_FACTS)
def test_arrears_any_unpaid_fact_gives_certificate_payment_separation_with_approval(fact):
    defect = only_defect(run(**{fact: True}), "arrears")
    assert defect.path == "certificate_payment_separation"
    assert defect.needs_government_approval is True
    assert defect.lead == "nr"
    assert defect.cooperating == ("tax", "finance")


def test_arrears_several_unpaid_facts_give_one_defect():
    result = run(**dict.fromkeys(ARREARS_FACTS, True))
    assert [d.type for d in result.defects] == ["arrears"]


@pytest.mark.parametrize("value", [False, None])
def test_arrears_not_raised_when_nothing_known_unpaid(value):
    assert raised(run(**dict.fromkeys(ARREARS_FACTS, value))) == []


# --- deed_tax, 附件3 三(一)3 --------------------------------------------------------------------


@pytest.mark.parametrize("trigger", [True, None])
def test_deed_tax_not_raised_unless_invoice_known_unobtainable(trigger):
    assert raised(run(sales_invoice_obtainable=trigger, invoice_obstacle="other")) == []


@pytest.mark.parametrize(
    ("obstacle", "path"),
    [
        ("court_ruling", "court_document_filing"),
        ("developer_deregistered", "tax_verified_acceptance"),
        ("developer_abnormal", "tax_verified_acceptance"),
        ("other", "contract_amount_assessment"),
    ],
)
def test_deed_tax_path_follows_the_invoice_obstacle(obstacle, path):
    defect = only_defect(run(sales_invoice_obtainable=False, invoice_obstacle=obstacle), "deed_tax")
    assert defect.path == path
    assert defect.lead == "tax"
    assert defect.cooperating == ()
    assert defect.needs_government_approval is False
    assert "tax_basis" not in defect.to_dict()


@pytest.mark.parametrize(("paid", "basis"), [(True, "price_difference"), (False, "exempt")])
def test_deed_tax_resettlement_swap_taxes_the_price_difference_or_exempts(paid, basis):
    defect = only_defect(
        run(
            sales_invoice_obtainable=False,
            invoice_obstacle="resettlement_swap",
            swap_price_difference_paid=paid,
        ),
        "deed_tax",
    )
    assert defect.path == "resettlement_government_invoice"
    assert defect.extras == {"tax_basis": basis}
    assert defect.lead == "tax"
    assert defect.cooperating == ("district_government",)


def test_deed_tax_resettlement_swap_with_unknown_price_difference_needs_review():
    review = only_review(
        run(sales_invoice_obtainable=False, invoice_obstacle="resettlement_swap"), "deed_tax"
    )
    assert review.missing == ("swap_price_difference_paid",)
    assert review.lead == "tax"


def test_deed_tax_with_unknown_obstacle_needs_review():
    review = only_review(run(sales_invoice_obtainable=False), "deed_tax")
    assert review.missing == ("invoice_obstacle",)


# --- planning, 附件3 三(一)4 --------------------------------------------------------------------

PLANNING_ORDER = [
    ("planning_violation", "violation_disposal"),
    ("public_housing_shortfall", "public_housing_remedy"),
    ("planning_partially_conforming", "partial_verification"),
    ("planning_supplementable", "planning_supplement"),
    ("conforms_territorial_plan", "status_quo_recognition"),
]
PLANNING_FACTS = [fact for fact, _ in PLANNING_ORDER]


@pytest.mark.parametrize(
    "trigger",
    [
        {"planning_permit_obtained": False},
        {"planning_verified": False},
        {"planning_permit_obtained": False, "planning_verified": False},
        {"planning_permit_obtained": True, "planning_verified": False},
        {"planning_permit_obtained": False, "planning_verified": None},
    ],
)
def test_planning_raised_when_permit_or_verification_known_missing(trigger):
    assert path_of(run(planning_supplementable=True, **trigger), "planning") == (
        "planning_supplement"
    )


@pytest.mark.parametrize(
    "trigger",
    [
        {},
        {"planning_permit_obtained": True, "planning_verified": True},
        {"planning_permit_obtained": True},
        {"planning_verified": True},
    ],
)
def test_planning_not_raised_unless_permit_or_verification_known_missing(trigger):
    assert raised(run(planning_supplementable=True, **trigger)) == []


@pytest.mark.parametrize(("fact", "path"), PLANNING_ORDER)
def test_planning_each_deciding_fact_alone_gives_its_path(fact, path):
    others = dict.fromkeys(PLANNING_FACTS, False)
    others[fact] = True
    assert path_of(run(planning_verified=False, **others), "planning") == path


@pytest.mark.parametrize("index", range(len(PLANNING_ORDER)))
def test_planning_first_fact_that_holds_wins(index):
    facts = {fact: (i >= index) for i, fact in enumerate(PLANNING_FACTS)}
    assert path_of(run(planning_verified=False, **facts), "planning") == PLANNING_ORDER[index][1]


def test_planning_unknown_earlier_fact_does_not_block_a_later_one_that_holds():
    result = run(planning_verified=False, planning_supplementable=True)
    assert path_of(result, "planning") == "planning_supplement"


@pytest.mark.parametrize(
    ("path", "approval"),
    [
        ("violation_disposal", True),
        ("public_housing_remedy", True),
        ("partial_verification", False),
        ("planning_supplement", False),
        ("status_quo_recognition", True),
    ],
)
def test_planning_government_approval_gate(path, approval):
    fact = dict((p, f) for f, p in PLANNING_ORDER)[path]
    defect = only_defect(run(planning_permit_obtained=False, **{fact: True}), "planning")
    assert defect.path == path
    assert defect.needs_government_approval is approval
    assert defect.lead == "nr"
    assert defect.cooperating == ("district_government",)


def test_planning_violation_disposal_pursues_the_land_premium():
    defect = only_defect(run(planning_verified=False, planning_violation=True), "planning")
    assert defect.extras == {"pursue_land_premium": True}
    assert defect.to_dict()["pursue_land_premium"] is True


def test_planning_public_housing_remedy_requires_developer_commitment():
    defect = only_defect(run(planning_verified=False, public_housing_shortfall=True), "planning")
    assert defect.extras == {"developer_commitment_required": True}
    assert defect.to_dict()["developer_commitment_required"] is True


@pytest.mark.parametrize(
    ("known", "missing"),
    [
        ({}, tuple(PLANNING_FACTS)),
        (
            {"planning_violation": False, "planning_supplementable": False},
            (
                "public_housing_shortfall",
                "planning_partially_conforming",
                "conforms_territorial_plan",
            ),
        ),
        (dict.fromkeys(PLANNING_FACTS[:-1], False), ("conforms_territorial_plan",)),
    ],
)
def test_planning_with_no_deciding_fact_true_needs_review_naming_the_unknown(known, missing):
    review = only_review(run(planning_verified=False, **known), "planning")
    assert review.missing == missing
    assert review.clause == "附件3 三(一)4"


def test_planning_with_every_deciding_fact_false_needs_review_with_nothing_missing():
    review = only_review(
        run(planning_verified=False, **dict.fromkeys(PLANNING_FACTS, False)), "planning"
    )
    assert review.missing == ()
    assert "未给出处置路径" in review.reason


# --- completion, 附件3 三(一)5 ------------------------------------------------------------------

COMPLETION_ORDER = [
    ("completion_supplementable", "completion_supplement"),
    ("quality_and_fire_accepted", "acceptance_material_review"),
    ("construction_records_lost", "third_party_quality_appraisal"),
]
COMPLETION_FACTS = [fact for fact, _ in COMPLETION_ORDER]


@pytest.mark.parametrize("trigger", [True, None])
def test_completion_not_raised_unless_filing_known_missing(trigger):
    assert raised(run(completion_filed=trigger, completion_supplementable=True)) == []


@pytest.mark.parametrize(("fact", "path"), COMPLETION_ORDER)
def test_completion_each_deciding_fact_alone_gives_its_path(fact, path):
    facts = dict.fromkeys(COMPLETION_FACTS, False)
    facts[fact] = True
    defect = only_defect(run(completion_filed=False, **facts), "completion")
    assert defect.path == path
    assert defect.lead == "housing"
    assert defect.cooperating == ()
    assert defect.needs_government_approval is False


@pytest.mark.parametrize("index", range(len(COMPLETION_ORDER)))
def test_completion_first_fact_that_holds_wins(index):
    facts = {fact: (i >= index) for i, fact in enumerate(COMPLETION_FACTS)}
    result = run(completion_filed=False, **facts)
    assert path_of(result, "completion") == COMPLETION_ORDER[index][1]


@pytest.mark.parametrize(
    ("known", "missing"),
    [
        ({}, tuple(COMPLETION_FACTS)),
        ({"completion_supplementable": False}, tuple(COMPLETION_FACTS[1:])),
        (
            {"completion_supplementable": False, "quality_and_fire_accepted": False},
            ("construction_records_lost",),
        ),
    ],
)
def test_completion_with_no_deciding_fact_true_needs_review_naming_the_unknown(known, missing):
    review = only_review(run(completion_filed=False, **known), "completion")
    assert review.missing == missing
    assert review.lead == "housing"


def test_completion_with_every_deciding_fact_false_needs_review_with_nothing_missing():
    review = only_review(
        run(completion_filed=False, **dict.fromkeys(COMPLETION_FACTS, False)), "completion"
    )
    assert review.missing == ()
    assert "未给出处置路径" in review.reason


# --- fire, 附件3 三(一)6 ------------------------------------------------------------------------


def fire(**facts: object) -> Classification:
    return run(fire_acceptance_done=False, **facts)


@pytest.mark.parametrize("trigger", [True, None])
def test_fire_not_raised_unless_acceptance_known_missing(trigger):
    assert raised(run(fire_acceptance_done=trigger, construction_start_date=D(2005, 1, 1))) == []


def test_fire_completed_before_1998_09_01_unaltered_is_exempt():
    defect = only_defect(fire(completion_date=D(1998, 8, 31), altered_or_expanded=False), "fire")
    assert defect.path == "fire_exempt"
    assert defect.lead == "housing"
    assert defect.cooperating == ("fire_rescue",)
    assert defect.needs_government_approval is False


def test_fire_completed_before_1998_09_01_with_start_known_unaltered_is_exempt():
    result = fire(
        construction_start_date=D(1996, 3, 1),
        completion_date=D(1998, 8, 31),
        altered_or_expanded=False,
    )
    assert path_of(result, "fire") == "fire_exempt"


def test_fire_started_and_completed_the_same_day_before_1998_is_exempt():
    result = fire(
        construction_start_date=D(1998, 8, 31),
        completion_date=D(1998, 8, 31),
        altered_or_expanded=False,
    )
    assert path_of(result, "fire") == "fire_exempt"


def test_fire_completed_on_1998_09_01_is_not_before_so_not_exempt():
    review = only_review(fire(completion_date=D(1998, 9, 1), altered_or_expanded=False), "fire")
    assert review.missing == ("construction_start_date",)


def test_fire_completed_before_1998_with_alteration_unknown_needs_review():
    review = only_review(fire(completion_date=D(1998, 8, 31)), "fire")
    assert review.missing == ("altered_or_expanded",)


def test_fire_completed_before_1998_but_altered_or_expanded_needs_review():
    review = only_review(fire(completion_date=D(1990, 1, 1), altered_or_expanded=True), "fire")
    assert review.missing == ()
    assert "改建" in review.reason


@pytest.mark.parametrize(
    ("start", "path"),
    [
        (D(1998, 9, 1), "fire_housing_review"),
        (D(2008, 5, 12), "fire_housing_review"),
        (D(2020, 6, 29), "fire_housing_review"),
        (D(2020, 6, 30), "fire_standard_procedure"),
        (D(2023, 1, 1), "fire_standard_procedure"),
    ],
)
def test_fire_start_date_window_1998_09_01_to_before_2020_06_30(start, path):
    assert path_of(fire(construction_start_date=start), "fire") == path


def test_fire_started_in_window_and_completed_later_is_housing_review():
    result = fire(construction_start_date=D(1998, 9, 1), completion_date=D(2001, 7, 1))
    assert path_of(result, "fire") == "fire_housing_review"


def test_fire_started_in_window_and_altered_is_still_housing_review():
    result = fire(construction_start_date=D(2010, 1, 1), altered_or_expanded=True)
    assert path_of(result, "fire") == "fire_housing_review"


def test_fire_started_before_1998_09_01_with_completion_unknown_needs_review():
    review = only_review(fire(construction_start_date=D(1998, 8, 31)), "fire")
    assert review.missing == ("completion_date",)


def test_fire_started_before_1998_09_01_but_completed_on_or_after_it_needs_review():
    review = only_review(
        fire(construction_start_date=D(1998, 8, 31), completion_date=D(1998, 9, 1)), "fire"
    )
    assert review.missing == ()
    assert "未作规定" in review.reason


@pytest.mark.parametrize(
    ("facts", "missing"),
    [
        ({}, ("completion_date", "construction_start_date")),
        ({"altered_or_expanded": False}, ("completion_date", "construction_start_date")),
        ({"completion_date": D(1998, 9, 1)}, ("construction_start_date",)),
        ({"completion_date": D(2015, 1, 1)}, ("construction_start_date",)),
    ],
)
def test_fire_with_start_date_unknown_needs_review_naming_the_unknown_dates(facts, missing):
    assert only_review(fire(**facts), "fire").missing == missing


@pytest.mark.parametrize(
    ("start", "done"),
    [
        (D(2005, 1, 2), D(2005, 1, 1)),
        (D(1999, 1, 1), D(1998, 8, 31)),
    ],
)
def test_fire_completion_before_start_needs_review(start, done):
    review = only_review(
        fire(construction_start_date=start, completion_date=done, altered_or_expanded=False),
        "fire",
    )
    assert review.missing == ()
    assert "竣工日期早于开工日期" in review.reason


# --- litigation, 附件3 三(一)7 ------------------------------------------------------------------


@pytest.mark.parametrize("at_fault", [False, None])
def test_litigation_buyers_not_at_fault_goes_to_court_coordination(at_fault):
    defect = only_defect(run(in_litigation=True, buyers_at_fault=at_fault), "litigation")
    assert defect.path == "court_coordination"
    assert defect.lead == "court"
    assert defect.cooperating == ("district_court",)
    assert defect.needs_government_approval is False


def test_litigation_buyers_at_fault_is_outside_the_clause_and_needs_review():
    review = only_review(run(in_litigation=True, buyers_at_fault=True), "litigation")
    assert review.missing == ()
    assert "群众无过错" in review.reason
    assert review.lead == "court"


@pytest.mark.parametrize("trigger", [False, None])
def test_litigation_not_raised_unless_in_litigation(trigger):
    assert raised(run(in_litigation=trigger, buyers_at_fault=True)) == []


# --- oversize, 附件3 三(一)9 --------------------------------------------------------------------


@pytest.mark.parametrize("units", [1, 37])
def test_oversize_affordable_units_over_80_m2_need_housing_approval_transfer(units):
    defect = only_defect(run(project_type="affordable", oversize_units=units), "oversize")
    assert defect.path == "housing_approval_transfer"
    assert defect.extras == {"units": units}
    assert defect.lead == "housing"
    assert defect.cooperating == ("nr",)
    assert defect.needs_government_approval is False


@pytest.mark.parametrize(
    ("project_type", "units"),
    [
        ("affordable", 0),
        ("affordable", None),
        ("commercial", 3),
        ("price_capped", 3),
        (None, 3),
    ],
)
def test_oversize_only_for_affordable_housing_with_oversize_units(project_type, units):
    assert raised(run(project_type=project_type, oversize_units=units)) == []


# --- every path, output shape, ordering, purity -----------------------------------------------

ONE_FACTS_PER_PATH = {
    "land_allocation_or_agreement": {
        "land_procedures_complete": False,
        "project_type": "resettlement",
        "government_led": True,
    },
    "land_allocation": {
        "land_procedures_complete": False,
        "project_type": "fundraised",
        "institution_own_land": True,
    },
    "land_by_construction_era": {"land_procedures_complete": False, "project_type": "commercial"},
    "certificate_payment_separation": {"taxes_unpaid": True},
    "court_document_filing": {
        "sales_invoice_obtainable": False,
        "invoice_obstacle": "court_ruling",
    },
    "tax_verified_acceptance": {
        "sales_invoice_obtainable": False,
        "invoice_obstacle": "developer_abnormal",
    },
    "resettlement_government_invoice": {
        "sales_invoice_obtainable": False,
        "invoice_obstacle": "resettlement_swap",
        "swap_price_difference_paid": True,
    },
    "contract_amount_assessment": {"sales_invoice_obtainable": False, "invoice_obstacle": "other"},
    "violation_disposal": {"planning_verified": False, "planning_violation": True},
    "public_housing_remedy": {"planning_verified": False, "public_housing_shortfall": True},
    "partial_verification": {"planning_verified": False, "planning_partially_conforming": True},
    "planning_supplement": {"planning_verified": False, "planning_supplementable": True},
    "status_quo_recognition": {"planning_verified": False, "conforms_territorial_plan": True},
    "completion_supplement": {"completion_filed": False, "completion_supplementable": True},
    "acceptance_material_review": {"completion_filed": False, "quality_and_fire_accepted": True},
    "third_party_quality_appraisal": {"completion_filed": False, "construction_records_lost": True},
    "fire_exempt": {
        "fire_acceptance_done": False,
        "completion_date": "1990-01-01",
        "altered_or_expanded": False,
    },
    "fire_housing_review": {"fire_acceptance_done": False, "construction_start_date": "2005-01-01"},
    "fire_standard_procedure": {
        "fire_acceptance_done": False,
        "construction_start_date": "2021-01-01",
    },
    "court_coordination": {"in_litigation": True},
    "housing_approval_transfer": {"project_type": "affordable", "oversize_units": 2},
}

BASE_KEYS = {
    "type",
    "path",
    "lead",
    "cooperating",
    "needs_government_approval",
    "clause",
    "explanation",
}


def test_every_path_of_the_taxonomy_is_reachable():
    assert set(ONE_FACTS_PER_PATH) == set(PATHS)


@pytest.mark.parametrize(("path", "data"), list(ONE_FACTS_PER_PATH.items()))
def test_defect_carries_lead_cooperating_clause_and_quote_from_the_taxonomy(path, data):
    result = classify(parse_facts(data))
    assert result.needs_review == ()
    [defect] = result.defects
    spec = DEFECT_TYPES[defect.type]
    assert defect.path == path
    assert PATHS[path].type == defect.type
    assert defect.lead == spec.lead
    assert defect.cooperating == spec.cooperating + PATHS[path].extra_cooperating
    assert defect.clause == spec.clause
    assert defect.explanation == PATHS[path].explanation
    assert defect.needs_government_approval is PATHS[path].needs_government_approval


@pytest.mark.parametrize(("path", "data"), list(ONE_FACTS_PER_PATH.items()))
def test_defect_to_dict_has_the_spec_keys_plus_its_extras(path, data):
    [defect] = classify(parse_facts(data)).defects
    out = defect.to_dict()
    assert set(out) == BASE_KEYS | set(defect.extras)
    assert isinstance(out["cooperating"], list)
    assert out["path"] == path
    json.dumps(out)


def test_review_to_dict_has_type_missing_reason_lead_and_clause():
    [review] = run(completion_filed=False, completion_supplementable=False).needs_review
    assert review.to_dict() == {
        "type": "completion",
        "missing": ["quality_and_fire_accepted", "construction_records_lost"],
        "reason": review.reason,
        "lead": "housing",
        "clause": "附件3 三(一)5",
    }
    assert review.reason


def test_spec_example_output_shape():
    result = run(fire_acceptance_done=False, construction_start_date=D(2005, 1, 1))
    [defect] = result.to_dict()["defects"]  # type: ignore[misc]
    assert {k: v for k, v in defect.items() if k != "explanation"} == {
        "type": "fire",
        "path": "fire_housing_review",
        "lead": "housing",
        "cooperating": ["fire_rescue"],
        "needs_government_approval": False,
        "clause": "附件3 三(一)6",
    }
    assert result.to_dict()["needs_review"] == []


EVERYTHING = {
    "project_type": "affordable",
    "government_led": True,
    "land_procedures_complete": False,
    "land_premium_unpaid": True,
    "sales_invoice_obtainable": False,
    "invoice_obstacle": "court_ruling",
    "planning_permit_obtained": False,
    "planning_supplementable": True,
    "completion_filed": False,
    "construction_records_lost": True,
    "fire_acceptance_done": False,
    "construction_start_date": "2004-04-01",
    "completion_date": "2006-09-30",
    "in_litigation": True,
    "buyers_at_fault": False,
    "oversize_units": 4,
}

ALL_REVIEWS = {
    "project_type": "affordable",
    "land_procedures_complete": False,
    "sales_invoice_obtainable": False,
    "planning_verified": False,
    "completion_filed": False,
    "fire_acceptance_done": False,
    "in_litigation": True,
    "buyers_at_fault": True,
}


def test_defects_come_in_table_order():
    result = classify(parse_facts(EVERYTHING))
    assert [d.type for d in result.defects] == list(DEFECT_TYPES)
    assert result.needs_review == ()


def test_needs_review_items_come_in_table_order():
    result = classify(parse_facts(ALL_REVIEWS))
    assert result.defects == ()
    assert [r.type for r in result.needs_review] == [
        "land",
        "deed_tax",
        "planning",
        "completion",
        "fire",
        "litigation",
    ]
    assert [r.missing for r in result.needs_review] == [
        ("government_led",),
        ("invoice_obstacle",),
        tuple(PLANNING_FACTS),
        tuple(COMPLETION_FACTS),
        ("completion_date", "construction_start_date"),
        (),
    ]


def test_review_items_carry_lead_and_clause_of_their_type():
    for review in classify(parse_facts(ALL_REVIEWS)).needs_review:
        assert review.lead == DEFECT_TYPES[review.type].lead
        assert review.clause == DEFECT_TYPES[review.type].clause
        assert review.reason


@pytest.mark.parametrize("data", [EVERYTHING, ALL_REVIEWS, {}])
def test_classify_is_pure_same_input_same_output_input_untouched(data):
    snapshot = copy.deepcopy(data)
    facts = parse_facts(data)
    facts_before = copy.deepcopy(facts)
    first, second = classify(facts), classify(facts)
    assert first == second
    assert first.to_dict() == second.to_dict()
    assert classify(parse_facts(data)) == first
    assert facts == facts_before
    assert data == snapshot


def test_classification_to_dict_is_json_serialisable():
    out = classify(parse_facts(EVERYTHING)).to_dict()
    assert json.loads(json.dumps(out, ensure_ascii=False)) == out


def test_completion_unknown_earlier_fact_does_not_block_a_later_one_that_holds():
    result = run(completion_filed=False, quality_and_fire_accepted=True)
    assert path_of(result, "completion") == "acceptance_material_review"


def test_defects_and_reviews_are_hashable_values():
    result = classify(parse_facts(EVERYTHING))
    assert len(set(result.defects)) == len(result.defects)
    assert len(set(classify(parse_facts(ALL_REVIEWS)).needs_review)) == 6
