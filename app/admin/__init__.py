"""Account administration pages for the 系统管理员 (/admin/users)."""

from flask import Blueprint

bp = Blueprint("admin", __name__)

from app.admin import views  # noqa: E402,F401  (routes register on import)
