"""Project registry pages: list, detail, create, edit, path override."""

from flask import Blueprint

bp = Blueprint("projects", __name__)

from app.projects import views  # noqa: E402,F401  (routes register on import)
