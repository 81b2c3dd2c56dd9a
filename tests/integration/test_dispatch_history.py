"""The demo's 每月调度 history: closed rounds replayed through the services, dated in their months,
filled within each reporter's scope, and loaded once only."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from app.clock import LOCAL_TZ
from app.demo.dataset import demo_projects
from app.demo.history import load_history, plan
from app.demo.loader import ensure_demo_accounts, load_projects
from app.extensions import db
from app.models import DefectEvent, DispatchEntry, DispatchRound, User
from app.services import dispatch
from cases.dispatch import first_day, last_day
from tests.checks import row_counts
from tests.dispatch_support import quick_hashing
from tests.factories import TODAY

__all__ = ["quick_hashing"]  # a fixture, imported to be used


def test_the_plan_replays_the_months_before_today():
    history = plan(dt.date(2024, 8, 15))
    assert history.months == ("2024-04", "2024-05", "2024-06", "2024-07")
    assert history.registered_at.astimezone(LOCAL_TZ).date() == dt.date(2024, 3, 12)


@pytest.fixture()
def loaded(app, quick_hashing):
    history = plan(TODAY)
    with app.app_context():
        ensure_demo_accounts()
        # A third of the ledger keeps the test quick and still covers every district.
        load_projects(demo_projects()[::3], TODAY, registered_at=history.registered_at)
        rounds = load_history(history, seed=7)
        db.session.remove()
    return history, rounds


def test_the_history_is_closed_rounds_of_the_planned_months(app_ctx, loaded):
    history, rounds = loaded
    assert rounds == 4
    rows = db.session.scalars(select(DispatchRound).order_by(DispatchRound.month)).all()
    assert [r.month for r in rows] == list(history.months)
    for r in rows:
        opened = r.opened_at.astimezone(LOCAL_TZ).date()
        closed = r.closed_at.astimezone(LOCAL_TZ).date()
        assert r.status == "closed"
        assert first_day(r.month) <= opened < closed <= last_day(r.month)


def test_the_defect_history_carries_the_dates_of_its_months(app_ctx, loaded):
    history, _ = loaded
    start = history.registered_at
    end = dt.datetime.combine(last_day(history.months[-1]), dt.time(23, 59), LOCAL_TZ)
    events = db.session.execute(select(DefectEvent.action, DefectEvent.occurred_at)).all()
    assert {a for a, _ in events} >= {"register", "assign", "start", "submit", "close", "plan"}
    assert all(start <= at <= end for _, at in events)
    assert all(at == start for a, at in events if a == "register")


def test_entries_are_filled_within_each_reporters_scope_and_some_are_not(app_ctx, loaded):
    users = {u.id: u for u in db.session.scalars(select(User))}
    entries = db.session.scalars(select(DispatchEntry)).all()
    reported = [e for e in entries if e.reported_at is not None]
    assert 0 < len(reported) < len(entries)
    for e in reported:
        who = users[e.reported_by_id]
        assert who.role in {"caseworker", "district", "department"}
        if who.role == "department":
            assert who.department_code == e.lead_code
        if who.role == "district":
            assert who.district_code == e.district_code
        assert e.status_at_close is not None


def test_the_history_gives_the_round_page_something_to_show(app_ctx, loaded):
    cw = db.session.scalars(select(User).where(User.username == "caseworker")).one()
    summaries = [
        dispatch.overview(cw, r, TODAY).summary
        for r in db.session.scalars(select(DispatchRound).order_by(DispatchRound.month))
    ]
    assert sum(s.closed for s in summaries) > 0
    assert sum(len(s.slipped) for s in summaries) > 0
    assert sum(len(s.overdue) for s in summaries) > 0
    assert any(u.flagged for s in summaries for u in s.districts)


def test_the_history_loads_once(app, loaded):
    history, _ = loaded
    before = row_counts(app)
    with app.app_context():
        assert load_history(history, seed=7) == 0
        db.session.remove()
    assert row_counts(app) == before


def test_the_history_is_skipped_when_projects_were_registered_after_its_first_month(
    app, quick_hashing
):
    with app.app_context():
        ensure_demo_accounts()
        load_projects(demo_projects()[:3], TODAY)  # registered now
        messages: list[str] = []
        assert load_history(plan(TODAY), echo=messages.append) == 0
        assert db.session.scalar(select(func.count(DispatchRound.id))) == 0
        assert "未加载" in messages[0]
        db.session.remove()
