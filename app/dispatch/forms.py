"""每月调度 forms. The limits and rules live in `cases.dispatch`; these only carry the input."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from wtforms import (
    BooleanField,
    DateField,
    Field,
    HiddenField,
    MultipleFileField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Optional

from app.forms import BaseForm
from app.services.dispatch import EntryInput
from cases.dispatch import TEXT_LIMITS
from cases.taxonomy import DEPARTMENTS
from cases.workflow import Transition


def _version(raw: str | None) -> int:
    """A version a form carried; garbage counts as stale rather than as an error."""
    try:
        return int(raw or "0")
    except ValueError:
        return 0


class OpenRoundForm(BaseForm):
    """Open the round of a month (YYYY-MM)."""

    month = StringField(
        "调度月份",
        validators=[DataRequired("请填写调度月份。")],
        render_kw={"placeholder": "2024-07", "maxlength": 7, "pattern": r"\d{4}-\d{2}"},
    )

    class Meta:
        locales: ClassVar[list[str]] = ["zh"]


class CloseRoundForm(BaseForm):
    """Close a round (its version guards against a double close)."""

    version = HiddenField()

    class Meta:
        locales: ClassVar[list[str]] = ["zh"]

    def expected_version(self) -> int:
        """The round version the page showed."""
        return _version(self.version.data)


class EntryForm(BaseForm):
    """One entry's report, and optionally a lifecycle action taken with it."""

    progress = TextAreaField(
        "本月进展", render_kw={"maxlength": TEXT_LIMITS["progress"], "required": True}
    )
    blocker = TextAreaField("堵点（存在的问题）", render_kw={"maxlength": TEXT_LIMITS["blocker"]})
    next_step = TextAreaField("下一步措施", render_kw={"maxlength": TEXT_LIMITS["next_step"]})
    time_limit = DateField("完成时限", validators=[Optional()], render_kw={"type": "date"})
    escalate = BooleanField("需市级协调（提级督办）")
    action = SelectField("同时办理（可选）", choices=[], validate_choice=False)
    # What an action may need; `cases.workflow` decides which are required for the one chosen.
    deadline = DateField("办理时限（交办）", validators=[Optional()], render_kw={"type": "date"})
    review_date = DateField("复核日期（暂缓）", validators=[Optional()], render_kw={"type": "date"})
    decision_date = DateField("批复日期", validators=[Optional()], render_kw={"type": "date"})
    document_number = StringField("批复文号", render_kw={"maxlength": 64})
    reason = TextAreaField("理由", render_kw={"maxlength": 2000})
    result = TextAreaField("办理结果（提交销号）", render_kw={"maxlength": 4000})
    lead = SelectField(
        "改派牵头部门",
        choices=[
            SelectChoice("", "请选择"),
            *(SelectChoice(c, d.name) for c, d in DEPARTMENTS.items()),
        ],
        validate_choice=False,
    )
    facts_clear = BooleanField("事实清楚")
    problem_solved = BooleanField("问题解决")
    task_done = BooleanField("任务完成")
    files = MultipleFileField("佐证材料（PDF、图片、Word、Excel）")
    version = HiddenField()
    defect_version = HiddenField()

    class Meta:
        locales: ClassVar[list[str]] = ["zh"]

    ACTION_FIELDS: ClassVar[dict[str, tuple[str, ...]]] = {
        "deadline": ("deadline",),
        "review_date": ("review_date",),
        "decision_date": ("decision_date",),
        "document_number": ("document_number",),
        "reason": ("reason",),
        "result": ("result",),
        "lead": ("lead",),
        "checklist": ("facts_clear", "problem_solved", "task_done"),
    }

    def offer(self, transitions: Sequence[Transition]) -> EntryForm:
        """The actions this user may take on the defect now."""
        self.action.choices = [
            SelectChoice("", "不变更状态"),
            *(SelectChoice(t.action, t.label) for t in transitions),
        ]
        return self

    def action_fields(self, transitions: Sequence[Transition]) -> list[tuple[Field, list[str]]]:
        """Each input any offered action needs, with the labels of the actions needing it."""
        needed: dict[str, list[str]] = {}
        for t in transitions:
            for requirement in t.requires:
                for name in self.ACTION_FIELDS.get(requirement, ()):
                    needed.setdefault(name, []).append(t.label)
        return [(self[name], labels) for name, labels in needed.items()]

    def expected_version(self) -> int:
        """The entry version the page showed."""
        return _version(self.version.data)

    def to_input(self) -> EntryInput:
        """The submission for the service."""
        return EntryInput(
            progress=self.progress.data or "",
            blocker=self.blocker.data or "",
            next_step=self.next_step.data or "",
            time_limit=self.time_limit.data,
            escalate=bool(self.escalate.data),
            action=self.action.data or None,
            action_payload={
                "deadline": self.deadline.data,
                "review_date": self.review_date.data,
                "decision_date": self.decision_date.data,
                "document_number": self.document_number.data or "",
                "reason": self.reason.data or "",
                "result": self.result.data or "",
                "lead": self.lead.data or None,
                "facts_clear": bool(self.facts_clear.data),
                "problem_solved": bool(self.problem_solved.data),
                "task_done": bool(self.task_done.data),
            },
            defect_version=_version(self.defect_version.data),
        )

    def field_for(self, service_field: str) -> Field | None:
        """The form field a service refusal names (the checklist shows on its first box)."""
        if service_field == "checklist":
            return self.facts_clear
        if service_field in ("file", "evidence"):
            return self.files
        return self._fields.get(service_field)
