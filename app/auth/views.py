"""Login and logout pages."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from app.auth import bp
from app.auth.forms import LoginForm
from app.auth.services import authenticate
from app.extensions import db
from app.services import audit


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths, so `next=` cannot send users elsewhere."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("projects.index")


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response:
    """Show and check the login form."""
    if current_user.is_authenticated:
        return redirect(url_for("projects.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.username.data or "", form.password.data or "")
        if user is None:
            flash("用户名或密码错误。", "error")
        else:
            session.clear()  # a fresh session at login (no fixation)
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> Response:
    """End the session (POST only: a GET never changes state)."""
    audit.record(current_user._get_current_object(), "auth.logout", "user", current_user.username)
    db.session.commit()
    logout_user()
    session.clear()
    flash("您已退出登录。", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account")
@login_required
def account() -> str:
    """The signed-in user's role and binding."""
    return render_template("auth/account.html", user=current_user)
