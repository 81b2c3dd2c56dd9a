"""工作办理提示建议单 pages: issue, list, print, reply (附件3 三(一)8)."""

from flask import Blueprint

bp = Blueprint("prompts", __name__)

from app.prompts import views  # noqa: E402,F401  (routes register on import)
