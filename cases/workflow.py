"""The life of one defect from 待交办 to 已销号, as an explicit transition table (附件3 四(二)).

`TRANSITIONS` is the whole policy: which action moves a defect from which statuses to which,
who may take it, what it must carry, and which guard must hold. `apply_action` is a pure
function of a snapshot, an actor, the submitted input and today's date; the web layer loads the
row, calls it, and writes back the outcome with its audit row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from cases.taxonomy import DEFECT_STATUSES, DEPARTMENTS

# Who may act, relative to the defect: the 自然资源局 caseworker (统筹), the department that
# leads the defect (牵头部门), or the government of the project's district (属地责任, 附件3 四(一)).
ActorKind = Literal["caseworker", "lead_department", "project_district"]
Guard = Literal["path_decided", "approval_pending", "approval_settled"]


@dataclass(frozen=True)
class Actor:
    """Who is acting: role and binding, as stored on the account."""

    role: str
    district: str | None = None
    department: str | None = None


@dataclass(frozen=True)
class DefectSnapshot:
    """What the rules need to know of a defect and its project."""

    status: str
    path: str | None
    lead: str
    project_district: str
    needs_government_approval: bool
    approval_granted: bool = False


@dataclass(frozen=True)
class Transition:
    """One row of the table: an action, where it may start, where it leads, who may take it."""

    action: str
    label: str
    sources: frozenset[str]
    target: str
    actors: frozenset[ActorKind]
    requires: tuple[str, ...] = ()
    guard: Guard | None = None
    clause: str = "附件3 四(二)"


def _t(
    action: str,
    label: str,
    sources: set[str],
    target: str,
    actors: set[ActorKind],
    requires: tuple[str, ...] = (),
    guard: Guard | None = None,
    clause: str = "附件3 四(二)",
) -> Transition:
    return Transition(
        action, label, frozenset(sources), target, frozenset(actors), requires, guard, clause
    )


_ACTIVE = {"assigned", "in_progress", "awaiting_approval"}

# The whole lifecycle. Changing who may do what is an edit of this table and its tests.
TRANSITIONS: Mapping[str, Transition] = MappingProxyType(
    {
        t.action: t
        for t in (
            # 交办: the caseworker routes the defect to its lead department with a time limit.
            _t("assign", "交办", {"registered"}, "assigned", {"caseworker"}, ("deadline",),
               guard="path_decided"),
            _t("start", "开始办理", {"assigned"}, "in_progress",
               {"lead_department", "caseworker"}),
            # 报经市、县人民政府同意 (附件3 三(一)2、4): only paths that need it.
            _t("request_approval", "报请政府同意", {"in_progress"}, "awaiting_approval",
               {"lead_department", "project_district", "caseworker"}, guard="approval_pending",
               clause="附件3 三(一)2、4"),
            _t("approve", "登记政府同意", {"awaiting_approval"}, "in_progress",
               {"caseworker", "project_district"}, ("document_number", "decision_date"),
               clause="附件3 三(一)2、4"),
            _t("refuse", "登记政府不同意", {"awaiting_approval"}, "in_progress",
               {"caseworker", "project_district"}, ("decision_date", "reason"),
               clause="附件3 三(一)2、4"),
            # 待销号: the lead department submits its result with evidence.
            _t("submit", "提交销号", {"in_progress"}, "awaiting_closure",
               {"lead_department", "caseworker"}, ("result", "evidence"),
               guard="approval_settled"),
            # 销号: the caseworker checks 事实清楚、问题解决、任务完成.
            _t("close", "审核销号", {"awaiting_closure"}, "closed", {"caseworker"},
               ("checklist",)),
            _t("send_back", "退回重办", {"awaiting_closure"}, "in_progress", {"caseworker"},
               ("reason",)),
            # 退回改派: a department returns an item that is not its own; the caseworker re-routes.
            _t("return", "退回改派", {"assigned", "in_progress"}, "registered",
               {"lead_department"}, ("reason",)),
            _t("reroute", "改派牵头部门", {"registered"}, "registered", {"caseworker"},
               ("lead", "reason")),
            _t("suspend", "暂缓", _ACTIVE, "suspended", {"caseworker"},
               ("reason", "review_date")),
            _t("resume", "恢复办理", {"suspended"}, "in_progress", {"caseworker"}),
            _t("reopen", "重新打开", {"closed"}, "in_progress", {"caseworker"}, ("reason",)),
        )
    }
)  # fmt: skip

CHECKLIST = ("facts_clear", "problem_solved", "task_done")
CHECKLIST_LABELS: Mapping[str, str] = MappingProxyType(
    {"facts_clear": "事实清楚", "problem_solved": "问题解决", "task_done": "任务完成"}
)
INPUT_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "deadline": "办理时限",
        "document_number": "批复文号",
        "decision_date": "批复日期",
        "reason": "理由",
        "result": "办理结果",
        "evidence": "佐证材料",
        "checklist": "销号审核要点",
        "lead": "牵头部门",
        "review_date": "复核日期",
    }
)


class WorkflowError(ValueError):
    """A refused action; `message` is Chinese, `field` names the input at fault if any."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class Outcome:
    """The new status and the values the caller stores with it."""

    status: str
    effects: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))


def actor_kinds(snapshot: DefectSnapshot, actor: Actor) -> frozenset[ActorKind]:
    """How the actor stands to this defect (one account may be none of them)."""
    kinds: set[ActorKind] = set()
    if actor.role == "caseworker":
        kinds.add("caseworker")
    if actor.role == "department" and actor.department == snapshot.lead:
        kinds.add("lead_department")
    if actor.role == "district" and actor.district == snapshot.project_district:
        kinds.add("project_district")
    return frozenset(kinds)


def _guard_holds(guard: Guard | None, snapshot: DefectSnapshot) -> str | None:
    """None when the guard holds, else the Chinese reason it does not."""
    if guard == "path_decided" and snapshot.path is None:
        return "化解路径尚待人工研判，确定路径后才能交办。"
    if guard == "approval_pending":
        if not snapshot.needs_government_approval:
            return "该化解路径无需报经市、县人民政府同意。"
        if snapshot.approval_granted:
            return "已登记政府同意，无需再次报请。"
    if (
        guard == "approval_settled"
        and snapshot.needs_government_approval
        and not snapshot.approval_granted
    ):
        return "该化解路径须报经市、县人民政府同意，登记同意后才能提交销号。"
    return None


def available_actions(snapshot: DefectSnapshot, actor: Actor) -> tuple[Transition, ...]:
    """The actions this actor may take on this defect now, in table order."""
    kinds = actor_kinds(snapshot, actor)
    return tuple(
        t
        for t in TRANSITIONS.values()
        if snapshot.status in t.sources
        and kinds & t.actors
        and _guard_holds(t.guard, snapshot) is None
    )


def _text(payload: Mapping[str, object], name: str, minimum: int, maximum: int) -> str:
    raw = payload.get(name)
    value = raw.strip() if isinstance(raw, str) else ""
    if len(value) < minimum:
        raise WorkflowError(f"请填写{INPUT_LABELS[name]}（至少 {minimum} 个字）。", name)
    if len(value) > maximum:
        raise WorkflowError(f"{INPUT_LABELS[name]}不能超过 {maximum} 个字。", name)
    return value


def _date(payload: Mapping[str, object], name: str) -> dt.date:
    value = payload.get(name)
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise WorkflowError(f"请填写{INPUT_LABELS[name]}（日期）。", name)
    return value


def _inputs(
    transition: Transition, snapshot: DefectSnapshot, payload: Mapping[str, object], today: dt.date
) -> dict[str, object]:
    """Validate what the action must carry; return the effects to store."""
    effects: dict[str, object] = {}
    for name in transition.requires:
        if name == "deadline":
            deadline = _date(payload, name)
            if deadline < today:
                raise WorkflowError("办理时限不能早于今天。", name)
            effects["deadline"] = deadline
        elif name == "review_date":
            review = _date(payload, name)
            if review <= today:
                raise WorkflowError("暂缓的复核日期应晚于今天。", name)
            effects["review_date"] = review
        elif name == "decision_date":
            decided = _date(payload, name)
            if decided > today:
                raise WorkflowError("批复日期不能晚于今天。", name)
            effects["decision_date"] = decided
        elif name == "document_number":
            effects["document_number"] = _text(payload, name, 2, 64)
        elif name == "reason":
            effects["reason"] = _text(payload, name, 4, 2000)
        elif name == "result":
            effects["result"] = _text(payload, name, 4, 4000)
        elif name == "evidence":
            count = payload.get("evidence")
            if not isinstance(count, int) or isinstance(count, bool) or count < 1:
                raise WorkflowError("提交销号须附佐证材料（至少 1 个附件）。", name)
        elif name == "checklist":
            missing = [CHECKLIST_LABELS[c] for c in CHECKLIST if payload.get(c) is not True]
            if missing:
                raise WorkflowError(
                    "销号须确认：" + "、".join(missing) + "（附件3 四(二)）。", "checklist"
                )
        elif name == "lead":
            lead = payload.get("lead")
            if not isinstance(lead, str) or lead not in DEPARTMENTS:
                raise WorkflowError("请选择改派的牵头部门。", name)
            if lead == snapshot.lead:
                raise WorkflowError("改派的牵头部门与现牵头部门相同。", name)
            effects["lead"] = lead
    if transition.action == "approve":
        effects["approval_granted"] = True
    if transition.action == "refuse":
        effects["approval_granted"] = False
    return effects


def apply_action(
    snapshot: DefectSnapshot,
    action: str,
    actor: Actor,
    payload: Mapping[str, object],
    today: dt.date,
) -> Outcome:
    """Take `action` on the defect, or raise WorkflowError saying why not (附件3 四(二))."""
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise WorkflowError(f"未知的操作：{action}")
    if snapshot.status not in transition.sources:
        raise WorkflowError(
            f"当前状态为「{DEFECT_STATUSES[snapshot.status]}」，不能执行「{transition.label}」。"
        )
    if not actor_kinds(snapshot, actor) & transition.actors:
        raise WorkflowError(f"您无权对该问题执行「{transition.label}」。")
    refused = _guard_holds(transition.guard, snapshot)
    if refused:
        raise WorkflowError(refused)
    effects = _inputs(transition, snapshot, payload, today)
    return Outcome(transition.target, MappingProxyType(effects))
