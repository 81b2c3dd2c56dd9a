"""The audit trail, written in the same transaction as the change it describes."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request

from app.extensions import db
from app.models import AuditEvent, User


def record(
    actor: User | None,
    action: str,
    entity_type: str,
    entity_id: str,
    *,
    project_id: int | None = None,
    changes: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit row to the current session; the caller's commit makes it durable."""
    event = AuditEvent(
        actor_id=actor.id if actor is not None else None,
        actor_name=actor.username if actor is not None else "system",
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        project_id=project_id,
        changes=changes or {},
        remote_addr=request.remote_addr if has_request_context() else None,
    )
    db.session.add(event)
    return event


def project_timeline(project_id: int, limit: int = 100) -> list[AuditEvent]:
    """The audit rows of one project, newest first (the project page's timeline)."""
    from sqlalchemy import select

    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.project_id == project_id)
            .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
            .limit(limit)
        )
    )
