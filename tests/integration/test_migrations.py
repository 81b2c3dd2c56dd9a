"""Alembic: one head, a fresh database goes up, down and up again, and matches the models."""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from app import PROJECT_ROOT, create_app
from app.extensions import db
from cases.taxonomy import DEPARTMENTS, DISTRICTS
from tests.conftest import _postgres_database

MIGRATIONS = PROJECT_ROOT / "migrations"
ON_POSTGRES = bool(os.environ.get("TEST_DATABASE_URL"))


def _scripts() -> ScriptDirectory:
    config = Config(str(MIGRATIONS / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config)


def test_there_is_exactly_one_head():
    heads = _scripts().get_heads()
    assert len(heads) == 1, f"several Alembic heads: {heads}"


def test_revisions_form_one_line_from_base_to_head():
    revisions = list(_scripts().walk_revisions())
    assert [r for r in revisions if r.down_revision is None] == [revisions[-1]]
    for newer, older in itertools.pairwise(revisions):
        assert newer.down_revision == older.revision


def test_revisions_have_readable_ids_and_docstrings():
    for revision in _scripts().walk_revisions():
        assert re.fullmatch(r"\d{4}_[a-z0-9_]+", revision.revision), revision.revision
        assert revision.doc and revision.doc.strip(), revision.revision


@pytest.fixture()
def fresh_url(tmp_path: Path) -> Iterator[str]:
    """A database nobody has touched: a new SQLite file, or a new PostgreSQL database."""
    admin_url = os.environ.get("TEST_DATABASE_URL")
    if admin_url:
        yield from _postgres_database(admin_url)
    else:
        yield f"sqlite:///{tmp_path / 'fresh.db'}"


@pytest.fixture()
def fresh_app(fresh_url: str, tmp_path: Path) -> Iterator[Flask]:
    application = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": fresh_url,
            "SECRET_KEY": "migration-test",
            "ATTACHMENT_DIR": str(tmp_path / "attachments"),
        }
    )
    with application.app_context():
        yield application
        db.session.remove()
        db.engine.dispose()


def _tables() -> set[str]:
    return set(inspect(db.engine).get_table_names()) - {"alembic_version", "sqlite_sequence"}


def _reference_rows() -> tuple[list[tuple], list[tuple]]:
    with db.engine.connect() as conn:
        districts = conn.execute(text("SELECT code, name, adcode FROM districts ORDER BY code"))
        departments = conn.execute(text("SELECT code, name FROM departments ORDER BY code"))
        return [tuple(r) for r in districts], [tuple(r) for r in departments]


def _schema_differences() -> list:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "render_as_batch": True}
        )
        return compare_metadata(context, db.metadata)


def test_fresh_database_upgrades_downgrades_and_upgrades_again(fresh_app):
    upgrade()
    model_tables = {t.name for t in db.metadata.sorted_tables}
    assert _tables() == model_tables
    downgrade(revision="base")
    assert _tables() == set()
    upgrade()
    assert _tables() == model_tables
    districts, departments = _reference_rows()
    assert len(districts) == 3 and len(departments) == 10


def test_migrations_insert_the_reference_rows_of_the_contract(fresh_app):
    upgrade()
    districts, departments = _reference_rows()
    assert districts == sorted((d.code, d.name, d.adcode) for d in DISTRICTS.values())
    assert departments == sorted((d.code, d.name) for d in DEPARTMENTS.values())


def test_migrated_schema_matches_the_models(fresh_app):
    upgrade()
    differences = _schema_differences()
    assert differences == [], "\n".join(str(d) for d in differences)


def test_migrated_schema_matches_the_models_after_a_round_trip(fresh_app):
    upgrade()
    downgrade(revision="base")
    upgrade()
    differences = _schema_differences()
    assert differences == [], "\n".join(str(d) for d in differences)


@pytest.mark.skipif(ON_POSTGRES, reason="PostgreSQL always enforces foreign keys")
def test_sqlite_still_enforces_foreign_keys_after_an_in_process_upgrade(fresh_app):
    upgrade()
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
