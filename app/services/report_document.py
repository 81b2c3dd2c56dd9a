"""One report model for both outputs: the Word writer and the PDF writer render the same blocks.

`build_quarterly` (附件3 四(二) 每季度向市人民政府书面报告) and `build_dispatch` (每月调度通报)
compute the figures, draw the charts and the district map, render the caseworkers' text
templates with the numbers as variables, and return a `ReportDocument`: a title, an addressee and
a sequence of headings, paragraphs, tables and images. Nothing in it is typed by hand.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.models import User
from app.services import report_charts as charts
from app.services import report_texts
from app.services.reporting import Scope, figures_for
from cases.dispatch import FLAG_BELOW, WEIGHTS, EntryFacts, RoundSummary, summarize
from cases.reporting import (
    CertificateRecord,
    DefectRecord,
    DefectState,
    EscalationRecord,
    EventRecord,
    Figures,
    History,
    ProjectRecord,
    Quarter,
    compute,
    months_ending,
    percent,
    report_date,
)
from cases.taxonomy import DEFECT_STATUSES, DEFECT_TYPES, DEPARTMENTS, DISTRICTS

POLICY = "《石嘴山市全面化解城镇住宅“办证难”问题工作方案》（石政发〔2024〕11号 附件3）"
APPROVAL_CLAUSE = "附件3 三(一)2、4"
QUARTERLY_TITLE = "关于全面化解城镇住宅“办证难”问题工作进展情况的报告"
DISPATCH_TITLE = "全市城镇住宅“办证难”问题化解工作调度通报"
SENDER = "石嘴山市自然资源局"
LIST_LIMIT = 20
NUMERALS = "一二三四五六七八九十"

Progress = Callable[[str], None]


def _quiet(_step: str) -> None:
    return None


# ---------------------------------------------------------------- the model


@dataclass(frozen=True)
class Heading:
    """一、总体进展 (黑体)."""

    text: str
    level: int = 1


@dataclass(frozen=True)
class Paragraph:
    """Body text (仿宋, first line indented two characters)."""

    text: str


@dataclass(frozen=True)
class Table:
    """A captioned table; `numeric` marks the right-aligned columns."""

    caption: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: tuple[bool, ...]
    widths: tuple[float, ...]
    note: str = ""


@dataclass(frozen=True)
class Image:
    """A captioned picture (a chart or the map), PNG."""

    caption: str
    png: bytes
    width_cm: float = 15.0


Block = Heading | Paragraph | Table | Image


@dataclass(frozen=True)
class ReportDocument:
    """What both writers render."""

    kind: str
    title: str
    subtitle: str
    addressee: str
    blocks: tuple[Block, ...]
    sender: str
    signed_on: dt.date
    as_of: dt.date
    footnote: str
    file_stem: str
    meta: Mapping[str, str] = field(default_factory=dict)


def chinese_date(day: dt.date) -> str:
    """2024年9月30日 (公文 dates use Arabic numerals without leading zeros, GB/T 9704)."""
    return f"{day.year}年{day.month}月{day.day}日"


def _ordinal(index: int) -> str:
    """（一）…（十）, then （11）."""
    return f"（{NUMERALS[index]}）" if index < len(NUMERALS) else f"（{index + 1}）"


def _days(value: int | None) -> str:
    return "—" if value is None else str(value)


# ---------------------------------------------------------------- quarterly: the words' variables


def quarterly_context(figures: Figures, period_label: str, scope_label: str) -> dict[str, Any]:
    """The variables of the quarterly templates (Chinese names, shown in the editor)."""
    overall = figures.overall
    counts = overall.defects
    types = [
        {
            "序号": _ordinal(i),
            "名称": DEFECT_TYPES[code].name,
            "条款": DEFECT_TYPES[code].clause,
            "牵头部门": DEPARTMENTS[DEFECT_TYPES[code].lead].name,
            "问题数": c.total,
            "已销号": c.closed,
            "未销号": c.open,
            "逾期": c.overdue,
            "销号率": c.closure_rate,
            "本期销号": c.closed_in_period,
        }
        for i, (code, c) in enumerate((k, v) for k, v in figures.by_type.items() if v.total)
    ]
    districts = [
        {
            "名称": DISTRICTS[code].name,
            "项目数": area.projects,
            "涉及户数": area.households,
            "已办证户数": area.certified,
            "办证率": area.certification_rate,
            "问题数": area.defects.total,
            "已销号": area.defects.closed,
            "未销号": area.defects.open,
            "销号率": area.defects.closure_rate,
            "逾期": area.defects.overdue,
        }
        for code, area in figures.by_district.items()
        if area.projects
    ]
    slowest = figures.slowest_districts[0] if len(figures.slowest_districts) > 1 else None
    leads = [
        {
            "名称": DEPARTMENTS[code].name,
            "问题数": lead.defects.total,
            "已销号": lead.defects.closed,
            "未销号": lead.defects.open,
            "逾期": lead.defects.overdue,
            "销号率": lead.defects.closure_rate,
            "平均办结天数": lead.average_days_to_close,
        }
        for code, lead in figures.by_lead.items()
    ]
    return {
        "政策文件": POLICY,
        "审批条款": APPROVAL_CLAUSE,
        "报告期": period_label,
        "截至日期": chinese_date(figures.as_of),
        "范围": scope_label,
        "项目数": overall.projects,
        "涉及户数": overall.households,
        "已办证户数": overall.certified,
        "未办证户数": overall.uncertified,
        "办证率": overall.certification_rate,
        "本期新办证户数": overall.certified_in_period,
        "问题总数": counts.total,
        "已销号数": counts.closed,
        "未销号数": counts.open,
        "销号率": counts.closure_rate,
        "本期销号数": counts.closed_in_period,
        "逾期数": counts.overdue,
        "逾期列出数": min(len(figures.overdue), LIST_LIMIT),
        "已化解项目数": overall.resolved,
        "提级督办数": len(figures.escalated),
        "待政府同意数": len(figures.pending_approval),
        "分类": types,
        "县区": districts,
        "最慢县区": (
            {
                "名称": DISTRICTS[slowest.code].name,
                "销号率": slowest.closure_rate,
                "逾期": slowest.overdue,
            }
            if slowest
            else None
        ),
        "牵头部门": leads,
    }


def _sample_history() -> History:
    """A small made-up history so the editor can try a template with every list non-empty."""
    start = dt.datetime(2024, 3, 1, 9)

    def event(days: int, action: str, status: str, **extra: Any) -> EventRecord:
        return EventRecord(start + dt.timedelta(days=days), days, action, status, **extra)

    defects = (
        DefectRecord(
            1,
            1,
            "fire",
            "dwk",
            "housing",
            (
                event(0, "register", "registered"),
                event(5, "assign", "assigned", deadline=dt.date(2024, 6, 30)),
                event(200, "close", "closed"),
            ),
        ),
        DefectRecord(
            2,
            2,
            "land",
            "hn",
            "nr",
            (
                event(0, "register", "registered"),
                event(5, "assign", "assigned", deadline=dt.date(2024, 5, 1)),
                event(100, "request_approval", "awaiting_approval"),
            ),
        ),
    )
    return History(
        projects=(
            ProjectRecord(1, "DWK-0001", "示例小区", "dwk", 120, dt.date(2024, 3, 1)),
            ProjectRecord(2, "HN-0001", "示例家园", "hn", 80, dt.date(2024, 3, 1)),
        ),
        defects=defects,
        certificates=(CertificateRecord(1, dt.date(2024, 8, 1), 60, "issued"),),
        escalations=(EscalationRecord(2, "2024-09", dt.date(2024, 9, 5), "示例堵点"),),
    )


def sample_context(kind: str) -> dict[str, Any]:
    """Variables with made-up values, to check an edited template before it is saved."""
    if kind == "quarterly":
        figures = compute(
            _sample_history(),
            dt.date(2024, 9, 30),
            period_start=dt.date(2024, 7, 1),
            trend_months=("2024-07", "2024-08", "2024-09"),
        )
        return quarterly_context(figures, "2024年第三季度", "全市")
    entries = [
        EntryFacts(1, 1, "dwk", "housing", "in_progress", "closed", None, None, True),
        EntryFacts(
            2, 2, "hn", "nr", "assigned", "assigned", dt.date(2024, 6, 1), None, False, True
        ),
    ]
    summary = summarize(entries, {}, "2024-07", dt.date(2024, 7, 31))
    return dispatch_context(summary, "2024-07", dt.date(2024, 7, 31), "全市")


def variable_help(kind: str) -> list[tuple[str, str]]:
    """(variable, example) for the editor: scalars as they would print, lists by their keys."""
    rows = []
    for name, value in sample_context(kind).items():
        if isinstance(value, list):
            keys = "、".join(value[0]) if value else ""
            rows.append((name, f"列表，每项有：{keys}（用 {{% for 项 in {name} %}} 逐项引用）"))
        elif isinstance(value, dict):
            rows.append((name, "对象，有：" + "、".join(value) + "（可能为空）"))
        else:
            rows.append((name, f"例如：{value}"))
    return rows


# ---------------------------------------------------------------- quarterly: the document


def _t(
    caption: str,
    header: Sequence[str],
    rows: Sequence[Sequence[object]],
    widths: Sequence[float],
    note: str = "",
) -> Table:
    text_rows = tuple(tuple(str(c) for c in row) for row in rows)
    numeric = tuple(
        all(_looks_numeric(r[i]) for r in text_rows) and bool(text_rows) for i in range(len(header))
    )
    return Table(caption, tuple(header), text_rows, numeric, tuple(widths), note)


def _looks_numeric(text: str) -> bool:
    return text == "—" or re.sub(r"[%./-]", "", text).isdigit()


def _project_label(figures: Figures, state: DefectState) -> str:
    project = figures.projects[state.project_id]
    return f"{project.name}（{project.code}）"


def _quarterly_tables(figures: Figures, scope: Scope) -> dict[str, Table]:
    overall = figures.overall
    counts = overall.defects
    key = _t(
        "表1 总体进展情况",
        ("指标", "数值"),
        (
            ("纳入台账项目（个）", overall.projects),
            ("涉及户数（户）", overall.households),
            ("已办证户数（户）", overall.certified),
            ("未办证户数（户）", overall.uncertified),
            ("办证率", overall.certification_rate),
            ("本季度新办证户数（户）", overall.certified_in_period),
            ("问题总数（个）", counts.total),
            ("已销号（个）", counts.closed),
            ("未销号（个）", counts.open),
            ("销号率", counts.closure_rate),
            ("本季度销号（个）", counts.closed_in_period),
            ("逾期未销号（个）", counts.overdue),
            ("已全面化解项目（个）", overall.resolved),
        ),
        (10, 5),
    )
    type_rows = [
        (
            spec.name,
            spec.clause.replace("附件3 ", ""),
            DEPARTMENTS[spec.lead].name,
            c.total,
            c.closed,
            c.open,
            c.overdue,
            c.closure_rate,
            c.closed_in_period,
        )
        for code, spec in DEFECT_TYPES.items()
        for c in (figures.by_type[code],)
    ]
    type_rows.append(
        (
            "合计",
            "",
            "",
            counts.total,
            counts.closed,
            counts.open,
            counts.overdue,
            counts.closure_rate,
            counts.closed_in_period,
        )
    )
    types = _t(
        "表2 分类化解情况（附件3 三(一)）",
        (
            "问题类型",
            "条款",
            "牵头部门",
            "问题数",
            "已销号",
            "未销号",
            "逾期",
            "销号率",
            "本季度销号",
        ),
        type_rows,
        (4.2, 1.6, 2.6, 1.2, 1.2, 1.2, 1.1, 1.5, 1.4),
    )
    shown = [c for c in DISTRICTS if scope.district in (None, c)]
    if scope.district is None:
        shown = [c for c in shown if figures.by_district[c].projects] or shown
    district_rows: list[tuple[object, ...]] = [
        (
            DISTRICTS[code].name,
            a.projects,
            a.households,
            a.certified,
            a.certification_rate,
            a.defects.total,
            a.defects.closed,
            a.defects.overdue,
            a.defects.closure_rate,
        )
        for code in shown
        for a in (figures.by_district[code],)
    ]
    district_rows.append(
        (
            "合计",
            overall.projects,
            overall.households,
            overall.certified,
            overall.certification_rate,
            counts.total,
            counts.closed,
            counts.overdue,
            counts.closure_rate,
        )
    )
    districts = _t(
        "表3 分县区推进情况",
        ("县区", "项目数", "总户数", "已办证户数", "办证率", "问题数", "已销号", "逾期", "销号率"),
        district_rows,
        (2.2, 1.4, 1.6, 1.8, 1.6, 1.4, 1.4, 1.2, 1.6),
    )
    matrix = _t(
        "表4 分县区、分类型问题数（未销号/总数）",
        ("县区", *(charts.SHORT_TYPE_NAMES[t] for t in DEFECT_TYPES)),
        [
            (
                DISTRICTS[d].name,
                *(
                    f"{c.open}/{c.total}" if (c := figures.by_district_type[(d, t)]).total else "—"
                    for t in DEFECT_TYPES
                ),
            )
            for d in shown
        ],
        (2.0, *([1.7] * len(DEFECT_TYPES))),
    )
    leads = _t(
        "表5 牵头部门履职情况",
        ("牵头部门", "问题数", "已销号", "未销号", "逾期", "销号率", "已销号平均用时（天）"),
        [
            (
                DEPARTMENTS[code].name,
                lead.defects.total,
                lead.defects.closed,
                lead.defects.open,
                lead.defects.overdue,
                lead.defects.closure_rate,
                _days(lead.average_days_to_close),
            )
            for code, lead in figures.by_lead.items()
        ],
        (4.2, 1.6, 1.6, 1.6, 1.4, 1.8, 2.8),
    )
    overdue = _t(
        f"表6 逾期未销号问题（逾期时间最长的{min(len(figures.overdue), LIST_LIMIT)}个）",
        ("序号", "项目", "县区", "问题类型", "牵头部门", "逾期原因", "逾期天数"),
        [
            (
                i + 1,
                _project_label(figures, s),
                DISTRICTS[s.district].name,
                DEFECT_TYPES[s.type].name,
                DEPARTMENTS[s.lead].name,
                "；".join(s.overdue_reasons),
                s.days_overdue,
            )
            for i, s in enumerate(figures.overdue[:LIST_LIMIT])
        ],
        (1.0, 3.8, 1.6, 3.0, 2.6, 3.4, 1.4),
    )
    escalated = _t(
        "表7 提级督办问题",
        ("序号", "项目", "县区", "问题类型", "牵头部门", "堵点", "当前状态"),
        [
            (
                i + 1,
                _project_label(figures, s),
                DISTRICTS[s.district].name,
                DEFECT_TYPES[s.type].name,
                DEPARTMENTS[s.lead].name,
                figures.escalation_notes.get(s.id, "") or "—",
                DEFECT_STATUSES[s.status],
            )
            for i, s in enumerate(figures.escalated[:LIST_LIMIT])
        ],
        (1.0, 3.8, 1.6, 3.0, 2.6, 3.4, 1.6),
    )
    pending = _t(
        "表8 待政府同意事项",
        ("序号", "项目", "县区", "问题类型", "报请日期", "已等待天数"),
        [
            (
                i + 1,
                _project_label(figures, s),
                DISTRICTS[s.district].name,
                DEFECT_TYPES[s.type].name,
                s.status_since.isoformat(),
                s.days_stalled,
            )
            for i, s in enumerate(figures.pending_approval[:LIST_LIMIT])
        ],
        (1.0, 4.4, 1.8, 4.0, 2.4, 2.0),
    )
    return {
        "key": key,
        "types": types,
        "districts": districts,
        "matrix": matrix,
        "leads": leads,
        "overdue": overdue,
        "escalated": escalated,
        "pending": pending,
    }


def district_map_png(figures: Figures, scope: Scope) -> bytes:
    """The district map (`gis.render.render_choropleth`): households still without certificates
    per district; districts outside the scope are drawn grey."""
    from app.services.geometry import boundaries
    from gis.render import render_choropleth

    values: dict[str, float | None] = {}
    for code, district in DISTRICTS.items():
        inside = scope.district in (None, code) and figures.by_district[code].projects > 0
        values[district.adcode] = figures.by_district[code].uncertified if inside else None
    return render_choropleth(
        boundaries(),
        values,
        title="分县区未办证户数",
        measure="未办证户数",
        unit="户",
        as_of=figures.as_of,
        fmt="png",
    )


def build_quarterly(
    scope: Scope,
    quarter: Quarter,
    today: dt.date,
    *,
    texts: Mapping[str, str] | None = None,
    progress: Progress = _quiet,
) -> ReportDocument:
    """The quarterly written report to the 市人民政府 (附件3 四(二)), as of the quarter's end."""
    as_of = report_date(quarter, today)
    progress("读取台账历史记录")
    figures = figures_for(
        scope,
        as_of,
        period_start=quarter.first_day,
        trend_months=months_ending(as_of, 12),
        slowest=LIST_LIMIT,
    )
    progress("计算各项指标")
    context = quarterly_context(figures, quarter.label, scope.label)
    words = dict(texts) if texts is not None else report_texts.current_texts("quarterly")

    def say(name: str) -> list[Paragraph]:
        return [Paragraph(p) for p in report_texts.render(words[name], context)]

    tables = _quarterly_tables(figures, scope)
    progress("绘制图表")
    trend = charts.to_png(charts.trend_chart(figures))
    types = charts.to_png(charts.type_chart(figures))
    rates = charts.to_png(charts.district_rate_chart(figures))
    progress("绘制分县区地图")
    district_map = district_map_png(figures, scope)
    progress("生成报告文字")
    blocks: list[Block] = [
        *say("opening"),
        Heading("一、总体进展"),
        *say("overall"),
        tables["key"],
        Image("图1 近12个月销号与新办证情况", trend),
        Heading("二、分类化解情况"),
        *say("types"),
        tables["types"],
        Image("图2 分类化解情况", types),
        Heading("三、分县区推进情况"),
        *say("districts"),
        tables["districts"],
        tables["matrix"],
        Image("图3 分县区办证率与销号率", rates),
        Image("图4 分县区未办证户数分布", district_map, width_cm=12.5),
        Heading("四、牵头部门履职情况"),
        *say("departments"),
        tables["leads"],
        Heading("五、存在的问题"),
        *say("problems"),
    ]
    for name in ("overdue", "escalated", "pending"):
        if tables[name].rows:
            blocks.append(tables[name])
    blocks += [Heading("六、下一步工作"), *say("next_steps")]
    scope_part = "" if scope.label == "全市" else f"·{scope.label}"
    return ReportDocument(
        kind="quarterly",
        title=QUARTERLY_TITLE,
        subtitle=f"（{quarter.label}{scope_part}）",
        addressee="市人民政府：",
        blocks=tuple(blocks),
        sender=SENDER,
        signed_on=today,
        as_of=as_of,
        footnote=f"数据截至{chinese_date(as_of)}，由系统根据台账历史记录自动统计生成。",
        file_stem=f"季度书面报告-{quarter.code}{'-' + scope.district if scope.district else ''}",
        meta={"quarter": quarter.code, "as_of": as_of.isoformat(), "scope": scope.label},
    )


# ---------------------------------------------------------------- dispatch report (调度通报)


def _month_label(month: str) -> str:
    return f"{int(month[:4])}年{int(month[5:7])}月"


def dispatch_context(
    summary: RoundSummary, month: str, as_of: dt.date, scope_label: str
) -> dict[str, Any]:
    """The variables of the 调度通报 templates."""

    def ranked(units: Sequence[Any], names: Mapping[str, Any]) -> list[dict[str, Any]]:
        return [
            {
                "名次": u.rank,
                "名称": names[u.code].name,
                "得分": f"{u.score:.1f}",
                "事项数": u.entries,
                "已报送": u.reported,
                "推进": u.advanced,
                "销号": u.closed,
                "逾期": u.overdue,
                "约谈": u.flagged,
            }
            for u in units
        ]

    return {
        "政策文件": POLICY,
        "调度月份": _month_label(month),
        "截至日期": chinese_date(as_of),
        "范围": scope_label,
        "事项数": summary.total,
        "已报送数": summary.reported,
        "未报送数": summary.unreported,
        "报送率": percent(summary.reported, summary.total),
        "推进数": summary.advanced,
        "销号数": summary.closed,
        "逾期数": len(summary.overdue),
        "滞后数": len(summary.slipped),
        "提级督办数": summary.escalated,
        "约谈分数线": f"{FLAG_BELOW:g}",
        "县区排名": ranked(summary.districts, DISTRICTS),
        "部门排名": ranked(summary.departments, DEPARTMENTS),
        "约谈县区": "、".join(DISTRICTS[u.code].name for u in summary.districts if u.flagged),
        "约谈部门": "、".join(DEPARTMENTS[u.code].name for u in summary.departments if u.flagged),
    }


def _ranking_table(caption: str, first: str, rows: Sequence[dict[str, Any]]) -> Table:
    return _t(
        caption,
        ("名次", first, "事项数", "已报送", "推进", "销号", "逾期", "得分", "约谈通报"),
        [
            (
                r["名次"],
                r["名称"],
                r["事项数"],
                r["已报送"],
                r["推进"],
                r["销号"],
                r["逾期"],
                r["得分"],
                "是" if r["约谈"] else "否",
            )
            for r in rows
        ],
        (1.2, 4.2, 1.4, 1.4, 1.2, 1.2, 1.2, 1.4, 1.6),
    )


def build_dispatch(
    user: User,
    month: str,
    today: dt.date,
    *,
    texts: Mapping[str, str] | None = None,
    progress: Progress = _quiet,
) -> ReportDocument:
    """The 调度通报 of a closed round, with the district and department ranking (附件3 四(二))."""
    from app.services import dispatch as rounds
    from app.services.errors import InvalidInput

    progress("读取调度记录")
    round_ = rounds.get_round(user, month)
    if round_.status != "closed":
        raise InvalidInput("month", f"{month} 的调度尚未关闭，关闭后才能生成调度通报。")
    overview = rounds.overview(user, round_, today)
    summary = overview.summary
    progress("计算排名")
    scope_label = "全市"
    context = dispatch_context(summary, month, overview.as_of, scope_label)
    words = dict(texts) if texts is not None else report_texts.current_texts("dispatch")

    def say(name: str) -> list[Paragraph]:
        return [Paragraph(p) for p in report_texts.render(words[name], context)]

    rows = overview.rows
    reasons = overview.overdue_reasons
    overdue_table = _t(
        f"表3 逾期未销号问题（列出{min(len(summary.overdue), LIST_LIMIT)}个）",
        ("序号", "项目", "问题类型", "县区", "牵头部门", "逾期原因"),
        [
            (
                i + 1,
                f"{rows[f.entry_id].project_name}（{rows[f.entry_id].project_code}）",
                DEFECT_TYPES[rows[f.entry_id].defect_type].name,
                DISTRICTS[rows[f.entry_id].district].name,
                DEPARTMENTS[rows[f.entry_id].lead].name,
                "；".join(reasons[f.entry_id]),
            )
            for i, f in enumerate(summary.overdue[:LIST_LIMIT])
        ],
        (1.0, 4.2, 3.2, 1.8, 2.8, 4.0),
    )
    escalated = [r for r in rows.values() if r.escalate]
    escalated_table = _t(
        "表4 申请提级督办问题",
        ("序号", "项目", "问题类型", "县区", "牵头部门", "状态"),
        [
            (
                i + 1,
                f"{r.project_name}（{r.project_code}）",
                DEFECT_TYPES[r.defect_type].name,
                DISTRICTS[r.district].name,
                DEPARTMENTS[r.lead].name,
                DEFECT_STATUSES.get(r.status, r.status),
            )
            for i, r in enumerate(escalated[:LIST_LIMIT])
        ],
        (1.0, 4.6, 3.4, 1.8, 3.0, 2.2),
    )
    progress("绘制排名图")
    district_chart = charts.to_png(
        charts.dispatch_score_chart(
            "县区综合得分",
            [DISTRICTS[u.code].name for u in summary.districts],
            [u.score for u in summary.districts],
            FLAG_BELOW,
        )
    )
    department_chart = charts.to_png(
        charts.dispatch_score_chart(
            "牵头部门综合得分",
            [DEPARTMENTS[u.code].name for u in summary.departments],
            [u.score for u in summary.departments],
            FLAG_BELOW,
        )
    )
    progress("生成通报文字")
    overall_table = _t(
        "表1 本轮调度总体情况",
        ("指标", "数值"),
        (
            ("调度事项（个）", context["事项数"]),
            ("已报送（个）", context["已报送数"]),
            ("未报送（个）", context["未报送数"]),
            ("报送率", context["报送率"]),
            ("取得推进（个）", context["推进数"]),
            ("已销号（个）", context["销号数"]),
            ("逾期（个）", context["逾期数"]),
            ("较上月滞后（个）", context["滞后数"]),
            ("申请提级督办（个）", context["提级督办数"]),
        ),
        (10, 5),
    )
    blocks: list[Block] = [
        *say("opening"),
        Heading("一、总体情况"),
        *say("overall"),
        overall_table,
        Heading("二、县区排名"),
        *say("districts"),
        _ranking_table("表2-1 县区综合排名", "县区", context["县区排名"]),
        Image("图1 县区综合得分", district_chart),
        Heading("三、牵头部门排名"),
        *say("departments"),
        _ranking_table("表2-2 牵头部门综合排名", "牵头部门", context["部门排名"]),
        Image("图2 牵头部门综合得分", department_chart),
        Heading("四、逾期及提级督办事项"),
        *say("overdue"),
    ]
    if overdue_table.rows:
        blocks.append(overdue_table)
    if escalated_table.rows:
        blocks.append(escalated_table)
    blocks += [Heading("五、有关要求"), *say("requirements")]
    return ReportDocument(
        kind="dispatch",
        title=DISPATCH_TITLE,
        subtitle=f"（{_month_label(month)}）",
        addressee="各县区人民政府，市直各有关部门：",
        blocks=tuple(blocks),
        sender=SENDER,
        signed_on=today,
        as_of=overview.as_of,
        footnote=(
            f"评分办法：报送率{WEIGHTS['reported']}分、推进率{WEIGHTS['advanced']}分、"
            f"销号率{WEIGHTS['closed']}分、按期率{WEIGHTS['on_time']}分，满分100分；"
            f"数据截至{chinese_date(overview.as_of)}。"
        ),
        file_stem=f"调度通报-{month}",
        meta={"month": month, "as_of": overview.as_of.isoformat(), "scope": scope_label},
    )


__all__ = [
    "Block",
    "Heading",
    "Image",
    "Paragraph",
    "ReportDocument",
    "Table",
    "build_dispatch",
    "build_quarterly",
    "chinese_date",
    "quarterly_context",
    "sample_context",
    "variable_help",
]
