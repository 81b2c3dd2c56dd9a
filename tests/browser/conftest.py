"""A live server for the browser tests: the real app, its own migrated database, a free port."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from tests.factories import Factory

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@dataclass(frozen=True)
class LiveServer:
    """The running server: its base URL, its app (for seeding) and a factory bound to it."""

    url: str
    app: Flask
    factory: Factory


@pytest.fixture(scope="session")
def live_server(database_url: str, app: Flask) -> Iterator[LiveServer]:
    """create_app on the session's test database, served by werkzeug in a thread.

    Depends on the session `app` only so that the schema exists (it ran the migrations) and the
    per-test table cleanup covers what browser tests write; the live app has no SERVER_NAME, so
    it answers on 127.0.0.1:PORT like a real deployment.
    """
    from flask_migrate import upgrade

    from app import create_app

    live = create_app(
        {
            "TESTING": False,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "browser-test-secret",
            "WTF_CSRF_ENABLED": True,
        }
    )
    with live.app_context():
        upgrade()  # already at head: a no-op that proves the migrations are the schema
    server: BaseWSGIServer = make_server("127.0.0.1", 0, live, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(f"http://127.0.0.1:{server.server_port}", live, Factory(live))
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        from app.extensions import db

        with live.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's headless Chromium driven by Playwright (never a downloaded browser)."""
    if os.environ.get("SKIP_BROWSER") == "1":
        pytest.skip("SKIP_BROWSER=1: Chromium is not available on this machine")
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing; run scripts/ensure-chromium.sh")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield instance
        finally:
            instance.close()
