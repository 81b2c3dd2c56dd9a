"""每月调度 use cases (附件3 四(二)): open a month's round, fill its entries, close it, read it.

A round snapshots every open defect when it opens; its lead department, its project's district or
a caseworker fills the entry; closing the round copies each defect's status into the entry and
freezes it. The arithmetic (overdue, slipped, ranking) is `cases.dispatch`; this module loads
rows, calls it, writes the audit and commits.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, event, func, insert, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from app.clock import LOCAL_TZ
from app.extensions import db
from app.models import (
    Attachment,
    Defect,
    DispatchEntry,
    DispatchRound,
    Project,
    User,
    utcnow,
)
from app.scoping import can, may_report_dispatch, scope_dispatch_entries
from app.services import attachments, audit, workflow
from app.services.errors import Forbidden, InvalidInput, NotFound, StaleVersion
from cases.dispatch import (
    DispatchError,
    EntryFacts,
    PreviousFacts,
    Report,
    RoundSummary,
    check_new_round,
    check_report,
    month_of,
    parse_month,
    reference_date,
    shift_month,
    summarize,
)
from cases.taxonomy import DEFECT_TYPES, DEPARTMENTS, DISTRICTS
from cases.workflow import TRANSITIONS

ROUND_STATUSES: Mapping[str, str] = {"open": "进行中", "closed": "已关闭"}


def _refuse(exc: DispatchError) -> InvalidInput:
    return InvalidInput(exc.field or "month", exc.message)


def _local_date(moment: dt.datetime) -> dt.date:
    return moment.astimezone(LOCAL_TZ).date()


# ---------------------------------------------------------------- rounds


@dataclass(frozen=True)
class RoundRow:
    """A round in the list, with the user's share of its entries."""

    round: DispatchRound
    entries: int
    reported: int

    @property
    def unreported(self) -> int:
        """Entries of the user's scope not reported yet."""
        return self.entries - self.reported


def _require_view(user: User) -> None:
    if not can(user, "dispatch.view"):
        raise Forbidden("您没有查看每月调度的权限。")


def list_rounds(user: User) -> list[RoundRow]:
    """Every round, newest first, with counts over the entries the user may see (one query)."""
    _require_view(user)
    scoped = scope_dispatch_entries(
        select(
            DispatchEntry.round_id.label("round_id"),
            func.count().label("entries"),
            func.count(DispatchEntry.reported_at).label("reported"),
        ).group_by(DispatchEntry.round_id),
        user,
    ).subquery()
    rows = db.session.execute(
        select(DispatchRound, scoped.c.entries, scoped.c.reported)
        .outerjoin(scoped, scoped.c.round_id == DispatchRound.id)
        .order_by(DispatchRound.month.desc())
    ).all()
    return [RoundRow(r, entries or 0, reported or 0) for r, entries, reported in rows]


def get_round(user: User, month: str) -> DispatchRound:
    """The round of a month (404 when there is none)."""
    _require_view(user)
    try:
        month = parse_month(month)
    except DispatchError as exc:
        raise NotFound("没有找到该月的调度。") from exc
    found = db.session.scalars(select(DispatchRound).where(DispatchRound.month == month)).first()
    if found is None:
        raise NotFound("没有找到该月的调度。")
    return found


def suggested_month(today: dt.date) -> str:
    """The month the open-round form proposes: this month, or the next if this one is taken."""
    this = month_of(today)
    taken = db.session.scalar(select(DispatchRound.id).where(DispatchRound.month == this))
    return shift_month(this, 1) if taken else this


def _check_openable(month: str, today: dt.date) -> None:
    rows = db.session.execute(select(DispatchRound.month, DispatchRound.status)).all()
    open_month = next((m for m, s in rows if s == "open"), None)
    try:
        check_new_round(month, today, [m for m, _ in rows], open_month)
    except DispatchError as exc:
        raise _refuse(exc) from exc


def open_round(
    user: User, month_text: str, today: dt.date, *, at: dt.datetime | None = None
) -> DispatchRound:
    """Open the round of a month: one entry per open defect of every project, snapshot now."""
    if not can(user, "dispatch.manage"):
        raise Forbidden("只有自然资源局经办人可以开启每月调度。")
    try:
        month = parse_month(month_text)
    except DispatchError as exc:
        raise _refuse(exc) from exc
    _check_openable(month, today)
    round_ = DispatchRound(
        month=month, status="open", opened_by_id=user.id, opened_at=at or utcnow()
    )
    db.session.add(round_)
    try:
        db.session.flush()
    except IntegrityError:
        # Another caseworker opened a round between our check and our insert.
        db.session.rollback()
        _check_openable(month, today)
        raise InvalidInput("month", "调度已被他人同时开启，请刷新后查看。") from None
    # One INSERT … SELECT: a round over 10 000 projects must not build 20 000 objects in Python.
    snapshot = (
        select(
            literal(round_.id),
            Defect.id,
            Defect.project_id,
            Project.district_code,
            Defect.lead_code,
            Defect.status,
            Defect.deadline,
            Defect.planned_month,
            literal(""),
            literal(""),
            literal(""),
            literal(False),
            literal(1),
        )
        .join(Project, Defect.project_id == Project.id)
        .where(Defect.status != "closed")
        .order_by(Project.code, Defect.position)
    )
    db.session.execute(
        insert(DispatchEntry).from_select(
            [
                "round_id",
                "defect_id",
                "project_id",
                "district_code",
                "lead_code",
                "status_at_open",
                "deadline_at_open",
                "planned_month_at_open",
                "progress",
                "blocker",
                "next_step",
                "escalate",
                "version",
            ],
            snapshot,
        )
    )
    count = db.session.scalar(
        select(func.count()).select_from(DispatchEntry).where(DispatchEntry.round_id == round_.id)
    )
    audit.record(
        user,
        "dispatch.open",
        "dispatch_round",
        month,
        changes={"month": month, "status": [None, "open"], "entries": count},
    )
    db.session.commit()
    return round_


def close_round(
    user: User, month: str, expected_version: int, *, at: dt.datetime | None = None
) -> DispatchRound:
    """Close a round: each entry keeps its defect's status at closing and is frozen from now on."""
    if not can(user, "dispatch.manage"):
        raise Forbidden("只有自然资源局经办人可以关闭每月调度。")
    round_ = get_round(user, month)
    if round_.status != "open":
        raise InvalidInput("round", f"{round_.month} 的调度已经关闭。")
    if round_.version != expected_version:
        raise StaleVersion(round_.version)
    live_status = select(Defect.status).where(Defect.id == DispatchEntry.defect_id)
    db.session.execute(
        update(DispatchEntry)
        .where(DispatchEntry.round_id == round_.id)
        .values(status_at_close=live_status.scalar_subquery(), version=DispatchEntry.version + 1)
        .execution_options(synchronize_session=False)
    )
    total, reported, closed = db.session.execute(
        select(
            func.count(),
            func.count(DispatchEntry.reported_at),
            func.count().filter(DispatchEntry.status_at_close == "closed"),
        ).where(DispatchEntry.round_id == round_.id)
    ).one()
    round_.status = "closed"
    round_.closed_by_id = user.id
    round_.closed_at = at or utcnow()
    audit.record(
        user,
        "dispatch.close",
        "dispatch_round",
        round_.month,
        changes={
            "status": ["open", "closed"],
            "entries": total,
            "reported": reported,
            "closed": closed,
        },
    )
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise StaleVersion(0) from None
    # Entries loaded earlier in this session still carry their old version.
    db.session.expire_all()
    return round_


# ---------------------------------------------------------------- entries


def _entries_of(user: User, round_: DispatchRound) -> Select[tuple[DispatchEntry]]:
    return scope_dispatch_entries(
        select(DispatchEntry).where(DispatchEntry.round_id == round_.id), user
    )


def load_entry(user: User, month: str, entry_id: int) -> DispatchEntry:
    """One entry of a month's round, if the user may see it (404 otherwise)."""
    round_ = get_round(user, month)
    entry = db.session.scalars(
        _entries_of(user, round_)
        .where(DispatchEntry.id == entry_id)
        .options(
            selectinload(DispatchEntry.defect).selectinload(Defect.project),
            selectinload(DispatchEntry.project),
            selectinload(DispatchEntry.reported_by),
            selectinload(DispatchEntry.round),
        )
    ).first()
    if entry is None:
        raise NotFound("没有找到该调度条目。")
    return entry


def previous_entry(entry: DispatchEntry) -> DispatchEntry | None:
    """The same defect's entry in the round before (what was promised last month)."""
    return db.session.scalars(
        select(DispatchEntry)
        .join(DispatchRound, DispatchEntry.round_id == DispatchRound.id)
        .where(DispatchEntry.defect_id == entry.defect_id)
        .where(DispatchRound.month < entry.round.month)
        .order_by(DispatchRound.month.desc())
        .limit(1)
    ).first()


def frozen_message(round_: DispatchRound) -> str:
    """Why a closed round's entries cannot change."""
    return f"{round_.month} 的调度已关闭，填报内容已冻结，不能再修改。"


def may_fill(user: User, entry: DispatchEntry) -> bool:
    """The form is offered while the round is open, to the entry's reporters."""
    return entry.round.status == "open" and may_report_dispatch(user, entry)


@dataclass(frozen=True)
class EntryInput:
    """What a reporter submits for one entry, and optionally a lifecycle action with its inputs."""

    progress: str
    blocker: str = ""
    next_step: str = ""
    time_limit: dt.date | None = None
    escalate: bool = False
    action: str | None = None
    action_payload: Mapping[str, object] = field(default_factory=dict)
    defect_version: int | None = None


REPORT_FIELDS = ("progress", "blocker", "next_step", "time_limit", "escalate", "reported_status")


def entry_snapshot(entry: DispatchEntry) -> dict[str, Any]:
    """The reported fields as plain JSON values (audit and the conflict page)."""
    return {
        "progress": entry.progress,
        "blocker": entry.blocker,
        "next_step": entry.next_step,
        "time_limit": entry.time_limit.isoformat() if entry.time_limit else None,
        "escalate": entry.escalate,
        "reported_status": entry.reported_status,
    }


def input_snapshot(data: EntryInput) -> dict[str, Any]:
    """A submission in the shape of `entry_snapshot`, for the conflict page."""
    return {
        "progress": data.progress,
        "blocker": data.blocker,
        "next_step": data.next_step,
        "time_limit": data.time_limit.isoformat() if data.time_limit else None,
        "escalate": data.escalate,
        "reported_status": None,
    }


def _buffered(uploads: Sequence[attachments.Upload]) -> list[tuple[str, bytes]]:
    limit = 64 * 1024 * 1024  # a hard stop; the configured limit is checked by `store`
    return [(u.filename, u.stream.read(limit)) for u in uploads]


def save_entry(
    user: User,
    month: str,
    entry_id: int,
    data: EntryInput,
    expected_version: int,
    today: dt.date,
    uploads: Sequence[attachments.Upload] = (),
    *,
    at: dt.datetime | None = None,
) -> DispatchEntry:
    """Save a report on one entry, taking its lifecycle action in the same transaction."""
    entry = load_entry(user, month, entry_id)
    if entry.round.status != "open":
        raise Forbidden(frozen_message(entry.round))
    if not may_report_dispatch(user, entry):
        raise Forbidden("该条目由牵头部门、项目所在县区或自然资源局经办人填报。")
    if entry.version != expected_version:
        raise StaleVersion(entry.version, entry_snapshot(entry))
    try:
        report = check_report(
            data.progress, data.blocker, data.next_step, data.time_limit, data.escalate, today
        )
    except DispatchError as exc:
        raise _refuse(exc) from exc
    if data.action and data.action not in TRANSITIONS:
        raise InvalidInput("action", f"未知的操作：{data.action}")
    files = _buffered(uploads)
    with _files_added() as added:
        try:
            _write_entry(user, entry, data, report, files, today, at)
        except StaleDataError:
            _abandon(added)
            raise StaleVersion(0) from None
        except Exception:
            _abandon(added)
            raise
    return entry


@contextmanager
def _files_added() -> Iterator[list[Attachment]]:
    """Every attachment row added to the session meanwhile, held strongly (the identity map
    is weak, and the action's evidence is stored where we hold no reference)."""
    session = db.session()
    added: list[Attachment] = []

    def track(_session: Any, obj: object) -> None:
        if isinstance(obj, Attachment):
            added.append(obj)

    event.listen(session, "transient_to_pending", track)
    try:
        yield added
    finally:
        event.remove(session, "transient_to_pending", track)


def _abandon(written: list[Attachment]) -> None:
    """Roll back and remove every file this transaction wrote (the action's evidence too)."""
    db.session.rollback()
    attachments.discard(written)


def _write_entry(
    user: User,
    entry: DispatchEntry,
    data: EntryInput,
    report: Report,
    files: list[tuple[str, bytes]],
    today: dt.date,
    at: dt.datetime | None,
) -> None:
    """The writes of `save_entry`, in one transaction committed at the end."""
    before = entry_snapshot(entry)
    stored: list[Attachment] = []
    defect = entry.defect
    if data.action:
        needs_evidence = "evidence" in TRANSITIONS[data.action].requires
        workflow.take_action(
            user,
            defect.id,
            data.action,
            data.action_payload,
            data.defect_version if data.defect_version is not None else -1,
            today,
            # 提交销号 needs its evidence on the defect's history as well as on the entry.
            [attachments.Upload(n, io.BytesIO(b)) for n, b in files] if needs_evidence else (),
            at=at,
            commit=False,
        )
    for name, content in files:
        stored.append(
            attachments.store(
                user,
                attachments.Upload(name, io.BytesIO(content)),
                "dispatch_entry",
                entry.id,
                entry.project_id,
            )
        )
    entry.progress = report.progress
    entry.blocker = report.blocker
    entry.next_step = report.next_step
    entry.time_limit = report.time_limit
    entry.escalate = report.escalate
    entry.reported_status = defect.status
    entry.reported_by_id = user.id
    entry.reported_at = at or utcnow()
    after = entry_snapshot(entry)
    changes: dict[str, Any] = {
        k: [before[k], after[k]] for k in REPORT_FIELDS if before[k] != after[k]
    }
    if data.action:
        changes["action"] = data.action
    changes["attachments"] = [a.original_name for a in stored]
    audit.record(
        user,
        "dispatch.entry",
        "dispatch_entry",
        f"{entry.round.month}/{entry.project.code}/{defect.type}",
        project_id=entry.project_id,
        changes=changes,
    )
    db.session.commit()


# ---------------------------------------------------------------- reading a round


@dataclass(frozen=True)
class EntryRow:
    """What the lists print about one entry."""

    id: int
    project_code: str
    project_name: str
    defect_type: str
    district: str
    lead: str
    status_at_open: str
    status: str
    deadline: dt.date | None
    planned_month: str | None
    reported: bool
    escalate: bool

    @property
    def defect_name(self) -> str:
        """The defect type in Chinese."""
        return DEFECT_TYPES[self.defect_type].name


@dataclass(frozen=True)
class Overview:
    """The round page's figures over the entries the user may see."""

    round: DispatchRound
    as_of: dt.date
    previous_month: str | None
    summary: RoundSummary
    rows: Mapping[int, EntryRow]

    @property
    def overdue_reasons(self) -> dict[int, tuple[str, ...]]:
        """Entry id → why it is overdue."""
        return {f.entry_id: f.reasons for f in self.summary.overdue}

    @property
    def slip_reasons(self) -> dict[int, tuple[str, ...]]:
        """Entry id → what slipped since last month."""
        return {f.entry_id: f.reasons for f in self.summary.slipped}


def _status_expression(round_: DispatchRound):  # noqa: ANN202
    """The status a round is judged by: live while open, as frozen once closed."""
    if round_.status == "open":
        return Defect.status
    return func.coalesce(
        DispatchEntry.status_at_close, DispatchEntry.reported_status, DispatchEntry.status_at_open
    )


def previous_round(round_: DispatchRound) -> DispatchRound | None:
    """The round before this one."""
    return db.session.scalars(
        select(DispatchRound)
        .where(DispatchRound.month < round_.month)
        .order_by(DispatchRound.month.desc())
        .limit(1)
    ).first()


def overview(user: User, round_: DispatchRound, today: dt.date) -> Overview:
    """Summary, overdue, slipped and ranking of a round, in a constant number of queries."""
    closed_on = _local_date(round_.closed_at) if round_.closed_at else None
    as_of = reference_date(round_.month, today, closed_on)
    rows = db.session.execute(
        scope_dispatch_entries(
            select(
                DispatchEntry.id,
                DispatchEntry.defect_id,
                DispatchEntry.district_code,
                DispatchEntry.lead_code,
                DispatchEntry.status_at_open,
                _status_expression(round_),
                DispatchEntry.deadline_at_open,
                DispatchEntry.planned_month_at_open,
                DispatchEntry.reported_at.is_not(None),
                DispatchEntry.escalate,
                Project.code,
                Project.name,
                Defect.type,
            )
            .join(Defect, DispatchEntry.defect_id == Defect.id)
            .join(Project, DispatchEntry.project_id == Project.id)
            .where(DispatchEntry.round_id == round_.id)
            .order_by(Project.code, Defect.position),
            user,
        )
    ).all()
    facts = [
        EntryFacts(
            entry_id=r[0],
            defect_id=r[1],
            district=r[2],
            lead=r[3],
            status_at_open=r[4],
            status=r[5],
            deadline=r[6],
            planned_month=r[7],
            reported=bool(r[8]),
            escalate=bool(r[9]),
        )
        for r in rows
    ]
    before = previous_round(round_)
    previous: dict[int, PreviousFacts] = {}
    if before is not None:
        for defect_id, status, deadline, planned in db.session.execute(
            scope_dispatch_entries(
                select(
                    DispatchEntry.defect_id,
                    _status_expression(before),
                    DispatchEntry.deadline_at_open,
                    DispatchEntry.planned_month_at_open,
                )
                .join(Defect, DispatchEntry.defect_id == Defect.id)
                .where(DispatchEntry.round_id == before.id),
                user,
            )
        ):
            previous[defect_id] = PreviousFacts(status, deadline, planned)
    by_id = {
        f.entry_id: EntryRow(
            id=f.entry_id,
            project_code=r[10],
            project_name=r[11],
            defect_type=r[12],
            district=f.district,
            lead=f.lead,
            status_at_open=f.status_at_open,
            status=f.status,
            deadline=f.deadline,
            planned_month=f.planned_month,
            reported=f.reported,
            escalate=f.escalate,
        )
        for f, r in zip(facts, rows, strict=True)
    }
    return Overview(
        round=round_,
        as_of=as_of,
        previous_month=before.month if before else None,
        summary=summarize(facts, previous, round_.month, as_of),
        rows=by_id,
    )


@dataclass(frozen=True)
class EntryFilters:
    """The entry list's filters (县区、牵头部门、是否报送、是否提级督办)."""

    district: str | None = None
    lead: str | None = None
    reported: bool | None = None
    escalate: bool | None = None


def validate_filters(filters: EntryFilters) -> None:
    """Refuse a filter value that is not a known code."""
    if filters.district and filters.district not in DISTRICTS:
        raise InvalidInput("district", f"未知的县区：{filters.district}")
    if filters.lead and filters.lead not in DEPARTMENTS:
        raise InvalidInput("lead", f"未知的牵头部门：{filters.lead}")


def _filtered(
    user: User, round_: DispatchRound, filters: EntryFilters, stmt: Select[Any] | None = None
) -> Select[Any]:
    """The round's entries in the user's scope, filtered; `stmt` chooses the columns."""
    validate_filters(filters)
    base = stmt if stmt is not None else select(DispatchEntry)
    stmt = scope_dispatch_entries(base.where(DispatchEntry.round_id == round_.id), user)
    if filters.district:
        stmt = stmt.where(DispatchEntry.district_code == filters.district)
    if filters.lead:
        stmt = stmt.where(DispatchEntry.lead_code == filters.lead)
    if filters.reported is not None:
        stmt = stmt.where(
            DispatchEntry.reported_at.is_not(None)
            if filters.reported
            else DispatchEntry.reported_at.is_(None)
        )
    if filters.escalate is not None:
        stmt = stmt.where(DispatchEntry.escalate.is_(filters.escalate))
    return stmt


@dataclass(frozen=True)
class EntryPage:
    """One page of a round's entries."""

    items: list[DispatchEntry]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        """Number of pages (at least 1)."""
        return max(1, -(-self.total // self.per_page))


def _loaded(stmt: Select[Any]) -> Select[Any]:
    return (
        stmt.join(Project, DispatchEntry.project_id == Project.id)
        .join(Defect, DispatchEntry.defect_id == Defect.id)
        .options(
            selectinload(DispatchEntry.project),
            selectinload(DispatchEntry.defect),
            selectinload(DispatchEntry.reported_by),
        )
        .order_by(Project.code, Defect.position, DispatchEntry.id)
    )


def list_entries(
    user: User, round_: DispatchRound, filters: EntryFilters, page: int, per_page: int
) -> EntryPage:
    """A page of the round's entries in the user's scope, loaded in constant queries."""
    stmt = _filtered(user, round_, filters)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    page = max(1, min(page, max(1, -(-total // per_page))))
    items = db.session.scalars(_loaded(stmt).limit(per_page).offset((page - 1) * per_page)).all()
    return EntryPage(list(items), total, page, per_page)


@dataclass(frozen=True)
class TableRow:
    """One line of the printed 调度表 and of the Excel, read as plain columns."""

    id: int
    project_code: str
    project_name: str
    district: str
    lead: str
    defect_type: str
    status_at_open: str
    status: str
    deadline: dt.date | None
    planned_month: str | None
    progress: str
    blocker: str
    next_step: str
    time_limit: dt.date | None
    escalate: bool
    reported_at: dt.datetime | None
    reported_by: str | None


def table_rows(
    user: User, round_: DispatchRound, filters: EntryFilters, limit: int | None = None
) -> list[TableRow]:
    """The round's lines in scope as plain columns, in one query (a 20 000-line Excel must not
    build 60 000 ORM objects)."""
    reporter = func.coalesce(func.nullif(User.display_name, ""), User.username)
    columns = (
        select(
            DispatchEntry.id,
            Project.code,
            Project.name,
            DispatchEntry.district_code,
            DispatchEntry.lead_code,
            Defect.type,
            DispatchEntry.status_at_open,
            _status_expression(round_),
            DispatchEntry.deadline_at_open,
            DispatchEntry.planned_month_at_open,
            DispatchEntry.progress,
            DispatchEntry.blocker,
            DispatchEntry.next_step,
            DispatchEntry.time_limit,
            DispatchEntry.escalate,
            DispatchEntry.reported_at,
            reporter,
        )
        .select_from(DispatchEntry)
        .join(Project, DispatchEntry.project_id == Project.id)
        .join(Defect, DispatchEntry.defect_id == Defect.id)
        .outerjoin(User, DispatchEntry.reported_by_id == User.id)
    )
    stmt = _filtered(user, round_, filters, columns).order_by(
        Project.code, Defect.position, DispatchEntry.id
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    return [TableRow(*row) for row in db.session.execute(stmt)]


def count_entries(user: User, round_: DispatchRound, filters: EntryFilters) -> int:
    """How many entries the filters select."""
    stmt = _filtered(user, round_, filters)
    return db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
