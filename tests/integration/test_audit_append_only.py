"""The audit table is append-only at the database itself (附件3 四(二) 留痕; issue: triggers)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.extensions import db
from app.services import audit


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_events SET action = 'tampered'", "DELETE FROM audit_events"],
)
def test_the_database_refuses_to_change_or_delete_audit_rows(app_ctx, statement):
    audit.record(None, "test.event", "test", "1", changes={"a": 1})
    db.session.commit()
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(text(statement))
        db.session.flush()
    db.session.rollback()
    assert db.session.execute(text("SELECT action FROM audit_events")).scalars().all() == [
        "test.event"
    ]


def test_audit_rows_are_written_in_the_same_transaction_as_the_change(app_ctx):
    audit.record(None, "test.rolled_back", "test", "2")
    db.session.rollback()
    assert db.session.execute(text("SELECT count(*) FROM audit_events")).scalar() == 0
