"""A dated history built through the real services (with a moved clock), an independent
recomputation of the report's figures straight from the database, and a .docx reader."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from docx import Document
from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.models import (
    CertificateEntry,
    Defect,
    DefectEvent,
    DispatchEntry,
    DispatchRound,
    Project,
    User,
)
from app.services import attachments, workflow
from tests.dispatch_support import ARREARS_FACTS, CHECKLIST, DEED_TAX_FACTS, PDF
from tests.factories import FIRE_WINDOW_FACTS, Factory, FrozenClock, UserRec

LOCAL = ZoneInfo("Asia/Shanghai")
Q3_START, Q3_END = dt.date(2024, 7, 1), dt.date(2024, 9, 30)
FIRE_AND_DEED_TAX = {
    **FIRE_WINDOW_FACTS,
    **{k: v for k, v in DEED_TAX_FACTS.items() if k != "project_type"},
}


def local(text: str) -> dt.datetime:
    """An instant given in Beijing time."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=LOCAL).astimezone(dt.UTC)


@dataclass(frozen=True)
class Scenario:
    """The projects of the 2024Q3 history."""

    cw: UserRec
    p1: str  # 大武口区, fire: struck off at 23:59 on 2024-09-30
    p2: str  # 惠农区, arrears: waiting for the government at the quarter's end
    p3: str  # 平罗县, deed tax: overdue, escalated, struck off at 00:00 on 2024-10-01
    p4: str  # 大武口区, fire (planned for 2024-08: overdue) and deed tax (registered)
    p5: str  # 惠农区, registered only in October


def _defect(code: str, type_: str) -> int:
    return db.session.scalars(
        select(Defect.id).join(Project).where(Project.code == code, Defect.type == type_)
    ).one()


def _certificates(cw: UserRec, code: str, day: dt.date, households: int) -> None:
    project = db.session.scalars(select(Project).where(Project.code == code)).one()
    user = db.session.get(User, cw.id)
    workflow.add_certificates(user, project, day, households, "测试", project.version, day)


def _at(clock: FrozenClock, when: str) -> dt.date:
    clock.current = local(when)
    return clock.current.astimezone(LOCAL).date()


def _act(
    clock: FrozenClock, cw: UserRec, when: str, code: str, type_: str, action: str, **payload: Any
) -> None:
    """One lifecycle action at its own time (validated against that day, evidence attached)."""
    day = _at(clock, when)
    row = db.session.get(Defect, _defect(code, type_), populate_existing=True)
    assert row is not None
    uploads = [attachments.Upload("结果.pdf", io.BytesIO(PDF))] if action == "submit" else []
    user = db.session.get(User, cw.id)
    workflow.take_action(user, row.id, action, payload, row.version, day, uploads)


def build_q3(app: Flask, factory: Factory, clock: FrozenClock) -> Scenario:
    """The history of 2024Q3 (and before), every step at its own time."""
    _at(clock, "2024-02-20T09:00")
    cw = factory.user("caseworker")
    _at(clock, "2024-03-01T10:00")
    p1 = factory.project(
        district="dwk",
        facts=FIRE_WINDOW_FACTS,
        actor=cw,
        total_households=120,
        certified_households=0,
    )
    _at(clock, "2024-04-10T10:00")
    p2 = factory.project(
        district="hn", facts=ARREARS_FACTS, actor=cw, total_households=80, certified_households=0
    )
    _at(clock, "2024-05-20T10:00")
    p3 = factory.project(
        district="pl", facts=DEED_TAX_FACTS, actor=cw, total_households=60, certified_households=0
    )
    _at(clock, "2024-07-15T10:00")
    p4 = factory.project(
        district="dwk",
        facts=FIRE_AND_DEED_TAX,
        actor=cw,
        total_households=40,
        certified_households=0,
    )
    assert set(p4.defect_types) == {"fire", "deed_tax"}
    with app.app_context():
        _act(
            clock, cw, "2024-03-05T09:00", p1.code, "fire", "assign", deadline=dt.date(2024, 6, 30)
        )
        _act(clock, cw, "2024-03-06T09:00", p1.code, "fire", "start")
        _act(clock, cw, "2024-09-30T20:00", p1.code, "fire", "submit", result="已完成消防验收备案")
        _act(clock, cw, "2024-09-30T23:59", p1.code, "fire", "close", **CHECKLIST)

        _act(
            clock,
            cw,
            "2024-04-12T09:00",
            p2.code,
            "arrears",
            "assign",
            deadline=dt.date(2024, 12, 31),
        )
        _act(clock, cw, "2024-04-13T09:00", p2.code, "arrears", "start")
        _act(clock, cw, "2024-08-01T09:00", p2.code, "arrears", "request_approval")

        _act(
            clock,
            cw,
            "2024-05-21T09:00",
            p3.code,
            "deed_tax",
            "assign",
            deadline=dt.date(2024, 8, 31),
        )
        _act(clock, cw, "2024-05-22T09:00", p3.code, "deed_tax", "start")
        _act(clock, cw, "2024-09-30T23:00", p3.code, "deed_tax", "submit", result="已核定征收契税")
        _act(clock, cw, "2024-10-01T00:00", p3.code, "deed_tax", "close", **CHECKLIST)

        _at(clock, "2024-07-20T09:00")
        fire4 = db.session.get(Defect, _defect(p4.code, "fire"))
        assert fire4 is not None
        workflow.update_plan(
            db.session.get(User, cw.id), fire4.id, "先行组织消防验收", "2024-08", fire4.version
        )

        _at(clock, "2024-03-01T11:00")
        _certificates(cw, p1.code, dt.date(2024, 3, 1), 20)
        _at(clock, "2024-08-15T11:00")
        _certificates(cw, p1.code, dt.date(2024, 8, 15), 30)
        _at(clock, "2024-09-30T18:00")
        _certificates(cw, p2.code, dt.date(2024, 9, 30), 10)

        # 提级督办 in the September round (reported on 2024-09-20).
        _at(clock, "2024-09-01T09:00")
        round_ = DispatchRound(
            month="2024-09", status="closed", closed_at=local("2024-09-28T17:00")
        )
        db.session.add(round_)
        db.session.flush()
        deed = db.session.get(Defect, _defect(p3.code, "deed_tax"))
        assert deed is not None
        db.session.add(
            DispatchEntry(
                round_id=round_.id,
                defect_id=deed.id,
                project_id=deed.project_id,
                district_code="pl",
                lead_code="tax",
                status_at_open="in_progress",
                progress="开发企业已注销，发票无法开具",
                blocker="开发企业已注销",
                escalate=True,
                reported_at=local("2024-09-20T10:00"),
            )
        )
        db.session.commit()
        db.session.remove()
    _at(clock, "2024-10-05T10:00")
    p5 = factory.project(
        district="hn",
        facts=FIRE_WINDOW_FACTS,
        actor=cw,
        total_households=50,
        certified_households=0,
    )
    return Scenario(cw, p1.code, p2.code, p3.code, p4.code, p5.code)


def change_history_after_q3(app: Flask, clock: FrozenClock, s: Scenario) -> None:
    """What happens in the fourth quarter: approvals, 销号, certificates, a 改派."""
    with app.app_context():
        _act(
            clock,
            s.cw,
            "2024-10-15T09:00",
            s.p2,
            "arrears",
            "approve",
            document_number="石政函〔2024〕88号",
            decision_date=dt.date(2024, 10, 15),
        )
        _act(clock, s.cw, "2024-10-20T09:00", s.p2, "arrears", "submit", result="证缴分离办理登记")
        _act(clock, s.cw, "2024-11-01T09:00", s.p2, "arrears", "close", **CHECKLIST)
        _act(
            clock,
            s.cw,
            "2024-10-02T09:00",
            s.p4,
            "deed_tax",
            "reroute",
            lead="housing",
            reason="由住建部门牵头开具发票",
        )
        _act(clock, s.cw, "2024-10-03T09:00", s.p4, "fire", "assign", deadline=dt.date(2024, 12, 1))
        _act(clock, s.cw, "2024-10-04T09:00", s.p4, "fire", "start")
        _act(clock, s.cw, "2024-12-01T09:00", s.p4, "fire", "submit", result="已完成消防验收备案")
        _act(clock, s.cw, "2024-12-02T09:00", s.p4, "fire", "close", **CHECKLIST)
        _at(clock, "2024-11-20T10:00")
        _certificates(s.cw, s.p3, dt.date(2024, 11, 20), 40)
        _certificates(s.cw, s.p1, dt.date(2024, 10, 1), 5)
        db.session.remove()


# ---------------------------------------------------------------- recomputation, independently


def pct(part: int, whole: int) -> str:
    """Percent with one decimal, half up; — when nothing to divide by."""
    if not whole:
        return "—"
    return f"{(Decimal(part) * 100 / whole).quantize(Decimal('0.1'), ROUND_HALF_UP)}%"


@dataclass
class Item:
    """A defect as recomputed from its rows."""

    id: int
    project_id: int
    type: str
    district: str
    lead: str
    status: str
    closed_on: dt.date | None
    overdue: bool


def expected(as_of: dt.date, period_start: dt.date, district: str | None = None) -> dict[str, Any]:
    """Every figure of the report recomputed from the tables, without `cases.reporting`."""
    end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), LOCAL).astimezone(dt.UTC)
    projects = {
        p.id: p
        for p in db.session.scalars(select(Project))
        if p.created_at < end and (district is None or p.district_code == district)
    }
    certified: dict[int, int] = defaultdict(int)
    in_period: dict[int, int] = defaultdict(int)
    for c in db.session.scalars(select(CertificateEntry)):
        if c.project_id in projects and c.entry_date <= as_of:
            certified[c.project_id] += c.households
            if c.entry_date >= period_start and c.kind != "baseline":
                in_period[c.project_id] += c.households
    items: list[Item] = []
    for d in db.session.scalars(select(Defect)):
        if d.project_id not in projects:
            continue
        events = sorted(
            (
                e
                for e in db.session.scalars(
                    select(DefectEvent).where(DefectEvent.defect_id == d.id)
                )
                if e.occurred_at < end
            ),
            key=lambda e: (e.occurred_at, e.id),
        )
        if not events:
            continue
        status = events[-1].to_status
        deadline = None
        planned = None
        lead = None
        closed_on = None
        for e in events:
            if e.action == "assign":
                deadline = dt.date.fromisoformat(e.details["deadline"])
            if e.action == "plan":
                planned = e.details.get("planned_month") or None
            if e.action == "reroute":
                lead = e.details["lead"]
            if e.action == "close":
                closed_on = e.occurred_at.astimezone(LOCAL).date()
        if lead is None:
            later = db.session.scalars(
                select(DefectEvent).where(
                    DefectEvent.defect_id == d.id, DefectEvent.action == "reroute"
                )
            ).first()
            from cases.taxonomy import DEFECT_TYPES

            lead = DEFECT_TYPES[d.type].lead if later is not None else d.lead_code
        month = f"{as_of.year:04d}-{as_of.month:02d}"
        overdue = status not in ("closed", "suspended") and (
            (deadline is not None and deadline < as_of) or (planned is not None and planned < month)
        )
        items.append(
            Item(
                d.id,
                d.project_id,
                d.type,
                projects[d.project_id].district_code,
                lead,
                status,
                closed_on if status == "closed" else None,
                overdue,
            )
        )

    def counts(group: list[Item]) -> dict[str, Any]:
        closed = sum(i.status == "closed" for i in group)
        return {
            "total": len(group),
            "closed": closed,
            "open": len(group) - closed,
            "overdue": sum(i.overdue for i in group),
            "rate": pct(closed, len(group)),
            "closed_in_period": sum(
                1 for i in group if i.closed_on and i.closed_on >= period_start
            ),
        }

    def area(ids: list[int]) -> dict[str, Any]:
        households = sum(projects[i].total_households for i in ids)
        done = sum(certified[i] for i in ids)
        group = [i for i in items if i.project_id in ids]
        resolved = sum(
            1 for pid in ids if all(i.status == "closed" for i in items if i.project_id == pid)
        )
        return {
            "projects": len(ids),
            "households": households,
            "certified": done,
            "uncertified": households - done,
            "rate": pct(done, households),
            "in_period": sum(in_period[i] for i in ids),
            "resolved": resolved,
            "defects": counts(group),
        }

    from cases.taxonomy import DEFECT_TYPES, DEPARTMENTS, DISTRICTS

    return {
        "overall": area(list(projects)),
        "by_type": {t: counts([i for i in items if i.type == t]) for t in DEFECT_TYPES},
        "by_district": {
            c: area([p for p in projects if projects[p].district_code == c]) for c in DISTRICTS
        },
        "by_district_type": {
            (c, t): counts([i for i in items if i.district == c and i.type == t])
            for c in DISTRICTS
            for t in DEFECT_TYPES
        },
        "by_lead": {
            code: counts([i for i in items if i.lead == code])
            for code in DEPARTMENTS
            if any(i.lead == code for i in items)
        },
        "overdue": sorted(i.id for i in items if i.overdue),
        "pending": sorted(i.id for i in items if i.status == "awaiting_approval"),
        "projects": {p.id: p for p in projects.values()},
        "items": {i.id: i for i in items},
    }


# ---------------------------------------------------------------- reading a .docx back


@dataclass
class ParsedReport:
    """What a reader sees in the Word file."""

    paragraphs: list[str]
    headings: list[str]
    sections: dict[str, list[str]]
    tables: dict[str, list[list[str]]]
    body_font: str | None
    heading_font: str | None


_CAPTION = re.compile(r"^(表|图)\d")


def read_docx(data: bytes) -> ParsedReport:
    """Paragraphs, the body text of each section, and each table (keyed by its caption)."""
    document = Document(io.BytesIO(data))
    body = document.element.body
    paragraphs: list[str] = []
    headings: list[str] = []
    sections: dict[str, list[str]] = {}
    tables: dict[str, list[list[str]]] = {}
    current = ""
    last_caption = ""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            p = Paragraph(child, document)
            text = p.text.strip()
            paragraphs.append(text)
            if p.style is not None and p.style.name == "Heading 1":
                current = text
                headings.append(text)
                sections[current] = []
            elif _CAPTION.match(text):
                last_caption = text
            elif text and current:
                sections[current].append(text)
        elif tag == "tbl":
            t = Table(child, document)
            tables[last_caption] = [[c.text for c in row.cells] for row in t.rows]
    styles = document.styles
    fonts = styles["Normal"].element.rPr.rFonts
    heading_fonts = styles["Heading 1"].element.rPr.rFonts
    from docx.oxml.ns import qn

    return ParsedReport(
        paragraphs,
        headings,
        sections,
        tables,
        fonts.get(qn("w:eastAsia")),
        heading_fonts.get(qn("w:eastAsia")),
    )


def numbers(text: str) -> list[str]:
    """The numbers of a sentence in order (percentages keep their sign)."""
    return re.findall(r"\d+(?:\.\d+)?%?", text)
