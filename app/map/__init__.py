"""The map: web map page, static maps for print, geometry import and GIS exports."""

from flask import Blueprint

bp = Blueprint("map", __name__, url_prefix="/map")

from app.map import cli, views  # noqa: E402,F401  (routes and commands register on import)
