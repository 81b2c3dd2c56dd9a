"""Shared fixtures: an app on SQLite or PostgreSQL (TEST_DATABASE_URL), migrated by Alembic."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import make_url

from tests.factories import Factory, FrozenClock

# Reference rows inserted by the migrations; every other table is emptied after each test.
REFERENCE_TABLES = frozenset({"districts", "departments", "alembic_version"})


def _postgres_database(admin_url: str) -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped afterwards."""
    name = f"szs_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """SQLite in a temp dir by default; PostgreSQL when TEST_DATABASE_URL is set."""
    admin_url = os.environ.get("TEST_DATABASE_URL")
    if admin_url:
        yield from _postgres_database(admin_url)
    else:
        path: Path = tmp_path_factory.mktemp("db") / "test.db"
        yield f"sqlite:///{path}"


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """One application for the session, its schema built by the migrations only."""
    from flask_migrate import upgrade

    from app import create_app

    application = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "test-secret-key",
            "WTF_CSRF_ENABLED": True,
            "SERVER_NAME": "localhost",
            "ATTACHMENT_DIR": str(tmp_path_factory.mktemp("attachments")),
            # Every test client shares 127.0.0.1; tests/functional/test_login_security.py sets a
            # low limit itself to prove the limiter works.
            "LOGIN_RATE_LIMIT": "1000 per minute",
        }
    )
    with application.app_context():
        upgrade()
    yield application
    from app.extensions import db

    with application.app_context():
        db.engine.dispose()


@contextmanager
def _audit_triggers_suspended(conn: Connection) -> Iterator[None]:
    """Let the test cleanup empty the append-only audit table (the app never can)."""
    if conn.dialect.name == "postgresql":
        # Superuser-only: replica mode skips ordinary triggers for this transaction.
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        yield
        return
    saved = (
        conn.execute(
            text(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_events'"
            )
        )
        .scalars()
        .all()
    )
    for name in conn.execute(
        text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_events'")
    ).scalars():
        conn.execute(text(f'DROP TRIGGER "{name}"'))
    yield
    for statement in saved:
        conn.execute(text(statement))


@pytest.fixture(autouse=True)
def _clean_tables(request: pytest.FixtureRequest) -> Iterator[None]:
    """Empty the data tables after each test that used the database."""
    yield
    if "app" not in request.fixturenames:
        return
    flask_app: Flask = request.getfixturevalue("app")
    from app.extensions import db

    with flask_app.app_context():
        db.session.remove()
        with db.engine.begin() as conn, _audit_triggers_suspended(conn):
            for table in reversed(db.metadata.sorted_tables):
                if table.name not in REFERENCE_TABLES:
                    conn.execute(table.delete())


@pytest.fixture()
def app_ctx(app: Flask) -> Iterator[Flask]:
    """An application context for service-level tests."""
    with app.app_context():
        yield app
        from app.extensions import db

        db.session.remove()


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    """A test client with CSRF protection on."""
    return app.test_client()


@pytest.fixture()
def factory(app: Flask) -> Factory:
    """Builds users, tokens and projects through the real services."""
    return Factory(app)


@pytest.fixture()
def clock(monkeypatch: pytest.MonkeyPatch) -> FrozenClock:
    """Freeze `app.clock.now` (and so `utcnow`, `today`) at the real now; `.advance()` moves it."""
    import app.clock

    frozen = FrozenClock()
    monkeypatch.setattr(app.clock, "now", frozen.now)
    return frozen
