"""Login hardening: lockout, password policy and expiry, forced change, session timeouts."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db, limiter
from app.models import AuditEvent, User
from tests.factories import PASSWORD, bearer, csrf_token, login

NEW_PASSWORD = "Neu#Kennwort77"


def _actions(app, username: str | None = None) -> list[str]:
    with app.app_context():
        stmt = select(AuditEvent.action).order_by(AuditEvent.id)
        if username:
            stmt = stmt.where(AuditEvent.entity_id == username)
        rows = list(db.session.scalars(stmt))
        db.session.remove()
        return rows


def _user(app, username: str) -> User:
    with app.app_context():
        user = db.session.scalars(select(User).where(User.username == username)).one()
        db.session.expunge(user)
        return user


def _fail(client, username: str, times: int = 1) -> None:
    for _ in range(times):
        answer = login(client, username, "Wrong#Pass999")
        assert answer.status_code == 200
        assert "用户名或密码错误" in answer.get_data(as_text=True)


def _lands_home(answer) -> bool:
    return answer.status_code == 302 and answer.headers["Location"] in ("/", "http://localhost/")


def _change_password(client, current: str, new: str, confirm: str | None = None):
    page = client.get("/account/password")
    return client.post(
        "/account/password",
        data={
            "csrf_token": csrf_token(page.get_data(as_text=True)),
            "current_password": current,
            "password": new,
            "confirm": confirm if confirm is not None else new,
        },
    )


# ---------------------------------------------------------------- lockout


def test_five_failures_lock_the_account_even_against_the_right_password(app, client, factory):
    factory.user("caseworker", username="lockme")
    _fail(client, "lockme", 5)
    assert _user(app, "lockme").locked_until is not None
    answer = login(client, "lockme")
    assert answer.status_code == 200, "the right password must not open a locked account"
    assert client.get("/projects").status_code == 302
    actions = _actions(app, "lockme")
    assert actions.count("auth.login_failed") == 5
    assert "auth.lockout" in actions
    assert actions[-1] == "auth.login_locked"


def test_the_refusal_reads_the_same_for_unknown_users_wrong_passwords_and_locks(client, factory):
    factory.user("caseworker", username="samemsg")
    unknown = login(client, "nobody-here", "Wrong#Pass999").get_data(as_text=True)
    _fail(client, "samemsg", 5)
    locked = login(client, "samemsg").get_data(as_text=True)
    assert "用户名或密码错误，或账号已停用或被临时锁定" in unknown
    assert "用户名或密码错误，或账号已停用或被临时锁定" in locked


def test_the_lock_expires_by_itself_after_lockout_minutes(app, client, factory, clock):
    factory.user("caseworker", username="expiring")
    _fail(client, "expiring", 5)
    clock.advance(minutes=app.config["LOCKOUT_MINUTES"] - 1)
    assert login(client, "expiring").status_code == 200
    clock.advance(minutes=1, seconds=1)
    assert login(client, "expiring").status_code == 302


def test_attempts_during_a_lock_do_not_extend_it(app, client, factory, clock):
    factory.user("caseworker", username="noextend")
    _fail(client, "noextend", 5)
    until = _user(app, "noextend").locked_until
    clock.advance(minutes=5)
    _fail(client, "noextend", 10)
    assert _user(app, "noextend").locked_until == until
    clock.advance(minutes=app.config["LOCKOUT_MINUTES"])
    assert login(client, "noextend").status_code == 302


def test_a_successful_login_resets_the_failure_count(app, client, factory):
    factory.user("caseworker", username="resetcount")
    _fail(client, "resetcount", 4)
    assert login(client, "resetcount").status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/account").text)})
    _fail(client, "resetcount", 4)
    assert _user(app, "resetcount").locked_until is None
    assert login(client, "resetcount").status_code == 302


def test_old_failures_outside_the_window_do_not_add_up(app, client, factory, clock):
    factory.user("caseworker", username="slowguess")
    _fail(client, "slowguess", 4)
    clock.advance(minutes=app.config["LOCKOUT_MINUTES"] + 1)
    _fail(client, "slowguess", 4)
    assert _user(app, "slowguess").locked_until is None


def test_the_lock_is_per_account(client, factory):
    factory.user("caseworker", username="victim1")
    factory.user("caseworker", username="bystander")
    _fail(client, "victim1", 5)
    assert login(client, "bystander").status_code == 302


def test_the_login_form_is_rate_limited_per_address(app, factory):
    factory.user("caseworker", username="limited")
    limiter.reset()
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    try:
        attacker = app.test_client()
        attacker.environ_base["REMOTE_ADDR"] = "192.0.2.10"
        for _ in range(3):
            assert login(attacker, "nobody", "Wrong#Pass999").status_code == 200
        refused = login(attacker, "limited")
        assert refused.status_code == 429
        assert "请求过于频繁" in refused.get_data(as_text=True)
        other = app.test_client()
        other.environ_base["REMOTE_ADDR"] = "192.0.2.11"
        assert login(other, "limited").status_code == 302
        # Successful logins do not use up the allowance of an office behind one address.
        for _ in range(4):
            office = app.test_client()
            office.environ_base["REMOTE_ADDR"] = "192.0.2.12"
            assert login(office, "limited").status_code == 302
    finally:
        app.config["LOGIN_RATE_LIMIT"] = "1000 per minute"
        limiter.reset()


def test_a_disabled_account_cannot_log_in(app, client, factory):
    factory.user("caseworker", username="gone")
    with app.app_context():
        db.session.scalars(select(User).where(User.username == "gone")).one().active = False
        db.session.commit()
    assert login(client, "gone").status_code == 200
    assert _actions(app, "gone")[-1] == "auth.login_failed"


def test_login_logout_and_failures_are_audited_with_the_address(app, client, factory):
    factory.user("caseworker", username="audited")
    _fail(client, "audited")
    login(client, "audited")
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/account").text)})
    assert _actions(app, "audited")[-3:] == ["auth.login_failed", "auth.login", "auth.logout"]
    with app.app_context():
        row = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert row.remote_addr == "127.0.0.1"


# ---------------------------------------------------------------- forced change, expiry


def test_first_login_forces_a_password_change_before_anything_else(app, client, factory):
    factory.user("caseworker", username="newbie", must_change_password=True)
    answer = login(client, "newbie")
    assert answer.headers["Location"].endswith("/account/password")
    for path in ("/projects", "/account", "/account/tokens", "/"):
        assert client.get(path).headers["Location"].endswith("/account/password"), path
    assert client.get("/api/v1/projects").status_code == 403
    assert client.get("/account/password").status_code == 200
    assert _change_password(client, PASSWORD, NEW_PASSWORD).status_code == 302
    assert client.get("/projects").status_code == 200
    assert _actions(app, "newbie")[-1] == "user.password_change"


def test_logout_stays_reachable_during_a_forced_change(client, factory):
    factory.user("caseworker", username="leaving", must_change_password=True)
    login(client, "leaving")
    token = csrf_token(client.get("/account/password").text)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/account/password").status_code == 302


def test_an_api_token_works_whatever_the_web_password_state(client, factory, clock):
    user = factory.user("caseworker", must_change_password=True)
    token = factory.token(user)
    assert client.get("/api/v1/projects", headers=bearer(token)).status_code == 200
    clock.advance(days=400)  # password long expired; the token (30 days) too
    assert client.get("/api/v1/projects", headers=bearer(token)).status_code == 401


def test_an_expired_password_must_be_changed(app, client, factory, clock):
    factory.user("caseworker", username="ageing")
    clock.advance(days=app.config["PASSWORD_MAX_AGE_DAYS"] - 1)
    assert _lands_home(login(client, "ageing"))
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/account").text)})
    clock.advance(days=1)
    answer = login(client, "ageing")
    assert answer.headers["Location"].endswith("/account/password")
    assert "密码已过期" in client.get("/account/password").get_data(as_text=True)
    assert client.get("/projects").status_code == 302
    assert _change_password(client, PASSWORD, NEW_PASSWORD).status_code == 302
    assert client.get("/projects").status_code == 200


def test_password_expiry_can_be_switched_off(app, client, factory, clock, monkeypatch):
    monkeypatch.setitem(app.config, "PASSWORD_MAX_AGE_DAYS", 0)
    factory.user("caseworker", username="forever")
    clock.advance(days=3650)
    assert _lands_home(login(client, "forever"))


@pytest.mark.parametrize(
    ("new", "confirm", "message"),
    [
        ("Sh0rt#", None, "至少 8 位"),
        ("alllowercase1", None, "至少三类"),
        ("Abc@123456", None, "过于常见"),
        ("P@ssw0rd", None, "过于常见"),
        ("Qwer1234!", None, "过于常见"),
        ("Aa123456", None, "过于常见"),
        ("Mine#pwchange1", None, "用户名"),
        (PASSWORD, None, "不能与当前密码相同"),
        (NEW_PASSWORD, "Other#Thing88", "不一致"),
    ],
)
def test_a_weak_or_mistyped_new_password_is_refused(app, client, factory, new, confirm, message):
    factory.user("caseworker", username="pwchange1")
    login(client, "pwchange1")
    answer = _change_password(client, PASSWORD, new, confirm)
    assert answer.status_code == 200
    assert message in answer.get_data(as_text=True)
    assert _user(app, "pwchange1").password_changed_at is not None
    assert "user.password_change" not in _actions(app, "pwchange1")


def test_a_wrong_current_password_is_refused_and_counts_as_a_failure(app, client, factory):
    factory.user("caseworker", username="hijacked")
    login(client, "hijacked")
    answer = _change_password(client, "Wrong#Pass999", NEW_PASSWORD)
    assert "当前密码不正确" in answer.get_data(as_text=True)
    assert _user(app, "hijacked").failed_logins == 1


# ---------------------------------------------------------------- sessions


def test_idle_sessions_end_after_session_idle_minutes(app, client, factory, clock):
    factory.user("caseworker", username="idler")
    login(client, "idler")
    idle = app.config["SESSION_IDLE_MINUTES"]
    for _ in range(3):  # activity keeps the session alive
        clock.advance(minutes=idle - 1)
        assert client.get("/projects").status_code == 200
    clock.advance(minutes=idle, seconds=1)
    answer = client.get("/projects")
    assert answer.status_code == 302
    assert "/login" in answer.headers["Location"]
    assert "长时间未操作" in client.get("/login").get_data(as_text=True)
    assert client.get("/api/v1/projects").status_code == 401


def test_sessions_end_after_the_absolute_lifetime_despite_activity(app, client, factory, clock):
    factory.user("caseworker", username="marathon")
    login(client, "marathon")
    steps = app.config["SESSION_MAX_HOURS"] * 60 // 9
    for _ in range(steps):
        clock.advance(minutes=9)
        if client.get("/account").status_code != 200:
            break
    else:
        clock.advance(minutes=9)
    answer = client.get("/account")
    assert answer.status_code == 302
    assert "最长时长" in client.get("/login").get_data(as_text=True)


def test_login_issues_a_fresh_session(app, client, factory):
    factory.user("caseworker", username="fresh")
    client.get("/login")
    with client.session_transaction() as sess:
        sess["planted"] = "by-an-attacker"
    login(client, "fresh")
    with client.session_transaction() as sess:
        assert "planted" not in sess
        assert sess["_user_id"].startswith(str(_user(app, "fresh").id) + ":")


def test_a_logged_out_session_cookie_cannot_be_replayed(app, factory):
    factory.user("caseworker", username="replayed")
    browser = app.test_client()
    login(browser, "replayed")
    with browser.session_transaction() as sess:
        stolen = dict(sess)
    browser.post("/logout", data={"csrf_token": csrf_token(browser.get("/account").text)})
    thief = app.test_client()
    with thief.session_transaction() as sess:
        sess.update(stolen)
    assert thief.get("/projects").status_code == 302


def test_changing_the_password_ends_the_other_sessions_but_keeps_this_one(app, factory):
    factory.user("caseworker", username="twodevices")
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, "twodevices")
    login(phone, "twodevices")
    assert _change_password(laptop, PASSWORD, NEW_PASSWORD).status_code == 302
    assert laptop.get("/projects").status_code == 200
    answer = phone.get("/projects")
    assert answer.status_code == 302
    assert "会话已失效" in phone.get("/login").get_data(as_text=True)
    assert login(phone, "twodevices", NEW_PASSWORD).status_code == 302


def test_session_cookie_is_httponly_and_samesite(client, factory):
    factory.user("caseworker", username="cookies")
    answer = login(client, "cookies")
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_session_cookie_is_secure_when_configured(app, factory, monkeypatch):
    monkeypatch.setitem(app.config, "SESSION_COOKIE_SECURE", True)
    factory.user("caseworker", username="securecookie")
    client = app.test_client()
    answer = login(client, "securecookie")
    assert "Secure" in answer.headers["Set-Cookie"]


def test_next_parameter_cannot_leave_the_site(client, factory):
    factory.user("caseworker", username="nexter")
    page = client.get("/login?next=//evil.example/x")
    answer = client.post(
        "/login?next=//evil.example/x",
        data={
            "username": "nexter",
            "password": PASSWORD,
            "csrf_token": csrf_token(page.get_data(as_text=True)),
        },
    )
    assert _lands_home(answer)
