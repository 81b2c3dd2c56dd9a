"""JSON API under /api/v1 (contract.md)."""

from flask import Blueprint

bp = Blueprint("api", __name__)

from app.api import geo, views  # noqa: E402,F401  (routes register on import)
