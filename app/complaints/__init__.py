"""群众诉求 pages: record, list, export, link, answer, attach, reveal (附件3 三(一)8)."""

from flask import Blueprint

bp = Blueprint("complaints", __name__)

from app.complaints import views  # noqa: E402,F401  (routes register on import)
