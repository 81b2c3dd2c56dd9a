"""A month of 每月调度 in a real browser: a caseworker opens the round, the lead department
fills its entry with a lifecycle step, the caseworker closes the round, prints the table and
downloads the Excel — with no console error (the CSP allows no inline script)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from openpyxl import load_workbook

from app.clock import today
from app.extensions import db
from tests.dispatch_support import DEED_TAX_FACTS, act, defect_id
from tests.factories import FIRE_WINDOW_FACTS, PASSWORD

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _page(browser, base: str, username: str, problems: list[str], failed: list[str]):
    context = browser.new_context(
        viewport={"width": 1300, "height": 900}, locale="zh-CN", accept_downloads=True
    )
    page = context.new_page()
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    # The browser's own favicon probe is the only failed request accepted.
    page.on(
        "response",
        lambda r: (
            failed.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico")
            else None
        ),
    )
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    return page


def test_a_month_of_dispatch_runs_in_the_browser(live_server, browser, tmp_path):
    live = live_server
    cw = live.factory.user("caseworker", username="dispatch-cw")
    live.factory.user("department", username="dispatch-housing", department="housing")
    fire = live.factory.project(district="dwk", facts=FIRE_WINDOW_FACTS, actor=cw)
    live.factory.project(district="pl", facts=DEED_TAX_FACTS, actor=cw)  # led by 税务局
    with live.app.app_context():
        # 交办 first, so the department can 开始办理 with its report.
        act(cw, defect_id(fire.code, "fire"), "assign", {"deadline": dt.date(2099, 12, 31)})
        db.session.remove()
    month = f"{today():%Y-%m}"
    problems: list[str] = []
    failed: list[str] = []

    page = _page(browser, live.url, cw.username, problems, failed)
    page.click("nav.mainnav >> text=每月调度")
    assert page.input_value("input[name=month]") == month
    page.click("button:has-text('开启调度')")
    page.wait_for_load_state("networkidle")
    assert f"已开启 {month} 的每月调度，共 2 条待填报。" in page.inner_text(".flashes")

    housing = _page(browser, live.url, "dispatch-housing", problems, failed)
    housing.goto(f"{live.url}/dispatch/{month}")
    assert "共 1 条" in housing.inner_text("#entries")
    housing.click("#entries a:has-text('填报')")
    housing.fill("textarea[name=progress]", "已委托第三方开展消防安全评估")
    housing.fill("textarea[name=next_step]", "完成消防设施整改")
    housing.fill("input[name=time_limit]", (today() + dt.timedelta(days=30)).isoformat())
    housing.select_option("select[name=action]", "start")
    housing.click("button:has-text('保存填报')")
    housing.wait_for_load_state("networkidle")
    assert "调度填报已保存。" in housing.inner_text(".flashes")

    page.goto(f"{live.url}/dispatch/{month}")
    assert "已委托第三方开展消防安全评估" in page.inner_text("#entries")
    page.click("button:has-text('关闭本轮调度')")
    page.wait_for_load_state("networkidle")
    assert f"{month} 的调度已关闭，填报内容已冻结。" in page.inner_text(".flashes")

    with page.expect_download() as download:
        page.click("text=导出 Excel")
    target = tmp_path / "round.xlsx"
    download.value.save_as(target)
    rows = list(load_workbook(target)["调度表"].iter_rows(values_only=True))
    assert len(rows) == 3 and rows[0][1] == "项目编号"
    assert any(r[1] == fire.code and r[10] == "已委托第三方开展消防安全评估" for r in rows)

    with page.context.expect_page() as opened:
        page.click("text=打印调度表")
    sheet = opened.value
    sheet.wait_for_load_state("networkidle")
    assert sheet.locator("nav.mainnav").count() == 0
    assert sheet.locator(".print-table tbody tr").count() == 2
    ARTIFACTS.mkdir(exist_ok=True)
    sheet.screenshot(path=str(ARTIFACTS / "dispatch-print.png"), full_page=True)
    assert failed == []
    # A console line for a failed request is only accepted for the favicon (not in `failed`).
    assert [p for p in problems if "404" not in p] == [], problems
