"""Demo 群众诉求 and 工作办理提示建议单 (附件3 三(一)8), loaded through the real services.

Every person here is fictional: the names are invented, the phone numbers lie in the run
139 0000 00xx (not issued to anyone), and the ID numbers carry valid GB 11643 check characters
but belong to nobody. Deterministic from `today` (passed in); idempotent: a complaint whose
content is already stored, or a sheet whose subject is, is skipped.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from app.extensions import db
from app.models import Complaint, Defect, Project, PromptSheet, User
from app.services import complaints, prompts
from cases.intake import id_check_char
from cases.taxonomy import DEPARTMENTS


def fictional_id(region: str, born: str, order: str) -> str:
    """A well-formed 居民身份证号码 for an invented person (check character computed)."""
    first17 = region + born + order
    return first17 + id_check_char(first17)


@dataclass(frozen=True)
class DemoComplaint:
    """One complaint of the demo, with what happens to it afterwards."""

    key: str  # for sheets below
    source: str
    days_ago: int
    district: str
    recorder: str  # demo username
    content: str
    project: str | None = None  # code of a demo project to link
    place: str = ""
    name: str = ""
    phone: str = ""
    id_number: str = ""
    answer: str = ""


DEMO_COMPLAINTS: tuple[DemoComplaint, ...] = (
    DemoComplaint(
        key="xinghai",
        source="12345",
        days_ago=96,
        district="dwk",
        recorder="caseworker",
        project="DWK-0001",
        name="赵明远",
        phone="13900000011",
        id_number=fictional_id("640202", "19780312", "031"),
        content="我2016年购买的住房至今无法办理不动产权证书，开发商说是楼房加建了两层，"
        "请政府协调尽快办证。",
        answer="已转市住建局和大武口区政府研究加建部分的处理方案，办理进展将电话告知。",
    ),
    DemoComplaint(
        key="jichuang",
        source="haochaping",
        days_ago=71,
        district="dwk",
        recorder="dawukou",
        project="DWK-0002",
        name="钱秀兰",
        phone="13900000012",
        content="在好差评平台给出差评：家属院房子住了二十多年还没有房本，希望给个明确的办理时间。",
    ),
    DemoComplaint(
        key="huinong",
        source="letters_visits",
        days_ago=64,
        district="hn",
        recorder="huinong",
        project="HN-0001",
        name="孙建国",
        phone="13900000013",
        id_number=fictional_id("640205", "19600708", "052"),
        content="来信反映：小区业主多次找开发单位无果，开发单位称土地出让金未缴清，"
        "要求业主分摊，业主不同意。",
        answer="已告知来信人：按照“证缴分离”办理，业主无需分摊开发单位欠缴的土地价款。",
    ),
    DemoComplaint(
        key="pingluo_online",
        source="online",
        days_ago=40,
        district="pl",
        recorder="pingluo",
        place="平罗县城关镇某安置小区",
        content="网上留言：安置房交付六年了没有办证，想问问什么时候能办。",
    ),
    DemoComplaint(
        key="pingluo_12345",
        source="12345",
        days_ago=33,
        district="pl",
        recorder="caseworker",
        place="平罗县城关镇某安置小区",
        name="李思雨",
        phone="13900000015",
        id_number=fictional_id("640221", "19910221", "064"),
        content="12345工单：购房合同已网签，开发商不给开发票，无法申报契税。",
    ),
    DemoComplaint(
        key="huinong_elder",
        source="letters_visits",
        days_ago=21,
        district="hn",
        recorder="huinong",
        name="周桂芳",
        content="老人来访：儿子在外地，自己不会网上办理，询问补办房产证需要带哪些材料。",
        answer="已当面告知所需材料清单，并约定由社区网格员上门协助。",
    ),
    DemoComplaint(
        key="dwk_anonymous",
        source="online",
        days_ago=9,
        district="dwk",
        recorder="dawukou",
        content="匿名留言：小区消防验收一直没做，是不是因此办不了证？",
    ),
)


@dataclass(frozen=True)
class DemoSheet:
    """A sheet of the demo: from a complaint (by key) or from a project's first defect."""

    subject: str
    days_ago: int
    complaint: str | None = None
    project: str | None = None
    department: str | None = None  # None: the draft's (the defect's lead)
    reply: str = ""
    reply_days_later: int = 0


DEMO_SHEETS: tuple[DemoSheet, ...] = (
    DemoSheet(
        subject="关于群众反映星海湖畔小区加建部分无法办证问题的办理提示",
        days_ago=90,
        complaint="xinghai",
        department="housing",
        reply="已会同大武口区政府对加建部分开展安全鉴定，拟按附件3 三(一)3 路径处理。",
        reply_days_later=18,
    ),
    DemoSheet(
        subject="关于惠农区群众反映土地出让金分摊问题的办理提示",
        days_ago=60,
        project="HN-0001",
    ),
    DemoSheet(
        subject="关于平罗县安置小区无法开具销售发票问题的办理提示",
        days_ago=30,
        complaint="pingluo_12345",
        department="district_government",
        reply="县政府已约谈开发单位，督促其十五个工作日内开具销售不动产发票。",
        reply_days_later=12,
    ),
)


def _users() -> dict[str, User]:
    return {u.username: u for u in db.session.scalars(select(User))}


def load_intake(today: dt.date) -> tuple[int, int]:
    """Record the demo complaints and sheets that are missing; return how many of each."""
    users = _users()
    caseworker = users.get("caseworker")
    if caseworker is None:
        return 0, 0
    stored = dict(db.session.execute(select(Complaint.content, Complaint.id)).all())
    ids: dict[str, int] = {}
    added_complaints = 0
    for demo in DEMO_COMPLAINTS:
        if demo.content in stored:
            ids[demo.key] = stored[demo.content]
            continue
        recorder = users.get(demo.recorder, caseworker)
        project = (
            db.session.scalars(select(Project).where(Project.code == demo.project)).first()
            if demo.project
            else None
        )
        data = complaints.ComplaintInput(
            source=demo.source,
            received_on=today - dt.timedelta(days=demo.days_ago),
            district=demo.district,
            content=demo.content,
            place=demo.place or (project.name if project else ""),
            name=demo.name,
            phone=demo.phone,
            id_number=demo.id_number,
        )
        row = complaints.record_complaint(recorder, data, today)
        ids[demo.key] = row.id
        added_complaints += 1
        if project is not None:
            row = complaints.link_project(caseworker, row.id, project.code, row.version)
        if demo.answer:
            complaints.answer(caseworker, row.id, demo.answer, row.version)
    subjects = set(db.session.scalars(select(PromptSheet.subject)))
    added_sheets = 0
    for demo_sheet in DEMO_SHEETS:
        if demo_sheet.subject in subjects:
            continue
        origin = _origin(caseworker, demo_sheet, ids)
        if origin is None:
            continue
        draft = prompts.draft(origin)
        department = demo_sheet.department or draft.department or "housing"
        issued_on = today - dt.timedelta(days=demo_sheet.days_ago)
        sheet = prompts.issue(
            caseworker,
            origin,
            prompts.SheetInput(department, demo_sheet.subject, draft.content),
            issued_on,
        )
        added_sheets += 1
        if demo_sheet.reply:
            replier = _replier(users, caseworker, department, sheet.district_code)
            prompts.reply(
                replier,
                sheet.id,
                demo_sheet.reply,
                issued_on + dt.timedelta(days=demo_sheet.reply_days_later),
                sheet.version,
                today,
            )
    return added_complaints, added_sheets


def _origin(user: User, demo: DemoSheet, ids: dict[str, int]) -> prompts.Origin | None:
    if demo.complaint is not None:
        complaint_id = ids.get(demo.complaint)
        return prompts.from_complaint(user, complaint_id) if complaint_id else None
    defect = db.session.scalars(
        select(Defect)
        .join(Project, Defect.project_id == Project.id)
        .where(Project.code == demo.project)
        .order_by(Defect.position)
    ).first()
    return prompts.from_defect(user, defect.id) if defect is not None else None


def _replier(
    users: dict[str, User], caseworker: User, department: str, district: str | None
) -> User:
    """The addressed department's demo account when there is one, else the caseworker."""
    assert department in DEPARTMENTS
    if department == "district_government":
        by_district = {"dwk": "dawukou", "hn": "huinong", "pl": "pingluo"}
        return users.get(by_district.get(district or "", ""), caseworker)
    for user in users.values():
        if user.role == "department" and user.department_code == department:
            return user
    return caseworker
