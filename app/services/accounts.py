"""Account administration (系统管理员) and API-token management, every change audited.

三权分立 (GB/T 22239-2019 8.1.4.2 c/d, 8.1.4.3): the administrator manages accounts but cannot
read projects or the audit; it cannot create, re-role or reset the password of an auditor
account (that would hand it the auditor's powers), nor change its own role or disable itself.
Auditor accounts are created and reset on the server with `flask users …` only.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import func, or_, select

from app import clock
from app.auth.services import check_binding, create_user, end_sessions, hash_password
from app.extensions import db
from app.models import ROLES, ApiToken, User
from app.services import audit
from app.services.errors import Forbidden, InvalidInput, NotFound, StaleVersion

# Roles the web administrator may give (auditor accounts are the CLI's, see module docstring).
WEB_ASSIGNABLE_ROLES = tuple(r for r in ROLES if r != "auditor")
_TEMP_ALPHABETS = ("ABCDEFGHJKLMNPQRSTUVWXYZ", "abcdefghijkmnpqrstuvwxyz", "23456789", "#%+=@")


@dataclass(frozen=True)
class UserPage:
    """One page of accounts."""

    items: list[User]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        """Number of pages (at least 1)."""
        return max(1, -(-self.total // self.per_page))


def temporary_password(length: int = 14) -> str:
    """A random password meeting the policy, shown once to the administrator."""
    chars = [secrets.choice(a) for a in _TEMP_ALPHABETS]
    pool = "".join(_TEMP_ALPHABETS)
    chars += [secrets.choice(pool) for _ in range(length - len(chars))]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)


def list_users(q: str | None, role: str | None, page: int, per_page: int) -> UserPage:
    """Accounts filtered by name and role, ordered by user name."""
    stmt = select(User)
    if role:
        if role not in ROLES:
            raise InvalidInput("role", f"未知角色：{role}")
        stmt = stmt.where(User.role == role)
    if q:
        pattern = "%" + q.replace("%", r"\%").replace("_", r"\_") + "%"
        stmt = stmt.where(
            or_(
                User.username.ilike(pattern, escape="\\"),
                User.display_name.ilike(pattern, escape="\\"),
            )
        )
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    page = max(1, page)
    rows = db.session.scalars(
        stmt.order_by(User.username).limit(per_page).offset((page - 1) * per_page)
    ).all()
    return UserPage(list(rows), total, page, per_page)


def get_user(user_id: int) -> User:
    """An account by id (NotFound otherwise)."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("没有找到该账号。")
    return user


def _refuse_auditor(target: User, what: str) -> None:
    if target.role == "auditor":
        raise Forbidden(
            f"审计管理员账号不能由系统管理员{what}（三权分立），请在服务器上用命令办理。"
        )


def create_account(
    actor: User,
    username: str,
    display_name: str,
    role: str,
    district: str | None,
    department: str | None,
) -> tuple[User, str]:
    """A new account with a temporary password that must be changed at first login."""
    if role == "auditor":
        raise InvalidInput("role", "审计管理员账号只能在服务器上用命令创建（三权分立）。")
    password = temporary_password()
    user = create_user(
        username,
        password,
        role,
        district=district or None,
        department=department or None,
        display_name=display_name,
        must_change_password=True,
        actor=actor,
    )
    return user, password


def update_account(
    actor: User,
    user_id: int,
    display_name: str,
    role: str,
    district: str | None,
    department: str | None,
    expected_version: int,
) -> User:
    """Change name, role or binding; a new role or binding ends the account's sessions."""
    target = get_user(user_id)
    if target.version != expected_version:
        raise StaleVersion(target.version)
    district, department = district or None, department or None
    rebinds = (role, district, department) != (
        target.role,
        target.district_code,
        target.department_code,
    )
    if rebinds:
        if target.id == actor.id:
            raise Forbidden("不能修改自己的角色或绑定。")
        _refuse_auditor(target, "改变角色")
        if role == "auditor":
            raise InvalidInput("role", "审计管理员角色只能在服务器上用命令授予（三权分立）。")
        check_binding(role, district, department)
    display_name = display_name.strip()
    if not display_name or len(display_name) > 64:
        raise InvalidInput("display_name", "名称须为 1–64 个字。")
    changes = {}
    for field, new in (
        ("display_name", display_name),
        ("role", role),
        ("district_code", district),
        ("department_code", department),
    ):
        old = getattr(target, field)
        if old != new:
            changes[field] = [old, new]
            setattr(target, field, new)
    if not changes:
        return target
    if rebinds:
        target.session_epoch = target.session_epoch + 1
    audit.record(actor, "user.update", "user", target.username, changes=changes)
    db.session.commit()
    return target


def set_active(actor: User, user_id: int, active: bool) -> User:
    """Disable (ending every session and token use at once) or enable an account."""
    target = get_user(user_id)
    if target.id == actor.id:
        raise Forbidden("不能停用或启用自己的账号。")
    if target.active == active:
        return target
    target.active = active
    if not active:
        target.session_epoch = target.session_epoch + 1
    audit.record(
        actor, "user.enable" if active else "user.disable", "user", target.username, changes={}
    )
    db.session.commit()
    return target


def reset_password(actor: User, user_id: int) -> tuple[User, str]:
    """A new temporary password, changed at next login; the account's sessions end."""
    target = get_user(user_id)
    if target.id == actor.id:
        raise Forbidden("请在“修改密码”页面修改自己的密码。")
    _refuse_auditor(target, "重置密码")
    password = temporary_password()
    target.password_hash = hash_password(password)
    target.password_changed_at = clock.now()
    target.must_change_password = True
    target.failed_logins = 0
    target.locked_until = None
    target.session_epoch = target.session_epoch + 1
    audit.record(actor, "user.reset_password", "user", target.username)
    db.session.commit()
    return target, password


def unlock(actor: User, user_id: int) -> User:
    """Lift a lock set by failed logins before it expires."""
    target = get_user(user_id)
    target.failed_logins = 0
    target.locked_until = None
    audit.record(actor, "user.unlock", "user", target.username)
    db.session.commit()
    return target


def tokens_of(user_id: int) -> list[ApiToken]:
    """The account's API tokens, newest first (hashes only: the values were shown once)."""
    return list(
        db.session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user_id)
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def revoke_token(actor: User, token_id: int, owner_id: int) -> ApiToken:
    """Revoke a token of `owner_id` (its owner, or an administrator); another's token is a 404."""
    row = db.session.get(ApiToken, token_id)
    if row is None or row.user_id != owner_id:
        raise NotFound("没有找到该令牌。")
    if row.revoked_at is None:
        row.revoked_at = clock.now()
        audit.record(
            actor,
            "token.revoke",
            "user",
            row.user.username,
            changes={"prefix": row.prefix, "name": row.name},
        )
        db.session.commit()
    return row


def end_all_sessions(actor: User, user_id: int) -> None:
    """Log the account out everywhere (e.g. a lost laptop)."""
    target = get_user(user_id)
    end_sessions(target)
    audit.record(actor, "user.end_sessions", "user", target.username)
    db.session.commit()
