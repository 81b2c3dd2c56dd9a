"""The 附件3 taxonomy data agrees with annex3-rules.md and with itself."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from cases.facts import Facts
from cases.taxonomy import (
    COMPLAINT_INTAKE_CLAUSE,
    COMPLAINT_INTAKE_COOPERATING,
    COMPLAINT_INTAKE_LEAD,
    DEFECT_STATUSES,
    DEFECT_TYPES,
    DEPARTMENTS,
    DISTRICTS,
    FACT_FIELDS,
    FACT_FIELDS_BY_NAME,
    INITIAL_DEFECT_STATUS,
    INVOICE_OBSTACLES,
    PATHS,
    PROJECT_STATES,
    PROJECT_TYPES,
)

POLICY = Path(__file__).resolve().parents[3] / "shared" / "policy" / "000_8f773b3235296f16.txt"

# annex3-rules.md, "Defect types and their paths".
SPEC_TYPES = [
    ("land", "用地手续不完善", "附件3 三(一)1", "nr", ("district_government",)),
    ("arrears", "欠缴土地出让价款、相关税费", "附件3 三(一)2", "nr", ("tax", "finance")),
    ("deed_tax", "无法取得销售不动产发票的契税申报", "附件3 三(一)3", "tax", ()),
    ("planning", "未办理规划许可和未进行规划核实", "附件3 三(一)4", "nr", ("district_government",)),
    ("completion", "未办理竣工验收备案", "附件3 三(一)5", "housing", ()),
    ("fire", "未办理消防验收", "附件3 三(一)6", "housing", ("fire_rescue",)),
    ("litigation", "涉法涉诉类“办证难”", "附件3 三(一)7", "court", ("district_court",)),
    ("oversize", "经济适用房单套建筑面积超标准", "附件3 三(一)9", "housing", ("nr",)),
]

SPEC_PATHS = {
    "land": {"land_allocation_or_agreement", "land_allocation", "land_by_construction_era"},
    "arrears": {"certificate_payment_separation"},
    "deed_tax": {
        "court_document_filing",
        "tax_verified_acceptance",
        "resettlement_government_invoice",
        "contract_amount_assessment",
    },
    "planning": {
        "violation_disposal",
        "public_housing_remedy",
        "partial_verification",
        "planning_supplement",
        "status_quo_recognition",
    },
    "completion": {
        "completion_supplement",
        "acceptance_material_review",
        "third_party_quality_appraisal",
    },
    "fire": {"fire_exempt", "fire_housing_review", "fire_standard_procedure"},
    "litigation": {"court_coordination"},
    "oversize": {"housing_approval_transfer"},
}

GOVERNMENT_APPROVAL_PATHS = {
    "certificate_payment_separation",
    "violation_disposal",
    "public_housing_remedy",
    "status_quo_recognition",
}

# Explanations not quoted verbatim: only their “…” fragments must come from the policy.
NOT_VERBATIM = {"fire_standard_procedure"}


def test_departments_are_the_ten_codes_of_the_spec_in_order():
    assert list(DEPARTMENTS) == [
        "nr",
        "tax",
        "housing",
        "court",
        "district_court",
        "fire_rescue",
        "approval",
        "finance",
        "district_government",
        "xinghan",
    ]


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("nr", "市自然资源局"),
        ("tax", "市税务局"),
        ("housing", "市住房和城乡建设局"),
        ("court", "市中级人民法院"),
        ("district_court", "各辖区人民法院"),
        ("fire_rescue", "市消防救援支队"),
        ("approval", "市审批服务管理局"),
        ("finance", "市财政局"),
        ("district_government", "各县区人民政府"),
        ("xinghan", "星瀚集团"),
    ],
)
def test_department_has_its_short_official_name(code, name):
    assert DEPARTMENTS[code].code == code
    assert DEPARTMENTS[code].name == name


def test_defect_types_are_in_table_order():
    assert list(DEFECT_TYPES) == [row[0] for row in SPEC_TYPES]


@pytest.mark.parametrize(("code", "name", "clause", "lead", "cooperating"), SPEC_TYPES)
def test_defect_type_matches_the_spec_table(code, name, clause, lead, cooperating):
    spec = DEFECT_TYPES[code]
    assert (spec.code, spec.name, spec.clause, spec.lead, spec.cooperating) == (
        code,
        name,
        clause,
        lead,
        cooperating,
    )


@pytest.mark.parametrize("code", list(SPEC_PATHS))
def test_defect_type_lists_exactly_the_paths_of_the_spec(code):
    assert set(DEFECT_TYPES[code].paths) == SPEC_PATHS[code]


def test_paths_are_every_path_named_in_the_rules():
    assert set(PATHS) == set().union(*SPEC_PATHS.values())
    assert len(PATHS) == 21


def test_every_path_belongs_to_exactly_one_type():
    listed = [p for spec in DEFECT_TYPES.values() for p in spec.paths]
    assert len(listed) == len(set(listed)) == len(PATHS)
    for spec in DEFECT_TYPES.values():
        for path in spec.paths:
            assert PATHS[path].type == spec.code


@pytest.mark.parametrize("path", list(PATHS))
def test_path_spec_is_keyed_by_its_code_and_named_in_chinese(path):
    spec = PATHS[path]
    assert spec.code == path
    assert spec.type in DEFECT_TYPES
    assert re.search(r"[\u4e00-\u9fff]", spec.name)
    assert spec.explanation


@pytest.mark.parametrize("path", list(PATHS))
def test_government_approval_gate_is_only_where_the_policy_requires_it(path):
    assert PATHS[path].needs_government_approval is (path in GOVERNMENT_APPROVAL_PATHS)


def test_every_lead_and_cooperating_department_is_a_known_code():
    for spec in DEFECT_TYPES.values():
        assert spec.lead in DEPARTMENTS
        assert set(spec.cooperating) <= set(DEPARTMENTS)
    for path in PATHS.values():
        assert set(path.extra_cooperating) <= set(DEPARTMENTS)


def test_only_resettlement_invoice_adds_district_government_to_cooperating():
    extra = {code: p.extra_cooperating for code, p in PATHS.items() if p.extra_cooperating}
    assert extra == {"resettlement_government_invoice": ("district_government",)}


def test_fixed_extras_are_the_planning_flags_of_the_spec():
    extras = {code: dict(p.fixed_extras) for code, p in PATHS.items() if p.fixed_extras}
    assert extras == {
        "violation_disposal": {"pursue_land_premium": True},
        "public_housing_remedy": {"developer_commitment_required": True},
    }


@pytest.mark.parametrize("code", list(DEFECT_TYPES))
def test_every_clause_is_an_item_of_annex3_part_three_one(code):
    assert re.fullmatch(r"附件3 三\(一\)\d", DEFECT_TYPES[code].clause)


def test_clauses_are_unique_and_skip_the_complaint_intake():
    clauses = [spec.clause for spec in DEFECT_TYPES.values()]
    assert len(set(clauses)) == len(clauses)
    assert COMPLAINT_INTAKE_CLAUSE == "附件3 三(一)8"
    assert COMPLAINT_INTAKE_CLAUSE not in clauses
    assert COMPLAINT_INTAKE_LEAD == "nr"
    assert COMPLAINT_INTAKE_COOPERATING == ("district_government",)


def _normalise(text: str) -> str:
    """Undo what the policy text lost: full-width punctuation and the date separators."""
    table = str.maketrans({"，": ",", "（": "(", "）": ")", "；": ";", "：": ":"})
    text = text.translate(table)
    for full, lost in (
        ("1998年9月1日", "199891日"),
        ("2020年6月30日", "2020630日"),
    ):
        text = text.replace(full, lost)
    return text


def _policy_text() -> str:
    if not POLICY.exists():
        pytest.skip(f"policy text not found at {POLICY}")
    return POLICY.read_text(encoding="utf-8")


def _sentences(text: str) -> list[str]:
    return [s.rstrip(";") for s in _normalise(text).split("。") if s]


@pytest.mark.parametrize("path", sorted(set(PATHS) - NOT_VERBATIM))
def test_path_explanation_is_quoted_from_the_policy(path):
    policy = _policy_text()
    for sentence in _sentences(PATHS[path].explanation):
        assert sentence in policy, sentence


@pytest.mark.parametrize("path", sorted(NOT_VERBATIM))
def test_path_explanation_outside_the_policy_quotes_what_it_cites(path):
    policy = _policy_text()
    quoted = re.findall(r"“([^”]+)”", PATHS[path].explanation)
    assert quoted
    for fragment in quoted:
        assert _normalise(fragment) in policy, fragment


@pytest.mark.parametrize("code", list(DEFECT_TYPES))
def test_type_summary_is_one_sentence_quoted_from_the_policy(code):
    policy = _policy_text()
    sentences = _sentences(DEFECT_TYPES[code].summary)
    assert len(sentences) == 1
    assert sentences[0] in policy


def test_project_types_are_the_codes_of_the_facts_table():
    assert list(PROJECT_TYPES) == [
        "commercial",
        "affordable",
        "resettlement",
        "shantytown",
        "price_capped",
        "reform",
        "fundraised",
        "self_built",
        "other",
    ]
    assert PROJECT_TYPES["affordable"] == "经济适用住房"
    assert PROJECT_TYPES["self_built"] == "划拨土地上自建房"


def test_invoice_obstacles_are_the_codes_of_the_facts_table():
    assert list(INVOICE_OBSTACLES) == [
        "court_ruling",
        "developer_deregistered",
        "developer_abnormal",
        "resettlement_swap",
        "other",
    ]


def test_fact_field_names_equal_the_facts_dataclass_fields_in_order():
    assert [f.name for f in FACT_FIELDS] == [f.name for f in dataclasses.fields(Facts)]


def test_fact_fields_by_name_indexes_every_field():
    assert list(FACT_FIELDS_BY_NAME) == [f.name for f in FACT_FIELDS]
    assert all(FACT_FIELDS_BY_NAME[f.name] is f for f in FACT_FIELDS)


@pytest.mark.parametrize(
    ("name", "kind", "choices"),
    [
        ("project_type", "enum", PROJECT_TYPES),
        ("invoice_obstacle", "enum", INVOICE_OBSTACLES),
        ("construction_start_date", "date", None),
        ("completion_date", "date", None),
        ("oversize_units", "int", None),
    ],
)
def test_non_bool_fact_has_its_kind_and_choices(name, kind, choices):
    field = FACT_FIELDS_BY_NAME[name]
    assert field.kind == kind
    assert field.choices == choices


def test_every_other_fact_is_a_bool_without_choices():
    others = [f for f in FACT_FIELDS if f.kind == "bool"]
    assert len(others) == len(FACT_FIELDS) - 5
    assert all(f.choices is None for f in others)


def test_fact_field_labels_are_chinese_and_groups_are_contiguous_sections():
    groups = [f.group for f in FACT_FIELDS]
    seen: list[str] = []
    for group in groups:
        if not seen or seen[-1] != group:
            assert group not in seen, f"group {group} split"
            seen.append(group)
    assert seen == [
        "基本情况",
        "用地",
        "土地价款和税费",
        "契税发票",
        "规划",
        "竣工验收",
        "消防",
        "涉法涉诉",
        "经济适用房",
    ]
    assert all(re.search(r"[\u4e00-\u9fff]", f.label) for f in FACT_FIELDS)


@pytest.mark.parametrize(
    ("code", "name", "adcode", "prefix"),
    [
        ("dwk", "大武口区", "640202", "DWK"),
        ("hn", "惠农区", "640205", "HN"),
        ("pl", "平罗县", "640221", "PL"),
    ],
)
def test_district_matches_the_contract(code, name, adcode, prefix):
    district = DISTRICTS[code]
    assert (district.code, district.name, district.adcode, district.prefix) == (
        code,
        name,
        adcode,
        prefix,
    )


def test_districts_are_exactly_the_three_of_the_contract_in_order():
    assert list(DISTRICTS) == ["dwk", "hn", "pl"]


def test_defect_statuses_are_ordered_towards_closure():
    assert dict(DEFECT_STATUSES) == {
        "registered": "待交办",
        "assigned": "已交办",
        "in_progress": "办理中",
        "awaiting_approval": "待政府同意",
        "awaiting_closure": "待销号",
        "closed": "已销号",
        "suspended": "暂缓",
    }
    assert next(iter(DEFECT_STATUSES)) == INITIAL_DEFECT_STATUS == "registered"


def test_project_states_are_unresolved_in_progress_resolved():
    assert list(PROJECT_STATES.items()) == [
        ("unresolved", "未化解"),
        ("in_progress", "化解中"),
        ("resolved", "已化解"),
    ]


@pytest.mark.parametrize(
    "table",
    [
        DEPARTMENTS,
        DEFECT_TYPES,
        PATHS,
        PROJECT_TYPES,
        INVOICE_OBSTACLES,
        DISTRICTS,
        DEFECT_STATUSES,
    ],
)
def test_policy_tables_are_read_only(table):
    with pytest.raises(TypeError):
        table["new"] = None  # type: ignore[index]


def test_specs_are_hashable_values():
    assert len(set(PATHS.values())) == len(PATHS)
    assert len(set(FACT_FIELDS)) == len(FACT_FIELDS)
    assert len(set(DEFECT_TYPES.values())) == len(DEFECT_TYPES)
