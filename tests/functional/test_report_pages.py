"""工作看板 and the report pages: scoped figures, the as-of date, charts linked to the lists,
background generation with progress, and the caseworkers' report wording."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from docx import Document
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, ReportJob, ReportText, User
from app.services import report_jobs
from tests.checks import is_chinese
from tests.factories import FIRE_WINDOW_FACTS, csrf_token, login
from tests.querycount import QueryCounter
from tests.report_support import build_q3


def _html(response) -> str:
    return response.get_data(as_text=True)


def _kpi(html: str, label: str) -> str:
    match = re.search(
        rf'<span class="kpi-label">{re.escape(label)}</span><span class="kpi-value">([^<]+)</span>',
        html,
    )
    assert match, label
    return match.group(1)


@pytest.fixture(autouse=True)
def _report_dir(app, tmp_path, monkeypatch):
    """Generated files go to a temporary folder, not instance/; no dashboard cached by an
    earlier test (SQLite reuses ids after the cleanup, so fingerprints can repeat)."""
    monkeypatch.setitem(app.config, "REPORT_DIR", str(tmp_path / "reports"))
    from app.services import reporting

    reporting._CACHE.clear()


@pytest.fixture()
def history(app, factory, clock):
    """The 2024Q3 history, then the clock back at the real now for signing in."""
    scenario = build_q3(app, factory, clock)
    clock.current = dt.datetime.now(dt.UTC)
    with app.app_context():  # created "in 2024": its password would count as expired today
        user = db.session.get(User, scenario.cw.id)
        user.password_changed_at = clock.current
        db.session.commit()
        db.session.remove()
    return scenario


def test_dashboard_shows_the_figures_as_of_the_chosen_day(app, client, factory, history):
    login(client, history.cw.username)
    html = _html(client.get("/dashboard?as_of=2024-09-30"))
    assert "统计截至 <strong>2024-09-30</strong>" in html
    assert _kpi(html, "纳入台账项目") == "4"
    assert _kpi(html, "涉及户数") == "300"
    assert _kpi(html, "已办证户数") == "60"
    assert _kpi(html, "办证率") == "20.0%"
    assert _kpi(html, "已销号") == "1"
    assert _kpi(html, "逾期") == "2"
    earlier = _html(client.get("/dashboard?as_of=2024-06-30"))
    assert _kpi(earlier, "纳入台账项目") == "3"
    assert _kpi(earlier, "已销号") == "0"
    today = _html(client.get("/dashboard"))
    assert _kpi(today, "纳入台账项目") == "5"


def test_dashboard_figures_link_to_the_filtered_project_list(app, client, factory, history):
    login(client, history.cw.username)
    html = _html(client.get("/dashboard?as_of=2024-09-30"))
    assert 'href="/projects?type=fire"' in html
    assert 'href="/projects?lead=tax"' in html
    assert 'href="/projects?district=dwk"' in html
    assert 'href="/projects?status=resolved"' in html
    # Bars of the charts are an image map of links (no script needed).
    assert re.search(r'<area shape="rect" coords="[\d,]+" href="/projects\?type=deed_tax"', html)
    assert '<map name="map-district_type">' in html
    assert 'href="/projects?district=pl&amp;type=deed_tax"' in html
    assert "<script>" not in html and "style=" not in html
    filtered = _html(client.get("/dashboard?as_of=2024-09-30&district=pl"))
    assert "工作看板 · 平罗县" in filtered
    assert 'href="/projects?district=pl&amp;type=deed_tax"' in filtered


def test_a_district_user_sees_only_its_districts_figures(app, client, factory, history):
    factory.user("district", username="dwk_board", district="dwk")
    login(client, "dwk_board")
    html = _html(client.get("/dashboard?as_of=2024-09-30"))
    assert "工作看板 · 大武口区" in html
    assert _kpi(html, "纳入台账项目") == "2"
    assert _kpi(html, "涉及户数") == "160"
    assert ">惠农区<" not in html and ">平罗县<" not in html
    assert 'name="district"' not in html  # no district picker for a district government
    # Asking for another district changes nothing: the scope stays its own.
    other = _html(client.get("/dashboard?as_of=2024-09-30&district=pl"))
    assert _kpi(other, "纳入台账项目") == "2"


def test_a_department_user_counts_the_projects_its_department_touches(
    app, client, factory, history
):
    factory.user("department", username="tax_board", department="tax")
    login(client, "tax_board")
    html = _html(client.get("/dashboard?as_of=2024-09-30"))
    # Deed tax in P3 and P4 (led), arrears in P2 (税务局 cooperates).
    assert _kpi(html, "纳入台账项目") == "3"


@pytest.mark.parametrize(
    ("as_of", "message"),
    [
        ("2024-13-01", "日期格式应为"),
        ("not-a-date", "日期格式应为"),
        ("2999-01-01", "不能晚于今天"),
    ],
)
def test_a_bad_as_of_date_is_refused_in_chinese_and_today_shown(
    app, client, factory, as_of, message
):
    factory.user("caseworker", username="cw_bad_date")
    login(client, "cw_bad_date")
    answer = client.get(f"/dashboard?as_of={as_of}")
    assert answer.status_code == 200
    assert message in _html(answer)


def test_an_unknown_district_is_refused_and_the_whole_scope_shown(app, client, factory):
    factory.user("caseworker", username="cw_bad_district")
    login(client, "cw_bad_district")
    html = _html(client.get("/dashboard?district=xx"))
    assert "未知的县区代码：xx" in html
    assert "工作看板 · 全市" in html


def test_dashboard_costs_the_same_queries_for_few_and_many_projects(
    app, client, factory, monkeypatch
):
    monkeypatch.setitem(app.config, "REPORT_CACHE_SECONDS", 0)  # measure the real work
    cw = factory.user("caseworker", username="cw_board_count")
    for district in ("dwk", "hn"):
        factory.project(district=district, facts=FIRE_WINDOW_FACTS, actor=cw)
    login(client, cw.username)
    client.get("/dashboard")
    with QueryCounter(app) as small:
        assert client.get("/dashboard").status_code == 200
    for i in range(12):
        factory.project(district=("dwk", "hn", "pl")[i % 3], facts=FIRE_WINDOW_FACTS, actor=cw)
    with QueryCounter(app) as large:
        assert client.get("/dashboard").status_code == 200
    assert small.count == large.count, large.report()
    assert large.count <= 12, large.report()


def test_a_repeated_view_is_served_from_the_cache_until_the_data_changes(app, client, factory):
    cw = factory.user("caseworker", username="cw_cache")
    rec = factory.project(district="hn", facts=FIRE_WINDOW_FACTS, actor=cw, certified_households=0)
    login(client, cw.username)
    first = _html(client.get("/dashboard"))
    with QueryCounter(app) as again:
        second = _html(client.get("/dashboard"))
    assert second == first
    assert again.count <= 3, again.report()  # the user, the fingerprint: no history loaded
    with app.app_context():
        from app.models import Project
        from app.services import workflow

        project = db.session.get(Project, rec.id)
        user = db.session.get(User, cw.id)
        day = dt.datetime.now(dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=8))).date()
        workflow.add_certificates(user, project, day, 7, "", project.version, day)
        db.session.remove()
    assert _kpi(_html(client.get("/dashboard")), "已办证户数") == "7"


def test_navigation_offers_the_dashboard_and_reports_to_the_roles_that_may_use_them(
    app, client, factory
):
    factory.user("caseworker", username="cw_nav_r")
    factory.user("department", username="dept_nav_r")
    login(client, "cw_nav_r")
    html = _html(client.get("/projects"))
    assert ">工作看板<" in html and ">报告<" in html
    client.post("/logout", data={"csrf_token": csrf_token(html)})
    login(client, "dept_nav_r")
    html = _html(client.get("/projects"))
    assert ">工作看板<" in html and ">报告<" not in html


def _submit(client, **data: str):
    page = _html(client.get("/reports"))
    return client.post("/reports/jobs", data={"csrf_token": csrf_token(page), **data})


def test_a_report_is_generated_in_the_background_and_downloaded(app, client, factory, history):
    login(client, history.cw.username)
    answer = _submit(client, kind="quarterly", period="2024Q3", format="docx", district="")
    assert answer.status_code == 302, _html(answer)
    page_url = answer.headers["Location"]
    page = _html(client.get(page_url))
    assert 'src="/static/js/report-job.js"' in page
    assert "<script>" not in page
    assert re.search(r'<progress id="job-progress" class="progress" max="100" value="\d+"', page)
    with app.app_context():
        job = db.session.scalars(select(ReportJob)).one()
        job_id, token = job.id, job.token
    report_jobs.wait(job_id)
    state = client.get(f"{page_url}/status").get_json()
    assert state["status"] == "done", state
    assert state["progress"] == 100
    download = client.get(state["download_url"])
    assert download.status_code == 200
    assert download.mimetype == report_jobs.MEDIA_TYPES["docx"]
    document = Document(io.BytesIO(download.data))
    download.close()
    assert document.paragraphs[0].text == "关于全面化解城镇住宅“办证难”问题工作进展情况的报告"
    with app.app_context():
        assert (
            db.session.scalar(select(func.count()).where(AuditEvent.action == "report.generate"))
            == 1
        )
    # Someone else cannot follow the link.
    factory.user("leader", username="leader_other_job")
    other = app.test_client()
    login(other, "leader_other_job")
    assert other.get(f"/reports/jobs/{token}").status_code == 404
    assert other.get(f"/reports/jobs/{token}/download").status_code == 404
    assert other.get(f"/reports/jobs/{token}/status").status_code == 404


def test_a_district_governments_report_is_its_own_district(app, client, factory, history):
    factory.user("district", username="pl_report", district="pl")
    login(client, "pl_report")
    answer = _submit(client, kind="quarterly", period="2024Q3", format="pdf", district="dwk")
    assert answer.status_code == 302
    with app.app_context():
        job = db.session.scalars(select(ReportJob)).one()
        assert job.district_code == "pl"
        job_id = job.id
    report_jobs.wait(job_id)
    state = client.get(answer.headers["Location"] + "/status").get_json()
    assert state["status"] == "done", state
    download = client.get(state["download_url"])
    assert download.data.startswith(b"%PDF")
    download.close()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "quarterly", "period": "2024Q5", "format": "docx"}, "季度"),
        ({"kind": "quarterly", "period": "2098Q1", "format": "docx"}, "尚未开始"),
        ({"kind": "quarterly", "period": "24Q3", "format": "docx"}, "季度格式"),
        ({"kind": "quarterly", "period": "2024Q3", "format": "odt"}, "格式"),
        ({"kind": "quarterly", "period": "2024Q3", "format": "docx", "district": "xx"}, "县区"),
        ({"kind": "dispatch", "period": "2024-13", "format": "docx"}, "调度月份"),
        ({"kind": "dispatch", "period": "2023-01", "format": "docx"}, "没有找到该月的调度"),
    ],
)
def test_bad_report_requests_are_refused_in_chinese_and_store_nothing(
    app, client, factory, data, message
):
    factory.user("caseworker", username="cw_bad_job")
    login(client, "cw_bad_job")
    answer = _submit(client, **data)
    assert answer.status_code == 400
    assert message in _html(answer)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ReportJob)) == 0


def test_an_open_dispatch_round_gives_no_report(app, client, factory):
    from tests.dispatch_support import build_world, open_round, user_of  # noqa: F401

    world = build_world(app, factory)
    with app.app_context():
        open_round(world.cw)
        db.session.remove()
    login(client, world.cw.username)
    answer = _submit(client, kind="dispatch", period="2026-11", format="docx")
    assert answer.status_code == 400
    assert "尚未关闭" in _html(answer)


def test_caseworker_edits_the_wording_numbers_must_stay_variables(app, client, factory, history):
    login(client, history.cw.username)
    url = "/reports/texts/quarterly/overall"
    page = _html(client.get(url))
    assert "{{ 项目数 }}" in page  # the variable list
    typed = client.post(
        url,
        data={"csrf_token": csrf_token(page), "version": "0", "body": "全市共有项目 4 个。"},
    )
    assert typed.status_code == 400
    assert "不能手工填写（发现：4）" in _html(typed)
    unknown = client.post(
        url,
        data={
            "csrf_token": csrf_token(page),
            "version": "0",
            "body": "全市共有项目{{ 项目总计 }}个。",
        },
    )
    assert unknown.status_code == 400
    assert "不存在的变量" in _html(unknown)
    broken = client.post(
        url, data={"csrf_token": csrf_token(page), "version": "0", "body": "{% for x in 分类 %}"}
    )
    assert broken.status_code == 400 and "语法有误" in _html(broken)
    sneaky = client.post(
        url,
        data={"csrf_token": csrf_token(page), "version": "0", "body": "{{ 分类.__class__ }}"},
    )
    assert sneaky.status_code == 400
    saved = client.post(
        url,
        data={
            "csrf_token": csrf_token(page),
            "version": "0",
            "body": "截至{{ 截至日期 }}，{{ 范围 }}共有项目{{ 项目数 }}个（依据附件3）。",
        },
    )
    assert saved.status_code == 302, _html(saved)
    stale = client.post(
        url, data={"csrf_token": csrf_token(page), "version": "0", "body": "{{ 项目数 }}个。"}
    )
    assert stale.status_code == 409
    with app.app_context():
        row = db.session.scalars(select(ReportText)).one()
        assert row.version == 1
        audit = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "report_text.update")
        ).one()
        assert audit.entity_id == "quarterly/overall"
        from app.services.report_document import build_quarterly
        from app.services.reporting import system_scope
        from cases.reporting import parse_quarter

        document = build_quarterly(system_scope(), parse_quarter("2024Q3"), dt.date(2025, 1, 5))
        texts = [getattr(b, "text", "") for b in document.blocks]
        assert "截至2024年9月30日，全市共有项目4个（依据附件3）。" in texts
    page = _html(client.get(url))
    reset = client.post(f"{url}/reset", data={"csrf_token": csrf_token(page), "version": "1"})
    assert reset.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ReportText)) == 0
        assert (
            db.session.scalar(select(func.count()).where(AuditEvent.action == "report_text.reset"))
            == 1
        )


def test_only_caseworkers_edit_the_wording(app, client, factory):
    factory.user("leader", username="leader_texts")
    login(client, "leader_texts")
    answer = client.get("/reports/texts")
    assert answer.status_code == 403
    assert is_chinese(_html(answer))
