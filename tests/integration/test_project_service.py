"""app.services.projects on the database: audit, versions, defect rows, state, constraints."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import AuditEvent, Defect, Project, User, defect_cooperation
from app.services import audit
from app.services import projects as service
from app.services.errors import Forbidden, InvalidInput, NotFound, StaleVersion
from cases.classify import classify
from tests.factories import FIRE_WINDOW_FACTS, POINTS, TODAY

ARREARS = {"land_premium_unpaid": True}
SWAP = {
    "sales_invoice_obtainable": False,
    "invoice_obstacle": "resettlement_swap",
    "swap_price_difference_paid": False,
}
REASON = "经现场核实，该楼实际于2021年开工。"


@pytest.fixture()
def caseworker(app_ctx, factory) -> User:
    rec = factory.user("caseworker")
    return db.session.get(User, rec.id)


def _input(facts: dict | None = None, **fields) -> service.ProjectInput:
    lon, lat = POINTS.get(fields.get("district", "dwk"), POINTS["dwk"])
    values = {
        "name": "星海湖畔小区",
        "district": "dwk",
        "total_households": 100,
        "certified_households": 10,
        "lon": lon,
        "lat": lat,
        **fields,
    }
    return service.ProjectInput(**values, facts=service.parse_input_facts(facts or {}))


def _create(user: User, facts: dict | None = None, **fields) -> Project:
    return service.create_project(user, _input(facts, **fields), TODAY).project


def _update(user: User, project: Project, facts: dict | None = None, **fields):
    """Save the project's current input with some fields and facts replaced."""
    current = service.project_input(project)
    merged = {**service.facts_to_dict(current.facts), **(facts or {})}
    data = dataclasses.replace(
        current,
        **fields,
        facts=service.parse_input_facts({k: v for k, v in merged.items() if v is not None}),
    )
    return service.update_project(user, project.code, data, project.version, TODAY)


def _audit(action: str | None = None) -> list[AuditEvent]:
    stmt = select(AuditEvent).order_by(AuditEvent.id)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    return list(db.session.scalars(stmt))


def _fresh(code: str) -> Project:
    """The project as stored, not as this session remembers it."""
    db.session.expire_all()
    return db.session.scalars(select(Project).where(Project.code == code)).one()


def _defects(code: str) -> dict[str, Defect]:
    return {d.type: d for d in _fresh(code).defects}


def _cooperation(defect_id: int) -> list[str]:
    rows = db.session.execute(
        select(defect_cooperation.c.department_code)
        .where(defect_cooperation.c.defect_id == defect_id)
        .order_by(defect_cooperation.c.department_code)
    )
    return list(rows.scalars())


# ---------------------------------------------------------------- create


def test_create_writes_one_audit_row_with_the_fields_and_defects(caseworker):
    project = _create(caseworker, FIRE_WINDOW_FACTS)
    [event] = _audit("project.create")
    assert event.actor_id == caseworker.id
    assert event.entity_id == project.code
    assert event.project_id == project.id
    assert event.changes["fields"]["name"] == "星海湖畔小区"
    assert event.changes["fields"]["facts"] == FIRE_WINDOW_FACTS
    assert event.changes["defects"] == ["新增问题：未办理消防验收（住建部门牵头审查）"]


def test_create_and_its_audit_row_commit_together(caseworker, monkeypatch):
    def broken_record(*args, **kwargs):
        event = AuditEvent(action=None, entity_type="project", entity_id="x")
        db.session.add(event)
        return event

    monkeypatch.setattr(audit, "record", broken_record)
    with pytest.raises(IntegrityError):
        _create(caseworker, FIRE_WINDOW_FACTS)
    db.session.rollback()
    assert db.session.scalar(select(func.count(Project.id))) == 0
    assert db.session.scalar(select(func.count(Defect.id))) == 0


def test_create_assigns_the_next_code_of_the_district(caseworker):
    codes = [_create(caseworker, district=d).code for d in ("dwk", "hn", "dwk", "pl", "dwk")]
    assert codes == ["DWK-0001", "HN-0001", "DWK-0002", "PL-0001", "DWK-0003"]


def test_create_is_refused_to_roles_that_may_not_create(app_ctx, factory):
    leader = db.session.get(User, factory.user("leader").id)
    with pytest.raises(Forbidden):
        _create(leader, FIRE_WINDOW_FACTS)
    db.session.rollback()
    assert db.session.scalar(select(func.count(Project.id))) == 0


@pytest.mark.parametrize(
    ("fields", "facts", "field"),
    [
        ({"name": " "}, None, "name"),
        ({"district": "xx"}, None, "district"),
        ({"total_households": -1, "certified_households": 0}, None, "total_households"),
        ({"certified_households": 101}, None, "certified_households"),
        ({"lat": None}, None, "lat"),
        ({"lon": 116.4, "lat": 39.9}, None, "lon"),
        ({}, {"completion_date": "2099-01-01"}, "facts.completion_date"),
        (
            {},
            {"construction_start_date": "2005-01-01", "completion_date": "2004-01-01"},
            "facts.completion_date",
        ),
    ],
)
def test_create_refuses_impossible_input_and_writes_nothing(caseworker, fields, facts, field):
    with pytest.raises(InvalidInput) as refused:
        _create(caseworker, facts, **fields)
    db.session.rollback()
    assert refused.value.field == field
    assert db.session.scalar(select(func.count(Project.id))) == 0
    assert db.session.scalar(select(func.count(AuditEvent.id))) == 1  # the user's creation


# ---------------------------------------------------------------- update


def test_update_audits_old_and_new_values_and_increments_the_version(caseworker):
    project = _create(caseworker, FIRE_WINDOW_FACTS)
    code, version = project.code, project.version
    result = _update(caseworker, project, name="新名称", total_households=120)
    assert result.project.version == version + 1
    [event] = _audit("project.update")
    assert event.changes["fields"] == {
        "name": ["星海湖畔小区", "新名称"],
        "total_households": [100, 120],
    }
    assert event.changes["defects"] == []
    assert _fresh(code).version == version + 1


def test_update_of_facts_audits_the_fact_change_and_the_engines_changes(caseworker):
    project = _create(caseworker, FIRE_WINDOW_FACTS)
    _update(caseworker, project, {"fire_acceptance_done": True, "in_litigation": True})
    [event] = _audit("project.update")
    old, new = event.changes["fields"]["facts"]
    assert old["fire_acceptance_done"] is False
    assert new["fire_acceptance_done"] is True and new["in_litigation"] is True
    assert [m.split("：")[0] for m in event.changes["defects"]] == ["问题不再成立", "新增问题"]


def test_update_of_a_column_fact_is_audited_with_iso_dates(caseworker):
    project = _create(caseworker, FIRE_WINDOW_FACTS)
    _update(caseworker, project, {"construction_start_date": "2006-01-01"})
    [event] = _audit("project.update")
    assert event.changes["fields"]["construction_start_date"] == ["2005-03-01", "2006-01-01"]


def test_update_without_changes_writes_no_audit_and_keeps_the_version(caseworker):
    project = _create(caseworker, FIRE_WINDOW_FACTS)
    version = project.version
    _update(caseworker, project)
    assert _audit("project.update") == []
    assert _fresh(project.code).version == version


def test_stale_version_leaves_the_row_untouched(caseworker):
    project = _create(caseworker, FIRE_WINDOW_FACTS)
    code, stale = project.code, project.version
    _update(caseworker, project, name="第一次")
    saved = service.project_snapshot(_fresh(code))
    audits = len(_audit())
    data = dataclasses.replace(service.project_input(_fresh(code)), name="第二次")
    with pytest.raises(StaleVersion) as refused:
        service.update_project(caseworker, code, data, stale, TODAY)
    db.session.rollback()
    assert refused.value.current_version == stale + 1
    assert refused.value.current["name"] == "第一次"
    assert service.project_snapshot(_fresh(code)) == saved
    assert len(_audit()) == audits


def test_update_by_a_leader_is_forbidden(app_ctx, factory, caseworker):
    project = _create(caseworker, FIRE_WINDOW_FACTS)
    leader = db.session.get(User, factory.user("leader").id)
    with pytest.raises(Forbidden):
        _update(leader, project, name="改名")


def test_update_of_another_districts_project_is_not_found(app_ctx, factory, caseworker):
    project = _create(caseworker, FIRE_WINDOW_FACTS, district="hn")
    district_user = db.session.get(User, factory.user("district", district="dwk").id)
    with pytest.raises(NotFound):
        _update(district_user, project, name="改名")


def test_district_user_cannot_move_a_project_out_of_its_district(app_ctx, factory, caseworker):
    project = _create(caseworker, FIRE_WINDOW_FACTS)
    district_user = db.session.get(User, factory.user("district", district="dwk").id)
    lon, lat = POINTS["hn"]
    with pytest.raises(InvalidInput) as refused:
        _update(district_user, project, district="hn", lon=lon, lat=lat)
    assert refused.value.field == "district"


# ---------------------------------------------------------------- defect rows


def test_defect_rows_follow_the_engine(caseworker):
    facts = {**FIRE_WINDOW_FACTS, **ARREARS, **SWAP}
    project = _create(caseworker, facts)
    expected = classify(service.parse_input_facts(facts))
    rows = _defects(project.code)
    assert list(rows) == [d.type for d in expected.defects]
    for defect in expected.defects:
        row = rows[defect.type]
        assert (row.path, row.engine_path) == (defect.path, defect.path)
        assert row.lead_code == defect.lead
        assert _cooperation(row.id) == sorted(defect.cooperating)
        assert row.needs_government_approval == defect.needs_government_approval
        assert row.clause == defect.clause
        assert row.status == "registered"
        assert row.review_missing == [] and row.review_reason is None
    assert rows["deed_tax"].extras == {"tax_basis": "exempt"}


def test_cooperating_departments_are_stored_in_defect_cooperation(caseworker):
    project = _create(caseworker, {**ARREARS, **SWAP})
    rows = _defects(project.code)
    assert _cooperation(rows["arrears"].id) == ["finance", "tax"]
    assert _cooperation(rows["deed_tax"].id) == ["district_government"]


def test_needs_review_rows_have_no_path_and_name_the_missing_facts(caseworker):
    project = _create(caseworker, {"completion_filed": False, "fire_acceptance_done": False})
    rows = _defects(project.code)
    assert list(rows) == ["completion", "fire"]
    completion = rows["completion"]
    assert completion.path is None and completion.engine_path is None
    assert completion.review_missing == [
        "completion_supplementable",
        "quality_and_fire_accepted",
        "construction_records_lost",
    ]
    assert completion.review_reason
    assert completion.lead_code == "housing"
    assert completion.clause == "附件3 三(一)5"
    assert rows["fire"].review_missing == ["completion_date", "construction_start_date"]
    assert _cooperation(rows["fire"].id) == ["fire_rescue"]


def test_a_review_row_gets_its_path_once_the_fact_is_known(caseworker):
    project = _create(caseworker, {"completion_filed": False})
    row_id = _defects(project.code)["completion"].id
    result = _update(caseworker, _fresh(project.code), {"completion_supplementable": True})
    assert [c.kind for c in result.changes] == ["from_review"]
    row = _defects(project.code)["completion"]
    assert row.id == row_id
    assert (row.path, row.review_missing, row.review_reason) == (
        "completion_supplement",
        [],
        None,
    )


def test_a_defect_type_disappears_when_its_trigger_no_longer_holds(caseworker):
    project = _create(caseworker, {**FIRE_WINDOW_FACTS, **ARREARS})
    fire_id = _defects(project.code)["fire"].id
    result = _update(caseworker, project, {"fire_acceptance_done": True})
    assert [(c.type, c.kind) for c in result.changes] == [("fire", "removed")]
    assert list(_defects(project.code)) == ["arrears"]
    assert db.session.get(Defect, fire_id) is None
    assert _cooperation(fire_id) == []


def test_a_defect_under_way_is_kept_for_review_when_its_trigger_goes(caseworker):
    project = _create(caseworker, FIRE_WINDOW_FACTS)
    row = _defects(project.code)["fire"]
    row.status = "in_progress"
    db.session.commit()
    _update(caseworker, _fresh(project.code), {"fire_acceptance_done": True})
    kept = _defects(project.code)["fire"]
    assert kept.status == "in_progress"
    assert "不再认定" in (kept.review_reason or "")


@pytest.mark.parametrize(
    ("facts", "statuses", "state"),
    [
        ({}, [], "resolved"),
        (FIRE_WINDOW_FACTS, ["registered"], "unresolved"),
        ({**FIRE_WINDOW_FACTS, **ARREARS}, ["registered", "assigned"], "in_progress"),
        ({**FIRE_WINDOW_FACTS, **ARREARS}, ["closed", "in_progress"], "in_progress"),
        ({**FIRE_WINDOW_FACTS, **ARREARS}, ["closed", "closed"], "resolved"),
    ],
)
def test_project_state_is_derived_from_the_defect_statuses(caseworker, facts, statuses, state):
    project = _create(caseworker, facts)
    for row, status in zip(project.defects, statuses, strict=True):
        row.status = status
    service.apply_classification(project, classify(service.project_facts(project)))
    db.session.commit()
    assert _fresh(project.code).state == state


def test_a_project_without_defects_is_stored_resolved(caseworker):
    assert _create(caseworker, {}).state == "resolved"
    assert _create(caseworker, FIRE_WINDOW_FACTS).state == "unresolved"


def test_apply_classification_twice_changes_nothing(caseworker):
    project = _create(caseworker, {**FIRE_WINDOW_FACTS, **SWAP})
    again = service.apply_classification(project, classify(service.project_facts(project)))
    assert again == ()
    assert not db.session.dirty or all(not db.session.is_modified(o) for o in db.session.dirty)


# ---------------------------------------------------------------- override


def _override(user: User, project: Project, path: str = "fire_standard_procedure", **kw):
    row = next(d for d in project.defects if d.type == kw.pop("type_", "fire"))
    return service.override_path(
        user, project.code, row.type, path, kw.pop("reason", REASON), kw.pop("version", row.version)
    )


def test_override_keeps_the_reason_and_audits_old_and_new_path(caseworker):
    project = _create(caseworker, FIRE_WINDOW_FACTS)
    before = _defects(project.code)["fire"].version
    _override(caseworker, project)
    row = _defects(project.code)["fire"]
    assert (row.path, row.engine_path) == ("fire_standard_procedure", "fire_housing_review")
    assert row.override_reason == REASON
    assert row.overridden_by_id == caseworker.id
    assert row.overridden_at is not None and row.overridden_at.tzinfo is not None
    assert row.version == before + 1
    [event] = _audit("defect.override")
    assert event.entity_id == f"{project.code}/fire"
    assert event.changes == {
        "path": ["fire_housing_review", "fire_standard_procedure"],
        "override_reason": [None, REASON],
    }


def test_override_of_a_review_item_sets_lead_and_cooperation_of_the_path(caseworker):
    project = _create(caseworker, {"sales_invoice_obtainable": False})
    _override(caseworker, project, "resettlement_government_invoice", type_="deed_tax")
    row = _defects(project.code)["deed_tax"]
    assert (row.path, row.engine_path) == ("resettlement_government_invoice", None)
    assert row.lead_code == "tax"
    assert _cooperation(row.id) == ["district_government"]


def test_engine_rerun_keeps_the_override(caseworker):
    project = _create(caseworker, FIRE_WINDOW_FACTS)
    _override(caseworker, project)
    result = _update(caseworker, _fresh(project.code), {"construction_start_date": "1999-05-01"})
    assert result.changes == ()
    result = _update(caseworker, _fresh(project.code), {"construction_start_date": None})
    assert [c.kind for c in result.changes] == ["override_kept"]
    row = _defects(project.code)["fire"]
    assert row.path == "fire_standard_procedure"
    assert row.engine_path is None
    assert row.override_reason == REASON


@pytest.mark.parametrize(
    ("kw", "error", "field"),
    [
        ({"reason": ""}, InvalidInput, "reason"),
        ({"reason": "  短  "}, InvalidInput, "reason"),
        ({"path": "land_allocation"}, InvalidInput, "path"),
        ({"path": "nope"}, InvalidInput, "path"),
        ({"version": 99}, StaleVersion, None),
        ({"type_": "fire", "path": "fire_exempt", "version": 0}, StaleVersion, None),
    ],
)
def test_override_refusals_leave_the_row_untouched(caseworker, kw, error, field):
    project = _create(caseworker, FIRE_WINDOW_FACTS)
    path = kw.pop("path", "fire_standard_procedure")
    with pytest.raises(error) as refused:
        _override(caseworker, project, path, **kw)
    db.session.rollback()
    if field:
        assert refused.value.field == field
    row = _defects(project.code)["fire"]
    assert (row.path, row.override_reason) == ("fire_housing_review", None)
    assert _audit("defect.override") == []


@pytest.mark.parametrize("role", ["district", "leader", "department"])
def test_override_is_refused_to_everyone_but_caseworkers(app_ctx, factory, caseworker, role):
    project = _create(caseworker, FIRE_WINDOW_FACTS)
    other = db.session.get(User, factory.user(role).id)
    with pytest.raises(Forbidden):
        _override(other, project)


def test_override_of_a_missing_defect_type_is_not_found(caseworker):
    project = _create(caseworker, FIRE_WINDOW_FACTS)
    with pytest.raises(NotFound):
        service.override_path(caseworker, project.code, "land", "land_allocation", REASON, 1)


# ---------------------------------------------------------------- database constraints


def _flush_refused(statement=None) -> None:
    with pytest.raises(IntegrityError):
        if statement is not None:
            db.session.execute(statement)
        db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("type", "roof"),
        ("path", "nope"),
        ("engine_path", "nope"),
        ("status", "lost"),
        ("lead_code", "police"),
    ],
)
def test_the_database_refuses_unknown_defect_codes(caseworker, column, value):
    project = _create(caseworker, FIRE_WINDOW_FACTS)
    row = _defects(project.code)["fire"]
    if column == "path":
        row.override_reason = REASON  # so only the unknown code can fail
    setattr(row, column, value)
    _flush_refused()


def test_the_database_refuses_a_path_override_without_reason(caseworker):
    project = _create(caseworker, FIRE_WINDOW_FACTS)
    row = _defects(project.code)["fire"]
    row.path = "fire_standard_procedure"
    _flush_refused()
    row = _defects(project.code)["fire"]
    row.path = "fire_standard_procedure"
    row.override_reason = REASON
    db.session.flush()
    db.session.rollback()


def test_the_database_refuses_a_path_chosen_for_a_review_item_without_reason(caseworker):
    project = _create(caseworker, {"completion_filed": False})
    row_id = _defects(project.code)["completion"].id
    _flush_refused(
        text("UPDATE defects SET path = 'completion_supplement' WHERE id = :id").bindparams(
            id=row_id
        )
    )


def test_the_database_refuses_a_second_defect_of_the_same_type(caseworker):
    project = _create(caseworker, FIRE_WINDOW_FACTS)
    db.session.add(
        Defect(
            project_id=project.id,
            type="fire",
            path="fire_housing_review",
            engine_path="fire_housing_review",
            lead_code="housing",
            clause="附件3 三(一)6",
        )
    )
    _flush_refused()


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("state", "done"),
        ("project_type", "villa"),
        ("certified_households", 101),
        ("total_households", -1),
        ("district_code", "xx"),
    ],
)
def test_the_database_refuses_an_impossible_project(caseworker, column, value):
    project = _create(caseworker, FIRE_WINDOW_FACTS)
    _flush_refused(
        text(f"UPDATE projects SET {column} = :value WHERE id = :id").bindparams(
            value=value, id=project.id
        )
    )


def test_the_database_refuses_a_duplicate_project_code(caseworker):
    project = _create(caseworker, FIRE_WINDOW_FACTS)
    db.session.add(
        Project(
            code=project.code,
            name="重复",
            district_code="dwk",
            state="unresolved",
            facts={},
            created_at=dt.datetime.now(dt.UTC),
        )
    )
    _flush_refused()
