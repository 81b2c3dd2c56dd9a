"""每月调度 pages: rounds, the round page, filling an entry, the printed table, the Excel."""

from flask import Blueprint

bp = Blueprint("dispatch", __name__)

from app.dispatch import views  # noqa: E402,F401  (routes register on import)
