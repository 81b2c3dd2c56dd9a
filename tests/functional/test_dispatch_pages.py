"""每月调度 through the browser's eyes (test client, CSRF on): open a round, fill an entry as a
department, close it, print it, download its Excel; refusals, scoping and constant queries."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.extensions import db
from app.models import Attachment, AuditEvent, DispatchEntry, DispatchRound
from tests.checks import field_errors, flashes, is_chinese, row_counts
from tests.dispatch_support import (
    MONTH,
    PDF,
    build_world,
    entry_of,
    open_round,
    quick_hashing,
)
from tests.factories import FIRE_WINDOW_FACTS, TODAY, csrf_token, login
from tests.querycount import QueryCounter

__all__ = ["quick_hashing"]  # a fixture, imported to be used

NOON = dt.datetime(2026, 11, 27, 4, 0, tzinfo=dt.UTC)  # 12:00 in 石嘴山, the day of TODAY


@pytest.fixture()
def world(app, factory, quick_hashing, clock):
    clock.current = NOON
    return build_world(app, factory)


@pytest.fixture()
def opened(app, world):
    with app.app_context():
        open_round(world.cw)
        db.session.remove()
    return world


def _html(response) -> str:
    return response.get_data(as_text=True)


def _entry(app, code: str, type_: str) -> DispatchEntry:
    with app.app_context():
        row = entry_of(MONTH, code, type_)
        db.session.expunge(row)
        db.session.remove()
    return row


def _fill(client, app, code: str, type_: str, data: dict | None = None, files=None):
    entry = _entry(app, code, type_)
    page = client.get(f"/dispatch/{MONTH}/entries/{entry.id}")
    assert page.status_code == 200, _html(page)
    html = _html(page)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', html)
    defect_version = re.search(r'name="defect_version" type="hidden" value="(\d+)"', html)
    form = {
        "csrf_token": csrf_token(html),
        "version": version.group(1) if version else "1",
        "defect_version": defect_version.group(1) if defect_version else "1",
        "progress": "已完成现场核查",
        "next_step": "补齐申报材料",
        "time_limit": (TODAY + dt.timedelta(days=20)).isoformat(),
    }
    form.update(data or {})
    if files:
        form["files"] = files
    return client.post(
        f"/dispatch/{MONTH}/entries/{entry.id}",
        data=form,
        content_type="multipart/form-data",
        follow_redirects=True,
    )


# ---------------------------------------------------------------- opening


def test_a_caseworker_opens_the_round_through_the_form(app, client, world):
    login(client, world.cw.username)
    page = client.get("/dispatch")
    assert 'value="2026-11"' in _html(page)  # the form proposes this month
    answer = client.post(
        "/dispatch/rounds",
        data={"csrf_token": csrf_token(_html(page)), "month": MONTH},
        follow_redirects=True,
    )
    html = _html(answer)
    assert answer.status_code == 200
    assert f"已开启 {MONTH} 的每月调度，共 3 条待填报。" in flashes(html)
    assert "未报送" in html and "推进排名" in html
    with app.app_context():
        assert db.session.scalar(select(func.count(DispatchEntry.id))) == 3


@pytest.mark.parametrize(
    ("month", "message"),
    [("2026/11", "YYYY-MM"), ("2027-05", "不能提前开启"), ("", "请填写调度月份")],
)
def test_a_bad_month_shows_a_chinese_message_and_writes_nothing(app, client, world, month, message):
    login(client, world.cw.username)
    token = csrf_token(_html(client.get("/dispatch")))
    before = row_counts(app)
    answer = client.post("/dispatch/rounds", data={"csrf_token": token, "month": month})
    assert answer.status_code == 200
    errors = field_errors(_html(answer), "month")
    assert errors and message in errors[0] and is_chinese(errors[0])
    counts = row_counts(app)
    assert counts["dispatch_rounds"] == before["dispatch_rounds"] == 0
    assert counts["dispatch_entries"] == 0


def test_opening_without_a_csrf_token_is_refused(app, client, world):
    login(client, world.cw.username)
    answer = client.post("/dispatch/rounds", data={"month": MONTH})
    assert answer.status_code == 400 and "CSRF" in _html(answer)
    with app.app_context():
        assert db.session.scalar(select(func.count(DispatchRound.id))) == 0


@pytest.mark.parametrize("who", ["housing", "dwk", "leader"])
def test_others_may_not_open_or_close(app, client, opened, who):
    login(client, getattr(opened, who).username)
    token = csrf_token(_html(client.get("/dispatch")))
    assert (
        client.post("/dispatch/rounds", data={"csrf_token": token, "month": "2026-12"}).status_code
        == 403
    )
    assert client.post(f"/dispatch/{MONTH}/close", data={"csrf_token": token}).status_code == 403


@pytest.mark.parametrize("who", ["auditor", "admin"])
def test_roles_without_dispatch_get_403_and_no_menu_link(client, opened, who):
    login(client, getattr(opened, who).username)
    for url in ("/dispatch", f"/dispatch/{MONTH}", f"/dispatch/{MONTH}/print"):
        assert client.get(url).status_code == 403
    assert client.get(f"/dispatch/{MONTH}/export.xlsx").status_code == 403
    assert "每月调度" not in _html(client.get("/account"))


@pytest.mark.parametrize("who", ["cw", "housing", "dwk", "leader"])
def test_the_menu_links_the_dispatch_for_roles_that_may_see_it(client, world, who):
    login(client, getattr(world, who).username)
    assert 'href="/dispatch">每月调度</a>' in _html(client.get("/account"))


def test_an_unknown_month_is_404(client, opened):
    login(client, opened.cw.username)
    assert client.get("/dispatch/2026-09").status_code == 404
    assert client.get("/dispatch/not-a-month").status_code == 404


# ---------------------------------------------------------------- filling


def test_a_department_fills_its_entry_with_evidence(app, client, opened):
    login(client, opened.housing.username)
    answer = _fill(
        client,
        app,
        opened.fire_dwk.code,
        "fire",
        {"blocker": "缺少竣工资料", "escalate": "y"},
        files=[(io.BytesIO(PDF), "核查记录.pdf")],
    )
    html = _html(answer)
    assert "调度填报已保存。" in flashes(html), html
    with app.app_context():
        entry = entry_of(MONTH, opened.fire_dwk.code, "fire")
        assert entry.progress == "已完成现场核查" and entry.escalate
        assert entry.reported_by_id == opened.housing.id
        files = db.session.scalars(
            select(Attachment).where(Attachment.owner_type == "dispatch_entry")
        ).all()
        assert [f.original_name for f in files] == ["核查记录.pdf"]
        assert (
            db.session.scalar(select(func.count()).where(AuditEvent.action == "dispatch.entry"))
            == 1
        )
    page = _html(client.get(f"/dispatch/{MONTH}/entries/{entry.id}"))
    download = re.search(r'href="(/attachments/\d+)"', page)
    assert download
    got = client.get(download.group(1))
    assert got.status_code == 200 and got.data == PDF
    got.close()
    timeline = _html(client.get(f"/projects/{opened.fire_dwk.code}"))
    assert "调度填报" in timeline and "→ 已完成现场核查" in timeline


def test_a_department_takes_a_lifecycle_step_with_its_report(app, client, opened):
    from tests.dispatch_support import act, defect_id

    with app.app_context():
        act(opened.cw, defect_id(opened.fire_dwk.code, "fire"), "assign", {"deadline": TODAY})
        db.session.remove()
    login(client, opened.housing.username)
    entry = _entry(app, opened.fire_dwk.code, "fire")
    page = _html(client.get(f"/dispatch/{MONTH}/entries/{entry.id}"))
    assert '<option value="start">开始办理</option>' in page
    answer = _fill(client, app, opened.fire_dwk.code, "fire", {"action": "start"})
    assert "调度填报已保存。" in flashes(_html(answer))
    assert _entry(app, opened.fire_dwk.code, "fire").reported_status == "in_progress"


@pytest.mark.parametrize("who", ["tax", "court", "hn", "pl"])
def test_an_entry_outside_ones_scope_is_404(app, client, opened, who):
    login(client, getattr(opened, who).username)
    entry = _entry(app, opened.fire_dwk.code, "fire")
    assert client.get(f"/dispatch/{MONTH}/entries/{entry.id}").status_code == 404
    token = csrf_token(_html(client.get("/dispatch")))
    posted = client.post(
        f"/dispatch/{MONTH}/entries/{entry.id}",
        data={"csrf_token": token, "progress": "越权填报", "version": "1"},
    )
    assert posted.status_code == 404
    assert _entry(app, opened.fire_dwk.code, "fire").reported_at is None


def test_a_leader_reads_an_entry_but_may_not_post(app, client, opened):
    login(client, opened.leader.username)
    entry = _entry(app, opened.fire_dwk.code, "fire")
    page = client.get(f"/dispatch/{MONTH}/entries/{entry.id}")
    assert page.status_code == 200 and "保存填报" not in _html(page)
    token = csrf_token(_html(page))
    posted = client.post(
        f"/dispatch/{MONTH}/entries/{entry.id}",
        data={"csrf_token": token, "progress": "领导代填", "version": "1"},
    )
    assert posted.status_code == 403


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"time_limit": "2026-11-01"}, "time_limit", "完成时限不能早于今天。"),
        ({"progress": "长" * 2001}, "progress", "本月进展不能超过 2000 个字。"),
        ({"next_step": "长" * 2001}, "next_step", "下一步措施不能超过 2000 个字。"),
        ({"escalate": "y", "blocker": ""}, "blocker", "申请提级督办须写明堵点。"),
        ({"action": "close"}, "action", "不能执行「审核销号」"),
    ],
)
def test_a_bad_report_shows_a_chinese_message_and_writes_nothing(
    app, client, opened, data, field, message
):
    login(client, opened.housing.username)
    before = row_counts(app)
    answer = _fill(client, app, opened.fire_dwk.code, "fire", data)
    html = _html(answer)
    assert answer.status_code == 200
    assert any(message in f for f in flashes(html)), flashes(html)
    if field != "action":
        assert any(message in e for e in field_errors(html, field))
    assert row_counts(app) == before


def test_a_stale_form_shows_what_changed_with_409(app, client, opened):
    login(client, opened.housing.username)
    entry = _entry(app, opened.fire_dwk.code, "fire")
    page = _html(client.get(f"/dispatch/{MONTH}/entries/{entry.id}"))
    token = csrf_token(page)
    _fill(client, app, opened.fire_dwk.code, "fire", {"progress": "先保存的进展"})
    late = client.post(
        f"/dispatch/{MONTH}/entries/{entry.id}",
        data={"csrf_token": token, "version": "1", "defect_version": "1", "progress": "后到的进展"},
    )
    html = _html(late)
    assert late.status_code == 409
    assert "该条目已被他人修改" in html and "先保存的进展" in html and "后到的进展" in html
    assert _entry(app, opened.fire_dwk.code, "fire").progress == "先保存的进展"


# ---------------------------------------------------------------- closing, printing, Excel


def test_closing_freezes_the_entries_against_the_form(app, client, opened):
    login(client, opened.housing.username)
    _fill(client, app, opened.fire_dwk.code, "fire")
    entry = _entry(app, opened.fire_dwk.code, "fire")

    cw = opened.cw
    with client.session_transaction() as session:
        session.clear()
    login(client, cw.username)
    page = _html(client.get(f"/dispatch/{MONTH}"))
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    closed = client.post(
        f"/dispatch/{MONTH}/close",
        data={"csrf_token": csrf_token(page), "version": version},
        follow_redirects=True,
    )
    assert f"{MONTH} 的调度已关闭，填报内容已冻结。" in flashes(_html(closed))
    assert "关闭本轮调度" not in _html(closed)

    with client.session_transaction() as session:
        session.clear()
    login(client, opened.housing.username)
    frozen_page = _html(client.get(f"/dispatch/{MONTH}/entries/{entry.id}"))
    assert "保存填报" not in frozen_page and "填报内容已冻结" in frozen_page
    before = row_counts(app)
    posted = client.post(
        f"/dispatch/{MONTH}/entries/{entry.id}",
        data={
            "csrf_token": csrf_token(frozen_page),
            "version": "2",
            "progress": "关闭后再改",
        },
        follow_redirects=True,
    )
    assert any("已关闭，填报内容已冻结" in f for f in flashes(_html(posted)))
    assert "保存填报" not in _html(posted)
    assert row_counts(app) == before
    assert _entry(app, opened.fire_dwk.code, "fire").progress == "已完成现场核查"


def test_the_excel_download_has_one_row_per_entry_and_neutralises_formulas(app, client, opened):
    login(client, opened.housing.username)
    _fill(client, app, opened.fire_dwk.code, "fire", {"progress": '=HYPERLINK("http://x","点")'})
    with client.session_transaction() as session:
        session.clear()
    login(client, opened.cw.username)
    answer = client.get(f"/dispatch/{MONTH}/export.xlsx")
    assert answer.status_code == 200
    assert answer.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in answer.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(answer.data))
    sheet = book["调度表"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:6] == ("序号", "项目编号", "项目名称", "县区", "问题类型", "牵头部门")
    assert "本月进展" in rows[0] and "提级督办" in rows[0]
    assert len(rows) == 1 + 3
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["C"].width == 24
    progress = rows[0].index("本月进展")
    filled = next(r for r in rows[1:] if r[1] == opened.fire_dwk.code)
    assert filled[progress] == "'" + '=HYPERLINK("http://x","点")'
    cell = next(c for c in sheet.iter_rows(min_row=2) if c[1].value == opened.fire_dwk.code)
    assert cell[progress].data_type == "s"
    assert {r[rows[0].index("是否报送")] for r in rows[1:]} == {"已报送", "未报送"}
    assert "汇总" in book.sheetnames
    assert any(r[0] == "县区排名" for r in book["汇总"].iter_rows(values_only=True))


def test_a_department_downloads_only_its_own_entries(client, opened):
    login(client, opened.housing.username)
    book = load_workbook(io.BytesIO(client.get(f"/dispatch/{MONTH}/export.xlsx").data))
    rows = list(book["调度表"].iter_rows(values_only=True))
    assert [r[1] for r in rows[1:]] == [opened.fire_dwk.code]
    assert not any(r[0] == "县区排名" for r in book["汇总"].iter_rows(values_only=True))


def test_the_print_page_renders_the_table_without_navigation(client, opened):
    login(client, opened.dwk.username)
    answer = client.get(f"/dispatch/{MONTH}/print")
    html = _html(answer)
    assert answer.status_code == 200
    assert "每月调度表" in html and "print-table" in html
    assert "mainnav" not in html and "退出" not in html
    assert opened.fire_dwk.code in html and opened.arrears_hn.code not in html
    assert "@page" not in html  # print styles come from the stylesheet, not inline (CSP)
    assert "js/dispatch-print.js" in html


def test_the_round_page_shows_a_department_its_own_entries_only(client, opened):
    login(client, opened.tax.username)
    html = _html(client.get(f"/dispatch/{MONTH}"))
    assert opened.deed_tax_pl.code in html
    assert opened.fire_dwk.code not in html and opened.arrears_hn.code not in html
    assert "推进排名" not in html  # the ranking is for the caseworker and leaders


def test_the_round_page_filters_its_entries(client, opened):
    login(client, opened.cw.username)
    html = _html(client.get(f"/dispatch/{MONTH}?district=hn"))
    assert "共 1 条" in html and opened.arrears_hn.code in html
    html = _html(client.get(f"/dispatch/{MONTH}?reported=1"))
    assert "共 0 条" in html
    html = _html(client.get(f"/dispatch/{MONTH}?lead=nowhere"))
    assert any("未知的牵头部门" in f for f in flashes(html))


# ---------------------------------------------------------------- speed


def _count(app, client, url: str) -> QueryCounter:
    client.get(url)
    with QueryCounter(app) as counter:
        answer = client.get(url)
    assert answer.status_code == 200, _html(answer)
    return counter


def test_round_pages_cost_the_same_queries_for_few_and_many_entries(app, client, factory, world):
    from sqlalchemy import delete

    from app.services import dispatch
    from tests.dispatch_support import report, user_of

    login(client, world.cw.username)
    with app.app_context():
        october = open_round(world.cw, "2026-10")  # a previous round, for "slipped"
        dispatch.close_round(user_of(world.cw), "2026-10", october.version)
        db.session.remove()
    urls = [f"/dispatch/{MONTH}", f"/dispatch/{MONTH}/print", f"/dispatch/{MONTH}/export.xlsx"]

    def measure() -> list[QueryCounter]:
        with app.app_context():
            november = select(DispatchRound.id).where(DispatchRound.month == MONTH)
            db.session.execute(delete(DispatchEntry).where(DispatchEntry.round_id.in_(november)))
            db.session.execute(delete(DispatchRound).where(DispatchRound.month == MONTH))
            db.session.commit()
            open_round(world.cw)
            # Every entry reported, so the reporters' names load too.
            for entry in db.session.scalars(
                select(DispatchEntry).join(DispatchRound).where(DispatchRound.month == MONTH)
            ).all():
                dispatch.save_entry(user_of(world.cw), MONTH, entry.id, report(), 1, TODAY)
            db.session.remove()
        return [_count(app, client, url) for url in [*urls, "/dispatch"]]

    small = measure()
    for i in range(9):
        district = ("dwk", "hn", "pl")[i % 3]
        factory.project(district=district, facts=FIRE_WINDOW_FACTS, actor=world.cw)
    large = measure()
    for few, many in zip(small, large, strict=True):
        assert few.count == many.count, f"{few.report()}\n---\n{many.report()}"
    assert large[0].count <= 11, large[0].report()
