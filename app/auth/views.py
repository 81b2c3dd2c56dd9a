"""Login, logout, the account page, password change and the user's own API tokens."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from app import clock
from app.auth import bp
from app.auth.forms import ChangePasswordForm, LoginForm
from app.auth.passwords import password_expires_at
from app.auth.services import (
    authenticate,
    change_password,
    end_sessions,
    needs_password_change,
    password_expired,
    start_session,
)
from app.extensions import db, limiter
from app.services import accounts, audit
from app.services.errors import InvalidInput, NotFound

LOGIN_FAILED = "用户名或密码错误，或账号已停用或被临时锁定（连续失败 {n} 次锁定 {m} 分钟）。"


def _user():  # noqa: ANN202
    return current_user._get_current_object()


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths, so `next=` cannot send users elsewhere."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("projects.index")


def _login_limit() -> str:
    return str(current_app.config["LOGIN_RATE_LIMIT"])


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    _login_limit,
    methods=["POST"],
    # Only refused attempts count: a whole office behind one address still logs in freely.
    deduct_when=lambda response: response.status_code != 302,
)
def login() -> str | Response:
    """Show and check the login form."""
    if current_user.is_authenticated:
        return redirect(url_for("projects.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.username.data or "", form.password.data or "")
        if user is None:
            config = current_app.config
            flash(
                LOGIN_FAILED.format(n=config["LOCKOUT_THRESHOLD"], m=config["LOCKOUT_MINUTES"]),
                "error",
            )
        else:
            session.clear()  # a fresh session at login (no fixation)
            login_user(user)
            start_session(user)
            if needs_password_change(user):
                if password_expired(user):
                    flash("密码已过期，请先修改密码。", "warning")
                else:
                    flash("首次登录或密码已被重置，请先修改密码。", "warning")
                return redirect(url_for("auth.change_password"))
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> Response:
    """End the session (POST only: a GET never changes state).

    The account's session epoch moves on, so a copy of this session cookie is worthless too.
    """
    user = _user()
    end_sessions(user)
    audit.record(user, "auth.logout", "user", user.username)
    db.session.commit()
    logout_user()
    session.clear()
    flash("您已退出登录。", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account")
@login_required
def account() -> str:
    """The signed-in user's role, binding and password state."""
    user = _user()
    expires = password_expires_at(
        user.password_changed_at, int(current_app.config["PASSWORD_MAX_AGE_DAYS"])
    )
    return render_template(
        "auth/account.html", user=user, password_expires=expires, now=clock.now()
    )


@bp.route("/account/password", methods=["GET", "POST"], endpoint="change_password")
@login_required
def change_password_page() -> str | Response:
    """Change one's own password (forced at first login, after a reset and on expiry)."""
    user = _user()
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            change_password(user, form.current_password.data or "", form.password.data or "")
        except InvalidInput as exc:
            target = form.field_for(exc.field)
            if target is not None:
                target.errors = [*target.errors, exc.message]
            else:
                flash(exc.message, "error")
        else:
            # The epoch moved on: re-issue this session, every other one has ended.
            session.clear()
            login_user(user)
            start_session(user)
            flash("密码已修改，其他设备上的登录已失效。", "success")
            return redirect(url_for("projects.index"))
    return render_template("auth/password.html", form=form, forced=needs_password_change(user))


@bp.route("/account/tokens")
@login_required
def tokens() -> str:
    """The user's API tokens (created with `flask users token`), with revoke buttons."""
    user = _user()
    return render_template(
        "auth/tokens.html",
        rows=accounts.tokens_of(user.id),
        now=clock.now(),
    )


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id: int) -> Response:
    """Revoke one of the user's own tokens; another user's token is a 404."""
    user = _user()
    try:
        row = accounts.revoke_token(user, token_id, owner_id=user.id)
    except NotFound:
        abort(404)
    flash(f"令牌 {row.prefix}… 已吊销。", "success")
    return redirect(url_for("auth.tokens"))
