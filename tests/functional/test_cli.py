"""`flask users …` and `flask demo …` through Flask's CLI runner."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from app.extensions import db
from app.models import Project, User
from tests.checks import is_chinese
from tests.factories import bearer

STRONG = "Str0ng#Passw0rd"


@pytest.fixture()
def cli(app):
    runner = app.test_cli_runner()

    def invoke(*args: str, input: str | None = None):
        return runner.invoke(args=list(args), input=input)

    return invoke


def _user(app, username: str) -> User | None:
    with app.app_context():
        user = db.session.scalars(select(User).where(User.username == username)).first()
        db.session.expunge_all()
        return user


def _projects(app) -> list[tuple[str, str]]:
    with app.app_context():
        rows = db.session.execute(select(Project.code, Project.name).order_by(Project.id)).all()
        return [tuple(r) for r in rows]


# ---------------------------------------------------------------- users create


@pytest.mark.parametrize(
    ("args", "role", "district", "department"),
    [
        (["--role", "caseworker"], "caseworker", None, None),
        (["--role", "district", "--district", "hn"], "district", "hn", None),
        (["--role", "department", "--department", "tax"], "department", None, "tax"),
        (["--role", "leader"], "leader", None, None),
        (["--role", "auditor"], "auditor", None, None),
        (["--role", "admin"], "admin", None, None),
    ],
)
def test_users_create_reads_the_password_from_stdin(app, cli, args, role, district, department):
    result = cli("users", "create", "newuser", *args, input=f"{STRONG}\n")
    assert result.exit_code == 0, result.output
    assert "已创建账号 newuser" in result.output
    assert STRONG not in result.output
    user = _user(app, "newuser")
    assert user is not None
    assert (user.role, user.district_code, user.department_code) == (role, district, department)
    assert check_password_hash(user.password_hash, STRONG)
    assert user.password_hash != STRONG


def test_users_create_takes_a_display_name(app, cli):
    result = cli(
        "users", "create", "wang", "--role", "leader", "--name", "王市长", input=f"{STRONG}\n"
    )
    assert result.exit_code == 0, result.output
    assert _user(app, "wang").display_name == "王市长"


def test_users_create_accepts_a_windows_line_ending(app, cli):
    result = cli("users", "create", "crlf", "--role", "leader", input=f"{STRONG}\r\n")
    assert result.exit_code == 0, result.output
    assert check_password_hash(_user(app, "crlf").password_hash, STRONG)


REFUSED = {
    "weak_password": (["newuser", "--role", "caseworker"], "abc123\n"),
    "short_password": (["newuser", "--role", "caseworker"], "Ab#1\n"),
    "password_with_the_username": (["newuser", "--role", "caseworker"], "newuser#A1x\n"),
    "empty_password": (["newuser", "--role", "caseworker"], "\n"),
    "no_input": (["newuser", "--role", "caseworker"], ""),
    "unknown_role": (["newuser", "--role", "boss"], f"{STRONG}\n"),
    "district_role_without_district": (["newuser", "--role", "district"], f"{STRONG}\n"),
    "unknown_district": (["newuser", "--role", "district", "--district", "xx"], f"{STRONG}\n"),
    "department_role_without_department": (["newuser", "--role", "department"], f"{STRONG}\n"),
    "unknown_department": (
        ["newuser", "--role", "department", "--department", "police"],
        f"{STRONG}\n",
    ),
    "district_for_a_caseworker": (
        ["newuser", "--role", "caseworker", "--district", "dwk"],
        f"{STRONG}\n",
    ),
    "department_for_a_leader": (
        ["newuser", "--role", "leader", "--department", "tax"],
        f"{STRONG}\n",
    ),
    "bad_username": (["new user", "--role", "caseworker"], f"{STRONG}\n"),
}


@pytest.mark.parametrize(("args", "stdin"), REFUSED.values(), ids=list(REFUSED))
def test_users_create_refuses_with_a_chinese_message_and_creates_nothing(app, cli, args, stdin):
    result = cli("users", "create", *args, input=stdin)
    assert result.exit_code != 0
    assert is_chinese(result.output), result.output
    assert "Traceback" not in result.output
    assert _user(app, args[0]) is None


def test_users_create_refuses_a_duplicate_username(app, cli, factory):
    factory.user("caseworker", username="taken")
    result = cli("users", "create", "taken", "--role", "leader", input=f"{STRONG}\n")
    assert result.exit_code != 0
    assert is_chinese(result.output)
    assert _user(app, "taken").role == "caseworker"


def test_users_create_without_a_role_is_a_usage_error(cli):
    result = cli("users", "create", "newuser", input=f"{STRONG}\n")
    assert result.exit_code == 2


# ---------------------------------------------------------------- users token


def test_users_token_prints_a_token_that_authenticates_the_api(cli, client, factory):
    factory.user("caseworker", username="apiuser")
    result = cli("users", "token", "apiuser")
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    assert re.fullmatch(r"szs_[A-Za-z0-9_-]{20,}", token)
    answer = client.get("/api/v1/projects", headers=bearer(token))
    assert answer.status_code == 200
    assert answer.get_json()["items"] == []


def test_each_users_token_call_prints_a_new_token(cli, factory):
    factory.user("caseworker", username="apiuser")
    first = cli("users", "token", "apiuser").output.strip()
    second = cli("users", "token", "apiuser").output.strip()
    assert first != second


def test_users_token_works_for_an_account_that_must_still_change_its_password(cli, client, factory):
    factory.user("caseworker", username="fresh", must_change_password=True)
    token = cli("users", "token", "fresh").output.strip()
    assert client.get("/api/v1/projects", headers=bearer(token)).status_code == 200


def test_users_token_for_an_unknown_user_fails_in_chinese(cli):
    result = cli("users", "token", "nobody")
    assert result.exit_code != 0
    assert is_chinese(result.output)
    assert "szs_" not in result.output


def test_users_token_for_a_deactivated_user_fails(app, cli, factory):
    rec = factory.user("caseworker", username="gone")
    with app.app_context():
        db.session.get(User, rec.id).active = False
        db.session.commit()
    result = cli("users", "token", "gone")
    assert result.exit_code != 0
    assert is_chinese(result.output)


# ---------------------------------------------------------------- demo


def test_demo_generate_creates_the_asked_number_of_projects(app, cli):
    result = cli("demo", "generate", "--projects", "30", "--seed", "7")
    assert result.exit_code == 0, result.output
    assert "已生成 30 个项目" in result.output
    rows = _projects(app)
    assert len(rows) == 30
    assert all(re.fullmatch(r"(DWK|HN|PL)-\d{4}", code) for code, _ in rows)


def _by_district(rows: list[tuple[str, str]]) -> dict[str, list[tuple[int, str]]]:
    out: dict[str, list[tuple[int, str]]] = {}
    for code, name in rows:
        prefix, number = code.split("-")
        out.setdefault(prefix, []).append((int(number), name))
    return {k: sorted(v) for k, v in out.items()}


def test_demo_generate_is_deterministic_for_a_seed(app, cli):
    """A second run with the same seed yields the same projects, numbered after the first."""
    cli("demo", "generate", "--projects", "30", "--seed", "7")
    first = _by_district(_projects(app))
    cli("demo", "generate", "--projects", "30", "--seed", "7")
    both = _by_district(_projects(app))
    assert set(both) == set(first)
    for prefix, rows in first.items():
        assert [n for n, _ in rows] == list(range(1, len(rows) + 1))
        again = both[prefix][len(rows) :]
        assert [name for _, name in again] == [name for _, name in rows]
        assert [n for n, _ in again] == [n + len(rows) for n, _ in rows]


def test_demo_generate_differs_between_seeds(app, cli):
    cli("demo", "generate", "--projects", "30", "--seed", "7")
    first = [name for _, name in _projects(app)]
    cli("demo", "generate", "--projects", "30", "--seed", "8")
    second = [name for _, name in _projects(app)][30:]
    assert first != second


@pytest.mark.parametrize("count", ["0", "-5", "many"])
def test_demo_generate_refuses_a_bad_count(app, cli, count):
    result = cli("demo", "generate", "--projects", count)
    assert result.exit_code == 2
    assert _projects(app) == []


def test_demo_load_is_idempotent(app, cli):
    first = cli("demo", "load")
    assert first.exit_code == 0, (
        "`flask demo load` failed (app/demo/dataset.py may still be in progress): "
        + first.output
        + repr(first.exception)
    )
    added = re.search(r"新增项目 (\d+) 个", first.output)
    assert added and int(added.group(1)) > 0, first.output
    count = len(_projects(app))
    second = cli("demo", "load")
    assert second.exit_code == 0, second.output
    assert "新增账号 0 个，新增项目 0 个" in second.output
    assert len(_projects(app)) == count


def test_demo_load_if_empty_skips_a_database_with_projects(app, cli, factory):
    factory.project()
    result = cli("demo", "load", "--if-empty")
    assert result.exit_code == 0, result.output
    assert "未加载演示数据" in result.output
    assert len(_projects(app)) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 1
