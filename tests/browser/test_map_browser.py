"""The map in a real browser: districts drawn with no tiles, markers, a filter, a screenshot."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tests.factories import FIRE_WINDOW_FACTS, PASSWORD, POINTS

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _seed(live) -> dict[str, list[str]]:
    """Projects scattered around each district's urban core, some with open defects."""
    caseworker = live.factory.user("caseworker", username="browsercw")
    rng = random.Random(5)
    codes: dict[str, list[str]] = {"dwk": [], "hn": [], "pl": []}
    for district, count in (("dwk", 6), ("hn", 4), ("pl", 3)):
        lon, lat = POINTS[district]
        for i in range(count):
            rec = live.factory.project(
                district=district,
                actor=caseworker,
                facts=FIRE_WINDOW_FACTS if i % 2 == 0 else None,
                # West of the test point: 惠农区's lies close to the Yellow River border.
                lon=round(lon + rng.uniform(-0.012, 0.0), 5),
                lat=round(lat + rng.uniform(-0.006, 0.006), 5),
                total_households=rng.randint(40, 1500),
            )
            codes[district].append(rec.code)
    from app.demo.outlines import attach_demo_outlines

    with live.app.app_context():
        attach_demo_outlines(per_district=1)  # an illustrative 红线 for the first of each
    return codes


def _log_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def _wait_ready(page) -> None:
    page.wait_for_function(
        "() => document.getElementById('map').dataset.state === 'ready'", timeout=15_000
    )


def test_map_draws_districts_and_markers_and_filters(app, live_server, browser):
    codes = _seed(live_server)
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    problems: list[str] = []
    # Console errors (CSP violations included) and failed requests; the browser's own
    # favicon probe is the only 404 we accept.
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    failed: list[str] = []
    page.on(
        "response",
        lambda r: (
            failed.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico")
            else None
        ),
    )
    external: list[str] = []
    page.on(
        "request",
        lambda r: external.append(r.url) if not r.url.startswith(live_server.url) else None,
    )
    try:
        _log_in(page, live_server.url, "browsercw")
        page.click("nav >> text=地图")
        _wait_ready(page)

        # The district base layer: three boundaries drawn as SVG paths, with no tile layer.
        assert page.locator("path.district-shape").count() == 3
        assert page.locator(".leaflet-tile").count() == 0
        total = sum(len(v) for v in codes.values())
        assert page.locator("#map").get_attribute("data-markers") == str(total)
        drawn = (
            page.locator(".marker-cluster").count() + page.locator("path.project-marker").count()
        )
        assert drawn > 0
        assert page.locator(".choropleth-legend").count() == 1
        assert f"地图已加载 {total} 个项目" in page.locator("#map-status").inner_text()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "map-overview.png"), full_page=True)

        # Filter to 惠农区: only its markers remain, the URL keeps the filter.
        page.select_option("select[name=district]", "hn")
        page.click("#map-filters button[type=submit]")
        page.wait_for_function(
            f"() => document.getElementById('map').dataset.markers === '{len(codes['hn'])}'"
            " && document.getElementById('map').dataset.state === 'ready'",
            timeout=15_000,
        )
        assert "district=hn" in page.url
        # The map zooms to what the filter found, close enough to draw the project outline.
        page.locator("path.project-outline").first.wait_for(timeout=10_000)
        status = page.locator("#map-status").inner_text()
        assert f"地图已加载 {len(codes['hn'])} 个项目" in status

        # Zooming in splits the clusters into markers; a popup links to the project.
        for _ in range(4):
            if page.locator("path.project-marker").count() >= len(codes["hn"]):
                break
            page.locator(".leaflet-control-zoom-in").click()
            page.wait_for_timeout(600)
        marker = page.locator("path.project-marker").first
        marker.wait_for(timeout=10_000)
        marker.click()
        link = page.locator(".map-popup a")
        link.wait_for(timeout=5_000)
        assert link.get_attribute("href").split("/")[-1] in codes["hn"]
        page.wait_for_timeout(400)  # the popup's fade-in, for the screenshot
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "map-filtered-hn.png"), full_page=True)
        assert failed == [], failed
        assert [p for p in problems if "404" not in p or failed] == [], problems
        assert external == [], external  # no CDN, no tiles: everything from our server
    finally:
        context.close()


def test_map_for_a_district_user_shows_only_its_projects(app, live_server, browser):
    codes = _seed(live_server)
    live_server.factory.user("district", district="pl", username="browserpl")
    context = browser.new_context(viewport={"width": 1200, "height": 900}, locale="zh-CN")
    page = context.new_page()
    try:
        _log_in(page, live_server.url, "browserpl")
        page.goto(f"{live_server.url}/map")
        _wait_ready(page)
        assert page.locator("#map").get_attribute("data-markers") == str(len(codes["pl"]))
        assert page.locator("path.district-shape").count() == 3
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "map-district-user.png"))
    finally:
        context.close()
