"""Revealing personal data in full: a `pii.reveal` holder only, and every reveal audited.

Pages, exports and logs show personal data masked (`app.privacy`, the `mask_*` template
filters, the log record factory of `app.security`). A record type that stores citizens'
personal data (complaints now, owners later) shows it in full only after calling `reveal`,
one record at a time, from a POST (the reveal writes the audit, so it is a state change).
Which roles hold `pii.reveal` is decided in `app.scoping` (the 自然资源局 caseworker).
"""

from __future__ import annotations

from collections.abc import Iterable

from app.extensions import db
from app.models import User
from app.scoping import can
from app.services import audit
from app.services.errors import Forbidden


def may_reveal(user: User | None) -> bool:
    """True when the user's role may see personal data unmasked."""
    return can(user, "pii.reveal")


def reveal(
    user: User,
    entity_type: str,
    entity_id: str,
    fields: Iterable[str],
    *,
    project_id: int | None = None,
) -> None:
    """Refuse without `pii.reveal`; otherwise audit which fields of which record were shown.

    The audit row names the fields, never their values. It is committed at once, so a page
    that then shows the data cannot do so unaudited.
    """
    if not may_reveal(user):
        raise Forbidden("您没有查看个人信息明文的权限。")
    audit.record(
        user,
        "pii.reveal",
        entity_type,
        entity_id,
        project_id=project_id,
        changes={"fields": sorted(set(fields))},
    )
    db.session.commit()
