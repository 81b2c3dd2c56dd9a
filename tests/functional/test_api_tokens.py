"""API tokens: listed and revoked by their owner, expiring, stored only as a hash."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.extensions import db
from app.models import ApiToken
from tests.factories import bearer, csrf_token, login


def _revoke_path(html: str) -> str:
    match = re.search(r'action="(/account/tokens/\d+/revoke)"', html)
    assert match, html
    return match.group(1)


def test_the_owner_lists_and_revokes_a_token(app, client, factory):
    user = factory.user("caseworker", username="owner1")
    token = factory.token(user)
    api = app.test_client()
    assert api.get("/api/v1/projects", headers=bearer(token)).status_code == 200
    login(client, "owner1")
    page = client.get("/account/tokens").get_data(as_text=True)
    assert token[:12] in page and token not in page
    assert "有效" in page
    answer = client.post(_revoke_path(page), data={"csrf_token": csrf_token(page)})
    assert answer.status_code == 302
    assert api.get("/api/v1/projects", headers=bearer(token)).status_code == 401
    assert "已吊销" in client.get("/account/tokens").get_data(as_text=True)


def test_nobody_revokes_someone_elses_token_from_the_account_page(app, client, factory):
    victim = factory.user("caseworker", username="victim")
    token = factory.token(victim)
    factory.user("caseworker", username="mallory")
    login(client, "mallory")
    with app.app_context():
        token_id = db.session.scalars(select(ApiToken.id)).one()
    page = client.get("/account/tokens").get_data(as_text=True)
    answer = client.post(
        f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf_token(page)}
    )
    assert answer.status_code == 404
    assert app.test_client().get("/api/v1/projects", headers=bearer(token)).status_code == 200


def test_a_token_expires(app, factory, clock):
    token = factory.token(factory.user("caseworker"), days=30)
    api = app.test_client()
    clock.advance(days=29)
    assert api.get("/api/v1/projects", headers=bearer(token)).status_code == 200
    clock.advance(days=1)
    assert api.get("/api/v1/projects", headers=bearer(token)).status_code == 401


def test_only_the_hash_is_stored_and_use_is_recorded(app, factory):
    token = factory.token(factory.user("caseworker"))
    app.test_client().get("/api/v1/projects", headers=bearer(token))
    with app.app_context():
        row = db.session.scalars(select(ApiToken)).one()
        assert token not in (row.token_hash, row.prefix)
        assert len(row.token_hash) == 64
        assert row.last_used_at is not None


def test_a_malformed_or_unknown_token_is_refused(client):
    for header in ("Bearer", "Bearer ", "Bearer szs_nope", "Basic abc", "bearer  "):
        assert client.get("/api/v1/projects", headers={"Authorization": header}).status_code == 401
