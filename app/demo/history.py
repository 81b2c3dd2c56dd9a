"""Demo 每月调度 history: a few closed monthly rounds before today, filled in, with the defects
moved along their lifecycle through the real services, so the pages have something to show.

Deterministic from a seed and from `today` (passed in, never read from the clock). Every step goes
through `app.services.workflow` and `app.services.dispatch` with an explicit `at`/`today`, so the
lifecycle rules hold and the defect history carries the dates of the months it replays. The
audit rows say truthfully when the loader wrote them.
"""

from __future__ import annotations

import datetime as dt
import io
import random
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select

from app.clock import LOCAL_TZ
from app.extensions import db
from app.models import Defect, DefectEvent, DispatchEntry, DispatchRound, User
from app.services import attachments, dispatch, workflow
from app.services.errors import InvalidInput
from cases.dispatch import first_day, last_day, month_of, shift_month

ROUNDS = 4

# How often each district reports: the ranking needs a slow one to flag (约谈通报).
REPORT_RATE = {"dwk": 0.95, "hn": 0.85, "pl": 0.55}
PROGRESS = {
    "land": ("已完成用地手续补办材料收集", "已核实土地权属来源", "正在组织土地价款评估"),
    "arrears": ("已向开发单位下达补缴通知", "正在核算应缴土地出让价款", "已报请政府研究证缴分离"),
    "deed_tax": ("已核实发票开具情况", "已受理契税申报材料", "正在与开发单位核对合同金额"),
    "planning": ("已完成现场测绘", "正在开展规划核实", "已出具规划核实意见初稿"),
    "completion": ("已收集竣工验收资料", "正在组织补办竣工验收备案", "已完成质量安全评估"),
    "fire": ("已委托第三方开展消防安全评估", "正在整改消防设施", "已提交消防验收备案申请"),
    "litigation": ("已调阅案卷材料", "正在协调执行裁定送达", "已与当事人沟通办理方案"),
    "oversize": ("已核实超标准面积", "正在测算超面积补缴价款", "已通知购房人补缴"),
}
BLOCKERS = (
    "开发单位已注销，相关资料缺失",
    "部分购房人对补缴金额有异议",
    "历史档案不全，需要调取原始审批文件",
    "涉及多个部门，需市级层面协调",
)
NEXT_STEPS = ("补齐申报材料", "召开协调会", "完成现场核查", "出具审核意见", "组织购房人签字确认")
# A tiny, valid PDF: evidence for 提交销号 (附件3 四(二): 销号须有佐证材料).
EVIDENCE_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Count 0/Kids[]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


@dataclass(frozen=True)
class HistoryPlan:
    """Which months to replay and when the ledger counts as registered (before the first)."""

    months: tuple[str, ...]
    registered_at: dt.datetime


def plan(today: dt.date, rounds: int = ROUNDS) -> HistoryPlan:
    """The `rounds` months before today's month; the ledger registered 20 days before them."""
    current = month_of(today)
    months = tuple(shift_month(current, -n) for n in range(rounds, 0, -1))
    registered = first_day(months[0]) - dt.timedelta(days=20)
    return HistoryPlan(months, _at(registered, 9))


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """A local (UTC+8) time on a day, as an aware datetime."""
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=LOCAL_TZ)


class _Replay:
    """One replay of the history: users, a seeded RNG, and service calls dated in the past."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        users = {u.username: u for u in db.session.scalars(select(User))}
        self.caseworker = users["caseworker"]
        self.departments = {
            u.department_code: u for u in users.values() if u.role == "department" and u.active
        }
        self.districts = {
            u.district_code: u for u in users.values() if u.role == "district" and u.active
        }

    def defects(self, *statuses: str) -> list[Defect]:
        return list(
            db.session.scalars(
                select(Defect)
                .where(Defect.status.in_(statuses))
                .order_by(Defect.id)
                .execution_options(populate_existing=True)
            )
        )

    def lead_actor(self, defect: Defect) -> User:
        """The lead department's account; 市自然资源局 leads are the caseworker's own bureau."""
        return self.departments.get(defect.lead_code, self.caseworker)

    def act(
        self,
        user: User,
        defect: Defect,
        action: str,
        day: dt.date,
        hour: int,
        payload: dict[str, object] | None = None,
        evidence: bool = False,
    ) -> bool:
        """Take an action if the rules allow it (a refused one is simply not replayed)."""
        uploads = [attachments.Upload("办理结果佐证.pdf", _pdf())] if evidence else []
        try:
            workflow.take_action(
                user,
                defect.id,
                action,
                payload or {},
                defect.version,
                day,
                uploads,
                at=_at(day, hour, self.rng.randrange(60)),
            )
        except InvalidInput:
            db.session.rollback()
            return False
        return True

    def day_in(self, month: str, first: int, last: int) -> dt.date:
        return first_day(month) + dt.timedelta(days=self.rng.randint(first, last) - 1)

    def month(self, month: str, is_first: bool) -> None:
        rng = self.rng
        # 交办 (day 2–8): the caseworker routes decided defects with a time limit and a plan.
        share = 0.65 if is_first else 0.45
        for defect in self.defects("registered"):
            if defect.path is None or rng.random() > share:
                continue
            day = self.day_in(month, 2, 8)
            months_ahead = rng.choice((1, 2, 3, 4))
            deadline = last_day(shift_month(month, months_ahead))
            if self.act(self.caseworker, defect, "assign", day, 10, {"deadline": deadline}):
                self.plan(defect, shift_month(month, months_ahead), day)
        # 办理 (day 8–16): departments start; approvals are requested and decided.
        for defect in self.defects("assigned"):
            if rng.random() < 0.8:
                self.act(self.lead_actor(defect), defect, "start", self.day_in(month, 8, 12), 9)
        for defect in self.defects("in_progress"):
            pending = defect.needs_government_approval and not defect.approval_granted
            if pending and rng.random() < 0.6:
                day = self.day_in(month, 10, 13)
                self.act(self.lead_actor(defect), defect, "request_approval", day, 15)
        for defect in self.defects("awaiting_approval"):
            district = self.districts.get(defect.project.district_code, self.caseworker)
            day = self.day_in(month, 14, 17)
            roll = rng.random()
            if roll < 0.6:
                number = f"石政函〔{day.year}〕{rng.randint(10, 99)}号"
                payload: dict[str, object] = {"document_number": number, "decision_date": day}
                self.act(district, defect, "approve", day, 11, payload)
            elif roll < 0.7:
                payload = {"decision_date": day, "reason": "补缴方案未明确，请完善后重新报请"}
                self.act(district, defect, "refuse", day, 11, payload)

    def plan(self, defect: Defect, planned: str, day: dt.date) -> None:
        text = _plan_text(defect, planned)
        workflow.update_plan(
            self.caseworker,
            defect.id,
            text,
            planned,
            defect.version,
            at=_at(day, 10, 30),
        )

    def fill(self, round_: DispatchRound) -> None:
        """Reports (day 21–27): most entries filled, the slow district less often."""
        rng = self.rng
        entries = list(
            db.session.scalars(
                select(DispatchEntry)
                .where(DispatchEntry.round_id == round_.id)
                .order_by(DispatchEntry.id)
            )
        )
        for entry in entries:
            if rng.random() > REPORT_RATE.get(entry.district_code, 0.8):
                continue
            defect = db.session.get(Defect, entry.defect_id, populate_existing=True)
            assert defect is not None
            lead = self.departments.get(entry.lead_code)
            district = self.districts.get(entry.district_code)
            reporter = lead if lead and rng.random() < 0.8 else (district or self.caseworker)
            if entry.lead_code == "nr" and rng.random() < 0.5:
                reporter = self.caseworker
            day = self.day_in(round_.month, 21, 27)
            moment = _at(day, rng.randint(9, 17), rng.randrange(60))
            if defect.planned_month and reporter is not district and rng.random() < 0.12:
                # The plan slips: next round shows it (较上月滞后).
                later = shift_month(defect.planned_month, rng.choice((1, 2)))
                text = f"{_plan_text(defect, later)}（{round_.month} 调整：{rng.choice(BLOCKERS)}）"
                workflow.update_plan(reporter, defect.id, text, later, defect.version, at=moment)
            action, payload = self.report_action(reporter, defect)
            blocker = rng.choice(BLOCKERS) if rng.random() < 0.3 else ""
            data = dispatch.EntryInput(
                progress=rng.choice(PROGRESS[defect.type]),
                blocker=blocker,
                next_step=rng.choice(NEXT_STEPS),
                time_limit=last_day(shift_month(round_.month, 1)),
                escalate=bool(blocker) and rng.random() < 0.3,
                action=action,
                action_payload=payload,
                defect_version=defect.version,
            )
            uploads = [attachments.Upload("办理结果佐证.pdf", _pdf())] if action == "submit" else []
            try:
                dispatch.save_entry(
                    reporter, round_.month, entry.id, data, entry.version, day, uploads, at=moment
                )
            except InvalidInput:
                db.session.rollback()
                dispatch.save_entry(
                    reporter,
                    round_.month,
                    entry.id,
                    dispatch.EntryInput(progress=data.progress, next_step="", blocker=blocker),
                    entry.version,
                    day,
                    at=moment,
                )

    def report_action(self, reporter: User, defect: Defect) -> tuple[str | None, dict[str, object]]:
        """A lifecycle step taken with the report, when the reporter may take one."""
        rng = self.rng
        available = {t.action for t in workflow.actions_for(reporter, defect)}
        if "submit" in available and rng.random() < 0.4:
            return "submit", {"result": f"{PROGRESS[defect.type][-1]}，问题已化解，申请销号。"}
        if "start" in available and rng.random() < 0.7:
            return "start", {}
        return None, {}

    def review(self, month: str) -> None:
        """销号 review (day 28): most submissions closed, some sent back; a rare 暂缓."""
        rng = self.rng
        day = last_day(month) - dt.timedelta(days=1)
        for defect in self.defects("awaiting_closure"):
            if rng.random() < 0.8:
                checklist = {name: True for name in ("facts_clear", "problem_solved", "task_done")}
                self.act(self.caseworker, defect, "close", day, 10, checklist)
            else:
                reason = {"reason": "佐证材料不完整，请补充不动产登记受理回执"}
                self.act(self.caseworker, defect, "send_back", day, 10, reason)
        for defect in self.defects("in_progress"):
            if rng.random() < 0.03:
                payload = {
                    "reason": "涉及诉讼，待法院判决生效后办理",
                    "review_date": last_day(shift_month(month, 3)),
                }
                self.act(self.caseworker, defect, "suspend", day, 11, payload)


def _plan_text(defect: Defect, planned: str) -> str:
    return f"{PROGRESS[defect.type][0]}；计划 {planned} 底前完成化解。"


def _pdf() -> io.BytesIO:
    return io.BytesIO(EVIDENCE_PDF)


def load_history(
    history: HistoryPlan, seed: int = 2024, echo: Callable[[str], None] | None = None
) -> int:
    """Replay the plan's months as closed rounds; return how many (0 when skipped: idempotent)."""
    say = echo or (lambda _message: None)
    if db.session.scalar(select(func.count(DispatchRound.id))):
        say("已有调度轮次，未加载演示调度历史。")
        return 0
    first_open = _at(first_day(history.months[0]) + dt.timedelta(days=19), 9)
    latest_registration = db.session.scalar(
        select(func.max(DefectEvent.occurred_at)).where(DefectEvent.action == "register")
    )
    if latest_registration is None or latest_registration >= first_open:
        say("项目登记时间晚于演示调度的首月（或没有项目），未加载演示调度历史。")
        return 0
    names = set(db.session.scalars(select(User.username)))
    if "caseworker" not in names:
        say("缺少演示账号，未加载演示调度历史。")
        return 0
    replay = _Replay(seed)
    for index, month in enumerate(history.months):
        replay.month(month, is_first=index == 0)
        opened = first_day(month) + dt.timedelta(days=19)
        round_ = dispatch.open_round(replay.caseworker, month, opened, at=_at(opened, 9, 30))
        replay.fill(round_)
        replay.review(month)
        closed = last_day(month) - dt.timedelta(days=1)
        dispatch.close_round(replay.caseworker, month, round_.version, at=_at(closed, 17))
    return len(history.months)


__all__ = ["ROUNDS", "HistoryPlan", "load_history", "plan"]
