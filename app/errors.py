"""Error pages in Chinese for the web and JSON error bodies for the API; no stack trace leaks."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

MESSAGES: dict[int, str] = {
    400: "请求有误。",
    401: "请先登录。",
    403: "您没有权限执行此操作。",
    404: "没有找到该页面或记录。",
    405: "不支持该请求方法。",
    409: "记录已被他人修改，请刷新后重试。",
    413: "上传的内容过大。",
    429: "请求过于频繁，请稍后再试。",
    500: "系统内部错误，请稍后再试或联系管理员。",
}


def wants_json() -> bool:
    """API routes always answer JSON."""
    return request.path.startswith("/api/")


def error_body(status: int, message: str, **extra: object) -> dict[str, object]:
    """The JSON shape of every API error."""
    body: dict[str, object] = {"error": status, "message": message}
    body.update(extra)
    return body


def register(app: Flask) -> None:
    """Install the handlers on `app`."""

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):  # noqa: ANN202
        message = "表单已过期或缺少安全令牌（CSRF），请刷新页面后重新提交。"
        audit_csrf_refusal()
        if wants_json():
            return jsonify(error_body(400, message)), 400
        return render_template("error.html", status=400, message=message), 400

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):  # noqa: ANN202
        status = exc.code or 500
        message = MESSAGES.get(status, exc.name)
        if wants_json():
            return jsonify(error_body(status, message)), status
        return render_template("error.html", status=status, message=message), status

    @app.errorhandler(Exception)
    def unhandled(exc: Exception):  # noqa: ANN202
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return http_error(InternalServerError())


def audit_csrf_refusal() -> None:
    """A signed-in user's request refused for its CSRF token goes to the audit (8.1.4.3)."""
    from flask_login import current_user

    from app.extensions import db
    from app.services import audit

    if not current_user.is_authenticated:
        return  # anonymous junk is not worth an audit row each (the login form is rate limited)
    try:
        db.session.rollback()
        audit.record(
            current_user._get_current_object(),
            "security.csrf",
            "route",
            (request.endpoint or request.path)[:64],
            changes={"method": request.method, "path": request.path[:200]},
        )
        db.session.commit()
    except Exception:  # the refusal itself must still reach the user
        db.session.rollback()
