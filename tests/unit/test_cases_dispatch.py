"""每月调度 arithmetic (附件3 四(二)): months, opening rules, reports, overdue, slips, ranking."""

from __future__ import annotations

import datetime as dt

import pytest

from cases.dispatch import (
    FLAG_BELOW,
    DispatchError,
    EntryFacts,
    PreviousFacts,
    advanced,
    check_new_round,
    check_report,
    first_day,
    last_day,
    month_of,
    overdue_reasons,
    parse_month,
    ranking,
    reference_date,
    shift_month,
    slip_reasons,
    summarize,
    unit_score,
)

TODAY = dt.date(2024, 7, 15)


def entry(entry_id: int = 1, **values: object) -> EntryFacts:
    base: dict[str, object] = {
        "entry_id": entry_id,
        "defect_id": entry_id,
        "district": "dwk",
        "lead": "housing",
        "status_at_open": "in_progress",
        "status": "in_progress",
        "deadline": None,
        "planned_month": None,
        "reported": False,
        "escalate": False,
    }
    base.update(values)
    return EntryFacts(**base)  # type: ignore[arg-type]


# ---------------------------------------------------------------- months


@pytest.mark.parametrize("text", ["2024-07", " 2024-12 ", "2000-01", "2099-12"])
def test_a_well_formed_month_is_accepted(text):
    assert parse_month(text) == text.strip()


@pytest.mark.parametrize(
    "text", ["", None, "2024-7", "2024-13", "2024-00", "24-07", "2024/07", "七月", "2024-07-01"]
)
def test_a_malformed_month_is_refused_in_chinese(text):
    with pytest.raises(DispatchError) as refused:
        parse_month(text)
    assert refused.value.field == "month"
    assert "YYYY-MM" in refused.value.message


@pytest.mark.parametrize("text", ["1999-12", "2100-01"])
def test_a_month_outside_the_supported_years_is_refused(text):
    with pytest.raises(DispatchError, match="2000"):
        parse_month(text)


def test_month_arithmetic_crosses_years():
    assert month_of(dt.date(2024, 12, 31)) == "2024-12"
    assert shift_month("2024-12", 1) == "2025-01"
    assert shift_month("2024-01", -1) == "2023-12"
    assert shift_month("2024-07", -13) == "2023-06"
    assert first_day("2024-02") == dt.date(2024, 2, 1)
    assert last_day("2024-02") == dt.date(2024, 2, 29)
    assert last_day("2023-12") == dt.date(2023, 12, 31)


# ---------------------------------------------------------------- opening a round


def test_the_current_and_the_next_month_may_open():
    check_new_round("2024-07", TODAY, [], None)
    check_new_round("2024-08", TODAY, ["2024-06"], None)


def test_a_month_beyond_next_month_is_refused():
    with pytest.raises(DispatchError, match="不能提前开启 2024-09"):
        check_new_round("2024-09", TODAY, [], None)


def test_a_month_that_already_had_a_round_is_refused():
    with pytest.raises(DispatchError, match="每月只能开启一轮"):
        check_new_round("2024-06", TODAY, ["2024-06"], None)


def test_a_second_round_while_one_is_open_is_refused():
    with pytest.raises(DispatchError, match="2024-06 的调度尚未关闭"):
        check_new_round("2024-07", TODAY, ["2024-06"], "2024-06")


def test_a_month_before_the_latest_round_is_refused():
    with pytest.raises(DispatchError, match="须晚于最近一轮（2024-06）"):
        check_new_round("2024-05", TODAY, ["2024-04", "2024-06"], None)


def test_a_round_is_judged_at_its_closing_day_or_today_within_its_month():
    assert reference_date("2024-07", TODAY, None) == TODAY
    assert reference_date("2024-07", TODAY, dt.date(2024, 7, 28)) == dt.date(2024, 7, 28)
    # Left open, or closed after its month: the month's last day.
    assert reference_date("2024-06", TODAY, None) == dt.date(2024, 6, 30)
    assert reference_date("2024-06", TODAY, dt.date(2024, 7, 3)) == dt.date(2024, 6, 30)


# ---------------------------------------------------------------- a report


def test_a_complete_report_is_cleaned():
    report = check_report(
        " 已完成测绘 ", " 缺少竣工资料 ", "补齐资料", TODAY + dt.timedelta(days=10), True, TODAY
    )
    assert report.progress == "已完成测绘"
    assert report.blocker == "缺少竣工资料"
    assert report.escalate is True


def test_a_report_without_progress_is_refused():
    with pytest.raises(DispatchError) as refused:
        check_report("  ", "", "", None, False, TODAY)
    assert refused.value.field == "progress"


@pytest.mark.parametrize("name", ["progress", "blocker", "next_step"])
def test_an_over_long_text_is_refused(name):
    values = {"progress": "有进展", "blocker": "", "next_step": ""}
    values[name] = "字" * 2001
    with pytest.raises(DispatchError, match="不能超过 2000 个字") as refused:
        check_report(
            values["progress"],
            values["blocker"],
            values["next_step"],
            TODAY + dt.timedelta(days=1),
            False,
            TODAY,
        )
    assert refused.value.field == name


def test_a_time_limit_in_the_past_is_refused():
    with pytest.raises(DispatchError, match="不能早于今天") as refused:
        check_report("有进展", "", "下一步", TODAY - dt.timedelta(days=1), False, TODAY)
    assert refused.value.field == "time_limit"


def test_a_time_limit_of_today_is_accepted_and_one_beyond_three_years_refused():
    assert check_report("有进展", "", "办", TODAY, False, TODAY).time_limit == TODAY
    with pytest.raises(DispatchError, match="三年"):
        check_report("有进展", "", "办", TODAY + dt.timedelta(days=1200), False, TODAY)


def test_a_next_step_needs_a_time_limit():
    with pytest.raises(DispatchError, match="完成时限") as refused:
        check_report("有进展", "", "补齐资料", None, False, TODAY)
    assert refused.value.field == "time_limit"


def test_escalation_needs_a_blocker():
    with pytest.raises(DispatchError, match="提级督办须写明堵点") as refused:
        check_report("有进展", " ", "", None, True, TODAY)
    assert refused.value.field == "blocker"


# ---------------------------------------------------------------- overdue


def test_an_item_past_its_deadline_is_overdue():
    item = entry(deadline=dt.date(2024, 7, 14))
    assert overdue_reasons(item, "2024-07", TODAY) == ("已超过办理时限 2024-07-14",)


def test_an_item_due_today_is_not_overdue():
    assert overdue_reasons(entry(deadline=TODAY), "2024-07", TODAY) == ()


def test_an_item_planned_for_an_earlier_month_is_overdue():
    assert overdue_reasons(entry(planned_month="2024-06"), "2024-07", TODAY) == (
        "已超过计划完成月份 2024-06",
    )
    assert overdue_reasons(entry(planned_month="2024-07"), "2024-07", TODAY) == ()


def test_both_reasons_are_given():
    item = entry(deadline=dt.date(2024, 7, 1), planned_month="2024-05")
    assert len(overdue_reasons(item, "2024-07", TODAY)) == 2


@pytest.mark.parametrize("status", ["closed", "suspended"])
def test_closed_and_suspended_items_are_never_overdue(status):
    item = entry(status=status, deadline=dt.date(2024, 1, 1), planned_month="2024-01")
    assert overdue_reasons(item, "2024-07", TODAY) == ()


# ---------------------------------------------------------------- slips


def previous(status: str = "in_progress", **values: object) -> PreviousFacts:
    base: dict[str, object] = {"status": status, "deadline": None, "planned_month": None}
    base.update(values)
    return PreviousFacts(**base)  # type: ignore[arg-type]


def test_nothing_slips_without_a_previous_round():
    assert slip_reasons(entry(), None) == ()


def test_a_planned_month_moved_later_slipped():
    item = entry(planned_month="2024-09")
    assert slip_reasons(item, previous(planned_month="2024-07")) == (
        "计划完成月份由 2024-07 推迟至 2024-09",
    )


def test_a_planned_month_moved_earlier_did_not_slip():
    assert slip_reasons(entry(planned_month="2024-06"), previous(planned_month="2024-07")) == ()


def test_a_dropped_planned_month_slipped():
    assert slip_reasons(entry(), previous(planned_month="2024-07")) == (
        "计划完成月份（原 2024-07）被取消",
    )


def test_an_extended_deadline_slipped():
    item = entry(deadline=dt.date(2024, 9, 30))
    assert slip_reasons(item, previous(deadline=dt.date(2024, 7, 31))) == (
        "办理时限由 2024-07-31 延至 2024-09-30",
    )


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("awaiting_closure", "in_progress"),  # 退回重办
        ("in_progress", "registered"),  # 退回改派
        ("assigned", "registered"),
        ("closed", "in_progress"),  # 重新打开
    ],
)
def test_a_status_going_backwards_slipped(before, after):
    reasons = slip_reasons(entry(status=after), previous(before))
    assert len(reasons) == 1 and "退回" in reasons[0]


def test_entering_suspension_slipped():
    assert slip_reasons(entry(status="suspended"), previous("in_progress")) == (
        "由「办理中」转入「暂缓」",
    )


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("awaiting_approval", "in_progress"),  # an approval recorded is progress
        ("in_progress", "awaiting_approval"),
        ("in_progress", "in_progress"),
        ("suspended", "in_progress"),
        ("suspended", "suspended"),
        ("assigned", "closed"),
    ],
)
def test_moves_that_are_not_setbacks_did_not_slip(before, after):
    assert slip_reasons(entry(status=after), previous(before)) == ()


# ---------------------------------------------------------------- advance and ranking


@pytest.mark.parametrize(
    ("at_open", "now", "expected"),
    [
        ("registered", "assigned", True),
        ("in_progress", "closed", True),
        ("suspended", "in_progress", True),
        ("in_progress", "in_progress", False),
        ("awaiting_closure", "in_progress", False),
        ("in_progress", "awaiting_approval", False),
        ("in_progress", "suspended", False),
    ],
)
def test_an_item_advanced_when_it_moved_towards_closure(at_open, now, expected):
    assert advanced(entry(status_at_open=at_open, status=now)) is expected


def test_the_score_weights_reporting_progress_closure_and_timeliness():
    assert unit_score(10, 10, 10, 10, 0) == 100.0
    assert unit_score(10, 0, 0, 0, 10) == 0.0
    # All reported, nothing moved, nothing overdue: 40 + 30.
    assert unit_score(4, 4, 0, 0, 0) == 70.0
    assert unit_score(4, 2, 1, 1, 2) == pytest.approx(20 + 5 + 2.5 + 15)
    with pytest.raises(ValueError):
        unit_score(0, 0, 0, 0, 0)


def test_units_rank_best_first_and_slow_ones_are_flagged():
    items = [
        entry(1, district="dwk", reported=True, status="closed"),
        entry(2, district="dwk", reported=True, status="awaiting_closure"),
        entry(3, district="hn", reported=True),
        entry(4, district="pl", reported=False, deadline=dt.date(2024, 1, 1)),
    ]
    ranked = ranking(items, lambda e: e.district, overdue_ids={4})
    assert [u.code for u in ranked] == ["dwk", "hn", "pl"]
    assert [u.rank for u in ranked] == [1, 2, 3]
    dwk, hn, pl = ranked
    assert (dwk.entries, dwk.reported, dwk.advanced, dwk.closed) == (2, 2, 2, 1)
    assert dwk.score == 95.0 and not dwk.flagged
    assert hn.score == 70.0 and not hn.flagged  # reported and on time, nothing moved yet
    assert pl.score == 0.0 and pl.flagged and pl.unreported == 1 and pl.overdue == 1
    assert FLAG_BELOW == 60.0


def test_a_unit_below_sixty_is_flagged_wherever_it_ranks():
    items = [
        entry(1, district="dwk", reported=False),  # 30: nothing reported
        entry(2, district="hn", reported=False),
    ]
    assert [u.flagged for u in ranking(items, lambda e: e.district, set())] == [True, True]


def test_the_last_ranked_unit_is_flagged_unless_it_scores_ninety():
    middling = [
        entry(1, lead="tax", reported=True, status="closed"),
        entry(2, lead="court", reported=True),  # 70, last
    ]
    assert [(u.code, u.flagged) for u in ranking(middling, lambda e: e.lead, set())] == [
        ("tax", False),
        ("court", True),
    ]
    excellent = [
        entry(1, lead="tax", reported=True, status="closed"),  # 100
        entry(2, lead="court", reported=True, status="awaiting_closure"),  # 90, last
    ]
    assert [u.flagged for u in ranking(excellent, lambda e: e.lead, set())] == [False, False]


def test_a_single_unit_is_not_last_of_anything():
    only = ranking([entry(1, reported=True)], lambda e: e.district, set())
    assert only[0].score == 70.0 and not only[0].flagged


def test_ties_rank_by_fewer_overdue_then_by_code():
    items = [
        entry(1, lead="tax", reported=True),
        entry(2, lead="court", reported=True),
        entry(3, lead="approval", reported=True),
    ]
    ranked = ranking(items, lambda e: e.lead, overdue_ids=set())
    assert [u.code for u in ranked] == ["approval", "court", "tax"]


def test_a_summary_counts_lists_and_ranks():
    items = [
        entry(1, reported=True, escalate=True, status="closed", district="dwk", lead="tax"),
        entry(2, reported=False, deadline=dt.date(2024, 7, 1), district="dwk"),
        entry(3, reported=True, planned_month="2024-09", district="hn"),
    ]
    prev = {3: previous(planned_month="2024-08"), 99: previous()}
    summary = summarize(items, prev, "2024-07", TODAY)
    assert (summary.total, summary.reported, summary.unreported) == (3, 2, 1)
    assert (summary.escalated, summary.closed, summary.advanced) == (1, 1, 1)
    assert [f.entry_id for f in summary.overdue] == [2]
    assert [f.entry_id for f in summary.slipped] == [3]
    assert summary.by_district[0].code == "dwk" and summary.by_district[0].unreported == 1
    assert {t.code for t in summary.by_department} == {"tax", "housing"}
    assert {u.code for u in summary.districts} == {"dwk", "hn"}


def test_an_empty_round_summarises_to_zeros():
    summary = summarize([], {}, "2024-07", TODAY)
    assert summary.total == 0 and summary.districts == () and summary.overdue == ()
