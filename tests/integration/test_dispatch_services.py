"""每月调度 services on the database (附件3 四(二)): opening snapshots every open defect, who may
fill what, freezing on close, lost-update prevention, the audit of every change, the overview."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import (
    Attachment,
    AuditEvent,
    Defect,
    DefectEvent,
    DispatchEntry,
    DispatchRound,
    User,
)
from app.scoping import scope_dispatch_entries
from app.services import attachments, dispatch, workflow
from app.services.errors import Forbidden, InvalidInput, NotFound, StaleVersion
from app.services.projects import project_input, update_project
from tests.checks import is_chinese, row_counts
from tests.dispatch_support import (
    MONTH,
    PDF,
    audit_count,
    build_world,
    defect,
    defect_id,
    entry_of,
    open_round,
    quick_hashing,
    report,
    user_of,
)
from tests.factories import TODAY

__all__ = ["quick_hashing"]  # a fixture, imported to be used


@pytest.fixture()
def world(app, factory, quick_hashing):
    return build_world(app, factory)


# ---------------------------------------------------------------- opening


def test_opening_snapshots_one_entry_per_open_defect_of_every_project(app_ctx, world):
    fire = defect(world.fire_dwk.code, "fire")
    workflow.take_action(
        user_of(world.cw), fire.id, "assign", {"deadline": TODAY + dt.timedelta(days=40)},
        fire.version, TODAY,
    )  # fmt: skip
    fire = defect(world.fire_dwk.code, "fire")
    workflow.update_plan(user_of(world.cw), fire.id, "先评估后验收", "2027-01", fire.version)

    round_ = open_round(world.cw)

    rows = db.session.scalars(
        select(DispatchEntry).where(DispatchEntry.round_id == round_.id)
    ).all()
    open_defects = db.session.scalars(select(Defect).where(Defect.status != "closed")).all()
    assert {r.defect_id for r in rows} == {d.id for d in open_defects}
    assert defect(world.closed_pl.code, "fire").id not in {r.defect_id for r in rows}
    snap = entry_of(MONTH, world.fire_dwk.code, "fire")
    assert snap.status_at_open == "assigned"
    assert snap.deadline_at_open == TODAY + dt.timedelta(days=40)
    assert snap.planned_month_at_open == "2027-01"
    assert (snap.lead_code, snap.district_code) == ("housing", "dwk")
    assert snap.reported_at is None and snap.progress == "" and snap.version == 1
    assert round_.status == "open" and round_.opened_by_id == world.cw.id


def test_opening_is_audited_with_the_number_of_entries(app_ctx, world):
    open_round(world.cw)
    row = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "dispatch.open")).one()
    assert row.entity_id == MONTH and row.changes["entries"] == 3
    assert row.actor_id == world.cw.id


@pytest.mark.parametrize(
    ("month", "message"),
    [
        ("2026-13", "YYYY-MM"),
        ("11/2026", "YYYY-MM"),
        ("", "YYYY-MM"),
        ("2027-01", "不能提前开启"),
        ("1999-12", "2000"),
    ],
)
def test_a_bad_month_is_refused_in_chinese_and_nothing_is_written(app, world, month, message):
    before = row_counts(app)
    with app.app_context():
        with pytest.raises(InvalidInput) as refused:
            open_round(world.cw, month)
        db.session.rollback()
    assert refused.value.field == "month" and message in refused.value.message
    assert row_counts(app) == before


def test_next_month_may_open_but_not_the_month_after(app_ctx, world):
    assert open_round(world.cw, "2026-12").month == "2026-12"


def test_a_month_has_one_round(app_ctx, world):
    round_ = open_round(world.cw)
    dispatch.close_round(user_of(world.cw), MONTH, round_.version)
    with pytest.raises(InvalidInput, match="每月只能开启一轮"):
        open_round(world.cw)


def test_a_second_round_is_refused_while_one_is_open(app_ctx, world):
    open_round(world.cw, "2026-10")
    with pytest.raises(InvalidInput, match="2026-10 的调度尚未关闭"):
        open_round(world.cw, MONTH)
    assert db.session.scalar(select(func.count(DispatchRound.id))) == 1


def test_a_month_before_the_latest_round_is_refused(app_ctx, world):
    round_ = open_round(world.cw)
    dispatch.close_round(user_of(world.cw), MONTH, round_.version)
    with pytest.raises(InvalidInput, match="须晚于最近一轮"):
        open_round(world.cw, "2026-10")


def test_the_database_itself_holds_one_open_round(app_ctx, world):
    open_round(world.cw, "2026-10")
    db.session.add(DispatchRound(month=MONTH, status="open"))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize("who", ["housing", "dwk", "leader", "auditor", "admin"])
def test_only_a_caseworker_opens_a_round(app_ctx, world, who):
    with pytest.raises(Forbidden) as refused:
        dispatch.open_round(user_of(getattr(world, who)), MONTH, TODAY)
    assert is_chinese(refused.value.message)
    assert db.session.scalar(select(func.count(DispatchRound.id))) == 0


@pytest.mark.parametrize("who", ["housing", "dwk", "leader"])
def test_only_a_caseworker_closes_a_round(app_ctx, world, who):
    round_ = open_round(world.cw)
    with pytest.raises(Forbidden):
        dispatch.close_round(user_of(getattr(world, who)), MONTH, round_.version)
    assert db.session.get(DispatchRound, round_.id).status == "open"


# ---------------------------------------------------------------- filling


@pytest.mark.parametrize(
    ("who", "code_attr", "type_"),
    [
        ("housing", "fire_dwk", "fire"),  # the lead department
        ("dwk", "fire_dwk", "fire"),  # the project's district
        ("cw", "fire_dwk", "fire"),  # a caseworker
        ("tax", "deed_tax_pl", "deed_tax"),
        ("hn", "arrears_hn", "arrears"),
        ("cw", "arrears_hn", "arrears"),  # 自然资源局 leads: its caseworker reports
    ],
)
def test_an_entry_is_filled_by_its_lead_department_district_or_a_caseworker(
    app_ctx, world, who, code_attr, type_
):
    open_round(world.cw)
    code = getattr(world, code_attr).code
    entry = entry_of(MONTH, code, type_)
    reporter = user_of(getattr(world, who))
    saved = dispatch.save_entry(
        reporter, MONTH, entry.id, report(escalate=True, blocker="缺少原始档案"), 1, TODAY
    )
    fresh = entry_of(MONTH, code, type_)
    assert fresh.progress == "已完成现场核查" and fresh.blocker == "缺少原始档案"
    assert fresh.escalate is True and fresh.time_limit == TODAY + dt.timedelta(days=20)
    assert fresh.reported_by_id == reporter.id and fresh.reported_at is not None
    assert fresh.reported_status == defect(code, type_).status
    assert fresh.version == 2 == saved.version


@pytest.mark.parametrize(
    ("who", "code_attr", "type_"),
    [
        ("tax", "fire_dwk", "fire"),  # another department
        ("court", "fire_dwk", "fire"),
        ("hn", "fire_dwk", "fire"),  # another district
        ("pl", "arrears_hn", "arrears"),
        ("housing", "arrears_hn", "arrears"),
    ],
)
def test_an_entry_outside_ones_scope_is_not_found(app_ctx, world, who, code_attr, type_):
    open_round(world.cw)
    entry = entry_of(MONTH, getattr(world, code_attr).code, type_)
    with pytest.raises(NotFound):
        dispatch.save_entry(user_of(getattr(world, who)), MONTH, entry.id, report(), 1, TODAY)
    with pytest.raises(NotFound):
        dispatch.load_entry(user_of(getattr(world, who)), MONTH, entry.id)
    assert entry_of(MONTH, getattr(world, code_attr).code, type_).reported_at is None


def test_a_leader_reads_but_does_not_fill(app_ctx, world):
    open_round(world.cw)
    entry = entry_of(MONTH, world.fire_dwk.code, "fire")
    assert dispatch.load_entry(user_of(world.leader), MONTH, entry.id).id == entry.id
    with pytest.raises(Forbidden):
        dispatch.save_entry(user_of(world.leader), MONTH, entry.id, report(), 1, TODAY)


@pytest.mark.parametrize("who", ["auditor", "admin"])
def test_roles_without_dispatch_see_nothing(app_ctx, world, who):
    open_round(world.cw)
    user = user_of(getattr(world, who))
    with pytest.raises(Forbidden):
        dispatch.list_rounds(user)
    scoped = scope_dispatch_entries(select(func.count(DispatchEntry.id)), user)
    assert db.session.scalar(scoped) == 0


def test_scoping_gives_a_department_its_led_entries_and_a_district_its_own(app_ctx, world):
    open_round(world.cw)

    def visible(rec):
        stmt = scope_dispatch_entries(
            select(DispatchEntry.lead_code, DispatchEntry.district_code), rec
        )
        return sorted(db.session.execute(stmt).all())

    assert visible(user_of(world.housing)) == [("housing", "dwk")]
    assert visible(user_of(world.tax)) == [("tax", "pl")]
    assert visible(user_of(world.court)) == []
    assert visible(user_of(world.pl)) == [("tax", "pl")]
    assert visible(user_of(world.hn)) == [("nr", "hn")]
    assert len(visible(user_of(world.leader))) == len(visible(user_of(world.cw))) == 3


def test_a_report_can_move_the_defect_through_the_lifecycle(app_ctx, world):
    fire_id = defect_id(world.fire_dwk.code, "fire")
    fire = defect(world.fire_dwk.code, "fire")
    workflow.take_action(
        user_of(world.cw), fire_id, "assign", {"deadline": TODAY + dt.timedelta(days=30)},
        fire.version, TODAY,
    )  # fmt: skip
    open_round(world.cw)
    entry = entry_of(MONTH, world.fire_dwk.code, "fire")
    version = defect(world.fire_dwk.code, "fire").version
    dispatch.save_entry(
        user_of(world.housing),
        MONTH,
        entry.id,
        report(action="start", defect_version=version),
        1,
        TODAY,
    )
    assert defect(world.fire_dwk.code, "fire").status == "in_progress"
    assert entry_of(MONTH, world.fire_dwk.code, "fire").reported_status == "in_progress"
    event = db.session.scalars(
        select(DefectEvent).where(DefectEvent.defect_id == fire_id, DefectEvent.action == "start")
    ).one()
    assert event.actor_id == world.housing.id
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.project_id == world.fire_dwk.id)
    ).all()
    assert actions.count("defect.start") == 1 and actions.count("dispatch.entry") == 1


def test_submitting_with_a_report_keeps_the_evidence_on_the_entry_and_the_history(app_ctx, world):
    fire_id = defect_id(world.fire_dwk.code, "fire")
    for rec, action, payload in (
        (world.cw, "assign", {"deadline": TODAY + dt.timedelta(days=30)}),
        (world.housing, "start", {}),
    ):
        row = defect(world.fire_dwk.code, "fire")
        workflow.take_action(user_of(rec), fire_id, action, payload, row.version, TODAY)
    open_round(world.cw)
    entry = entry_of(MONTH, world.fire_dwk.code, "fire")
    dispatch.save_entry(
        user_of(world.housing),
        MONTH,
        entry.id,
        report(
            action="submit",
            action_payload={"result": "已完成消防验收备案"},
            defect_version=defect(world.fire_dwk.code, "fire").version,
        ),
        1,
        TODAY,
        [attachments.Upload("验收意见.pdf", io.BytesIO(PDF))],
    )
    assert defect(world.fire_dwk.code, "fire").status == "awaiting_closure"
    owners = db.session.execute(select(Attachment.owner_type, Attachment.owner_id)).all()
    assert ("dispatch_entry", entry.id) in owners
    assert any(t == "defect_event" for t, _ in owners)


def test_an_illegal_action_with_a_report_writes_nothing(app, world):
    with app.app_context():
        open_round(world.cw)
        entry_id = entry_of(MONTH, world.fire_dwk.code, "fire").id
        version = defect(world.fire_dwk.code, "fire").version
        db.session.remove()
    before = row_counts(app)
    with app.app_context():
        with pytest.raises(InvalidInput) as refused:
            dispatch.save_entry(
                user_of(world.housing),
                MONTH,
                entry_id,
                report(action="close", action_payload={}, defect_version=version),
                1,
                TODAY,
                [attachments.Upload("a.pdf", io.BytesIO(PDF))],
            )
        assert is_chinese(refused.value.message)
        db.session.remove()
    assert row_counts(app) == before
    with app.app_context():
        assert entry_of(MONTH, world.fire_dwk.code, "fire").reported_at is None
        assert defect(world.fire_dwk.code, "fire").status == "registered"


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"time_limit": TODAY - dt.timedelta(days=1)}, "time_limit", "不能早于今天"),
        ({"progress": "字" * 2001}, "progress", "不能超过 2000 个字"),
        ({"blocker": "堵" * 2001}, "blocker", "不能超过 2000 个字"),
        ({"next_step": "步" * 2001}, "next_step", "不能超过 2000 个字"),
        ({"progress": " "}, "progress", "请填写本月进展"),
        ({"escalate": True, "blocker": ""}, "blocker", "提级督办须写明堵点"),
        ({"time_limit": None}, "time_limit", "完成时限"),
        ({"action": "fly"}, "action", "未知的操作"),
    ],
)
def test_a_bad_report_is_refused_in_chinese_and_nothing_is_written(
    app, world, values, field, message
):
    with app.app_context():
        open_round(world.cw)
        entry_id = entry_of(MONTH, world.fire_dwk.code, "fire").id
        db.session.remove()
    before = row_counts(app)
    with app.app_context():
        with pytest.raises(InvalidInput) as refused:
            dispatch.save_entry(user_of(world.housing), MONTH, entry_id, report(**values), 1, TODAY)
        db.session.remove()
    assert refused.value.field == field and message in refused.value.message
    assert row_counts(app) == before


def test_a_stale_version_is_refused_and_says_what_is_saved(app_ctx, world):
    open_round(world.cw)
    entry = entry_of(MONTH, world.fire_dwk.code, "fire")
    dispatch.save_entry(user_of(world.dwk), MONTH, entry.id, report(progress="区里先报"), 1, TODAY)
    with pytest.raises(StaleVersion) as stale:
        dispatch.save_entry(
            user_of(world.housing), MONTH, entry.id, report(progress="部门后报"), 1, TODAY
        )
    assert stale.value.current_version == 2
    assert stale.value.current["progress"] == "区里先报"
    assert is_chinese(stale.value.message)
    assert entry_of(MONTH, world.fire_dwk.code, "fire").progress == "区里先报"
    assert audit_count("dispatch.entry") == 1


def test_a_stale_defect_version_with_an_action_is_refused(app_ctx, world):
    open_round(world.cw)
    entry = entry_of(MONTH, world.fire_dwk.code, "fire")
    with pytest.raises(StaleVersion):
        dispatch.save_entry(
            user_of(world.cw),
            MONTH,
            entry.id,
            report(action="assign", action_payload={"deadline": TODAY}, defect_version=99),
            1,
            TODAY,
        )
    assert entry_of(MONTH, world.fire_dwk.code, "fire").reported_at is None


def test_every_save_is_audited_with_old_and_new_values(app_ctx, world):
    open_round(world.cw)
    entry = entry_of(MONTH, world.fire_dwk.code, "fire")
    dispatch.save_entry(user_of(world.housing), MONTH, entry.id, report(), 1, TODAY)
    dispatch.save_entry(
        user_of(world.housing), MONTH, entry.id, report(progress="已出具审核意见"), 2, TODAY
    )
    rows = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "dispatch.entry").order_by(AuditEvent.id)
    ).all()
    assert len(rows) == 2
    assert rows[1].changes["progress"] == ["已完成现场核查", "已出具审核意见"]
    assert rows[1].project_id == world.fire_dwk.id
    assert rows[1].entity_id == f"{MONTH}/{world.fire_dwk.code}/fire"
    assert rows[0].changes["progress"] == ["", "已完成现场核查"]


# ---------------------------------------------------------------- closing


def test_closing_freezes_every_entry(app_ctx, world):
    round_ = open_round(world.cw)
    entry = entry_of(MONTH, world.fire_dwk.code, "fire")
    dispatch.save_entry(user_of(world.housing), MONTH, entry.id, report(), 1, TODAY)
    dispatch.close_round(user_of(world.cw), MONTH, round_.version)

    frozen = entry_of(MONTH, world.fire_dwk.code, "fire")
    assert frozen.status_at_close == "registered" and frozen.version == 3
    for who in ("housing", "dwk", "cw"):
        with pytest.raises(Forbidden) as refused:
            dispatch.save_entry(
                user_of(getattr(world, who)), MONTH, entry.id, report(progress="改"), 3, TODAY
            )
        assert "已关闭" in refused.value.message and "冻结" in refused.value.message
    assert entry_of(MONTH, world.fire_dwk.code, "fire").progress == "已完成现场核查"


def test_closing_keeps_each_defects_status_at_that_moment(app_ctx, world):
    round_ = open_round(world.cw)
    fire = defect(world.fire_dwk.code, "fire")
    workflow.take_action(
        user_of(world.cw), fire.id, "assign", {"deadline": TODAY}, fire.version, TODAY
    )
    dispatch.close_round(user_of(world.cw), MONTH, round_.version)
    fire = defect(world.fire_dwk.code, "fire")
    workflow.take_action(user_of(world.housing), fire.id, "start", {}, fire.version, TODAY)
    assert entry_of(MONTH, world.fire_dwk.code, "fire").status_at_close == "assigned"
    data = dispatch.overview(user_of(world.cw), db.session.get(DispatchRound, round_.id), TODAY)
    assert data.summary.advanced == 1  # registered → assigned, not the later start


def test_closing_is_audited_and_a_second_close_refused(app_ctx, world):
    round_ = open_round(world.cw)
    version = round_.version
    dispatch.close_round(user_of(world.cw), MONTH, version)
    row = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "dispatch.close")).one()
    assert row.changes["status"] == ["open", "closed"] and row.changes["entries"] == 3
    with pytest.raises(InvalidInput, match="已经关闭"):
        dispatch.close_round(user_of(world.cw), MONTH, version + 1)
    assert audit_count("dispatch.close") == 1


def test_closing_with_a_stale_round_version_is_refused(app_ctx, world):
    round_ = open_round(world.cw)
    with pytest.raises(StaleVersion):
        dispatch.close_round(user_of(world.cw), MONTH, round_.version + 5)
    assert db.session.get(DispatchRound, round_.id).status == "open"


# ---------------------------------------------------------------- the overview


def test_the_overview_shows_unreported_overdue_slipped_and_the_ranking(app_ctx, world):
    cw = user_of(world.cw)
    fire = defect(world.fire_dwk.code, "fire")
    workflow.take_action(
        cw, fire.id, "assign", {"deadline": dt.date(2026, 10, 20)}, fire.version,
        dt.date(2026, 10, 1),
    )  # fmt: skip
    fire = defect(world.fire_dwk.code, "fire")
    workflow.update_plan(cw, fire.id, "", "2026-11", fire.version)
    october = dispatch.open_round(cw, "2026-10", dt.date(2026, 10, 5))
    dispatch.close_round(cw, "2026-10", october.version)
    fire = defect(world.fire_dwk.code, "fire")
    workflow.update_plan(cw, fire.id, "", "2027-02", fire.version)  # slips three months

    november = open_round(world.cw)
    entry = entry_of(MONTH, world.deed_tax_pl.code, "deed_tax")
    dispatch.save_entry(user_of(world.tax), MONTH, entry.id, report(), 1, TODAY)
    data = dispatch.overview(cw, november, TODAY)

    s = data.summary
    assert (s.total, s.reported, s.unreported) == (3, 1, 2)
    assert data.previous_month == "2026-10" and data.as_of == TODAY
    overdue = data.overdue_reasons
    fire_entry = entry_of(MONTH, world.fire_dwk.code, "fire").id
    assert overdue[fire_entry] == ("已超过办理时限 2026-10-20",)
    assert data.slip_reasons[fire_entry] == ("计划完成月份由 2026-11 推迟至 2027-02",)
    assert {t.code: t.unreported for t in s.by_district} == {"dwk": 1, "hn": 1, "pl": 0}
    assert {t.code: t.unreported for t in s.by_department} == {"housing": 1, "nr": 1, "tax": 0}
    assert s.districts[0].code == "pl"
    assert {u.code for u in s.districts if u.flagged} >= {"dwk"}
    assert data.rows[fire_entry].project_code == world.fire_dwk.code


def test_a_department_sees_the_overview_of_its_own_entries_only(app_ctx, world):
    round_ = open_round(world.cw)
    data = dispatch.overview(user_of(world.housing), round_, TODAY)
    assert data.summary.total == 1
    assert {r.lead for r in data.rows.values()} == {"housing"}


def test_the_entry_list_filters_and_paginates(app_ctx, world):
    round_ = open_round(world.cw)
    cw = user_of(world.cw)
    entry = entry_of(MONTH, world.arrears_hn.code, "arrears")
    dispatch.save_entry(cw, MONTH, entry.id, report(escalate=True, blocker="需市级协调"), 1, TODAY)

    def codes(**filters):
        page = dispatch.list_entries(cw, round_, dispatch.EntryFilters(**filters), 1, 2)
        return page.total, [e.project.code for e in page.items]

    assert codes()[0] == 3 and len(codes()[1]) == 2
    assert codes(district="hn") == (1, [world.arrears_hn.code])
    assert codes(lead="tax") == (1, [world.deed_tax_pl.code])
    assert codes(reported=True) == (1, [world.arrears_hn.code])
    assert codes(reported=False)[0] == 2
    assert codes(escalate=True) == (1, [world.arrears_hn.code])
    second = dispatch.list_entries(cw, round_, dispatch.EntryFilters(), 2, 2)
    assert second.page == 2 and len(second.items) == 1 and second.pages == 2
    with pytest.raises(InvalidInput):
        dispatch.list_entries(cw, round_, dispatch.EntryFilters(district="xx"), 1, 2)


# ---------------------------------------------------------------- other records keep pointing


def test_a_reclassified_project_keeps_a_defect_listed_in_a_round(app_ctx, world):
    open_round(world.cw)
    cw = user_of(world.cw)
    from app.services.projects import get_project

    project = get_project(cw, world.fire_dwk.code)
    data = project_input(project)
    facts = dict(data.facts.__dict__)
    facts["fire_acceptance_done"] = True
    from dataclasses import replace

    from cases.facts import Facts

    changed = replace(data, facts=Facts(**facts))
    update_project(cw, world.fire_dwk.code, changed, project.version, TODAY)
    kept = defect(world.fire_dwk.code, "fire")
    assert "每月调度" in (kept.review_reason or "")
    assert entry_of(MONTH, world.fire_dwk.code, "fire").defect_id == kept.id


def test_an_attachment_of_an_entry_is_downloadable_only_within_the_entrys_scope(app_ctx, world):
    open_round(world.cw)
    entry = entry_of(MONTH, world.fire_dwk.code, "fire")
    dispatch.save_entry(
        user_of(world.housing),
        MONTH,
        entry.id,
        report(),
        1,
        TODAY,
        [attachments.Upload("核查记录.pdf", io.BytesIO(PDF))],
    )
    row = db.session.scalars(
        select(Attachment).where(Attachment.owner_type == "dispatch_entry")
    ).one()
    for who in ("housing", "dwk", "cw", "leader"):
        assert attachments.open_for(user_of(getattr(world, who)), row.id)[0].id == row.id
    for who in ("tax", "hn", "auditor"):
        with pytest.raises(NotFound):
            attachments.open_for(user_of(getattr(world, who)), row.id)


def test_users_of_the_world_exist(app_ctx, world):
    assert db.session.scalar(select(func.count(User.id))) == 10


def _files_on_disk(app) -> set[str]:
    from pathlib import Path

    root = Path(app.config["ATTACHMENT_DIR"])
    return {p.name for p in root.rglob("*") if p.is_file()}


def test_a_refused_file_leaves_no_file_behind(app, world):
    with app.app_context():
        open_round(world.cw)
        entry_id = entry_of(MONTH, world.fire_dwk.code, "fire").id
        db.session.remove()
    before, files = row_counts(app), _files_on_disk(app)
    with app.app_context():
        with pytest.raises(InvalidInput) as refused:
            dispatch.save_entry(
                user_of(world.housing),
                MONTH,
                entry_id,
                report(),
                1,
                TODAY,
                [
                    attachments.Upload("核查记录.pdf", io.BytesIO(PDF)),
                    attachments.Upload("说明.txt", io.BytesIO(b"plain text")),
                ],
            )
        assert refused.value.field == "file" and is_chinese(refused.value.message)
        db.session.remove()
    assert row_counts(app) == before
    assert _files_on_disk(app) == files


def test_the_action_and_the_report_are_one_transaction(app, world, monkeypatch):
    """If the report cannot be written, the 提交销号 taken with it is undone, files included."""
    with app.app_context():
        fire_id = defect_id(world.fire_dwk.code, "fire")
        for rec, action, payload in (
            (world.cw, "assign", {"deadline": TODAY + dt.timedelta(days=30)}),
            (world.housing, "start", {}),
        ):
            row = defect(world.fire_dwk.code, "fire")
            workflow.take_action(user_of(rec), fire_id, action, payload, row.version, TODAY)
        open_round(world.cw)
        entry_id = entry_of(MONTH, world.fire_dwk.code, "fire").id
        version = defect(world.fire_dwk.code, "fire").version
        db.session.remove()
    real = dispatch.audit.record

    def failing(actor, action, *args, **kwargs):
        if action == "dispatch.entry":
            raise RuntimeError("disk full")
        return real(actor, action, *args, **kwargs)

    monkeypatch.setattr(dispatch.audit, "record", failing)
    before, files = row_counts(app), _files_on_disk(app)
    with app.app_context():
        with pytest.raises(RuntimeError):
            dispatch.save_entry(
                user_of(world.housing),
                MONTH,
                entry_id,
                report(
                    action="submit",
                    action_payload={"result": "已完成消防验收备案"},
                    defect_version=version,
                ),
                1,
                TODAY,
                [attachments.Upload("验收意见.pdf", io.BytesIO(PDF))],
            )
        db.session.remove()
    assert row_counts(app) == before
    assert _files_on_disk(app) == files
    with app.app_context():
        assert defect(world.fire_dwk.code, "fire").status == "in_progress"
