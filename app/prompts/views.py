"""提示建议单 pages. Views parse input, call one service, render; the rules live in the services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.clock import today
from app.complaints.views import conflict
from app.privacy import mask_text
from app.prompts import bp
from app.prompts.forms import ReplyForm, SheetForm
from app.scoping import can, may_reply_prompt
from app.services import prompts as service
from app.services.errors import Forbidden, InvalidInput, NotFound, StaleVersion
from cases.taxonomy import DEPARTMENTS, DISTRICTS

CN_DIGITS = "〇一二三四五六七八九"


def _user():  # noqa: ANN202
    return current_user._get_current_object()


def _require(capability: str) -> None:
    if not can(_user(), capability):
        abort(403)


def _version(raw: str | None) -> int:
    try:
        return int(raw or "0")
    except ValueError:
        return 0


def _int_arg(name: str) -> int | None:
    raw = request.args.get(name, "")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else None


@bp.app_template_filter("cndate")
def cndate(value: dt.date | None) -> str:
    """公文 date: 2024年7月12日."""
    if value is None:
        return ""
    return f"{value.year}年{value.month}月{value.day}日"


@bp.app_template_filter("cnyear_date")
def cnyear_date(value: dt.date | None) -> str:
    """公文 落款 date in Chinese numerals: 二〇二四年七月十二日."""
    if value is None:
        return ""

    def small(n: int) -> str:
        tens, ones = divmod(n, 10)
        text = ("" if tens < 2 else CN_DIGITS[tens]) + ("十" if tens else "")
        return text + (CN_DIGITS[ones] if ones else "")

    year = "".join(CN_DIGITS[int(d)] for d in str(value.year))
    return f"{year}年{small(value.month)}月{small(value.day)}日"


@bp.route("/prompts")
@login_required
def list_sheets() -> str:
    """Filterable, paginated list of the sheets in the user's scope."""
    _require("prompts.view")
    args = request.args
    filters = service.SheetFilters(
        department=args.get("department") or None,
        district=args.get("district") or None,
        status=args.get("status") or None,
        year=_int_arg("year"),
        q=(args.get("q") or "").strip()[:100] or None,
    )
    page_no = args.get("page", 1, type=int) or 1
    per_page = int(current_app.config["PROJECTS_PER_PAGE"])
    try:
        page = service.list_sheets(_user(), filters, page_no, per_page)
    except InvalidInput as exc:
        flash(exc.message, "error")
        filters = service.SheetFilters()
        page = service.list_sheets(_user(), filters, 1, per_page)
    return render_template(
        "prompts/list.html",
        page=page,
        filters=filters,
        years=service.years(_user()),
        statuses=service.PROMPT_STATUSES,
        departments={c: d for c, d in DEPARTMENTS.items() if c != service.ISSUER},
        districts=DISTRICTS,
    )


def _origin() -> service.Origin:
    """The defect or complaint named in the query string (exactly one)."""
    defect_id, complaint_id = _int_arg("defect"), _int_arg("complaint")
    if (defect_id is None) == (complaint_id is None):
        abort(404)
    try:
        if defect_id is not None:
            return service.from_defect(_user(), defect_id)
        assert complaint_id is not None
        return service.from_complaint(_user(), complaint_id)
    except NotFound:
        abort(404)
    except Forbidden:
        abort(403)


@bp.route("/prompts/new", methods=["GET", "POST"])
@login_required
def create() -> Any:
    """Issue a sheet from a defect (`?defect=`) or a complaint (`?complaint=`)."""
    _require("prompts.issue")
    origin = _origin()
    form = SheetForm()
    if request.method == "GET":
        form.fill_from(service.draft(origin))
    elif form.validate_on_submit():
        try:
            sheet = service.issue(_user(), origin, form.to_input(), today())
        except InvalidInput as exc:
            field = form._fields.get(exc.field)
            if field is not None:
                field.errors = [*field.errors, exc.message]
            else:
                flash(exc.message, "error")
        except Forbidden:
            abort(403)
        else:
            flash(f"已印发 {sheet.number}。", "success")
            return redirect(url_for("prompts.detail", sheet_id=sheet.id))
    return render_template("prompts/form.html", form=form, origin=origin)


def _render_detail(sheet: Any, reply_form: ReplyForm | None = None) -> str:
    user = _user()
    may_reply = may_reply_prompt(user, sheet)
    if may_reply:
        reply_form = reply_form or ReplyForm(prefix="reply")
        reply_form.version.data = str(sheet.version)
        if reply_form.reply_date.data is None and not reply_form.is_submitted():
            reply_form.reply_date.data = today()
    return render_template(
        "prompts/detail.html",
        sheet=sheet,
        content=mask_text(sheet.content),
        reply_form=reply_form if may_reply else None,
        statuses=service.PROMPT_STATUSES,
    )


def _load(sheet_id: int) -> Any:
    try:
        return service.get_sheet(_user(), sheet_id)
    except NotFound:
        abort(404)


@bp.route("/prompts/<int:sheet_id>")
@login_required
def detail(sheet_id: int) -> str:
    """One sheet with its reply (and the reply form for its addressee)."""
    _require("prompts.view")
    return _render_detail(_load(sheet_id))


@bp.route("/prompts/<int:sheet_id>/print")
@login_required
def print_sheet(sheet_id: int) -> str:
    """The sheet as a printable 公文 page."""
    _require("prompts.view")
    sheet = _load(sheet_id)
    return render_template("prompts/print.html", sheet=sheet, content=mask_text(sheet.content))


@bp.route("/prompts/<int:sheet_id>/reply", methods=["POST"])
@login_required
def reply(sheet_id: int) -> Any:
    """The addressed department records its reply and the reply date."""
    _require("prompts.reply")
    sheet = _load(sheet_id)
    form = ReplyForm(prefix="reply")
    if form.validate_on_submit():
        try:
            service.reply(
                _user(),
                sheet_id,
                form.reply.data or "",
                form.reply_date.data,
                _version(form.version.data),
                today(),
            )
        except StaleVersion as exc:
            back = url_for("prompts.detail", sheet_id=sheet_id)
            mine = {
                "reply": form.reply.data or "",
                "reply_date": form.reply_date.data.isoformat() if form.reply_date.data else None,
            }
            return conflict(exc, "该提示建议单已被他人修改", back, mine)
        except InvalidInput as exc:
            field = form._fields.get(exc.field)
            if field is not None:
                field.errors = [*field.errors, exc.message]
            else:
                flash(exc.message, "error")
        except Forbidden:
            abort(403)
        else:
            flash("回复已登记。", "success")
            return redirect(url_for("prompts.detail", sheet_id=sheet_id))
    return _render_detail(sheet, form)
