"""The reporting service: local-day boundaries from UTC timestamps, constant queries, scoping,
the report wording's rules and the background runner."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import ReportJob, User
from app.services import report_jobs, report_texts, reporting
from app.services.errors import InvalidInput, NotFound
from app.services.report_document import sample_context
from tests.factories import FIRE_WINDOW_FACTS
from tests.querycount import QueryCounter
from tests.report_support import Q3_END, Q3_START, build_q3, local


def _state(figures, project_code: str, type_: str):
    pid = next(p.id for p in figures.projects.values() if p.code == project_code)
    return next(s for s in figures.states if s.project_id == pid and s.type == type_)


def test_utc_timestamps_count_on_their_beijing_day(app, factory, clock):
    s = build_q3(app, factory, clock)
    with app.app_context():
        # 销号 at 2024-09-30 15:59 UTC = 23:59 in 石嘴山: within the quarter.
        q3 = reporting.figures_for(reporting.system_scope(), Q3_END, period_start=Q3_START)
        assert _state(q3, s.p1, "fire").status == "closed"
        # 销号 at 2024-09-30 16:00 UTC = 00:00 on 2024-10-01: the next quarter.
        assert _state(q3, s.p3, "deed_tax").status == "awaiting_closure"
        next_day = reporting.figures_for(reporting.system_scope(), dt.date(2024, 10, 1))
        assert _state(next_day, s.p3, "deed_tax").status == "closed"
        assert local("2024-09-30T23:59") == dt.datetime(2024, 9, 30, 15, 59, tzinfo=dt.UTC)


def test_loading_the_history_costs_five_queries_whatever_the_size(app, factory):
    cw = factory.user("caseworker")
    factory.project(district="dwk", facts=FIRE_WINDOW_FACTS, actor=cw)
    with app.app_context():
        with QueryCounter(app) as small:
            reporting.load_history(reporting.system_scope())
        db.session.remove()
    for i in range(10):
        factory.project(district=("dwk", "hn", "pl")[i % 3], facts=FIRE_WINDOW_FACTS, actor=cw)
    with app.app_context():
        with QueryCounter(app) as large:
            history = reporting.load_history(reporting.system_scope())
        assert len(history.projects) == 11
    assert small.count == large.count == 5, large.report()


def test_each_role_counts_only_the_projects_it_may_see(app, factory, clock):
    build_q3(app, factory, clock)
    dwk = factory.user("district", district="dwk")
    housing = factory.user("department", department="housing")
    admin = factory.user("admin")
    with app.app_context():

        def projects(rec, district=None):
            user = db.session.get(User, rec.id)
            scope = reporting.user_scope(user, district)
            return reporting.figures_for(scope, Q3_END).overall.projects

        assert projects(dwk) == 2
        assert projects(dwk, "dwk") == 2
        assert projects(dwk, "pl") == 0  # a district filter never widens a district's scope
        assert projects(housing) == 2  # the fire defects of P1 and P4
        with pytest.raises(Exception, match="没有查看项目的权限"):
            reporting.user_scope(db.session.get(User, admin.id))
        with pytest.raises(InvalidInput, match="未知的县区代码"):
            reporting.system_scope("xx")


@pytest.mark.parametrize(
    ("body", "typed"),
    [
        ("共有项目{{ 项目数 }}个。", []),
        ("依据附件3 三(一)2、4，石政发〔2024〕11号。", ["4"]),  # "、4" is no citation
        ("依据附件3 三(一)4。", []),
        ("共 12 个，办证率 ３０%。", ["12", "３０"]),
        ("{# 注释里的 2024 不算 #}{% if 逾期数 > 0 %}有逾期{% endif %}", []),
    ],
)
def test_typed_numbers_are_found_outside_the_tags_and_citations(body, typed):
    assert report_texts.typed_numbers(body) == typed


def test_every_shipped_text_renders_on_the_sample_and_types_no_number(app):
    with app.app_context():
        for kind, names in report_texts.TEXTS.items():
            for name in names:
                source = report_texts.default_text(kind, name)
                assert report_texts.typed_numbers(source) == [], (kind, name)
                report_texts.validate(kind, name, source, sample_context(kind))
                assert report_texts.render(source, sample_context(kind)), (kind, name)


def test_a_failing_job_ends_failed_with_a_chinese_reason(app, factory, monkeypatch, tmp_path):
    monkeypatch.setitem(app.config, "REPORT_DIR", str(tmp_path))
    cw = factory.user("caseworker")

    def boom(*_args, **_kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(report_jobs, "render", boom)
    with app.test_request_context():
        user = db.session.get(User, cw.id)
        job = report_jobs.submit(user, "quarterly", "2024Q3", "pdf", None, dt.date(2025, 1, 2))
        job_id = job.id
        db.session.remove()
    report_jobs.wait(job_id)
    with app.app_context():
        job = db.session.get(ReportJob, job_id)
        assert job.status == "failed"
        assert "内部错误" in job.error
        assert "disk" not in job.error
        with pytest.raises(NotFound):
            report_jobs.job_file(db.session.get(User, cw.id), job.token)


def test_a_job_lost_with_a_restart_is_reported_as_interrupted(
    app, factory, clock, tmp_path, monkeypatch
):
    monkeypatch.setitem(app.config, "REPORT_DIR", str(tmp_path))
    cw = factory.user("caseworker")
    with app.test_request_context():
        user = db.session.get(User, cw.id)
        job = report_jobs.submit(
            user, "quarterly", "2024Q3", "docx", None, dt.date(2025, 1, 2), start=False
        )
        token = job.token
        clock.advance(hours=1)
        found = report_jobs.get_job(user, token)
        assert found.status == "failed"
        assert "服务重启" in found.error
        assert db.session.scalars(select(ReportJob.status)).one() == "failed"
