"""Account administration: list, create, edit, disable/enable, reset, unlock, revoke tokens.

Only `users.manage` (the 系统管理员); every change is audited by `app.services.accounts`.
A temporary password is rendered once in the response, never flashed (flashes live in the
session cookie).
"""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from app import clock
from app.admin import bp
from app.admin.forms import AccountForm
from app.auth.passwords import password_expires_at
from app.models import ROLES, User
from app.scoping import can
from app.services import accounts
from app.services.errors import Forbidden, InvalidInput, NotFound, StaleVersion


def _admin():  # noqa: ANN202
    user = current_user._get_current_object()
    if not can(user, "users.manage"):
        abort(403)
    return user


def _target(user_id: int):  # noqa: ANN202
    try:
        return accounts.get_user(user_id)
    except NotFound:
        abort(404)


def _attach_error(form: AccountForm, exc: InvalidInput) -> None:
    target = form.field_for(exc.field)
    if target is not None and exc.field != "version":
        target.errors = [*target.errors, exc.message]
    else:
        flash(exc.message, "error")


@bp.route("/admin/users")
@login_required
def users() -> str:
    """Accounts, searchable by name and role."""
    _admin()
    q = (request.args.get("q") or "").strip()[:64]
    role = request.args.get("role") or None
    page_no = request.args.get("page", 1, type=int) or 1
    try:
        page = accounts.list_users(q or None, role, page_no, per_page=50)
    except InvalidInput as exc:
        flash(exc.message, "error")
        role = None
        page = accounts.list_users(q or None, None, 1, per_page=50)
    return render_template(
        "admin/users.html", page=page, q=q, role=role or "", roles=ROLES, now=clock.now()
    )


@bp.route("/admin/users/new", methods=["GET", "POST"])
@login_required
def create_user() -> str | Response:
    """A new account; its temporary password is shown once, and must be changed at login."""
    admin = _admin()
    form = AccountForm().setup()
    if form.validate_on_submit():
        try:
            user, password = accounts.create_account(
                admin,
                (form.username.data or "").strip(),
                (form.display_name.data or "").strip(),
                form.role.data or "",
                form.district.data or None,
                form.department.data or None,
            )
        except InvalidInput as exc:
            _attach_error(form, exc)
        else:
            return render_template(
                "admin/temporary_password.html", user=user, password=password, created=True
            )
    return render_template("admin/user_form.html", form=form, user=None)


@bp.route("/admin/users/<int:user_id>")
@login_required
def user_detail(user_id: int) -> str:
    """One account: state, binding, tokens and the actions on it."""
    admin = _admin()
    user = _target(user_id)
    expires = password_expires_at(
        user.password_changed_at, int(current_app.config["PASSWORD_MAX_AGE_DAYS"])
    )
    return render_template(
        "admin/user_detail.html",
        user=user,
        tokens=accounts.tokens_of(user.id),
        password_expires=expires,
        now=clock.now(),
        is_self=user.id == admin.id,
    )


@bp.route("/admin/users/<int:user_id>/edit", methods=["GET", "POST"])
@login_required
def edit_user(user_id: int) -> str | Response | tuple[str, int]:
    """Change name, role and binding (a new role or binding ends the account's sessions)."""
    admin = _admin()
    user = _target(user_id)
    form = AccountForm().setup(current_role=user.role)
    if request.method == "GET":
        form.display_name.data = user.display_name
        form.role.data = user.role
        form.district.data = user.district_code or ""
        form.department.data = user.department_code or ""
        form.version.data = str(user.version)
    elif form.validate_on_submit():
        try:
            accounts.update_account(
                admin,
                user_id,
                form.display_name.data or "",
                form.role.data or "",
                form.district.data or None,
                form.department.data or None,
                int(form.version.data or 0) if (form.version.data or "").isdigit() else 0,
            )
        except StaleVersion:
            flash("该账号已被他人修改，请查看最新内容后重新提交。", "error")
            return render_template("admin/user_form.html", form=form, user=user), 409
        except Forbidden as exc:
            flash(exc.message, "error")
            return redirect(url_for("admin.user_detail", user_id=user_id))
        except InvalidInput as exc:
            _attach_error(form, exc)
        else:
            flash("账号已保存。", "success")
            return redirect(url_for("admin.user_detail", user_id=user_id))
    return render_template("admin/user_form.html", form=form, user=user)


def _act(user_id: int, service: Callable[[User, int], object], done: str) -> Response:
    """Run one button's service call, flash the outcome, go back to the account."""
    admin = _admin()
    _target(user_id)
    try:
        service(admin, user_id)
    except Forbidden as exc:
        flash(exc.message, "error")
    else:
        flash(done, "success")
    return redirect(url_for("admin.user_detail", user_id=user_id))


@bp.route("/admin/users/<int:user_id>/disable", methods=["POST"])
@login_required
def disable_user(user_id: int) -> Response:
    """Disable the account: its sessions end and its tokens stop working at once."""
    return _act(user_id, lambda a, i: accounts.set_active(a, i, False), "账号已停用。")


@bp.route("/admin/users/<int:user_id>/enable", methods=["POST"])
@login_required
def enable_user(user_id: int) -> Response:
    """Enable a disabled account."""
    return _act(user_id, lambda a, i: accounts.set_active(a, i, True), "账号已启用。")


@bp.route("/admin/users/<int:user_id>/unlock", methods=["POST"])
@login_required
def unlock_user(user_id: int) -> Response:
    """Lift a lock set by failed logins."""
    return _act(user_id, accounts.unlock, "账号已解锁。")


@bp.route("/admin/users/<int:user_id>/end-sessions", methods=["POST"])
@login_required
def end_user_sessions(user_id: int) -> Response:
    """Log the account out everywhere."""
    return _act(user_id, accounts.end_all_sessions, "该账号的所有会话已结束。")


@bp.route("/admin/users/<int:user_id>/reset-password", methods=["POST"])
@login_required
def reset_password(user_id: int) -> str | Response:
    """A new temporary password, shown once; the user must change it at next login."""
    admin = _admin()
    _target(user_id)
    try:
        user, password = accounts.reset_password(admin, user_id)
    except Forbidden as exc:
        flash(exc.message, "error")
        return redirect(url_for("admin.user_detail", user_id=user_id))
    return render_template(
        "admin/temporary_password.html", user=user, password=password, created=False
    )


@bp.route("/admin/users/<int:user_id>/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(user_id: int, token_id: int) -> Response:
    """Revoke one API token of the account."""
    admin = _admin()
    _target(user_id)
    try:
        row = accounts.revoke_token(admin, token_id, owner_id=user_id)
    except NotFound:
        abort(404)
    flash(f"令牌 {row.prefix}… 已吊销。", "success")
    return redirect(url_for("admin.user_detail", user_id=user_id))
