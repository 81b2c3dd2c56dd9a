"""工作看板 and the written reports: dashboard, quarterly report, 调度通报, report wording."""

from flask import Blueprint

bp = Blueprint("reports", __name__, cli_group="report")

from app.reports import cli, views  # noqa: E402,F401  (routes and commands register on import)
