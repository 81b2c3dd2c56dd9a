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
    """Load the demo accounts, about 60 石嘴山 projects and months of 每月调度 (idempotent)."""
    from app.demo.dataset import demo_projects
    from app.demo.history import load_history, plan
    from app.demo.intake import load_intake
    from app.demo.loader import ensure_demo_accounts, load_projects
    from app.demo.outlines import attach_demo_outlines

    if if_empty and db.session.scalar(select(func.count(Project.id))):
        click.echo("数据库中已有项目，未加载演示数据。")
        return
    accounts = ensure_demo_accounts()
    history = plan(today())
    added = load_projects(demo_projects(), today(), registered_at=history.registered_at)
    rounds = load_history(history, echo=click.echo)
    complaints, sheets = load_intake(today())
    outlines = attach_demo_outlines()
    click.echo(f"演示数据：新增项目红线示意 {outlines} 处。")
    click.echo(f"演示数据：新增群众诉求 {complaints} 件，提示建议单 {sheets} 份。")
    click.echo(
        f"演示数据：新增账号 {len(accounts)} 个，新增项目 {added} 个，每月调度历史 {rounds} 轮。"
    )


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


@users.command("reset-password")
@click.argument("username")
def users_reset_password(username: str) -> None:
    """Set a new password read from standard input; it must be changed at next login.

    The server-side way for accounts the web administrator may not reset (审计管理员).
    """
    from app import clock
    from app.auth.passwords import check_password
    from app.auth.services import hash_password
    from app.services import audit

    user = db.session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        raise click.ClickException(f"没有账号 {username}。")
    password = _read_password()
    try:
        check_password(password, username)
    except InvalidInput as exc:
        raise click.ClickException(exc.message) from exc
    user.password_hash = hash_password(password)
    user.password_changed_at = clock.now()
    user.must_change_password = True
    user.failed_logins = 0
    user.locked_until = None
    user.session_epoch = user.session_epoch + 1
    audit.record(None, "user.reset_password", "user", username, changes={"via": "cli"})
    db.session.commit()
    click.echo(f"已重置账号 {username} 的密码，下次登录须修改密码。")


def register(app: Flask) -> None:
    """Attach the command groups to the app."""
    from app.ledger.cli import ledger

    app.cli.add_command(demo)
    app.cli.add_command(users)
    app.cli.add_command(ledger)
