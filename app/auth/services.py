"""Accounts: password hashing, authentication with lockout, sessions, API tokens.

GB/T 22239-2019 8.1.4.1 (身份鉴别): unique accounts, a password policy with expiry, lockout after
repeated failures, session timeouts; 8.1.4.3 (安全审计): every login, failure, lockout, logout and
token change is written to the audit. Times come from `app.clock.now()` so tests can move them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets

from flask import Request, current_app, g, session
from sqlalchemy import select, update
from werkzeug.security import check_password_hash, generate_password_hash

from app import clock
from app.auth.passwords import check_password, password_expires_at
from app.extensions import db
from app.models import ROLES, ApiToken, Department, District, User
from app.services import audit
from app.services.errors import InvalidInput

TOKEN_PREFIX = "szs_"
# A fixed hash to compare against when the user does not exist, so timing does not reveal names.
_DUMMY_HASH = generate_password_hash("not-a-real-password-0")
# Session keys (the cookie is signed, so the user cannot move these times).
AUTH_AT = "_auth_at"
SEEN_AT = "_seen_at"
# How often a token's `last_used_at` is written (not on every API call).
TOKEN_TOUCH_INTERVAL = dt.timedelta(minutes=5)


def hash_password(password: str) -> str:
    """A slow salted hash (scrypt, Werkzeug's default)."""
    return generate_password_hash(password, method="scrypt")


def check_password_strength(password: str, username: str) -> None:
    """The password policy of `app.auth.passwords` (kept under its old name)."""
    check_password(password, username)


# ---------------------------------------------------------------- sessions


def _ts(moment: dt.datetime) -> int:
    return int(moment.timestamp())


def start_session(user: User) -> None:
    """Record when this session began; called right after `login_user`."""
    now = _ts(clock.now())
    session[AUTH_AT] = now
    session[SEEN_AT] = now


def _session_end_reason(now: dt.datetime) -> str | None:
    """'idle' or 'lifetime' when the session has run out, else None."""
    auth_at, seen_at = session.get(AUTH_AT), session.get(SEEN_AT)
    if not isinstance(auth_at, int) or not isinstance(seen_at, int):
        return "lifetime"
    config = current_app.config
    stamp = _ts(now)
    if stamp - auth_at > int(config["SESSION_MAX_HOURS"]) * 3600:
        return "lifetime"
    if stamp - seen_at > int(config["SESSION_IDLE_MINUTES"]) * 60:
        return "idle"
    return None


def _drop_session(reason: str) -> None:
    """Forget the login held by this session; `g.session_end` tells the login page why."""
    for key in ("_user_id", "_fresh", "_id", AUTH_AT, SEEN_AT):
        session.pop(key, None)
    g.session_end = reason


def load_user(user_id: str) -> User | None:
    """Flask-Login's session loader: "id:epoch", checked against the account and the clock."""
    raw_id, _, raw_epoch = user_id.partition(":")
    if not raw_id.isdigit() or not raw_epoch.isdigit():
        _drop_session("revoked")
        return None
    user = db.session.get(User, int(raw_id))
    if user is None or not user.active or user.session_epoch != int(raw_epoch):
        # Logged out elsewhere, password changed, account disabled or its role changed.
        _drop_session("revoked")
        return None
    now = clock.now()
    reason = _session_end_reason(now)
    if reason is not None:
        _drop_session(reason)
        return None
    session[SEEN_AT] = _ts(now)
    g.auth_via = "session"
    return user


def end_sessions(user: User) -> None:
    """Invalidate every session of the account (without touching its optimistic-lock version)."""
    db.session.execute(
        update(User)
        .where(User.id == user.id)
        .values(session_epoch=User.session_epoch + 1)
        .execution_options(synchronize_session="fetch")
    )


def password_expired(user: User, now: dt.datetime | None = None) -> bool:
    """True when the password is older than PASSWORD_MAX_AGE_DAYS."""
    expires = password_expires_at(
        user.password_changed_at, int(current_app.config["PASSWORD_MAX_AGE_DAYS"])
    )
    return expires is not None and (now or clock.now()) >= expires


def needs_password_change(user: User) -> bool:
    """A forced change (first login, reset by an administrator) or an expired password."""
    return bool(user.must_change_password) or password_expired(user)


# ---------------------------------------------------------------- API tokens


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def load_user_from_request(req: Request) -> User | None:
    """Flask-Login's request loader: `Authorization: Bearer TOKEN` for the API.

    A token works whatever the state of the account's web password (contract.md): a forced
    change or an expired password applies to interactive login only; a disabled account, a
    revoked or an expired token do not work.
    """
    header = req.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    row = db.session.scalars(
        select(ApiToken).where(ApiToken.token_hash == _token_hash(token.strip()))
    ).first()
    now = clock.now()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    if not row.user.active:
        return None
    if row.last_used_at is None or now - row.last_used_at > TOKEN_TOUCH_INTERVAL:
        db.session.execute(update(ApiToken).where(ApiToken.id == row.id).values(last_used_at=now))
        db.session.commit()
    g.auth_via = "token"
    return row.user


def issue_token(user: User, days: int, name: str = "", now: dt.datetime | None = None) -> str:
    """Create an API token; the plain value is returned once and never stored."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = now or clock.now()
    row = ApiToken(
        user_id=user.id,
        token_hash=_token_hash(token),
        prefix=token[:12],
        name=name,
        created_at=now,
        expires_at=now + dt.timedelta(days=days),
    )
    db.session.add(row)
    audit.record(
        user,
        "token.create",
        "user",
        user.username,
        changes={"prefix": row.prefix, "name": name, "expires_at": row.expires_at.isoformat()},
    )
    db.session.commit()
    return token


# ---------------------------------------------------------------- login


def _lock_window() -> dt.timedelta:
    return dt.timedelta(minutes=int(current_app.config["LOCKOUT_MINUTES"]))


def is_locked(user: User, now: dt.datetime | None = None) -> bool:
    """True while a lock set by repeated failures is in force (it expires by itself)."""
    return user.locked_until is not None and user.locked_until > (now or clock.now())


def record_failure(user: User, now: dt.datetime, reason: str) -> None:
    """Count one failed password check; the threshold-th consecutive one locks the account.

    Counters are written with UPDATE statements, not through the ORM, so concurrent attempts
    neither lose counts nor collide with the account's optimistic-lock version.
    """
    stale = user.last_failed_login_at is None or now - user.last_failed_login_at > _lock_window()
    expired_lock = user.locked_until is not None and user.locked_until <= now
    # Failures older than the lock window, or from before an expired lock, no longer count.
    base = 0 if stale or expired_lock else User.failed_logins
    db.session.execute(
        update(User)
        .where(User.id == user.id)
        .values(failed_logins=base + 1, last_failed_login_at=now, locked_until=None)
        .execution_options(synchronize_session=False)
    )
    failures = db.session.scalar(select(User.failed_logins).where(User.id == user.id)) or 0
    audit.record(
        user,
        "auth.login_failed",
        "user",
        user.username,
        changes={"reason": reason, "count": failures},
    )
    threshold = int(current_app.config["LOCKOUT_THRESHOLD"])
    if failures >= threshold:
        until = now + _lock_window()
        db.session.execute(
            update(User)
            .where(User.id == user.id)
            .values(locked_until=until)
            .execution_options(synchronize_session=False)
        )
        audit.record(
            user,
            "auth.lockout",
            "user",
            user.username,
            changes={"failures": failures, "locked_until": until.isoformat()},
        )
    db.session.expire(user)


def authenticate(username: str, password: str) -> User | None:
    """The user with these credentials, or None (auditing the attempt either way).

    A locked account refuses every attempt without checking the password, so guessing cannot
    go on; the lock is not extended by attempts made while it holds, so an attacker cannot keep
    an account locked for longer than one window per `LOCKOUT_THRESHOLD` guesses (and the
    per-address rate limit slows that down). Every refusal looks the same to the caller.
    """
    now = clock.now()
    user = db.session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        audit.record(
            None, "auth.login_failed", "user", username[:64], changes={"reason": "unknown"}
        )
        db.session.commit()
        return None
    if is_locked(user, now):
        check_password_hash(_DUMMY_HASH, password)  # same timing as a real check
        audit.record(
            user,
            "auth.login_locked",
            "user",
            username,
            changes={"locked_until": user.locked_until.isoformat() if user.locked_until else None},
        )
        db.session.commit()
        return None
    if not check_password_hash(user.password_hash, password):
        record_failure(user, now, "password")
        db.session.commit()
        return None
    if not user.active:
        audit.record(user, "auth.login_failed", "user", username, changes={"reason": "disabled"})
        db.session.commit()
        return None
    db.session.execute(
        update(User)
        .where(User.id == user.id)
        .values(failed_logins=0, locked_until=None, last_login_at=now)
        .execution_options(synchronize_session=False)
    )
    audit.record(user, "auth.login", "user", username)
    db.session.commit()
    db.session.refresh(user)
    return user


def change_password(user: User, current: str, new: str) -> None:
    """The user's own change: the current password, then the policy; ends other sessions."""
    now = clock.now()
    if is_locked(user, now):
        raise InvalidInput("current_password", "账号已被临时锁定，请稍后再试。")
    if not check_password_hash(user.password_hash, current):
        record_failure(user, now, "change_password")
        db.session.commit()
        raise InvalidInput("current_password", "当前密码不正确。")
    check_password(new, user.username)
    if check_password_hash(user.password_hash, new):
        raise InvalidInput("password", "新密码不能与当前密码相同。")
    user.password_hash = hash_password(new)
    user.password_changed_at = now
    user.must_change_password = False
    user.session_epoch = user.session_epoch + 1
    audit.record(user, "user.password_change", "user", user.username)
    db.session.commit()


# ---------------------------------------------------------------- accounts


def check_binding(role: str, district: str | None, department: str | None) -> None:
    """A district user is bound to one district, a department user to one department."""
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
    check_binding(role, district, department)
    if len(display_name) > 64:
        raise InvalidInput("display_name", "名称不能超过 64 个字。")
    check_password(password, username)
    user = User(
        username=username,
        display_name=display_name or username,
        password_hash=hash_password(password),
        role=role,
        district_code=district,
        department_code=department,
        must_change_password=must_change_password,
        password_changed_at=clock.now(),
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
