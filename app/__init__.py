"""The Flask application: `create_app` wires config, extensions, blueprints, CLI and errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from app.config import load_config
from app.extensions import csrf, db, login_manager, migrate

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build an application; `config` overrides environment settings (tests use it)."""
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        instance_path=str(PROJECT_ROOT / "instance"),
    )
    app.config.update(load_config(Path(app.instance_path), config))
    register_extensions(app)
    register_blueprints(app)
    register_template_helpers(app)
    register_error_handlers(app)
    register_cli(app)
    return app


def register_extensions(app: Flask) -> None:
    """Bind the unbound extensions of `app.extensions` to this app."""
    db.init_app(app)
    # render_as_batch lets ALTER TABLE migrations run on SQLite too.
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "请先登录。"
    login_manager.login_message_category = "warning"
    login_manager.session_protection = "strong"

    from app.auth import services as auth_services

    login_manager.user_loader(auth_services.load_user)
    login_manager.request_loader(auth_services.load_user_from_request)

    from app import security

    security.init_app(app)  # headers, rate limit, session gates, refusal audit, log masking


def register_blueprints(app: Flask) -> None:
    """Mount one blueprint per feature."""
    from app.admin import bp as admin_bp
    from app.api import bp as api_bp
    from app.audit_log import bp as audit_log_bp
    from app.auth import bp as auth_bp
    from app.complaints import bp as complaints_bp
    from app.dispatch import bp as dispatch_bp
    from app.ledger import bp as ledger_bp
    from app.map import bp as map_bp
    from app.projects import bp as projects_bp
    from app.prompts import bp as prompts_bp
    from app.reports import bp as reports_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(audit_log_bp)
    app.register_blueprint(projects_bp)
    app.register_blueprint(dispatch_bp)
    app.register_blueprint(map_bp)
    app.register_blueprint(complaints_bp)
    app.register_blueprint(prompts_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(ledger_bp)
    app.register_blueprint(api_bp, url_prefix="/api/v1")


def register_template_helpers(app: Flask) -> None:
    """Expose the taxonomy's Chinese labels to every template."""
    from app import labels

    app.context_processor(labels.template_context)
    app.add_template_filter(labels.fmt_bool, "yesno")
    app.add_template_filter(labels.fmt_datetime, "datetime")
    app.add_template_test(labels.has_capability, "capability")
    app.add_template_filter(labels.audit_summary, "audit_summary")


def register_error_handlers(app: Flask) -> None:
    """Chinese error pages for the web, JSON bodies under /api."""
    from app import errors

    errors.register(app)


def register_cli(app: Flask) -> None:
    """`flask demo …` and `flask users …`."""
    from app import cli

    cli.register(app)
