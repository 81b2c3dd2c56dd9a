"""The auditor's pages: search and export the audit (/audit)."""

from flask import Blueprint

bp = Blueprint("audit_log", __name__)

from app.audit_log import views  # noqa: E402,F401  (routes register on import)
