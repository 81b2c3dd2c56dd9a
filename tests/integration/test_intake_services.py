"""群众诉求 and 提示建议单 services on the database (附件3 三(一)8): numbering, scoping, audit,
masking and lost-update prevention."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import threading

import pytest
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Attachment, AuditEvent, Complaint, PromptSheet
from app.services import attachments, complaints, prompts
from app.services.errors import Forbidden, InvalidInput, NotFound, StaleVersion
from app.services.projects import ProjectInput
from cases.intake import format_prompt_number
from tests.factories import FIRE_WINDOW_FACTS, TODAY
from tests.intake_support import (
    ID_OK,
    PDF,
    PHONE_OK,
    complaint_input,
    defect_id,
    issue_sheet,
    make_complaint,
    user_of,
)


def _numbers(app) -> list[str]:
    with app.app_context():
        rows = db.session.scalars(select(PromptSheet.number).order_by(PromptSheet.id)).all()
        db.session.remove()
        return list(rows)


def _audit(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        rows = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        ).all()
        db.session.expunge_all()
        db.session.remove()
        return list(rows)


@pytest.fixture()
def cw(factory):
    return factory.user("caseworker")


@pytest.fixture()
def fire(factory, cw):
    return factory.project(facts=FIRE_WINDOW_FACTS, actor=cw)


# ---------------------------------------------------------------- numbering


def test_sheets_of_a_year_are_numbered_one_after_another(app, cw, fire):
    defect = defect_id(app, fire.code)
    for _ in range(3):
        issue_sheet(app, cw, defect=defect)
    assert _numbers(app) == [f"石自然提〔{TODAY.year}〕{n}号" for n in (1, 2, 3)]


def test_numbering_starts_again_at_one_in_a_new_year(app, cw, fire):
    defect = defect_id(app, fire.code)
    issue_sheet(app, cw, defect=defect, on=dt.date(2025, 12, 30))
    issue_sheet(app, cw, defect=defect, on=dt.date(2025, 12, 31))
    issue_sheet(app, cw, defect=defect, on=dt.date(2026, 1, 1))
    issue_sheet(app, cw, defect=defect, on=dt.date(2026, 1, 2))
    assert _numbers(app) == [
        "石自然提〔2025〕1号",
        "石自然提〔2025〕2号",
        "石自然提〔2026〕1号",
        "石自然提〔2026〕2号",
    ]


def _insert_behind_the_back(year: int, seq: int, defect: int) -> None:
    """Another clerk's sheet, committed on its own connection."""
    with db.engine.begin() as conn:
        conn.execute(
            insert(PromptSheet.__table__).values(
                year=year,
                seq=seq,
                number=format_prompt_number(year, seq),
                department_code="tax",
                defect_id=defect,
                subject="并发印发",
                content="并发印发",
                issued_on=dt.date(year, 6, 1),
                reply="",
                version=1,
            )
        )


def test_a_number_taken_concurrently_is_retried_with_the_next_one(app, cw, fire, monkeypatch):
    defect = defect_id(app, fire.code)
    issue_sheet(app, cw, defect=defect)
    real = prompts.highest_seq
    raced: list[int] = []

    def racing(year: int) -> int | None:
        seen = real(year)
        if not raced:
            # Between our read of the highest number and our insert, someone else commits it.
            raced.append((seen or 0) + 1)
            _insert_behind_the_back(year, raced[0], defect)
        return seen

    monkeypatch.setattr(prompts, "highest_seq", racing)
    _, number = issue_sheet(app, cw, defect=defect)
    assert raced == [2]
    assert number == f"石自然提〔{TODAY.year}〕3号"
    assert sorted(_numbers(app)) == sorted(f"石自然提〔{TODAY.year}〕{n}号" for n in (1, 2, 3))
    # One audit row per sheet this service issued: the lost attempt left nothing behind.
    assert len(_audit(app, "prompt.issue")) == 2


def test_endless_collisions_give_up_with_a_chinese_message_and_write_nothing(
    app, cw, fire, monkeypatch
):
    defect = defect_id(app, fire.code)
    issue_sheet(app, cw, defect=defect)
    monkeypatch.setattr(prompts, "highest_seq", lambda year: 0)  # always stale
    with app.app_context():
        user = user_of(cw)
        origin = prompts.from_defect(user, defect)
        with pytest.raises(InvalidInput) as caught:
            prompts.issue(user, origin, prompts.SheetInput("tax", "事由", "内容"), TODAY)
        assert "编号" in caught.value.message
        db.session.remove()
    assert len(_numbers(app)) == 1
    assert len(_audit(app, "prompt.issue")) == 1


def test_concurrent_issuing_leaves_no_gaps_and_no_duplicates(app, cw, fire):
    defect = defect_id(app, fire.code)
    barrier = threading.Barrier(6)
    errors: list[BaseException] = []

    def clerk() -> None:
        try:
            barrier.wait(timeout=10)
            issue_sheet(app, cw, defect=defect)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=clerk) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    with app.app_context():
        seqs = db.session.scalars(select(PromptSheet.seq).order_by(PromptSheet.seq)).all()
        db.session.remove()
    assert list(seqs) == [1, 2, 3, 4, 5, 6]


def test_the_database_refuses_a_duplicate_year_and_sequence(app, cw, fire):
    defect = defect_id(app, fire.code)
    issue_sheet(app, cw, defect=defect, on=dt.date(2024, 3, 1))
    with app.app_context(), pytest.raises(IntegrityError):
        _insert_behind_the_back(2024, 1, defect)


def test_the_database_refuses_a_sheet_with_neither_defect_nor_complaint(app):
    with app.app_context(), pytest.raises(IntegrityError), db.engine.begin() as conn:
        conn.execute(
            insert(PromptSheet.__table__).values(
                year=2024,
                seq=1,
                number="石自然提〔2024〕1号",
                department_code="tax",
                subject="无来源",
                content="无来源",
                issued_on=dt.date(2024, 1, 2),
                reply="",
                version=1,
            )
        )


def test_a_sheet_keeps_the_district_of_its_project_or_complaint(app, factory, cw):
    project = factory.project(district="hn", facts=FIRE_WINDOW_FACTS, actor=cw)
    from_defect, _ = issue_sheet(app, cw, defect=defect_id(app, project.code))
    complaint = make_complaint(app, cw, district="pl")
    from_complaint, _ = issue_sheet(app, cw, complaint=complaint, department="approval")
    with app.app_context():
        assert db.session.get(PromptSheet, from_defect).district_code == "hn"
        assert db.session.get(PromptSheet, from_complaint).district_code == "pl"
        db.session.remove()


@pytest.mark.parametrize(
    "data,field",
    [
        (prompts.SheetInput("", "事由", "内容"), "department"),
        (prompts.SheetInput("nowhere", "事由", "内容"), "department"),
        (prompts.SheetInput("nr", "事由", "内容"), "department"),
        (prompts.SheetInput("tax", "  ", "内容"), "subject"),
        (prompts.SheetInput("tax", "事由", ""), "content"),
        (prompts.SheetInput("tax", "长" * 129, "内容"), "subject"),
    ],
)
def test_bad_sheets_are_refused_and_use_no_number(app, cw, fire, data, field):
    defect = defect_id(app, fire.code)
    with app.app_context():
        user = user_of(cw)
        with pytest.raises(InvalidInput) as caught:
            prompts.issue(user, prompts.from_defect(user, defect), data, TODAY)
        assert caught.value.field == field
        db.session.remove()
    assert _numbers(app) == []
    issue_sheet(app, cw, defect=defect)
    assert _numbers(app) == [f"石自然提〔{TODAY.year}〕1号"]


def test_only_caseworkers_issue_sheets(app, factory, fire):
    defect = defect_id(app, fire.code)
    for role in ("district", "department", "leader", "auditor", "admin"):
        rec = factory.user(role)
        with app.app_context():
            with pytest.raises(Forbidden):
                prompts.from_defect(user_of(rec), defect)
            db.session.remove()


# ---------------------------------------------------------------- scoping


def _visible_complaint_ids(app, rec) -> set[int]:
    with app.app_context():
        page, _ = complaints.list_complaints(user_of(rec), complaints.ComplaintFilters(), 1, 100)
        ids = {c.id for c in page.items}
        db.session.remove()
        return ids


def test_complaint_scope_per_role(app, factory, cw):
    housing_project = factory.project(facts=FIRE_WINDOW_FACTS, actor=cw)  # housing leads fire
    plain_project = factory.project(actor=cw)
    dwk_linked = make_complaint(app, cw)
    dwk_other = make_complaint(app, cw)
    dwk_plain = make_complaint(app, cw)
    hn = make_complaint(app, cw, district="hn")
    with app.app_context():
        user = user_of(cw)
        complaints.link_project(user, dwk_linked, housing_project.code, 1)
        complaints.link_project(user, dwk_plain, plain_project.code, 1)
        db.session.remove()
    everything = {dwk_linked, dwk_other, dwk_plain, hn}
    assert _visible_complaint_ids(app, cw) == everything
    assert _visible_complaint_ids(app, factory.user("leader")) == everything
    assert _visible_complaint_ids(app, factory.user("district", district="dwk")) == {
        dwk_linked,
        dwk_other,
        dwk_plain,
    }
    assert _visible_complaint_ids(app, factory.user("district", district="hn")) == {hn}
    assert _visible_complaint_ids(app, factory.user("department", department="housing")) == {
        dwk_linked
    }
    assert _visible_complaint_ids(app, factory.user("department", department="court")) == set()
    for role in ("admin", "auditor"):
        assert _visible_complaint_ids(app, factory.user(role)) == set()


def test_a_complaint_outside_the_scope_is_not_found(app, factory, cw):
    hn = make_complaint(app, cw, district="hn")
    dwk_user = factory.user("district", district="dwk")
    with app.app_context():
        with pytest.raises(NotFound):
            complaints.get_complaint(user_of(dwk_user), hn)
        with pytest.raises(NotFound):
            complaints.answer(user_of(dwk_user), hn, "答复", 1)
        db.session.remove()


def _visible_sheet_ids(app, rec) -> set[int]:
    with app.app_context():
        page = prompts.list_sheets(user_of(rec), prompts.SheetFilters(), 1, 100)
        ids = {s.id for s in page.items}
        db.session.remove()
        return ids


def test_sheet_scope_per_role(app, factory, cw, fire):
    defect = defect_id(app, fire.code)  # a 大武口区 project
    to_housing, _ = issue_sheet(app, cw, defect=defect, department="housing")
    to_tax, _ = issue_sheet(app, cw, defect=defect, department="tax")
    hn_complaint = make_complaint(app, cw, district="hn")
    to_government, _ = issue_sheet(
        app, cw, complaint=hn_complaint, department="district_government"
    )
    everything = {to_housing, to_tax, to_government}
    assert _visible_sheet_ids(app, cw) == everything
    assert _visible_sheet_ids(app, factory.user("leader")) == everything
    assert _visible_sheet_ids(app, factory.user("department", department="housing")) == {to_housing}
    assert _visible_sheet_ids(app, factory.user("district", district="dwk")) == {
        to_housing,
        to_tax,
    }
    assert _visible_sheet_ids(app, factory.user("district", district="hn")) == {to_government}
    assert _visible_sheet_ids(app, factory.user("auditor")) == set()


def test_only_the_addressee_or_a_caseworker_replies(app, factory, cw, fire):
    defect = defect_id(app, fire.code)
    sheet, _ = issue_sheet(app, cw, defect=defect, department="housing")
    hn_complaint = make_complaint(app, cw, district="hn")
    government, _ = issue_sheet(app, cw, complaint=hn_complaint, department="district_government")
    leader = factory.user("leader")
    dwk = factory.user("district", district="dwk")
    hn = factory.user("district", district="hn")
    housing = factory.user("department", department="housing")
    with app.app_context():
        with pytest.raises(Forbidden):
            prompts.reply(user_of(leader), sheet, "回复", TODAY, 1, TODAY)
        with pytest.raises(Forbidden):  # sees the sheet (its district) but is not the addressee
            prompts.reply(user_of(dwk), sheet, "回复", TODAY, 1, TODAY)
        row = prompts.reply(user_of(housing), sheet, "已组织现场核查。", TODAY, 1, TODAY)
        assert row.reply_date == TODAY and row.version == 2
        row = prompts.reply(user_of(hn), government, "区政府已协调。", TODAY, 1, TODAY)
        assert row.replied_by_id == hn.id
        db.session.remove()


@pytest.mark.parametrize(
    "text,reply_date,field",
    [
        ("", TODAY, "reply"),
        ("回复", None, "reply_date"),
        ("回复", TODAY + dt.timedelta(days=1), "reply_date"),
        ("回复", TODAY - dt.timedelta(days=1), "reply_date"),  # before the sheet was issued
    ],
)
def test_bad_replies_are_refused(app, cw, fire, text, reply_date, field):
    sheet, _ = issue_sheet(app, cw, defect=defect_id(app, fire.code))
    with app.app_context():
        with pytest.raises(InvalidInput) as caught:
            prompts.reply(user_of(cw), sheet, text, reply_date, 1, TODAY)
        assert caught.value.field == field
        db.session.rollback()
        assert db.session.get(PromptSheet, sheet).reply_date is None
        db.session.remove()


def test_complaint_attachments_follow_the_complaint_scope(app, factory, cw):
    housing_project = factory.project(facts=FIRE_WINDOW_FACTS, actor=cw)
    complaint = make_complaint(app, cw)
    with app.app_context():
        (row,) = complaints.add_attachments(
            user_of(cw), complaint, [attachments.Upload("信访件.pdf", io.BytesIO(PDF))]
        )
        attachment = row.id
        assert row.project_id is None
        db.session.remove()
    dwk = factory.user("district", district="dwk")
    hn = factory.user("district", district="hn")
    housing = factory.user("department", department="housing")
    with app.app_context():
        assert attachments.open_for(user_of(dwk), attachment)[0].id == attachment
        for outsider in (hn, housing):
            with pytest.raises(NotFound):
                attachments.open_for(user_of(outsider), attachment)
        complaints.link_project(user_of(cw), complaint, housing_project.code, 1)
        assert db.session.get(Attachment, attachment).project_id == housing_project.id
        assert attachments.open_for(user_of(housing), attachment)[0].id == attachment
        db.session.remove()


# ---------------------------------------------------------------- recording and linking


def test_a_district_user_records_only_in_its_own_district(app, factory):
    dwk = factory.user("district", district="dwk")
    with app.app_context():
        with pytest.raises(InvalidInput) as caught:
            complaints.record_complaint(user_of(dwk), complaint_input(district="hn"), TODAY)
        assert caught.value.field == "district" and "大武口区" in caught.value.message
        assert db.session.scalar(select(func.count(Complaint.id))) == 0
        db.session.remove()


def test_phone_and_id_are_stored_normalised(app, cw):
    complaint = make_complaint(app, cw, phone="139 0000 0001", id_number="11010519491231002x")
    with app.app_context():
        row = db.session.get(Complaint, complaint)
        assert row.complainant_phone == PHONE_OK
        assert row.complainant_id_number == "11010519491231002X"
        db.session.remove()


def test_linking_refuses_projects_of_another_district_or_outside_the_scope(app, factory, cw):
    hn_project = factory.project(district="hn", actor=cw)
    complaint = make_complaint(app, cw)
    dwk = factory.user("district", district="dwk")
    with app.app_context():
        with pytest.raises(InvalidInput) as caught:
            complaints.link_project(user_of(cw), complaint, hn_project.code, 1)
        assert "惠农区" in caught.value.message
        with pytest.raises(InvalidInput) as caught:  # invisible to a 大武口区 user: not found
            complaints.link_project(user_of(dwk), complaint, hn_project.code, 1)
        assert "没有找到" in caught.value.message
        with pytest.raises(InvalidInput):
            complaints.link_project(user_of(cw), complaint, "DWK-9999", 1)
        db.session.rollback()
        assert db.session.get(Complaint, complaint).project_id is None
        db.session.remove()
    assert _audit(app, "complaint.link") == []


def test_a_project_registered_from_a_complaint_is_linked_to_it(app, cw):
    complaint = make_complaint(app, cw)
    with app.app_context():
        data = ProjectInput(name="星海湖畔小区", district="dwk", total_households=80)
        result = complaints.create_project_from(user_of(cw), complaint, data, 1, TODAY)
        code = result.project.code
        row = db.session.get(Complaint, complaint)
        assert row.project.code == code and row.version == 2
        with pytest.raises(InvalidInput):  # the project must lie in the complaint's district
            complaints.create_project_from(
                user_of(cw), complaint, ProjectInput(name="别处", district="hn"), 2, TODAY
            )
        db.session.remove()
    (event,) = _audit(app, "complaint.link")
    assert event.changes == {"project": [None, code], "project_created": True}


# ---------------------------------------------------------------- audit and masking


def test_every_change_leaves_an_audit_row_without_personal_data(app, factory, cw, fire):
    complaint = make_complaint(app, cw)
    with app.app_context():
        user = user_of(cw)
        complaints.link_project(user, complaint, fire.code, 1)
        complaints.answer(user, complaint, f"已电话联系 {PHONE_OK}，身份证 {ID_OK} 已核实。", 2)
        complaints.add_attachments(
            user, complaint, [attachments.Upload("材料.pdf", io.BytesIO(PDF))]
        )
        complaints.reveal(user, complaint)
        complaints.export_workbook(user, complaints.ComplaintFilters(), dt.datetime.now(dt.UTC))
        db.session.remove()
    sheet, number = issue_sheet(app, cw, complaint=complaint)
    housing = factory.user("department", department="housing")
    with app.app_context():
        prompts.reply(user_of(housing), sheet, "已办理。", TODAY, 1, TODAY)
        db.session.remove()
    expected = {
        "complaint.create": str(complaint),
        "complaint.link": str(complaint),
        "complaint.answer": str(complaint),
        "complaint.attach": str(complaint),
        "pii.reveal": str(complaint),
        "complaints.export": "*",
        "prompt.issue": number,
        "prompt.reply": number,
    }
    for action, entity in expected.items():
        rows = _audit(app, action)
        assert len(rows) == 1, action
        assert rows[0].entity_id == entity
        assert rows[0].actor_id in (cw.id, housing.id)
        dumped = json.dumps(rows[0].changes, ensure_ascii=False)
        assert ID_OK not in dumped and PHONE_OK not in dumped and "张三明" not in dumped, action
    created = _audit(app, "complaint.create")[0].changes["fields"]
    assert created["complainant_name"] == "张*明"
    assert created["complainant_phone"] == "139****0001"
    assert created["complainant_id_number"] == "640202********1232"
    assert _audit(app, "pii.reveal")[0].changes == {
        "fields": ["complainant_id_number", "complainant_name", "complainant_phone"]
    }


def test_only_caseworkers_reveal_personal_data(app, factory, cw):
    complaint = make_complaint(app, cw)
    for role in ("district", "leader"):
        rec = factory.user(role)
        with app.app_context():
            with pytest.raises(Forbidden):
                complaints.reveal(user_of(rec), complaint)
            db.session.remove()
    assert _audit(app, "pii.reveal") == []


def test_no_log_line_carries_personal_data(app, cw, caplog):
    caplog.set_level(logging.DEBUG)
    complaint = make_complaint(app, cw)
    with app.app_context():
        user = user_of(cw)
        complaints.reveal(user, complaint)
        complaints.export_workbook(user, complaints.ComplaintFilters(), dt.datetime.now(dt.UTC))
        app.logger.warning("诉求人电话 %s 身份证 %s", PHONE_OK, ID_OK)  # a careless log line
        db.session.remove()
    for record in caplog.records:
        text = record.getMessage()
        assert ID_OK not in text and PHONE_OK not in text, text


def test_exports_are_masked(app, cw):
    from openpyxl import load_workbook

    make_complaint(app, cw, content=f'=HYPERLINK("http://x") 身份证{ID_OK}')
    with app.app_context():
        data = complaints.export_workbook(
            user_of(cw), complaints.ComplaintFilters(), dt.datetime.now(dt.UTC)
        )
        db.session.remove()
    sheet = load_workbook(io.BytesIO(data)).active
    cells = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    text = "\n".join(cells)
    assert ID_OK not in text and PHONE_OK not in text and "张三明" not in text
    assert "640202********1232" in text and "139****0001" in text and "张*明" in text
    content = next(c for row in sheet.iter_rows(min_row=2) for c in row if c.column == 9)
    assert content.data_type == "s"  # typed text never becomes a formula


# ---------------------------------------------------------------- lost updates


def test_a_stale_answer_is_refused_and_changes_nothing(app, cw):
    complaint = make_complaint(app, cw)
    with app.app_context():
        complaints.answer(user_of(cw), complaint, "第一次答复", 1)
        with pytest.raises(StaleVersion) as caught:
            complaints.answer(user_of(cw), complaint, "第二次答复", 1)
        assert caught.value.current_version == 2
        assert caught.value.current["answer"] == "第一次答复"
        db.session.rollback()
        assert db.session.get(Complaint, complaint).answer == "第一次答复"
        db.session.remove()
    assert len(_audit(app, "complaint.answer")) == 1


def test_an_answer_saved_in_between_check_and_commit_is_not_overwritten(app, cw, monkeypatch):
    complaint = make_complaint(app, cw)
    real = complaints.audit.record

    def meanwhile(*args, **kwargs):
        # Another caseworker's answer commits after our version check, before our commit.
        with db.engine.begin() as conn:
            conn.execute(
                update(Complaint.__table__)
                .where(Complaint.__table__.c.id == complaint)
                .values(answer="别人的答复", status="answered", version=2)
            )
        return real(*args, **kwargs)

    monkeypatch.setattr(complaints.audit, "record", meanwhile)
    with app.app_context():
        with pytest.raises(StaleVersion):
            complaints.answer(user_of(cw), complaint, "我的答复", 1)
        db.session.remove()
    monkeypatch.undo()
    with app.app_context():
        assert db.session.get(Complaint, complaint).answer == "别人的答复"
        db.session.remove()
    assert _audit(app, "complaint.answer") == []


def test_a_stale_reply_is_refused(app, factory, cw, fire):
    sheet, _ = issue_sheet(app, cw, defect=defect_id(app, fire.code))
    housing = factory.user("department", department="housing")
    with app.app_context():
        prompts.reply(user_of(housing), sheet, "第一次回复", TODAY, 1, TODAY)
        with pytest.raises(StaleVersion):
            prompts.reply(user_of(cw), sheet, "覆盖回复", TODAY, 1, TODAY)
        db.session.rollback()
        assert db.session.get(PromptSheet, sheet).reply == "第一次回复"
        db.session.remove()
