"""Every route of `app.url_map` × every role × own/other record, against permission_matrix.py.

Run with PERMISSION_MATRIX_PRINT=1 to print the observed table (for a new route: check every
cell by hand before pasting it into permission_matrix.py).
"""

from __future__ import annotations

import os

from tests.checks import row_counts
from tests.functional.permission_matrix import MATRIX
from tests.functional.security_world import (
    ROLES,
    SCOPES,
    build_world,
    route_key,
    rule_methods,
    send,
)


def _routes(app):
    return [
        (method, rule)
        for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule)
        for method in rule_methods(rule)
    ]


def test_every_route_has_an_entry_in_the_permission_matrix(app):
    keys = {route_key(m, r) for m, r in _routes(app)}
    missing = sorted(keys - set(MATRIX))
    assert not missing, (
        "routes without an entry in tests/functional/permission_matrix.py — add one line per "
        "route and method saying what each role gets (run PERMISSION_MATRIX_PRINT=1 pytest "
        "tests/functional/test_permission_matrix.py -s to see the observed answers): "
        + ", ".join(missing)
    )
    stale = sorted(set(MATRIX) - keys)
    assert not stale, f"entries for routes that no longer exist: {', '.join(stale)}"


def _observe(world, method, rule):
    cells = []
    for role in ROLES:
        scopes = SCOPES if world.has_scope(rule) else ("own",)
        answers = []
        for scope in scopes:
            answer = send(world, role, method, rule, scope)
            answers.append(answer.status_code)
            if rule.endpoint == "auth.logout" and role != "anonymous":
                world.login(role)
        cells.append(answers[0] if len(set(answers)) == 1 else tuple(answers))
    return tuple(cells)


def _is_error(cell: int | tuple[int, ...]) -> bool:
    return any(code >= 500 for code in (cell if isinstance(cell, tuple) else (cell,)))


def test_every_route_answers_every_role_as_the_matrix_says(app, factory):
    world = build_world(app, factory)
    observed, wrong = {}, []
    for method, rule in _routes(app):
        key = route_key(method, rule)
        observed[key] = _observe(world, method, rule)
        if key in MATRIX and MATRIX[key] != observed[key]:
            wrong.append(
                f"{key}\n    expected {MATRIX[key]}\n    observed {observed[key]}"
                f"\n    roles    {ROLES}"
            )
    crashes = [k for k, cells in observed.items() if any(_is_error(c) for c in cells)]
    if os.environ.get("PERMISSION_MATRIX_PRINT"):
        for key, cells in observed.items():
            print(f"    {key!r}: {cells},")
    assert not crashes, f"routes answering 5xx: {crashes}"
    assert not wrong, "permission matrix mismatches:\n" + "\n".join(wrong)


STATE_CHANGING = ("POST", "PUT", "PATCH", "DELETE")


def test_every_state_changing_route_refuses_a_request_without_csrf_token(app, factory):
    world = build_world(app, factory)
    checked = []
    for method, rule in _routes(app):
        if method not in STATE_CHANGING:
            continue
        for role in ("caseworker", "admin", "department"):
            before = row_counts(app)
            answer = send(world, role, method, rule, "own", with_csrf=False)
            assert answer.status_code == 400, (method, rule.rule, role, answer.status_code)
            body = answer.get_data(as_text=True)
            assert "CSRF" in body, (method, rule.rule, role)
            assert row_counts(app) == before, (method, rule.rule, role)
        checked.append(route_key(method, rule))
    assert "POST /logout" in checked and "POST /admin/users/<int:user_id>/disable" in checked


def test_no_get_changes_anything(app, factory):
    world = build_world(app, factory)
    for method, rule in _routes(app):
        if method != "GET":
            continue
        before = row_counts(app)
        for role in ("caseworker", "district", "admin", "auditor"):
            for scope in SCOPES if world.has_scope(rule) else ("own",):
                send(world, role, method, rule, scope)
        after = row_counts(app)
        # Reading is audited where the law asks (exports): nothing else moves.
        before.pop("audit_events"), after.pop("audit_events")
        assert after == before, rule.rule
