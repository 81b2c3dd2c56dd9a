"""Accounts: password hashing, authentication, API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets

from flask import Request
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db
from app.models import ROLES, ApiToken, Department, District, User, utcnow
from app.services import audit
from app.services.errors import InvalidInput

TOKEN_PREFIX = "szs_"
# A fixed hash to compare against when the user does not exist, so timing does not reveal names.
_DUMMY_HASH = generate_password_hash("not-a-real-password-0")


def hash_password(password: str) -> str:
    """A slow salted hash (scrypt, Werkzeug's default)."""
    return generate_password_hash(password, method="scrypt")


def check_password_strength(password: str, username: str) -> None:
    """At least 8 characters of 3 classes, and not the username."""
    if len(password) < 8:
        raise InvalidInput("password", "密码至少 8 位。")
    classes = sum(
        bool(re.search(p, password)) for p in (r"[a-z]", r"[A-Z]", r"\d", r"[^A-Za-z0-9]")
    )
    if classes < 3:
        raise InvalidInput("password", "密码须包含大写字母、小写字母、数字、符号中的至少三类。")
    if username.lower() in password.lower():
        raise InvalidInput("password", "密码不能包含用户名。")


def load_user(user_id: str) -> User | None:
    """Flask-Login's session loader."""
    if not user_id.isdigit():
        return None
    return db.session.get(User, int(user_id))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def load_user_from_request(req: Request) -> User | None:
    """Flask-Login's request loader: `Authorization: Bearer TOKEN` for the API."""
    header = req.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    row = db.session.scalars(
        select(ApiToken).where(ApiToken.token_hash == _token_hash(token.strip()))
    ).first()
    now = utcnow()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    if not row.user.active:
        return None
    return row.user


def authenticate(username: str, password: str) -> User | None:
    """The user with these credentials, or None (auditing the attempt either way)."""
    user = db.session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        audit.record(None, "auth.login_failed", "user", username, changes={"reason": "unknown"})
        db.session.commit()
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        audit.record(user, "auth.login_failed", "user", username, changes={"reason": "password"})
        db.session.commit()
        return None
    audit.record(user, "auth.login", "user", username)
    db.session.commit()
    return user


def create_user(
    username: str,
    password: str,
    role: str,
    *,
    district: str | None = None,
    department: str | None = None,
    display_name: str = "",
    must_change_password: bool = True,
    actor: User | None = None,
) -> User:
    """Create an account with its binding; refuses bad roles, bindings and weak passwords."""
    if not re.fullmatch(r"[A-Za-z0-9_.-]{3,64}", username):
        raise InvalidInput("username", "用户名须为 3–64 位字母、数字或 _ . -。")
    if db.session.scalars(select(User).where(User.username == username)).first():
        raise InvalidInput("username", f"用户名 {username} 已存在。")
    if role not in ROLES:
        raise InvalidInput("role", f"未知角色：{role}（可选：{'、'.join(ROLES)}）。")
    if role == "district":
        if not district or db.session.get(District, district) is None:
            raise InvalidInput("district", "县区用户必须绑定县区：dwk、hn 或 pl。")
    elif district:
        raise InvalidInput("district", "只有县区用户绑定县区。")
    if role == "department":
        if not department or db.session.get(Department, department) is None:
            raise InvalidInput("department", "部门用户必须绑定一个已知部门代码。")
    elif department:
        raise InvalidInput("department", "只有部门用户绑定部门。")
    check_password_strength(password, username)
    user = User(
        username=username,
        display_name=display_name or username,
        password_hash=hash_password(password),
        role=role,
        district_code=district,
        department_code=department,
        must_change_password=must_change_password,
    )
    db.session.add(user)
    db.session.flush()
    audit.record(
        actor,
        "user.create",
        "user",
        username,
        changes={"role": role, "district": district, "department": department},
    )
    db.session.commit()
    return user


def issue_token(user: User, days: int, name: str = "", now: dt.datetime | None = None) -> str:
    """Create an API token; the plain value is returned once and never stored."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = now or utcnow()
    row = ApiToken(
        user_id=user.id,
        token_hash=_token_hash(token),
        prefix=token[:12],
        name=name,
        created_at=now,
        expires_at=now + dt.timedelta(days=days),
    )
    db.session.add(row)
    audit.record(user, "token.create", "user", user.username, changes={"prefix": row.prefix})
    db.session.commit()
    return token
