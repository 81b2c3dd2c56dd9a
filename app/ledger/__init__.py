"""台账导入导出: the Excel ledger out (scoped, filtered) and back in (preview, confirm)."""

from flask import Blueprint

bp = Blueprint("ledger", __name__)

from app.ledger import views  # noqa: E402,F401  (routes register on import)
