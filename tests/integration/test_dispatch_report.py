"""The 调度通报 of a closed round: its figures and rankings, read back from the .docx, are the
round's as the database holds them (附件3 四(二) 每月调度)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import DispatchEntry, DispatchRound
from app.services import dispatch
from app.services.errors import InvalidInput
from app.services.report_document import build_dispatch
from app.services.report_docx import write_docx
from app.services.report_pdf import write_pdf
from cases.taxonomy import DEPARTMENTS, DISTRICTS
from tests.dispatch_support import (
    MONTH,
    build_world,
    defect_id,
    entry_of,
    open_round,
    quick_hashing,  # noqa: F401  (fixture)
    report,
    strike_off,
    user_of,
)
from tests.factories import TODAY
from tests.report_support import numbers, read_docx

pytestmark = pytest.mark.usefixtures("quick_hashing")


@pytest.fixture()
def closed_round(app, factory):
    world = build_world(app, factory)
    with app.app_context():
        open_round(world.cw)
        fire = entry_of(MONTH, world.fire_dwk.code, "fire")
        dispatch.save_entry(user_of(world.housing), MONTH, fire.id, report(), fire.version, TODAY)
        tax = entry_of(MONTH, world.deed_tax_pl.code, "deed_tax")
        dispatch.save_entry(
            user_of(world.tax),
            MONTH,
            tax.id,
            report(blocker="开发企业已注销", escalate=True),
            tax.version,
            TODAY,
        )
        strike_off(world.cw, world.housing, defect_id(world.fire_dwk.code, "fire"))
        round_ = db.session.scalars(select(DispatchRound)).one()
        dispatch.close_round(user_of(world.cw), MONTH, round_.version)
        db.session.remove()
    return world


def test_the_dispatch_report_carries_the_rounds_figures_and_rankings(app, closed_round):
    world = closed_round
    with app.app_context():
        user = user_of(world.cw)
        document = build_dispatch(user, MONTH, TODAY)
        parsed = read_docx(write_docx(document))
        overview = dispatch.overview(user, dispatch.get_round(user, MONTH), TODAY)
        entries = db.session.scalar(select(func.count()).select_from(DispatchEntry))
        reported = db.session.scalar(
            select(func.count()).where(DispatchEntry.reported_at.is_not(None))
        )
        closed = db.session.scalar(
            select(func.count()).where(DispatchEntry.status_at_close == "closed")
        )
        escalated = db.session.scalar(select(func.count()).where(DispatchEntry.escalate.is_(True)))
        assert write_pdf(document).startswith(b"%PDF")
    summary = overview.summary
    assert (entries, reported, closed, escalated) == (3, 2, 1, 1)
    assert parsed.paragraphs[0] == "全市城镇住宅“办证难”问题化解工作调度通报"
    assert parsed.paragraphs[1] == "（2026年11月）"
    key = {r[0]: r[1] for r in parsed.tables["表1 本轮调度总体情况"][1:]}
    assert key["调度事项（个）"] == str(entries)
    assert key["已报送（个）"] == str(reported)
    assert key["未报送（个）"] == str(entries - reported)
    assert key["已销号（个）"] == str(closed)
    assert key["申请提级督办（个）"] == str(escalated)
    assert key["逾期（个）"] == str(len(summary.overdue))
    ranking = parsed.tables["表2-1 县区综合排名"]
    assert [r[:2] for r in ranking[1:]] == [
        [str(u.rank), DISTRICTS[u.code].name] for u in summary.districts
    ]
    for row, unit in zip(ranking[1:], summary.districts, strict=True):
        assert row[2:] == [
            str(unit.entries),
            str(unit.reported),
            str(unit.advanced),
            str(unit.closed),
            str(unit.overdue),
            f"{unit.score:.1f}",
            "是" if unit.flagged else "否",
        ]
    departments = parsed.tables["表2-2 牵头部门综合排名"]
    assert [r[1] for r in departments[1:]] == [
        DEPARTMENTS[u.code].name for u in summary.departments
    ]
    overall = parsed.sections["一、总体情况"][0]
    assert numbers(overall) == [
        str(entries), str(reported), key["报送率"], str(entries - reported),
        str(summary.advanced), str(closed), str(len(summary.overdue)),
        str(len(summary.slipped)), str(escalated),
    ]  # fmt: skip
    ranks = parsed.sections["二、县区排名"][0]
    for unit in summary.districts:
        assert f"{DISTRICTS[unit.code].name}第{unit.rank}名（{unit.score:.1f}分）" in ranks
    escalated_rows = parsed.tables["表4 申请提级督办问题"]
    assert [r[2] for r in escalated_rows[1:]] == ["无法取得销售不动产发票的契税申报"]


def test_an_open_round_has_no_dispatch_report(app, factory):
    world = build_world(app, factory)
    with app.app_context():
        open_round(world.cw)
        with pytest.raises(InvalidInput, match="尚未关闭"):
            build_dispatch(user_of(world.cw), MONTH, TODAY)
