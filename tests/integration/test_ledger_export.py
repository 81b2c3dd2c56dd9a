"""The 问题清单 columns read from the workflow, and the export's constant number of queries."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from sqlalchemy import select

from app import clock
from app.extensions import db
from app.models import Defect, DispatchEntry, DispatchRound, Project, User
from app.services import attachments, workflow
from app.services import ledger as service
from app.services.projects import ProjectFilters
from cases.ledger import DEFECT_SHEET
from tests.factories import FIRE_WINDOW_FACTS, TODAY
from tests.ledger_book import table
from tests.querycount import QueryCounter

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
NOW = dt.datetime(2026, 11, 27, 2, 0, tzinfo=dt.UTC)
CHECKLIST = {"facts_clear": True, "problem_solved": True, "task_done": True}


@pytest.fixture()
def people(app_ctx, factory) -> dict[str, User]:
    recs = {
        "caseworker": factory.user("caseworker", username="exp_cw"),
        "housing": factory.user("department", username="exp_housing", department="housing"),
    }
    return {k: db.session.get(User, r.id) for k, r in recs.items()}


def _defect(code: str) -> Defect:
    return db.session.scalars(select(Defect).join(Project).where(Project.code == code)).one()


def _act(user: User, code: str, action: str, payload=None, uploads=()) -> None:
    defect = _defect(code)
    workflow.take_action(
        user, defect.id, action, payload or {}, defect.version, TODAY, uploads=list(uploads)
    )


def test_sheet_two_shows_status_plan_dispatch_postponements_and_closure(people, factory):
    code = factory.project(facts=FIRE_WINDOW_FACTS).code
    cw, housing = people["caseworker"], people["housing"]
    _act(cw, code, "assign", {"deadline": dt.date(2026, 12, 31)})
    _act(housing, code, "return", {"reason": "需先明确开工日期认定"})
    _act(cw, code, "assign", {"deadline": dt.date(2027, 3, 31)})
    for month, reason in (("2027-01", ""), ("2027-03", "等待住建部门复核")):
        defect = _defect(code)
        workflow.update_plan(
            cw, defect.id, "按建设时标准组织消防验收", month, defect.version, delay_reason=reason
        )
    defect = _defect(code)
    project = defect.project
    for month, blocker, step, reported in (
        ("2026-10", "旧堵点", "旧措施", True),
        ("2026-11", "参建单位资料缺失", "委托第三方检测", True),
    ):
        round_ = DispatchRound(month=month, status="closed" if month == "2026-10" else "open")
        db.session.add(round_)
        db.session.flush()
        db.session.add(
            DispatchEntry(
                round_id=round_.id,
                defect_id=defect.id,
                project_id=project.id,
                district_code=project.district_code,
                lead_code=defect.lead_code,
                status_at_open=defect.status,
                blocker=blocker,
                next_step=step,
                time_limit=dt.date(2026, 12, 20),
                reported_at=NOW if reported else None,
            )
        )
    db.session.commit()
    _act(housing, code, "start")
    upload = attachments.Upload("验收意见.pdf", io.BytesIO(PDF))
    _act(housing, code, "submit", {"result": "已出具消防验收意见"}, [upload])
    _act(cw, code, "close", CHECKLIST)

    data = service.export_ledger(cw, ProjectFilters(), "xlsx", NOW).data
    [row] = table(data, DEFECT_SHEET)
    assert row["项目编号"] == code
    assert row["问题类型"] == "未办理消防验收" and row["条款"] == "附件3 三(一)6"
    assert row["牵头部门"] == "市住房和城乡建设局" and row["配合部门"] == "市消防救援支队"
    assert row["化解路径（一项目一策）"] == "住建部门牵头审查\n一项目一策：按建设时标准组织消防验收"
    assert row["当前状态"] == "已销号"
    assert row["堵点"] == "参建单位资料缺失"
    assert row["下一步措施"] == "委托第三方检测（完成时限：2026-12-20）"
    assert row["计划完成时间"].date() == dt.date(2027, 3, 31)
    assert row["实际完成时间"].date() == clock.today()
    assert (row["延期次数"], row["延期原因"]) == (2, "等待住建部门复核")


def test_a_deadline_moved_by_a_new_assignment_counts_with_the_return_reason(people, factory):
    code = factory.project(facts=FIRE_WINDOW_FACTS).code
    cw, housing = people["caseworker"], people["housing"]
    _act(cw, code, "assign", {"deadline": dt.date(2026, 12, 31)})
    _act(housing, code, "return", {"reason": "不属于本部门职责"})
    _act(cw, code, "assign", {"deadline": dt.date(2027, 6, 30)})
    [row] = table(service.export_ledger(cw, ProjectFilters(), "xlsx", NOW).data, DEFECT_SHEET)
    assert (row["延期次数"], row["延期原因"]) == (1, "退回改派：不属于本部门职责")
    assert row["当前状态"] == "已交办" and row["实际完成时间"] is None


def _world(factory, cw: User, n: int) -> None:
    """n projects with several defects, history and dispatch entries each."""
    facts = {
        **FIRE_WINDOW_FACTS,
        "land_procedures_complete": False,
        "land_premium_unpaid": True,
        "in_litigation": True,
    }
    codes = [
        factory.project(district=("dwk", "hn", "pl")[i % 3], facts=facts).code for i in range(n)
    ]
    round_ = DispatchRound(month=f"2026-{n:02d}", status="closed")
    db.session.add(round_)
    db.session.flush()
    for code in codes:
        defect = db.session.scalars(
            select(Defect).join(Project).where(Project.code == code)
        ).first()
        assert defect is not None
        workflow.take_action(
            cw, defect.id, "assign", {"deadline": dt.date(2027, 1, 31)}, defect.version, TODAY
        )
        db.session.add(
            DispatchEntry(
                round_id=round_.id,
                defect_id=defect.id,
                project_id=defect.project_id,
                district_code=defect.project.district_code,
                lead_code=defect.lead_code,
                status_at_open="assigned",
                blocker="堵点",
                reported_at=NOW,
            )
        )
    db.session.commit()


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_the_export_costs_the_same_queries_for_three_projects_as_for_twelve(
    app, people, factory, fmt
):
    cw = people["caseworker"]
    counts = []
    for n in (3, 9):
        _world(factory, cw, n)
        with QueryCounter(app) as counter:
            file = service.export_ledger(cw, ProjectFilters(), fmt, NOW)
        counts.append(counter.count)
        assert file.rows == (3 if n == 3 else 12)
    assert counts[0] == counts[1], counts
    assert counts[0] <= 12
