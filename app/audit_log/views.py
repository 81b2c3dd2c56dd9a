"""Search and CSV export of the audit, for the 审计管理员 only (三权分立)."""

from __future__ import annotations

from flask import Response, abort, flash, render_template, request, stream_with_context
from flask_login import current_user, login_required

from app import clock
from app.audit_log import bp
from app.clock import LOCAL_TZ
from app.extensions import db
from app.scoping import can
from app.services import audit
from app.services import audit_search as service
from app.services.errors import InvalidInput

PER_PAGE = 50


def _require(capability: str):  # noqa: ANN202
    user = current_user._get_current_object()
    if not can(user, capability):
        abort(403)
    return user


def _filters() -> service.AuditFilters:
    args = request.args
    return service.AuditFilters(
        **{
            name: (args.get(name) or "").strip()[:64]
            for name in ("actor", "action", "date_from", "date_to", "entity_type", "entity")
        }
    )


@bp.route("/audit")
@login_required
def index() -> str:
    """The audit, newest first, searchable by actor, action, date range and entity."""
    _require("audit.view")
    filters = _filters()
    page_no = request.args.get("page", 1, type=int) or 1
    try:
        page = service.search(filters, page_no, PER_PAGE)
    except InvalidInput as exc:
        flash(exc.message, "error")
        filters = service.AuditFilters()
        page = service.search(filters, 1, PER_PAGE)
    return render_template(
        "audit/index.html",
        page=page,
        filters=filters,
        labels=service.action_labels(),
        groups=service.ACTION_GROUPS,
        changes_text=service.changes_text,
    )


@bp.route("/audit/export.csv")
@login_required
def export() -> Response:
    """The filtered audit as CSV (personal data masked); the export itself is audited."""
    user = _require("audit.export")
    filters = _filters()
    try:
        service.query(filters)
    except InvalidInput as exc:
        abort(400, exc.message)
    audit.record(user, "audit.export", "audit", "csv", changes={"filters": filters.args()})
    db.session.commit()
    stamp = clock.now().astimezone(LOCAL_TZ).strftime("%Y%m%d-%H%M%S")
    return Response(
        stream_with_context(service.export_csv(filters)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="audit-{stamp}.csv"'},
    )
