"""Ledger pages. Views parse input, call one service, render; the rules live in the services."""

from __future__ import annotations

import io

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from app import clock
from app.ledger import bp
from app.ledger.forms import ConfirmForm, DiscardForm, UploadForm
from app.models import LedgerImport
from app.scoping import can, district_choices_for
from app.services import ledger as service
from app.services.errors import Forbidden, InvalidInput, NotFound, StaleVersion
from app.services.ledger_files import human_size
from app.services.projects import ProjectFilters
from cases.taxonomy import DISTRICTS

SHOWN_ROWS = 200  # changes listed on the preview page; the record keeps more


def _user():  # noqa: ANN202
    return current_user._get_current_object()


def _require(capability: str) -> None:
    if not can(_user(), capability):
        abort(403)


def _version(raw: str | None) -> int:
    """The version a form carried; garbage counts as stale rather than as an error."""
    try:
        return int(raw or "0")
    except ValueError:
        return 0


def _filters() -> ProjectFilters:
    """The project list's filters, from the query string."""
    args = request.args
    return ProjectFilters(
        district=args.get("district") or None,
        type=args.get("type") or None,
        lead=args.get("lead") or None,
        status=args.get("status") or None,
        q=(args.get("q") or "").strip()[:100] or None,
    )


def _download(file: service.LedgerFile) -> Response:
    response = send_file(
        io.BytesIO(file.data),
        mimetype=file.mimetype,
        as_attachment=True,
        download_name=file.filename,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/ledger")
@login_required
def index() -> str:
    """Export with filters, the blank template, the upload form and the latest imports."""
    _require("ledger.export")
    return render_template(
        "ledger/index.html",
        filters=_filters(),
        districts={c: DISTRICTS[c] for c in district_choices_for(_user())},
        form=UploadForm() if can(_user(), "ledger.import") else None,
        imports=service.recent_imports(_user()),
        max_bytes=human_size(current_app.config["LEDGER_MAX_BYTES"]),
        max_rows=current_app.config["LEDGER_MAX_ROWS"],
    )


@bp.route("/ledger/export")
@login_required
def export() -> Response:
    """The ledger of the projects the user may see, under the project list's filters."""
    _require("ledger.export")
    fmt = request.args.get("format", "xlsx")
    try:
        file = service.export_ledger(_user(), _filters(), fmt, clock.now())
    except InvalidInput as exc:
        flash(exc.message, "error")
        return redirect(url_for("ledger.index"))
    return _download(file)


@bp.route("/ledger/template")
@login_required
def template() -> Response:
    """A blank ledger with dropdowns and the 填写说明 sheet."""
    _require("ledger.export")
    return _download(service.template())


@bp.route("/ledger/import", methods=["POST"])
@login_required
def upload() -> Response:
    """Check an uploaded ledger and show what importing it would do."""
    _require("ledger.import")
    form = UploadForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
        return redirect(url_for("ledger.index"))
    storage = form.file.data
    limit = int(current_app.config["LEDGER_MAX_BYTES"])
    # One byte past the limit is enough for the service to refuse the size.
    data = storage.stream.read(limit + 1)
    try:
        record = service.import_ledger(
            _user(), storage.filename or "", data, clock.today(), mode="preview", source="web"
        )
    except Forbidden as exc:
        flash(exc.message, "error")
        return redirect(url_for("ledger.index"))
    return redirect(url_for("ledger.show", import_id=record.id))


def _load(import_id: int) -> LedgerImport:
    try:
        return service.get_import(_user(), import_id)
    except NotFound:
        abort(404)


@bp.route("/ledger/imports/<int:import_id>")
@login_required
def show(import_id: int) -> str:
    """An import: its problems, or the preview with the confirmation, or its result."""
    _require("ledger.import")
    record = _load(import_id)
    confirm = discard = None
    if record.status == "previewed" and record.user_id == _user().id:
        confirm = ConfirmForm(version=str(record.version))
        discard = DiscardForm(version=str(record.version))
    return render_template(
        "ledger/import.html",
        record=record,
        confirm=confirm,
        discard=discard,
        changes=record.changes[:SHOWN_ROWS],
    )


@bp.route("/ledger/imports/<int:import_id>/confirm", methods=["POST"])
@login_required
def confirm(import_id: int) -> Response:
    """Apply a previewed import in one transaction."""
    _require("ledger.import")
    _load(import_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        record = service.confirm_import(
            _user(),
            import_id,
            _version(form.version.data),
            clock.today(),
            confirmed=bool(form.confirmed.data),
        )
    except (InvalidInput, Forbidden, StaleVersion) as exc:
        flash(exc.message, "error")
        return redirect(url_for("ledger.show", import_id=import_id))
    if record.status == "applied":
        flash(
            f"已导入：新增 {record.created_count} 个项目，更新 {record.updated_count} 个，"
            f"{record.unchanged_count} 个无变化。",
            "success",
        )
    elif record.status == "duplicate":
        flash("同一文件已导入过，本次未作任何更改。", "warning")
    else:
        flash("数据已在预览后发生变化，重新检查发现问题，未导入任何数据。", "error")
    return redirect(url_for("ledger.show", import_id=import_id))


@bp.route("/ledger/imports/<int:import_id>/discard", methods=["POST"])
@login_required
def discard(import_id: int) -> Response:
    """Drop a previewed import."""
    _require("ledger.import")
    _load(import_id)
    form = DiscardForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        service.discard_import(_user(), import_id, _version(form.version.data))
    except (InvalidInput, StaleVersion) as exc:
        flash(exc.message, "error")
        return redirect(url_for("ledger.show", import_id=import_id))
    flash("已放弃本次导入，未写入任何数据。", "info")
    return redirect(url_for("ledger.index"))
