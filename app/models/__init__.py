"""Database models, one module per feature; the schema itself comes only from `migrations/`."""

from app.models.core import (
    ROLES,
    ApiToken,
    AuditEvent,
    Defect,
    Department,
    District,
    JSONType,
    Project,
    User,
    UTCDateTime,
    defect_cooperation,
    utcnow,
)

__all__ = [
    "ROLES",
    "ApiToken",
    "AuditEvent",
    "Defect",
    "Department",
    "District",
    "JSONType",
    "Project",
    "UTCDateTime",
    "User",
    "defect_cooperation",
    "utcnow",
]
