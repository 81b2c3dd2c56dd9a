# ruff: noqa: E501  (one route per line reads as a table)
"""The expected answer of every route and method, for every role, on own and other records.

`tests/functional/test_permission_matrix.py` sends each request built from `app.url_map` (values
in `security_world.py`) and compares the status codes with this table. A new route fails that
test until it has a line here: decide what each role must get, write it down, and check it.

Each line: 'METHOD /rule': (anonymous, admin, caseworker, district, department, leader, auditor).
A cell is one status code, or (own, other) when the route addresses a record and the answers
differ: "own" is inside the bound roles' scope (大武口区; a defect led by 住建局 for the
department user), "other" outside it (平罗县; led by the court). Out of scope is 404, never 403,
so a refusal does not reveal that a record exists (contract.md; app/scoping.py). Requests carry
a valid CSRF token and an empty body (JSON_BODIES for the API), so a 200/302/400/409 below
means "got past authorisation" — and `test_read_only_roles_change_nothing_through_any_route`
shows those of leader and auditor change nothing.

Roles with no business reading projects (admin: 三权分立; auditor: audit only) get 403 (or 404
where the record lookup comes first); anonymous web requests are sent to /login (302) and API
requests get 401.
"""

JSON_BODIES: dict[str, object] = {
    # A stale version: in scope and allowed answers 409, so the scope and role checks show.
    "PATCH /api/v1/projects/<code>": {"version": 0},
}

# fmt: off
MATRIX: dict[str, tuple[int | tuple[int, int], ...]] = {
    'GET /': (302, 302, 302, 302, 302, 302, 302),
    'GET /account': (302, 200, 200, 200, 200, 200, 200),
    'GET /account/password': (302, 200, 200, 200, 200, 200, 200),
    'POST /account/password': (302, 200, 200, 200, 200, 200, 200),
    'GET /account/tokens': (302, 200, 200, 200, 200, 200, 200),
    'POST /account/tokens/<int:token_id>/revoke': (302, (302, 404), (302, 404), (302, 404), (302, 404), (302, 404), (302, 404)),
    'GET /admin/users': (302, 200, 403, 403, 403, 403, 403),
    'GET /admin/users/<int:user_id>': (302, 200, 403, 403, 403, 403, 403),
    'POST /admin/users/<int:user_id>/disable': (302, 302, 403, 403, 403, 403, 403),
    'GET /admin/users/<int:user_id>/edit': (302, 200, 403, 403, 403, 403, 403),
    'POST /admin/users/<int:user_id>/edit': (302, 200, 403, 403, 403, 403, 403),
    'POST /admin/users/<int:user_id>/enable': (302, 302, 403, 403, 403, 403, 403),
    'POST /admin/users/<int:user_id>/end-sessions': (302, 302, 403, 403, 403, 403, 403),
    'POST /admin/users/<int:user_id>/reset-password': (302, 200, 403, 403, 403, 403, 403),
    'POST /admin/users/<int:user_id>/tokens/<int:token_id>/revoke': (302, (302, 404), 403, 403, 403, 403, 403),
    'POST /admin/users/<int:user_id>/unlock': (302, 302, 403, 403, 403, 403, 403),
    'GET /admin/users/new': (302, 200, 403, 403, 403, 403, 403),
    'POST /admin/users/new': (302, 200, 403, 403, 403, 403, 403),
    'POST /api/v1/classify': (401, 403, 200, 200, 200, 200, 403),
    'GET /api/v1/map/districts.geojson': (401, 403, 200, 200, 200, 200, 403),
    'GET /api/v1/map/projects.geojson': (401, 403, 200, 200, 200, 200, 403),
    'GET /api/v1/projects': (401, 403, 200, 200, 200, 200, 403),
    'POST /api/v1/projects': (401, 403, 400, 400, 403, 403, 403),
    'GET /api/v1/projects/<code>': (401, 403, 200, (200, 404), (200, 404), 200, 403),
    'PATCH /api/v1/projects/<code>': (401, 404, 409, (409, 404), (403, 404), 403, 404),
    'GET /attachments/<int:attachment_id>': (302, 404, 200, (200, 404), (200, 404), 200, 404),
    'GET /audit': (302, 403, 403, 403, 403, 403, 200),
    'GET /audit/export.csv': (302, 403, 403, 403, 403, 403, 200),
    'GET /complaints': (302, 403, 200, 200, 200, 200, 403),
    'GET /complaints/<int:complaint_id>': (302, 403, 200, (200, 404), (200, 404), 200, 403),
    'POST /complaints/<int:complaint_id>/answer': (302, 404, 409, (409, 404), (403, 404), 403, 404),
    'POST /complaints/<int:complaint_id>/attachments': (302, 404, 200, (200, 404), (403, 404), 403, 404),
    'POST /complaints/<int:complaint_id>/link': (302, 404, 409, (409, 404), (403, 404), 403, 404),
    'GET /complaints/<int:complaint_id>/project': (302, 404, 200, (200, 404), (403, 404), 403, 404),
    'POST /complaints/<int:complaint_id>/project': (302, 404, 200, (200, 404), (403, 404), 403, 404),
    'POST /complaints/<int:complaint_id>/reveal': (302, 403, 200, 403, 403, 403, 403),
    'GET /complaints/export.xlsx': (302, 403, 200, 200, 200, 200, 403),
    'GET /complaints/new': (302, 403, 200, 200, 403, 403, 403),
    'POST /complaints/new': (302, 403, 200, 200, 403, 403, 403),
    'GET /dashboard': (302, 403, 200, 200, 200, 200, 403),
    'GET /dispatch': (302, 403, 200, 200, 200, 200, 403),
    'GET /dispatch/<month>': (302, 403, 200, 200, 200, 200, 403),
    'POST /dispatch/<month>/close': (302, 403, 302, 403, 403, 403, 403),
    'GET /dispatch/<month>/entries/<int:entry_id>': (302, 403, 200, (200, 404), (200, 404), 200, 403),
    'POST /dispatch/<month>/entries/<int:entry_id>': (302, 403, 409, (409, 404), (409, 404), 403, 403),
    'GET /dispatch/<month>/export.xlsx': (302, 403, 200, 200, 200, 200, 403),
    'GET /dispatch/<month>/print': (302, 403, 200, 200, 200, 200, 403),
    'POST /dispatch/rounds': (302, 403, 200, 403, 403, 403, 403),
    'GET /ledger': (302, 403, 200, 200, 403, 200, 403),
    'GET /ledger/export': (302, 403, 200, 200, 403, 200, 403),
    'POST /ledger/import': (302, 403, 302, 302, 403, 403, 403),
    'GET /ledger/imports/<int:import_id>': (302, 403, 404, 404, 403, 403, 403),
    'POST /ledger/imports/<int:import_id>/confirm': (302, 403, 404, 404, 403, 403, 403),
    'POST /ledger/imports/<int:import_id>/discard': (302, 403, 404, 404, 403, 403, 403),
    'GET /ledger/template': (302, 403, 200, 200, 403, 200, 403),
    'GET /login': (200, 302, 302, 302, 302, 302, 302),
    'POST /login': (200, 302, 302, 302, 302, 302, 302),
    'POST /logout': (302, 302, 302, 302, 302, 302, 302),
    'GET /map': (302, 403, 200, 200, 200, 200, 403),
    'GET /map/export.<fmt>': (302, 403, 200, 200, 200, 200, 403),
    'GET /map/import': (302, 403, 200, 200, 403, 403, 403),
    'POST /map/import': (302, 403, 200, 200, 403, 403, 403),
    'GET /map/import/<token>': (302, 403, 404, 404, 403, 403, 403),
    'POST /map/import/<token>/confirm': (302, 403, 404, 404, 403, 403, 403),
    'POST /map/import/<token>/discard': (302, 403, 404, 404, 403, 403, 403),
    'GET /map/static.<fmt>': (302, 403, 200, 200, 200, 200, 403),
    'GET /projects': (302, 403, 200, 200, 200, 200, 403),
    'GET /projects/<code>': (302, 403, 200, (200, 404), (200, 404), 200, 403),
    'POST /projects/<code>/certificates': (302, 404, 302, (302, 404), (403, 404), 403, 404),
    'POST /projects/<code>/defects/<defect_type>/override': (302, 403, 302, 403, 403, 403, 403),
    'POST /projects/<code>/defects/<int:defect_id>/actions/<action>': (302, 404, 302, (302, 404), (302, 404), 302, 404),
    'POST /projects/<code>/defects/<int:defect_id>/plan': (302, 404, 302, (302, 404), (302, 404), 403, 404),
    'GET /projects/<code>/edit': (302, 404, 200, (200, 404), (403, 404), 403, 404),
    'POST /projects/<code>/edit': (302, 404, 200, (200, 404), (403, 404), 403, 404),
    'GET /projects/new': (302, 403, 200, 200, 403, 403, 403),
    'POST /projects/new': (302, 403, 200, 200, 403, 403, 403),
    'GET /prompts': (302, 403, 200, 200, 200, 200, 403),
    'GET /prompts/<int:sheet_id>': (302, 403, 200, (200, 404), (200, 404), 200, 403),
    'GET /prompts/<int:sheet_id>/print': (302, 403, 200, (200, 404), (200, 404), 200, 403),
    'POST /prompts/<int:sheet_id>/reply': (302, 403, 409, (403, 404), (409, 404), 403, 403),
    'GET /prompts/new': (302, 403, 404, 403, 403, 403, 403),
    'POST /prompts/new': (302, 403, 404, 403, 403, 403, 403),
    'GET /reports': (302, 403, 200, 200, 403, 200, 403),
    'POST /reports/jobs': (302, 403, 400, 400, 403, 400, 403),
    'GET /reports/jobs/<token>': (302, 403, 404, 404, 403, 404, 403),
    'GET /reports/jobs/<token>/download': (302, 403, 404, 404, 403, 404, 403),
    'GET /reports/jobs/<token>/status': (302, 403, 404, 404, 403, 404, 403),
    'GET /reports/texts': (302, 403, 200, 403, 403, 403, 403),
    'GET /reports/texts/<kind>/<name>': (302, 403, 200, 403, 403, 403, 403),
    'POST /reports/texts/<kind>/<name>': (302, 403, 400, 403, 403, 403, 403),
    'POST /reports/texts/<kind>/<name>/reset': (302, 403, 302, 403, 403, 403, 403),
    'GET /static/<path:filename>': (200, 200, 200, 200, 200, 200, 200),
}
# fmt: on
