"""Command line (contract.md): `flask demo …` and `flask users …`."""

from __future__ import annotations

import sys
import time

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from app.clock import today
from app.extensions import db
from app.models import Project, User
from app.services.errors import InvalidInput

demo = AppGroup("demo", help="演示数据。")
users = AppGroup("users", help="账号与 API 令牌。")


@demo.command("load")
@click.option("--if-empty", is_flag=True, help="只在数据库中还没有项目时加载。")
def demo_load(if_empty: bool) -> None:
    """Load the demo accounts and about 60 石嘴山 projects (idempotent)."""
    from app.demo.dataset import demo_projects
    from app.demo.loader import ensure_demo_accounts, load_projects

    if if_empty and db.session.scalar(select(func.count(Project.id))):
        click.echo("数据库中已有项目，未加载演示数据。")
        return
    accounts = ensure_demo_accounts()
    added = load_projects(demo_projects(), today())
    click.echo(f"演示数据：新增账号 {len(accounts)} 个，新增项目 {added} 个。")


@demo.command("accounts")
def demo_accounts() -> None:
    """Print the demo accounts that exist in this database."""
    from app.demo.loader import DEMO_ACCOUNTS, DEMO_PASSWORD

    names = set(db.session.scalars(select(User.username)).all())
    rows = [a for a in DEMO_ACCOUNTS if a[0] in names]
    if not rows:
        click.echo("没有演示账号。")
        return
    click.echo(f"演示账号（密码均为 {DEMO_PASSWORD}，仅用于演示环境）：")
    for username, role, district, department, name in rows:
        binding = district or department or ""
        click.echo(f"  {username:<11} {role:<11} {binding:<9} {name}")


@demo.command("generate")
@click.option("--projects", "count", type=click.IntRange(1, 1_000_000), required=True)
@click.option("--seed", type=int, default=1, show_default=True)
def demo_generate(count: int, seed: int) -> None:
    """A synthetic data set of N projects, deterministic from the seed (for benchmarks)."""
    from app.demo.dataset import generate_projects
    from app.demo.loader import load_projects

    started = time.perf_counter()
    rows = generate_projects(count, seed)
    added = load_projects(rows, today(), renumber=True)
    click.echo(
        f"已生成 {added} 个项目（种子 {seed}），用时 {time.perf_counter() - started:.1f} 秒。"
    )


def _read_password() -> str:
    """From standard input: one line when piped, prompted twice on a terminal."""
    if sys.stdin.isatty():
        return click.prompt("密码", hide_input=True, confirmation_prompt="再次输入密码")
    return sys.stdin.readline().rstrip("\r\n")


@users.command("create")
@click.argument("username")
@click.option("--role", required=True, help="admin/caseworker/district/department/leader/auditor")
@click.option("--district", default=None, help="县区代码：dwk、hn、pl")
@click.option("--department", default=None, help="部门代码，见 annex3-rules.md")
@click.option("--name", "display_name", default="", help="显示名称")
def users_create(
    username: str, role: str, district: str | None, department: str | None, display_name: str
) -> None:
    """Create an account; the password is read from standard input."""
    from app.auth.services import create_user

    password = _read_password()
    try:
        user = create_user(
            username,
            password,
            role,
            district=district,
            department=department,
            display_name=display_name,
        )
    except InvalidInput as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from exc
    click.echo(f"已创建账号 {user.username}（{user.role_label}），首次登录须修改密码。")


@users.command("token")
@click.argument("username")
@click.option("--name", default="cli", help="令牌用途说明")
def users_token(username: str, name: str) -> None:
    """Print a new API token for the user (shown once, stored only as a hash)."""
    from app.auth.services import issue_token

    user = db.session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        raise click.ClickException(f"没有账号 {username}。")
    if not user.active:
        raise click.ClickException(f"账号 {username} 已停用。")
    token = issue_token(user, current_app.config["API_TOKEN_DAYS"], name)
    click.echo(token)


def register(app: Flask) -> None:
    """Attach the command groups to the app."""
    app.cli.add_command(demo)
    app.cli.add_command(users)
