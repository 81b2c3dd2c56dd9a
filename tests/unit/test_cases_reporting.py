"""As-of arithmetic (cases.reporting), against numbers worked out by hand."""

from __future__ import annotations

import datetime as dt

import pytest

from cases.reporting import (
    CertificateRecord,
    DefectRecord,
    EscalationRecord,
    EventRecord,
    History,
    ProjectRecord,
    ReportingError,
    compute,
    defect_as_of,
    months_ending,
    parse_quarter,
    percent,
    quarter_of,
    report_date,
    status_at,
)

Q3_END = dt.date(2024, 9, 30)
Q3_START = dt.date(2024, 7, 1)
_seq = iter(range(1, 10_000))


def at(text: str) -> dt.datetime:
    """Local wall-clock time."""
    return dt.datetime.fromisoformat(text)


def ev(when: str, action: str, to_status: str, **extra: object) -> EventRecord:
    return EventRecord(at(when), next(_seq), action, to_status, **extra)  # type: ignore[arg-type]


def history() -> History:
    d1 = DefectRecord(
        1,
        1,
        "fire",
        "dwk",
        "housing",
        (
            ev("2024-03-01T09:00", "register", "registered"),
            ev("2024-03-05T10:00", "assign", "assigned", deadline=dt.date(2024, 6, 30)),
            ev("2024-03-10T10:00", "start", "in_progress"),
            ev("2024-08-01T10:00", "submit", "awaiting_closure"),
            ev("2024-09-30T23:59", "close", "closed"),  # counts: the last minute of the quarter
        ),
    )
    d2 = DefectRecord(
        2,
        1,
        "land",
        "dwk",
        "nr",
        (
            ev("2024-03-01T09:00", "register", "registered"),
            ev("2024-04-01T10:00", "assign", "assigned", deadline=dt.date(2024, 9, 1)),
            ev("2024-04-02T10:00", "start", "in_progress"),
            ev("2024-08-20T10:00", "submit", "awaiting_closure"),
            ev("2024-10-01T00:00", "close", "closed"),  # does not: the next quarter's first minute
        ),
    )
    d3 = DefectRecord(
        3,
        2,
        "deed_tax",
        "hn",
        "housing",  # today's lead, after a 改派 in October
        (
            ev("2024-05-10T09:00", "register", "registered"),
            ev("2024-05-11T09:00", "reroute", "registered", lead="court"),
            ev("2024-06-01T09:00", "plan", "registered", planned_month="2024-08"),
            ev("2024-10-05T09:00", "reroute", "registered", lead="housing"),
        ),
    )
    d4 = DefectRecord(
        4,
        2,
        "planning",
        "hn",
        "nr",
        (
            ev("2024-05-10T09:00", "register", "registered"),
            ev("2024-05-15T09:00", "assign", "assigned", deadline=dt.date(2024, 12, 31)),
            ev("2024-05-16T09:00", "start", "in_progress"),
            ev("2024-07-01T09:00", "request_approval", "awaiting_approval"),
        ),
    )
    d5 = DefectRecord(
        5, 3, "fire", "pl", "housing", (ev("2024-10-01T08:00", "register", "registered"),)
    )
    return History(
        projects=(
            ProjectRecord(1, "DWK-0001", "一号小区", "dwk", 100, dt.date(2024, 3, 1)),
            ProjectRecord(2, "HN-0001", "二号小区", "hn", 50, dt.date(2024, 5, 10)),
            ProjectRecord(3, "PL-0001", "三号小区", "pl", 30, dt.date(2024, 10, 1)),
        ),
        defects=(d1, d2, d3, d4, d5),
        certificates=(
            CertificateRecord(1, dt.date(2024, 3, 1), 10, "baseline"),
            CertificateRecord(1, dt.date(2024, 7, 15), 5, "issued"),
            CertificateRecord(1, dt.date(2024, 10, 1), 7, "issued"),
            CertificateRecord(2, dt.date(2024, 6, 20), 3, "issued"),
            CertificateRecord(2, dt.date(2024, 9, 30), -1, "correction"),
        ),
        escalations=(
            EscalationRecord(2, "2024-09", dt.date(2024, 9, 20), "等待测绘"),
            EscalationRecord(4, "2024-10", dt.date(2024, 10, 10), "政府未批复"),
        ),
    )


def q3() -> object:
    return compute(
        history(),
        Q3_END,
        period_start=Q3_START,
        trend_months=("2024-07", "2024-08", "2024-09"),
    )


def test_key_figures_count_projects_households_and_certificates_as_of_the_quarter_end():
    figures = q3()
    overall = figures.overall
    assert overall.projects == 2  # project 3 registered on 2024-10-01
    assert overall.households == 150
    assert overall.certified == 17  # 10 + 5 + 3 − 1; the 7 of 2024-10-01 not yet
    assert overall.uncertified == 133
    assert overall.certification_rate == "11.3%"  # 17 / 150
    assert overall.certified_in_period == 4  # 5 issued in July, −1 corrected in September
    assert overall.resolved == 0


def test_defects_open_closed_and_overdue_as_of_the_quarter_end():
    counts = q3().overall.defects
    assert (counts.total, counts.closed, counts.open, counts.overdue) == (4, 1, 3, 2)
    assert counts.closed_in_period == 1
    assert counts.closure_rate == "25.0%"
    assert counts.by_status["awaiting_closure"] == 1  # defect 2, closed only on 2024-10-01
    assert counts.by_status["awaiting_approval"] == 1


def test_breakdowns_by_type_district_and_district_type():
    figures = q3()
    assert (figures.by_type["fire"].total, figures.by_type["fire"].closed) == (1, 1)
    assert (figures.by_type["land"].total, figures.by_type["land"].overdue) == (1, 1)
    assert figures.by_type["oversize"].total == 0
    dwk, hn, pl = (figures.by_district[c] for c in ("dwk", "hn", "pl"))
    assert (dwk.projects, dwk.households, dwk.certified, dwk.certification_rate) == (
        1,
        100,
        15,
        "15.0%",
    )
    assert (hn.certified, hn.certification_rate, hn.defects.overdue) == (2, "4.0%", 1)
    assert (pl.projects, pl.defects.total, pl.certification_rate) == (0, 0, "—")
    assert figures.by_district_type[("hn", "deed_tax")].overdue == 1
    assert figures.by_district_type[("dwk", "fire")].closed == 1
    assert figures.by_district_type[("pl", "fire")].total == 0


def test_lead_department_as_of_the_day_follows_the_reroutes_before_it():
    figures = q3()
    assert figures.by_lead["court"].defects.total == 1  # 改派 to court in May, to housing in Oct
    housing = figures.by_lead["housing"]
    assert housing.defects.total == 1
    assert housing.average_days_to_close == 209  # 2024-03-05 交办 → 2024-09-30 销号
    nr = figures.by_lead["nr"]
    assert (nr.defects.total, nr.average_days_to_close, nr.longest_open_days) == (2, None, 213)
    assert "tax" not in figures.by_lead


def test_overdue_by_time_limit_and_by_planned_month_slowest_first():
    figures = q3()
    assert [s.id for s in figures.overdue] == [3, 2]
    planned, limit = figures.overdue
    assert planned.days_overdue == 30  # planned 2024-08 ended 2024-08-31
    assert limit.days_overdue == 29  # 办理时限 2024-09-01
    assert planned.overdue_reasons == ("超过计划完成月份 2024-08",)
    assert limit.overdue_reasons == ("超过办理时限 2024-09-01",)


def test_pending_approvals_escalations_and_slowest_districts():
    figures = q3()
    assert [s.id for s in figures.pending_approval] == [4]
    assert figures.pending_approval[0].days_stalled == 91  # since 2024-07-01
    assert [s.id for s in figures.escalated] == [2]  # defect 4 was escalated only in October
    assert figures.escalation_notes[2] == "等待测绘"
    assert [(r.code, r.rank, r.closure_rate) for r in figures.slowest_districts] == [
        ("hn", 1, "0.0%"),
        ("dwk", 2, "50.0%"),
    ]
    assert [s.id for s in figures.slowest] == [3, 2, 4]


def test_trend_counts_closures_and_newly_issued_certificates_per_month():
    trend = q3().trend
    assert [(p.month, p.closed, p.certificates) for p in trend] == [
        ("2024-07", 0, 5),
        ("2024-08", 0, 0),
        ("2024-09", 1, 0),  # the −1 correction is no issuing
    ]


def test_an_event_at_2359_on_the_last_day_counts_and_one_at_midnight_does_not():
    d1, d2 = history().defects[:2]
    assert defect_as_of(d1, Q3_END).status == "closed"
    assert defect_as_of(d1, dt.date(2024, 9, 29)).status == "awaiting_closure"
    assert defect_as_of(d2, Q3_END).status == "awaiting_closure"
    assert defect_as_of(d2, dt.date(2024, 10, 1)).status == "closed"
    assert defect_as_of(d1, dt.date(2024, 2, 29)) is None


def test_history_after_the_day_does_not_change_the_figures():
    base = history()
    later = History(
        projects=base.projects,
        defects=(
            *base.defects[:3],
            DefectRecord(
                4,
                2,
                "planning",
                "hn",
                "nr",
                (*base.defects[3].events, ev("2024-10-02T09:00", "approve", "in_progress")),
            ),
            base.defects[4],
        ),
        certificates=(*base.certificates, CertificateRecord(2, dt.date(2024, 12, 1), 20, "issued")),
        escalations=base.escalations,
    )
    assert compute(later, Q3_END, period_start=Q3_START) == compute(
        base, Q3_END, period_start=Q3_START
    )


def test_status_at_a_moment():
    d1 = history().defects[0]
    assert status_at(d1.events, at("2024-09-30T23:58")) == "awaiting_closure"
    assert status_at(d1.events, at("2024-09-30T23:59")) == "closed"
    assert status_at(d1.events, at("2024-01-01T00:00")) is None


@pytest.mark.parametrize(
    ("part", "whole", "text"),
    [
        (1, 8, "12.5%"),
        (1, 3, "33.3%"),
        (2, 3, "66.7%"),
        (1, 2000, "0.1%"),
        (0, 5, "0.0%"),
        (3, 0, "—"),
    ],
)
def test_percent_rounds_half_up_to_one_decimal(part, whole, text):
    assert percent(part, whole) == text


def test_quarters_parse_strictly():
    q = parse_quarter("2024Q3")
    assert (q.first_day, q.last_day, q.months, q.label) == (
        dt.date(2024, 7, 1),
        dt.date(2024, 9, 30),
        ("2024-07", "2024-08", "2024-09"),
        "2024年第三季度",
    )
    assert parse_quarter("2024q4").last_day == dt.date(2024, 12, 31)
    assert parse_quarter("2024Q1").last_day == dt.date(2024, 3, 31)
    assert quarter_of(dt.date(2024, 11, 5)).code == "2024Q4"


@pytest.mark.parametrize(
    "text", ["2024Q5", "2024Q0", "24Q3", "2024-Q3", "", None, "1999Q1", "2024Q3x"]
)
def test_bad_quarters_are_refused_in_chinese(text):
    with pytest.raises(ReportingError) as caught:
        parse_quarter(text)
    assert "季度" in caught.value.message or "年份" in caught.value.message


def test_report_date_is_the_quarter_end_or_today_while_it_runs():
    q = parse_quarter("2024Q3")
    assert report_date(q, dt.date(2025, 3, 1)) == Q3_END
    assert report_date(q, dt.date(2024, 8, 15)) == dt.date(2024, 8, 15)
    with pytest.raises(ReportingError):
        report_date(q, dt.date(2024, 6, 30))


def test_months_ending_cross_a_year():
    assert months_ending(dt.date(2024, 2, 10), 4) == ("2023-11", "2023-12", "2024-01", "2024-02")
