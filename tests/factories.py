"""Test data builders that go through the real services, plus CSRF-aware client helpers."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from dataclasses import dataclass
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from app.auth.services import create_user, issue_token
from app.extensions import db
from app.models import User
from app.services.projects import ProjectInput, create_project, parse_input_facts

PASSWORD = "Test#Pass2024"
TODAY = dt.date(2026, 11, 27)
_counter = itertools.count(1)

# Representative points inside each district of the sample boundaries.
POINTS = {"dwk": (106.3768, 39.0148), "hn": (106.7812, 39.2397), "pl": (106.5450, 38.9063)}

# Facts raising one defect each, handy for tests.
FIRE_WINDOW_FACTS: dict[str, Any] = {
    "project_type": "commercial",
    "fire_acceptance_done": False,
    "construction_start_date": "2005-03-01",
    "completion_date": "2007-10-01",
}


@dataclass(frozen=True)
class UserRec:
    """What a test needs of a created user (the ORM object would outlive its session)."""

    id: int
    username: str
    role: str
    district: str | None
    department: str | None


@dataclass(frozen=True)
class ProjectRec:
    """What a test needs of a created project."""

    id: int
    code: str
    version: int
    district: str
    defect_types: tuple[str, ...]


class Factory:
    """Builds users, tokens and projects through the services, each in its own app context.

    Holding one context for a whole test would make every client request share its `g` and
    database session, hiding real bugs (CSRF tokens, stale reads).
    """

    def __init__(self, app: Flask) -> None:
        self.app = app

    def _load_user(self, rec: UserRec) -> User:
        user = db.session.get(User, rec.id)
        assert user is not None
        return user

    def user(
        self,
        role: str = "caseworker",
        *,
        username: str | None = None,
        district: str | None = None,
        department: str | None = None,
        password: str = PASSWORD,
        must_change_password: bool = False,
    ) -> UserRec:
        """An account; district/department default to dwk/housing where the role needs one."""
        if role == "district" and district is None:
            district = "dwk"
        if role == "department" and department is None:
            department = "housing"
        with self.app.app_context():
            user = create_user(
                username or f"{role}{next(_counter)}",
                password,
                role,
                district=district,
                department=department,
                must_change_password=must_change_password,
            )
            return UserRec(user.id, user.username, role, district, department)

    def token(self, user: UserRec, days: int = 30) -> str:
        """A fresh API token for the user."""
        with self.app.app_context():
            return issue_token(self._load_user(user), days, "test")

    def project(
        self,
        *,
        district: str = "dwk",
        facts: dict[str, Any] | None = None,
        actor: UserRec | None = None,
        **fields: Any,
    ) -> ProjectRec:
        """A project created through the service (classified and audited)."""
        actor = actor or self.user("caseworker")
        lon, lat = POINTS[district]
        values: dict[str, Any] = {
            "name": f"测试小区{next(_counter)}",
            "district": district,
            "total_households": 100,
            "certified_households": 10,
            "lon": lon,
            "lat": lat,
        }
        values.update(fields)
        with self.app.app_context():
            data = ProjectInput(**values, facts=parse_input_facts(facts or {}))
            project = create_project(self._load_user(actor), data, TODAY).project
            return ProjectRec(
                project.id,
                project.code,
                project.version,
                project.district_code,
                tuple(d.type for d in project.defects),
            )


class FrozenClock:
    """A stand-in for `app.clock.now`: starts at the real now and moves only when told."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        self.current = start or dt.datetime.now(dt.UTC)

    def now(self) -> dt.datetime:
        """The frozen instant."""
        return self.current

    def advance(self, **delta: float) -> dt.datetime:
        """Move time forward by `timedelta(**delta)`."""
        self.current += dt.timedelta(**delta)
        return self.current


def csrf_token(html: str) -> str:
    """The CSRF token of the first form in a page."""
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "page has no CSRF token"
    return match.group(1)


def login(client: FlaskClient, username: str, password: str = PASSWORD) -> TestResponse:
    """Log in through the real form, CSRF token included."""
    page = client.get("/login")
    token = csrf_token(page.get_data(as_text=True))
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        follow_redirects=False,
    )


def bearer(token: str) -> dict[str, str]:
    """Authorization header for an API token."""
    return {"Authorization": f"Bearer {token}"}
