"""The defect lifecycle (附件3 四(二)): every action × status × actor, the approval gate, inputs."""

from __future__ import annotations

import datetime as dt

import pytest

from cases.taxonomy import DEFECT_STATUSES
from cases.workflow import (
    TRANSITIONS,
    Actor,
    DefectSnapshot,
    WorkflowError,
    apply_action,
    available_actions,
)

TODAY = dt.date(2024, 7, 15)

ACTORS = {
    "caseworker": Actor("caseworker"),
    "lead_department": Actor("department", department="housing"),
    "other_department": Actor("department", department="tax"),
    "project_district": Actor("district", district="dwk"),
    "other_district": Actor("district", district="hn"),
    "leader": Actor("leader"),
    "admin": Actor("admin"),
    "auditor": Actor("auditor"),
}

# Written out by hand from the issue, independently of TRANSITIONS: action -> (sources, target,
# actors allowed). The test compares the table against this.
EXPECTED = {
    "assign": ({"registered"}, "assigned", {"caseworker"}),
    "start": ({"assigned"}, "in_progress", {"lead_department", "caseworker"}),
    "request_approval": (
        {"in_progress"},
        "awaiting_approval",
        {"lead_department", "project_district", "caseworker"},
    ),
    "approve": ({"awaiting_approval"}, "in_progress", {"caseworker", "project_district"}),
    "refuse": ({"awaiting_approval"}, "in_progress", {"caseworker", "project_district"}),
    "submit": ({"in_progress"}, "awaiting_closure", {"lead_department", "caseworker"}),
    "close": ({"awaiting_closure"}, "closed", {"caseworker"}),
    "send_back": ({"awaiting_closure"}, "in_progress", {"caseworker"}),
    "return": ({"assigned", "in_progress"}, "registered", {"lead_department"}),
    "reroute": ({"registered"}, "registered", {"caseworker"}),
    "suspend": ({"assigned", "in_progress", "awaiting_approval"}, "suspended", {"caseworker"}),
    "resume": ({"suspended"}, "in_progress", {"caseworker"}),
    "reopen": ({"closed"}, "in_progress", {"caseworker"}),
}

GOOD_INPUT = {
    "deadline": TODAY + dt.timedelta(days=30),
    "review_date": TODAY + dt.timedelta(days=60),
    "decision_date": TODAY - dt.timedelta(days=1),
    "document_number": "石政函〔2024〕15号",
    "reason": "需等待法院判决生效后再办理",
    "result": "已完成消防验收备案，出具意见书",
    "evidence": 1,
    "facts_clear": True,
    "problem_solved": True,
    "task_done": True,
    "lead": "nr",
}


def snapshot(
    status: str, *, approval: bool = False, granted: bool = False, path="fire_housing_review"
):
    return DefectSnapshot(
        status=status,
        path=path,
        lead="housing",
        project_district="dwk",
        needs_government_approval=approval,
        approval_granted=granted,
    )


def test_transition_table_matches_the_issue():
    assert set(TRANSITIONS) == set(EXPECTED)
    for action, (sources, target, actors) in EXPECTED.items():
        t = TRANSITIONS[action]
        assert (set(t.sources), t.target, set(t.actors)) == (sources, target, actors), action


def _settings(action):
    # request_approval needs an approval path; submit needs the approval settled when required.
    if action == "request_approval":
        return {"approval": True}
    return {}


@pytest.mark.parametrize("actor_name", sorted(ACTORS))
@pytest.mark.parametrize("status", list(DEFECT_STATUSES))
@pytest.mark.parametrize("action", sorted(EXPECTED))
def test_every_action_is_legal_only_from_its_statuses_for_its_actors(action, status, actor_name):
    sources, target, actors = EXPECTED[action]
    snap = snapshot(status, **_settings(action))
    legal = status in sources and actor_name in actors
    if legal:
        outcome = apply_action(snap, action, ACTORS[actor_name], GOOD_INPUT, TODAY)
        assert outcome.status == target
        assert action in {t.action for t in available_actions(snap, ACTORS[actor_name])}
    else:
        with pytest.raises(WorkflowError) as refused:
            apply_action(snap, action, ACTORS[actor_name], GOOD_INPUT, TODAY)
        assert refused.value.message  # a Chinese sentence, never empty
        assert action not in {t.action for t in available_actions(snap, ACTORS[actor_name])}


def test_unknown_action_is_refused():
    with pytest.raises(WorkflowError, match="未知的操作"):
        apply_action(snapshot("registered"), "teleport", ACTORS["caseworker"], {}, TODAY)


def test_assign_is_refused_while_the_path_awaits_review():
    with pytest.raises(WorkflowError, match="人工研判"):
        apply_action(
            snapshot("registered", path=None), "assign", ACTORS["caseworker"], GOOD_INPUT, TODAY
        )


def test_request_approval_is_refused_for_a_path_that_needs_no_government_approval():
    with pytest.raises(WorkflowError, match="无需报经"):
        apply_action(snapshot("in_progress"), "request_approval", ACTORS["caseworker"], {}, TODAY)


def test_request_approval_is_refused_once_approval_is_granted():
    snap = snapshot("in_progress", approval=True, granted=True)
    with pytest.raises(WorkflowError, match="已登记政府同意"):
        apply_action(snap, "request_approval", ACTORS["caseworker"], {}, TODAY)


def test_submit_is_refused_until_the_government_approved_an_approval_path():
    snap = snapshot("in_progress", approval=True, granted=False)
    with pytest.raises(WorkflowError, match="登记同意后才能提交销号"):
        apply_action(snap, "submit", ACTORS["lead_department"], GOOD_INPUT, TODAY)


def test_submit_is_allowed_after_the_government_approved():
    snap = snapshot("in_progress", approval=True, granted=True)
    assert apply_action(snap, "submit", ACTORS["lead_department"], GOOD_INPUT, TODAY).status == (
        "awaiting_closure"
    )


def test_approve_records_the_document_and_grants_the_approval():
    snap = snapshot("awaiting_approval", approval=True)
    outcome = apply_action(snap, "approve", ACTORS["project_district"], GOOD_INPUT, TODAY)
    assert outcome.effects["approval_granted"] is True
    assert outcome.effects["document_number"] == "石政函〔2024〕15号"
    assert outcome.effects["decision_date"] == TODAY - dt.timedelta(days=1)


def test_refuse_records_the_refusal_and_keeps_approval_ungranted():
    snap = snapshot("awaiting_approval", approval=True)
    outcome = apply_action(snap, "refuse", ACTORS["caseworker"], GOOD_INPUT, TODAY)
    assert outcome.status == "in_progress"
    assert outcome.effects["approval_granted"] is False


@pytest.mark.parametrize(
    ("action", "status", "field", "bad"),
    [
        ("assign", "registered", "deadline", None),
        ("assign", "registered", "deadline", "2024-08-01"),
        ("assign", "registered", "deadline", TODAY - dt.timedelta(days=1)),
        ("approve", "awaiting_approval", "decision_date", TODAY + dt.timedelta(days=1)),
        ("approve", "awaiting_approval", "document_number", " "),
        ("refuse", "awaiting_approval", "reason", "不行"),
        ("submit", "in_progress", "result", ""),
        ("submit", "in_progress", "evidence", 0),
        ("submit", "in_progress", "evidence", True),
        ("send_back", "awaiting_closure", "reason", None),
        ("reroute", "registered", "lead", "housing"),
        ("reroute", "registered", "lead", "nowhere"),
        ("suspend", "in_progress", "review_date", TODAY),
        ("reopen", "closed", "reason", "x" * 2001),
    ],
)
def test_missing_or_bad_input_is_refused_naming_the_field(action, status, field, bad):
    payload = dict(GOOD_INPUT, **{field: bad})
    snap = snapshot(status, approval=action in {"approve", "refuse"})
    with pytest.raises(WorkflowError) as refused:
        apply_action(snap, action, ACTORS["caseworker"], payload, TODAY)
    assert refused.value.field == field


@pytest.mark.parametrize("unchecked", ["facts_clear", "problem_solved", "task_done"])
def test_close_requires_facts_clear_problem_solved_and_task_done(unchecked):
    payload = dict(GOOD_INPUT, **{unchecked: False})
    with pytest.raises(WorkflowError, match="销号须确认"):
        apply_action(snapshot("awaiting_closure"), "close", ACTORS["caseworker"], payload, TODAY)


def test_reroute_returns_the_new_lead_as_an_effect():
    outcome = apply_action(
        snapshot("registered"), "reroute", ACTORS["caseworker"], GOOD_INPUT, TODAY
    )
    assert outcome.status == "registered"
    assert outcome.effects["lead"] == "nr"


def test_apply_action_is_pure():
    payload = dict(GOOD_INPUT)
    snap = snapshot("registered")
    first = apply_action(snap, "assign", ACTORS["caseworker"], payload, TODAY)
    second = apply_action(snap, "assign", ACTORS["caseworker"], payload, TODAY)
    assert first == second
    assert payload == GOOD_INPUT
