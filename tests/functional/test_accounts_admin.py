"""Account administration by the 系统管理员, and 三权分立 between administrator and auditor."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, User
from tests.checks import row_counts
from tests.factories import PASSWORD, bearer, csrf_token, login
from tests.functional.security_world import build_world, route_key, rule_methods, send

NEW_PASSWORD = "Neu#Kennwort77"


def _account(app, username: str) -> User:
    with app.app_context():
        user = db.session.scalars(select(User).where(User.username == username)).one()
        db.session.expunge(user)
        return user


def _last_audit(app) -> AuditEvent:
    with app.app_context():
        row = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        db.session.expunge(row)
        return row


def _admin_client(app, factory):
    factory.user("admin", username="root1")
    client = app.test_client()
    assert login(client, "root1").status_code == 302
    return client


def _post(client, path: str, page: str = "/admin/users", **data):
    token = csrf_token(client.get(page).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **data})


def _temporary_password(html: str) -> str:
    match = re.search(r'<code class="secret">([^<]+)</code>', html)
    assert match, html
    return match.group(1).replace("&amp;", "&").replace("&#43;", "+").replace("&#34;", '"')


def test_admin_creates_an_account_whose_temporary_password_must_be_changed(app, factory):
    admin = _admin_client(app, factory)
    answer = _post(
        admin,
        "/admin/users/new",
        page="/admin/users/new",
        username="hn-clerk",
        display_name="惠农区经办",
        role="district",
        district="hn",
        department="",
    )
    assert answer.status_code == 200
    password = _temporary_password(answer.get_data(as_text=True))
    with admin.session_transaction() as sess:
        assert password not in str(dict(sess)), "the password must not travel in the cookie"
    created = _account(app, "hn-clerk")
    assert (created.role, created.district_code, created.must_change_password) == (
        "district",
        "hn",
        True,
    )
    row = _last_audit(app)
    assert (row.action, row.actor_name, row.entity_id) == ("user.create", "root1", "hn-clerk")
    user = app.test_client()
    assert login(user, "hn-clerk", password).headers["Location"].endswith("/account/password")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"role": "district", "district": ""}, "县区用户必须绑定县区"),
        ({"role": "department", "department": ""}, "部门用户必须绑定"),
        ({"role": "leader", "district": "hn"}, "只有县区用户绑定县区"),
        ({"username": "x"}, "用户名须为"),
        ({"role": "auditor"}, "审计管理员账号只能在服务器上用命令创建"),
        ({"role": "superuser"}, "未知角色"),
    ],
)
def test_admin_account_form_refuses_bad_input(app, factory, fields, message):
    admin = _admin_client(app, factory)
    data = {
        "username": "newone",
        "display_name": "新账号",
        "role": "caseworker",
        "district": "",
        "department": "",
    }
    data.update(fields)
    answer = _post(admin, "/admin/users/new", page="/admin/users/new", **data)
    assert answer.status_code == 200
    body = answer.get_data(as_text=True)
    assert message in body
    with app.app_context():
        assert db.session.scalars(select(User).where(User.username == "newone")).first() is None


def test_disabling_an_account_ends_its_sessions_and_tokens_at_once(app, factory):
    admin = _admin_client(app, factory)
    victim = factory.user("caseworker", username="leaver")
    token = factory.token(victim)
    session = app.test_client()
    login(session, "leaver")
    assert session.get("/projects").status_code == 200
    assert _post(admin, f"/admin/users/{victim.id}/disable").status_code == 302
    assert session.get("/projects").status_code == 302
    assert app.test_client().get("/api/v1/projects", headers=bearer(token)).status_code == 401
    assert login(app.test_client(), "leaver").status_code == 200
    with app.app_context():
        assert "user.disable" in db.session.scalars(select(AuditEvent.action)).all()
    _post(admin, f"/admin/users/{victim.id}/enable")
    assert login(app.test_client(), "leaver").status_code == 302


def test_resetting_a_password_ends_sessions_and_forces_a_change(app, factory):
    admin = _admin_client(app, factory)
    victim = factory.user("caseworker", username="forgetful")
    session = app.test_client()
    login(session, "forgetful")
    answer = _post(admin, f"/admin/users/{victim.id}/reset-password")
    password = _temporary_password(answer.get_data(as_text=True))
    assert session.get("/projects").status_code == 302
    assert login(app.test_client(), "forgetful", PASSWORD).status_code == 200
    fresh = app.test_client()
    assert login(fresh, "forgetful", password).headers["Location"].endswith("/account/password")
    assert _last_audit(app).action in ("auth.login", "user.reset_password")


def test_changing_role_or_binding_ends_the_accounts_sessions(app, factory):
    admin = _admin_client(app, factory)
    moved = factory.user("district", username="mover", district="dwk")
    session = app.test_client()
    login(session, "mover")
    page = admin.get(f"/admin/users/{moved.id}/edit").get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    answer = admin.post(
        f"/admin/users/{moved.id}/edit",
        data={
            "csrf_token": csrf_token(page),
            "display_name": "平罗县经办",
            "role": "district",
            "district": "pl",
            "department": "",
            "version": version,
        },
    )
    assert answer.status_code == 302
    assert _account(app, "mover").district_code == "pl"
    assert session.get("/projects").status_code == 302
    row = _last_audit(app)
    assert row.action == "user.update"
    assert row.changes["district_code"] == ["dwk", "pl"]
    stale = admin.post(
        f"/admin/users/{moved.id}/edit",
        data={
            "csrf_token": csrf_token(page),
            "display_name": "旧版本",
            "role": "district",
            "district": "dwk",
            "department": "",
            "version": version,
        },
    )
    assert stale.status_code == 409
    assert _account(app, "mover").district_code == "pl"


def test_the_administrator_cannot_take_over_an_auditor_account(app, factory):
    admin = _admin_client(app, factory)
    auditor = factory.user("auditor", username="watcher")
    answer = _post(admin, f"/admin/users/{auditor.id}/reset-password")
    assert answer.status_code == 302
    assert login(app.test_client(), "watcher").status_code == 302  # password unchanged
    page = admin.get(f"/admin/users/{auditor.id}/edit").get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    admin.post(
        f"/admin/users/{auditor.id}/edit",
        data={
            "csrf_token": csrf_token(page),
            "display_name": "审计",
            "role": "caseworker",
            "district": "",
            "department": "",
            "version": version,
        },
    )
    assert _account(app, "watcher").role == "auditor"


def test_the_administrator_cannot_disable_or_re_role_itself(app, factory):
    admin = _admin_client(app, factory)
    me = _account(app, "root1")
    _post(admin, f"/admin/users/{me.id}/disable")
    assert _account(app, "root1").active
    assert admin.get("/admin/users").status_code == 200


def test_admin_unlocks_a_locked_account(app, factory):
    admin = _admin_client(app, factory)
    locked = factory.user("caseworker", username="lockedout")
    for _ in range(5):
        login(app.test_client(), "lockedout", "Wrong#Pass999")
    assert login(app.test_client(), "lockedout").status_code == 200
    _post(admin, f"/admin/users/{locked.id}/unlock")
    assert login(app.test_client(), "lockedout").status_code == 302


def test_admin_revokes_a_users_token(app, factory):
    admin = _admin_client(app, factory)
    owner = factory.user("caseworker", username="tokenowner")
    token = factory.token(owner)
    assert app.test_client().get("/api/v1/projects", headers=bearer(token)).status_code == 200
    page = admin.get(f"/admin/users/{owner.id}").get_data(as_text=True)
    assert token[:12] in page and token not in page
    token_id = re.search(r"/tokens/(\d+)/revoke", page).group(1)
    _post(admin, f"/admin/users/{owner.id}/tokens/{token_id}/revoke")
    assert app.test_client().get("/api/v1/projects", headers=bearer(token)).status_code == 401
    assert _last_audit(app).action == "token.revoke"


def test_admin_lists_and_searches_accounts(app, factory):
    admin = _admin_client(app, factory)
    factory.user("leader", username="leader-zhang")
    factory.user("caseworker", username="cw-li")
    html = admin.get("/admin/users?role=leader").get_data(as_text=True)
    assert "leader-zhang" in html and "cw-li" not in html
    html = admin.get("/admin/users?q=cw-").get_data(as_text=True)
    assert "cw-li" in html and "leader-zhang" not in html
    assert admin.get("/admin/users?role=bogus").status_code == 200


# ---------------------------------------------------------------- 三权分立


def test_the_administrator_reads_no_project_and_no_audit(app, factory):
    admin = _admin_client(app, factory)
    rec = factory.project()
    for path in ("/projects", f"/projects/{rec.code}", "/audit", "/audit/export.csv"):
        assert admin.get(path).status_code in (403, 404), path
    assert admin.get("/api/v1/projects").status_code == 403
    assert admin.get("/").headers["Location"].endswith("/admin/users")


def test_the_auditor_reads_the_audit_and_nothing_else(app, factory):
    factory.user("auditor", username="aud1")
    rec = factory.project()
    client = app.test_client()
    login(client, "aud1")
    assert client.get("/audit").status_code == 200
    assert client.get("/").headers["Location"].endswith("/audit")
    for path in ("/projects", f"/projects/{rec.code}", "/admin/users", "/api/v1/projects"):
        assert client.get(path).status_code in (403, 404), path


OWN_ACCOUNT_ROUTES = {
    "POST /logout",
    "POST /login",
    "POST /account/password",
    "POST /account/tokens/<int:token_id>/revoke",
}


def test_read_only_roles_change_nothing_through_any_route(app, factory):
    """The auditor (三权分立) and the leader (只读) change nothing but their own account."""
    world = build_world(app, factory)
    for rule in app.url_map.iter_rules():
        for method in rule_methods(rule):
            if method == "GET" or route_key(method, rule) in OWN_ACCOUNT_ROUTES:
                continue
            for role in ("auditor", "leader"):
                for scope in ("own", "other"):
                    before = row_counts(app)
                    send(world, role, method, rule, scope)
                    assert row_counts(app) == before, (role, method, rule.rule, scope)


def test_no_route_can_change_or_delete_the_audit(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("audit_log."):
            assert set(rule_methods(rule)) == {"GET"}, rule.rule
