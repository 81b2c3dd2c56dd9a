"""API endpoints. Every refusal is JSON naming the field; nothing here answers 500 on bad input."""

from __future__ import annotations

from typing import Any

from flask import current_app, g, jsonify, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.wrappers import Response

from app.api import bp
from app.api.schemas import (
    SERVER_ASSIGNED,
    merged_facts,
    parse_project_fields,
    project_json,
    require_object,
)
from app.clock import today
from app.errors import error_body
from app.extensions import csrf
from app.scoping import can
from app.services import projects as service
from app.services.errors import Forbidden, InvalidInput, NotFound, ServiceError, StaleVersion
from cases.classify import classify
from cases.facts import FactsError, facts_to_dict, parse_facts

csrf.exempt(bp)


def _bearer() -> bool:
    """True only when a valid token authenticated this request, not for a mere header."""
    return g.get("auth_via") == "token"


@bp.before_request
def authenticate() -> Response | tuple[Response, int] | None:
    """Token or session; a session (browser) request that changes state needs its CSRF token."""
    if not current_user.is_authenticated:
        return jsonify(error_body(401, "请提供有效的 API 令牌或先登录。")), 401
    if request.method not in ("GET", "HEAD", "OPTIONS") and not _bearer():
        csrf.protect()
    return None


@bp.errorhandler(ServiceError)
def service_error(exc: ServiceError) -> tuple[Response, int]:
    """Map use-case refusals to status codes."""
    if isinstance(exc, InvalidInput):
        return jsonify(error_body(400, exc.message, field=exc.field)), 400
    if isinstance(exc, NotFound):
        return jsonify(error_body(404, exc.message)), 404
    if isinstance(exc, Forbidden):
        return jsonify(error_body(403, exc.message)), 403
    if isinstance(exc, StaleVersion):
        body = error_body(409, exc.message, current_version=exc.current_version)
        body["current"] = exc.current
        return jsonify(body), 409
    return jsonify(error_body(400, exc.message)), 400


@bp.errorhandler(CSRFError)
def csrf_error(exc: CSRFError) -> tuple[Response, int]:
    """A browser session posting without its CSRF token."""
    return jsonify(error_body(400, "缺少或错误的 CSRF 令牌。", field="csrf_token")), 400


def _json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if body is None:
        raise InvalidInput("body", "请求体不是有效的 JSON（Content-Type 应为 application/json）。")
    return require_object(body)


@bp.post("/classify")
def classify_facts() -> Response:
    """附件3 classification of the posted facts; stores nothing."""
    if not can(current_user, "api.classify"):
        raise Forbidden()
    body = _json_body()
    try:
        facts = parse_facts(body)
    except FactsError as exc:
        raise InvalidInput(exc.field or "body", exc.message) from exc
    return jsonify(classify(facts).to_dict())


def _filters() -> service.ProjectFilters:
    args = request.args
    return service.ProjectFilters(
        district=args.get("district") or None,
        type=args.get("type") or None,
        lead=args.get("lead") or None,
        status=args.get("status") or None,
        q=(args.get("q") or "").strip()[:100] or None,
    )


def _positive_int(name: str, default: int, maximum: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    # ASCII only ("²".isdigit() is True but int() refuses it) and short (int() refuses 4300+).
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9 or int(raw) < 1:
        raise InvalidInput(name, f"{name} 应为正整数。")
    return min(int(raw), maximum)


@bp.get("/projects")
def list_projects() -> Response:
    """Paginated, filtered list of the projects the caller may see."""
    if not can(current_user, "projects.view"):
        raise Forbidden()
    page = _positive_int("page", 1, 1_000_000)
    per_page = _positive_int(
        "per_page", current_app.config["PROJECTS_PER_PAGE"], current_app.config["API_MAX_PER_PAGE"]
    )
    result = service.list_projects(current_user, _filters(), page, per_page)
    return jsonify(
        {
            "items": [project_json(p) for p in result.items],
            "total": result.total,
            "page": result.page,
            "per_page": result.per_page,
        }
    )


@bp.get("/projects/<code>")
def get_project(code: str) -> Response:
    """One project, if the caller may see it (404 otherwise)."""
    if not can(current_user, "projects.view"):
        raise Forbidden()
    return jsonify(project_json(service.get_project(current_user, code)))


def _input_from(fields: dict[str, Any], base: service.ProjectInput) -> service.ProjectInput:
    changes = {k: v for k, v in fields.items() if k != "facts"}
    if "facts" in fields:
        changes["facts"] = merged_facts(facts_to_dict(base.facts), fields["facts"])
    return service.merge_input(base, changes)


@bp.post("/projects")
def create_project() -> tuple[Response, int, dict[str, str]]:
    """Register a project; the server assigns code, state, version and defects."""
    if not can(current_user, "projects.create"):
        raise Forbidden()
    fields = parse_project_fields(_json_body(), ignore=SERVER_ASSIGNED)
    for required in ("name", "district"):
        # A located project may leave its district to the boundaries (set from lon/lat).
        located = fields.get("lon") is not None and fields.get("lat") is not None
        if required not in fields and not (required == "district" and located):
            raise InvalidInput(required, "此项为必填项。")
    data = _input_from(fields, service.ProjectInput(name="", district=""))
    result = service.create_project(current_user, data, today())
    body = project_json(result.project)
    body["changes"] = [c.message for c in result.changes]
    body["warnings"] = list(result.warnings)
    location = url_for("api.get_project", code=result.project.code)
    return jsonify(body), 201, {"Location": location}


@bp.patch("/projects/<code>")
def update_project(code: str) -> Response:
    """Update writable fields; `version` is required and a stale one answers 409."""
    body = _json_body()
    if "version" not in body:
        raise InvalidInput("version", "缺少 version（乐观锁版本号）。")
    version = body.pop("version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise InvalidInput("version", "version 应为整数。")
    fields = parse_project_fields(body)
    project = service.get_project(current_user, code)
    data = _input_from(fields, service.project_input(project))
    result = service.update_project(current_user, code, data, version, today())
    out = project_json(result.project)
    out["changes"] = [c.message for c in result.changes]
    out["warnings"] = list(result.warnings)
    return jsonify(out)
