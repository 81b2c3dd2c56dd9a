"""Web hardening applied to every request: headers, session gates, refusal audit, log masking.

What is enforced and why is summarised in docs/security.md (GB/T 22239-2019 level 3 where it
touches an application: 8.1.4.1 身份鉴别, 8.1.4.2 访问控制, 8.1.4.3 安全审计,
8.1.4.10 个人信息保护).
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Flask,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    request,
    url_for,
)
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

from app import privacy
from app.extensions import db, limiter, login_manager

log = logging.getLogger(__name__)

# The endpoints a user who must change the password may still reach.
PASSWORD_GATE_OPEN = frozenset({"auth.change_password", "auth.logout", "static"})

SESSION_END_MESSAGES = {
    "idle": "长时间未操作，会话已结束，请重新登录。",
    "lifetime": "会话已超过最长时长，请重新登录。",
    "revoked": "会话已失效（已在别处退出、修改了密码或账号已变更），请重新登录。",
}


def init_app(app: Flask) -> None:
    """Install the hardening on `app` (called from `create_app`)."""
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies:
        # Only behind a known number of proxies: otherwise X-Forwarded-For would let a client
        # pick the address the rate limit and the audit see.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)  # type: ignore[method-assign]
    limiter.init_app(app)
    login_manager.unauthorized_handler(unauthorized)
    app.before_request(password_gate)
    app.after_request(audit_refusal)
    app.after_request(security_headers)
    app.add_template_filter(privacy.mask_id_card, "mask_id")
    app.add_template_filter(privacy.mask_phone, "mask_phone")
    app.add_template_filter(privacy.mask_name, "mask_name")
    app.add_template_filter(privacy.mask_text, "mask_pii")
    install_log_masking()


# ---------------------------------------------------------------- sessions


def _is_api() -> bool:
    return request.path.startswith("/api/")


def unauthorized() -> Response | tuple[Response, int]:
    """Not logged in (or the session just ended): the login page, or 401 under /api."""
    reason = g.pop("session_end", None)
    message = SESSION_END_MESSAGES.get(reason or "", "请先登录。")
    if _is_api():
        from app.errors import error_body

        return jsonify(error_body(401, message)), 401
    flash(message, "warning")
    target = request.path
    if request.query_string:
        target += "?" + request.query_string.decode("utf-8", "replace")
    if request.method == "GET" and target != "/":
        return redirect(url_for("auth.login", next=target))
    return redirect(url_for("auth.login"))


def password_gate() -> Response | tuple[Response, int] | None:
    """A forced or expired password lets the web session reach only the change page and logout.

    API tokens are not affected (contract.md: a forced change applies to interactive login only).
    """
    if request.endpoint in PASSWORD_GATE_OPEN or request.endpoint is None:
        return None
    if not current_user.is_authenticated or g.get("auth_via") != "session":
        return None
    from app.auth.services import needs_password_change

    if not needs_password_change(current_user):
        return None
    if _is_api():
        from app.errors import error_body

        return jsonify(error_body(403, "请先在网页上修改密码。")), 403
    return redirect(url_for("auth.change_password"))


# ---------------------------------------------------------------- audit of refusals


def audit_refusal(response: Response) -> Response:
    """Every 403 answered to a signed-in user is written to the audit (8.1.4.3)."""
    if response.status_code != 403 or not current_user.is_authenticated:
        return response
    from app.services import audit

    try:
        db.session.rollback()
        user = current_user._get_current_object()
        audit.record(
            user,
            "security.forbidden",
            "route",
            (request.endpoint or request.path)[:64],
            changes={"method": request.method, "path": request.path[:200]},
        )
        db.session.commit()
    except Exception:  # the refusal itself must still reach the user
        db.session.rollback()
        log.exception("could not audit a refusal")
    return response


# ---------------------------------------------------------------- headers


def _tile_sources(config: Any) -> list[str]:
    """Scheme and host of the configured map tile servers, for the CSP's img-src."""
    sources: list[str] = []
    for key in ("MAP_TILE_URL", "MAP_TILE_LABELS_URL"):
        url = config.get(key) or ""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            continue
        host = parts.netloc
        if "{" in host:
            # 't{s}.tianditu.gov.cn' -> '*.tianditu.gov.cn' (a CSP wildcard is one whole label).
            host = "*." + host.split(".", 1)[1] if "." in host else "*"
        source = f"{parts.scheme}://{host}"
        if source not in sources:
            sources.append(source)
    return sources


def content_security_policy(config: Any) -> str:
    """No inline script or style anywhere; images also from the map tile servers."""
    img = " ".join(["'self'", "data:", *_tile_sources(config)])
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src {img}",
            "object-src 'none'",
            "frame-ancestors 'none'",
            "base-uri 'self'",
            "form-action 'self'",
        ]
    )


def security_headers(response: Response) -> Response:
    """CSP, nosniff, no framing, referrer policy, HSTS over HTTPS, no caching of pages."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", content_security_policy(current_app.config))
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if request.is_secure:
        seconds = int(current_app.config.get("HSTS_SECONDS") or 0)
        if seconds:
            headers.setdefault("Strict-Transport-Security", f"max-age={seconds}; includeSubDomains")
    if request.endpoint != "static" and response.cache_control.max_age is None:
        # Pages and exports carry case data: no shared or browser cache keeps them.
        response.cache_control.no_store = True
    return response


# ---------------------------------------------------------------- logs


_factory_installed = False


def install_log_masking() -> None:
    """Mask ID-card and mobile numbers in every log record, its arguments and its traceback.

    A record factory (not a filter) so it applies to every logger, whatever handlers the
    deployment configures; installed once per process.
    """
    global _factory_installed
    if _factory_installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is left for logging to report
            return record
        masked = privacy.mask_text(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and record.exc_info[0] is not None:
            text = logging.Formatter().formatException(record.exc_info)
            record.exc_text = privacy.mask_text(text)
        return record

    logging.setLogRecordFactory(factory)
    _factory_installed = True
