"""project_state(): 未化解 / 化解中 / 已化解 from the defects' statuses."""

from __future__ import annotations

import pytest

from cases.progress import project_state
from cases.taxonomy import DEFECT_STATUSES, PROJECT_STATES


def test_project_without_defects_is_resolved():
    assert project_state([]) == "resolved"


@pytest.mark.parametrize("count", [1, 3])
def test_project_with_every_defect_closed_is_resolved(count):
    assert project_state(["closed"] * count) == "resolved"


@pytest.mark.parametrize("count", [1, 3])
def test_project_with_every_defect_registered_is_unresolved(count):
    assert project_state(["registered"] * count) == "unresolved"


@pytest.mark.parametrize(
    "statuses",
    [
        ["assigned"],
        ["in_progress"],
        ["awaiting_approval"],
        ["awaiting_closure"],
        ["suspended"],
        ["registered", "closed"],
        ["registered", "assigned"],
        ["closed", "awaiting_closure"],
        ["suspended", "closed"],
    ],
)
def test_project_with_work_under_way_is_in_progress(statuses):
    assert project_state(statuses) == "in_progress"


def test_project_state_accepts_any_iterable_once():
    assert project_state(s for s in ["closed", "closed"]) == "resolved"
    assert project_state(iter(["registered", "assigned"])) == "in_progress"


@pytest.mark.parametrize("statuses", [["done"], ["closed", "Closed"], [""]])
def test_unknown_status_is_refused(statuses):
    with pytest.raises(ValueError, match="未知的问题状态"):
        project_state(statuses)


@pytest.mark.parametrize("status", list(DEFECT_STATUSES))
def test_every_result_is_a_project_state(status):
    assert project_state([status]) in PROJECT_STATES
