"""Security headers on every response, no inline script or style, error pages that leak nothing."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from app import create_app
from app.security import content_security_policy
from tests.factories import login
from tests.functional.security_world import ID_NUMBER, ROLES, build_world, rule_methods, send

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
EXPECTED = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def _assert_hardened(answer, where: str) -> None:
    csp = answer.headers.get("Content-Security-Policy", "")
    for directive in (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "form-action 'self'",
    ):
        assert directive in csp, (where, directive)
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, where
    for name, value in EXPECTED.items():
        assert answer.headers.get(name) == value, (where, name)
    assert "Strict-Transport-Security" not in answer.headers, where  # plain HTTP


def test_every_route_answers_with_the_security_headers(app, factory):
    world = build_world(app, factory)
    for rule in app.url_map.iter_rules():
        for method in rule_methods(rule):
            for role in ("anonymous", "caseworker", "auditor"):
                answer = send(world, role, method, rule, "own")
                _assert_hardened(answer, f"{method} {rule.rule} as {role}")
                if rule.endpoint != "static":
                    assert "no-store" in answer.headers.get("Cache-Control", ""), rule.rule
    assert set(ROLES) >= {"anonymous", "caseworker", "auditor"}


def test_error_pages_and_api_errors_carry_the_headers_too(client):
    for path in ("/no-such-page", "/api/v1/no-such", "/api/v1/projects", "/login"):
        _assert_hardened(client.get(path), path)
    _assert_hardened(client.post("/login", data={}), "csrf refusal")


def test_hsts_only_over_https(client):
    answer = client.get("/login", base_url="https://localhost")
    assert answer.headers["Strict-Transport-Security"].startswith("max-age=")
    assert "Strict-Transport-Security" not in client.get("/login").headers


def test_the_csp_admits_the_configured_map_tile_servers_only():
    plain = content_security_policy({})
    assert "img-src 'self' data:;" in plain + ";"
    tiles = content_security_policy(
        {
            "MAP_TILE_URL": "https://t{s}.tianditu.gov.cn/vec_w/wmts?x={x}&y={y}",
            "MAP_TILE_LABELS_URL": "http://tiles.example.gov.cn:8080/{z}/{x}/{y}.png",
        }
    )
    assert "https://*.tianditu.gov.cn" in tiles
    assert "http://tiles.example.gov.cn:8080" in tiles
    assert "script-src 'self';" in tiles


def test_the_map_tile_host_reaches_the_response_header(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "MAP_TILE_URL", "https://tiles.example.gov.cn/{z}/{x}/{y}.png")
    assert "https://tiles.example.gov.cn" in client.get("/login").headers["Content-Security-Policy"]


def test_templates_have_no_inline_script_style_or_event_handler():
    offences = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        if re.search(r"\sstyle\s*=", text):
            offences.append(f"{path.name}: style attribute")
        if re.search(r"<style[\s>]", text):
            offences.append(f"{path.name}: <style> element")
        if re.search(r"<script(?![^>]*\ssrc=)[^>]*>", text):
            offences.append(f"{path.name}: inline <script>")
        if re.search(r"\son[a-z]+\s*=", text):
            offences.append(f"{path.name}: inline event handler")
        if "javascript:" in text:
            offences.append(f"{path.name}: javascript: URL")
    assert not offences, offences


def test_an_internal_error_shows_a_generic_page_and_logs_no_personal_data(app, factory, caplog):
    crashing = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "SECRET_KEY": "test-secret-key",
            "SERVER_NAME": "localhost",
        }
    )

    @crashing.get("/boom")
    def boom() -> str:
        raise RuntimeError(f"secret detail: citizen {ID_NUMBER}")

    @crashing.get("/api/v1/boom")
    def api_boom() -> str:
        raise RuntimeError(f"secret detail: citizen {ID_NUMBER}")

    client = crashing.test_client()
    with caplog.at_level(logging.ERROR):
        page = client.get("/boom")
        api = client.get("/api/v1/boom")
    assert page.status_code == 500 and api.status_code == 500
    for answer in (page, api):
        body = answer.get_data(as_text=True)
        shown = answer.get_json()["message"] if answer.is_json else body
        assert "系统内部错误" in shown
        for leak in ("Traceback", "RuntimeError", "secret detail", ID_NUMBER, "boom.py"):
            assert leak not in body
        _assert_hardened(answer, "500")
    assert caplog.records, "the error is still logged for the operators"
    logged = caplog.text + "".join(r.exc_text or "" for r in caplog.records)
    assert "RuntimeError" in logged
    assert ID_NUMBER not in logged
    assert "640202********1234" in logged
    with crashing.app_context():
        from app.extensions import db

        db.session.remove()


@pytest.mark.parametrize("path", ["/projects", "/account"])
def test_pages_served_to_a_signed_in_user_are_not_cached(client, factory, path):
    factory.user("caseworker", username=f"nocache{len(path)}")
    login(client, f"nocache{len(path)}")
    assert "no-store" in client.get(path).headers["Cache-Control"]
