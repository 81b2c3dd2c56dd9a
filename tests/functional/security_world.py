"""A small world for the route-wide security tests: one signed-in client per role, and for
every kind of record one inside the scope of the bound roles ("own": 大武口区, led by 住建局)
and one outside it ("other": 平罗县, led by the court).

The permission matrix, the CSRF sweep and the header sweep all build their requests from
`app.url_map` with the values here, so a new route only needs an entry in
`tests/functional/permission_matrix.py` (and, for a new kind of URL argument, a value below).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from app.extensions import db
from app.models import (
    ApiToken,
    Complaint,
    Defect,
    DispatchEntry,
    DispatchRound,
    PromptSheet,
    User,
)
from app.services import attachments
from tests.factories import FIRE_WINDOW_FACTS, TODAY, Factory, csrf_token, login

ROLES = ("anonymous", "admin", "caseworker", "district", "department", "leader", "auditor")
SCOPES = ("own", "other")
# The other project has one defect, led by the court: neither 大武口区 nor 住建局 sees it.
OTHER_FACTS: dict[str, Any] = {"project_type": "commercial", "in_litigation": True}
ID_NUMBER = "640202199001011234"  # a made-up 18-digit 身份证号 (checks mask it everywhere)
MONTH = "2026-11"
FORMATS = {"map.export": "geojson", "map.static_map": "png"}


@dataclass
class World:
    """Clients, CSRF tokens and the URL argument values for own and other records."""

    app: Flask
    factory: Factory
    clients: dict[str, FlaskClient] = field(default_factory=dict)
    csrf: dict[str, str] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)
    usernames: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    own_tokens: dict[str, int] = field(default_factory=dict)
    target_id: int = 0
    target_token: int = 0
    stranger_token: int = 0

    def login(self, role: str) -> None:
        """(Re)open the role's session and keep its CSRF token."""
        client = self.app.test_client()
        if role == "anonymous":
            html = client.get("/login").get_data(as_text=True)
        else:
            answer = login(client, self.usernames[role])
            assert answer.status_code == 302, f"{role} could not log in"
            html = client.get("/account").get_data(as_text=True)
        self.clients[role] = client
        self.csrf[role] = csrf_token(html)

    def url_values(self, rule: Rule, role: str, scope: str) -> dict[str, Any]:
        """The URL arguments for `rule` as `role` addressing an own or other record."""
        values: dict[str, Any] = {}
        for name in rule.arguments:
            if rule.rule.startswith("/account/tokens") and name == "token_id":
                # Own: the requester's token; other: someone else's (a 404, not a revoke).
                own = self.own_tokens.get(role, self.target_token)
                values[name] = own if scope == "own" else self.target_token
            elif rule.rule.startswith("/admin/users") and name == "token_id":
                # Own: a token of the account in the URL; other: a token of another account.
                values[name] = self.target_token if scope == "own" else self.stranger_token
            elif name == "fmt":
                values[name] = FORMATS.get(rule.endpoint, "png")
            elif name in self.values:
                values[name] = self.values[name][scope]
            else:
                raise KeyError(
                    f"no test value for URL argument <{name}> of {rule.rule}: add one to "
                    "tests/functional/security_world.py"
                )
        return values

    def has_scope(self, rule: Rule) -> bool:
        """True when the rule addresses a record, so own and other are both tried."""
        return any(
            name not in ("fmt", "filename", "token", "action", "month", "kind", "name", "import_id")
            for name in rule.arguments
        )


def _attachment(user: User, project_id: int) -> int:
    row = attachments.store(
        user,
        attachments.Upload("证明.pdf", io.BytesIO(b"%PDF-1.4 test")),
        "defect_event",
        0,
        project_id,
    )
    db.session.flush()
    return row.id


def build_world(app: Flask, factory: Factory) -> World:
    """Users of every role, own/other records of every kind, a signed-in client per role."""
    world = World(app, factory)
    recs = {
        "admin": factory.user("admin"),
        "caseworker": factory.user("caseworker"),
        "district": factory.user("district", district="dwk"),
        "department": factory.user("department", department="housing"),
        "leader": factory.user("leader"),
        "auditor": factory.user("auditor"),
    }
    target = factory.user("caseworker", username="matrix-target")
    world.target_id = target.id
    for role, rec in recs.items():
        world.users[role] = rec.id
        world.usernames[role] = rec.username
    own = factory.project(district="dwk", facts=FIRE_WINDOW_FACTS, actor=None)
    other = factory.project(district="pl", facts=OTHER_FACTS, actor=None)
    for role in ("caseworker", "district", "department", "leader", "auditor", "admin"):
        factory.token(recs[role])
    factory.token(target)
    with app.app_context():
        tokens = {t.user_id: t.id for t in db.session.scalars(db.select(ApiToken))}
        world.own_tokens = {role: tokens[uid] for role, uid in world.users.items()}
        world.target_token = tokens[target.id]
        world.stranger_token = tokens[world.users["leader"]]
        caseworker = db.session.get(User, world.users["caseworker"])
        assert caseworker is not None
        defects = {d.project_id: d for d in db.session.scalars(db.select(Defect)) if d.project_id}
        own_defect, other_defect = defects[own.id], defects[other.id]
        complaints = {}
        for key, rec, district in (("own", own, "dwk"), ("other", other, "pl")):
            complaint = Complaint(
                source="12345",
                received_on=TODAY,
                district_code=district,
                project_id=rec.id,
                complainant_name="张三明",
                complainant_phone="13912345678",
                complainant_id_number=ID_NUMBER,
                content=f"业主反映办证难，身份证号{ID_NUMBER}",
                created_by_id=caseworker.id,
            )
            db.session.add(complaint)
            complaints[key] = complaint
        db.session.flush()
        sheets = {}
        for seq, (key, defect, department, district) in enumerate(
            (("own", own_defect, "housing", "dwk"), ("other", other_defect, "court", "pl")), 1
        ):
            sheet = PromptSheet(
                year=TODAY.year,
                seq=seq,
                number=f"测试〔{TODAY.year}〕{seq}号",
                department_code=department,
                defect_id=defect.id,
                project_id=defect.project_id,
                district_code=district,
                subject="请加快办理",
                content="请于十五日内回复。",
                issued_by_id=caseworker.id,
                issued_on=TODAY,
            )
            db.session.add(sheet)
            sheets[key] = sheet
        round_ = DispatchRound(month=MONTH, opened_by_id=caseworker.id)
        db.session.add(round_)
        db.session.flush()
        entries = {}
        for key, defect, district in (("own", own_defect, "dwk"), ("other", other_defect, "pl")):
            entry = DispatchEntry(
                round_id=round_.id,
                defect_id=defect.id,
                project_id=defect.project_id,
                district_code=district,
                lead_code=defect.lead_code,
                status_at_open=defect.status,
            )
            db.session.add(entry)
            entries[key] = entry
        files = {"own": _attachment(caseworker, own.id), "other": _attachment(caseworker, other.id)}
        db.session.commit()
        world.values = {
            "code": {"own": own.code, "other": other.code},
            "defect_type": {"own": own_defect.type, "other": other_defect.type},
            "defect_id": {"own": own_defect.id, "other": other_defect.id},
            "action": {"own": "assign", "other": "assign"},
            "attachment_id": files,
            "complaint_id": {k: c.id for k, c in complaints.items()},
            "sheet_id": {k: s.id for k, s in sheets.items()},
            "entry_id": {k: e.id for k, e in entries.items()},
            "month": {"own": MONTH, "other": MONTH},
            "user_id": {"own": target.id, "other": target.id},
            "token": {"own": "no-such-token", "other": "no-such-token"},
            "kind": {"own": "quarterly", "other": "quarterly"},
            # No import record exists: the route must answer 403/404, never show another's.
            "import_id": {"own": 999999, "other": 999999},
            "name": {"own": "opening", "other": "opening"},
            "filename": {"own": "css/app.css", "other": "css/app.css"},
        }
        db.session.remove()
    for role in ROLES:
        world.login(role)
    return world


def rule_methods(rule: Rule) -> list[str]:
    """The methods a rule answers that the matrix covers (HEAD and OPTIONS follow GET)."""
    return sorted(m for m in rule.methods or () if m not in ("HEAD", "OPTIONS"))


def route_key(method: str, rule: Rule) -> str:
    """'METHOD /rule', the key of the permission matrix."""
    return f"{method} {rule.rule}"


def send(world: World, role: str, method: str, rule: Rule, scope: str, *, with_csrf: bool = True):
    """One request of `role` to `rule`, with an empty but well-formed body."""
    from tests.functional.permission_matrix import JSON_BODIES

    client = world.clients[role]
    path = world.app.url_for(rule.endpoint, **world.url_values(rule, role, scope))
    path = path.replace("http://localhost", "")
    key = route_key(method, rule)
    if method == "GET":
        answer = client.get(path)
    elif rule.rule.startswith("/api/"):
        headers = {"X-CSRFToken": world.csrf[role]} if with_csrf else {}
        body = JSON_BODIES.get(key, {})
        answer = client.open(path, method=method, json=body, headers=headers)
    else:
        data = {"csrf_token": world.csrf[role]} if with_csrf else {}
        answer = client.open(path, method=method, data=data)
    answer.get_data()  # buffer it, then release streamed files (send_file)
    answer.close()
    return answer
