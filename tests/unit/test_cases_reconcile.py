"""reconcile() says what a re-run of the engine changes for a project's defects."""

from __future__ import annotations

import pytest

from cases.classify import Classification, Defect, Review
from cases.reconcile import CurrentDefect, DefectChange, reconcile
from cases.taxonomy import DEFECT_TYPES


def defect(type_code: str, path: str) -> Defect:
    spec = DEFECT_TYPES[type_code]
    return Defect(type_code, path, spec.lead, spec.cooperating, False, spec.clause, "…")


def review(type_code: str, reason: str = "需人工研判。") -> Review:
    spec = DEFECT_TYPES[type_code]
    return Review(type_code, (), reason, spec.lead, spec.clause)


def proposal(*items: Defect | Review) -> Classification:
    return Classification(
        tuple(i for i in items if isinstance(i, Defect)),
        tuple(i for i in items if isinstance(i, Review)),
    )


def row(
    type_code: str, path: str | None, *, overridden: bool = False, status: str = "registered"
) -> CurrentDefect:
    return CurrentDefect(type_code, path, overridden, status)


def kinds(changes: tuple[DefectChange, ...]) -> list[tuple[str, str]]:
    return [(c.type, c.kind) for c in changes]


def test_nothing_current_nothing_proposed_changes_nothing():
    assert reconcile([], proposal()) == ()


def test_new_defect_is_added_with_its_path():
    [change] = reconcile([], proposal(defect("fire", "fire_housing_review")))
    assert change == DefectChange(
        "fire",
        "added",
        None,
        "fire_housing_review",
        "新增问题：未办理消防验收（住建部门牵头审查）",
    )


def test_new_review_item_is_added_to_review():
    [change] = reconcile([], proposal(review("completion", "资料不详。")))
    assert (change.kind, change.old_path, change.new_path) == ("to_review", None, None)
    assert change.message.startswith("新增问题（需人工研判）：未办理竣工验收备案")
    assert "资料不详。" in change.message


@pytest.mark.parametrize("path", ["fire_exempt", None])
@pytest.mark.parametrize("overridden", [False, True])
def test_type_no_longer_proposed_is_removed(path, overridden):
    [change] = reconcile(
        [row("fire", path, overridden=overridden, status="in_progress")], proposal()
    )
    assert (change.type, change.kind, change.old_path, change.new_path) == (
        "fire",
        "removed",
        path,
        None,
    )
    assert change.message.startswith("问题不再成立：未办理消防验收")
    assert "办理中" in change.message


@pytest.mark.parametrize("overridden", [False, True])
def test_same_path_changes_nothing(overridden):
    current = [row("fire", "fire_exempt", overridden=overridden)]
    assert reconcile(current, proposal(defect("fire", "fire_exempt"))) == ()


def test_review_staying_review_changes_nothing():
    assert reconcile([row("planning", None)], proposal(review("planning"))) == ()


def test_engine_path_change_is_applied_when_not_overridden():
    [change] = reconcile(
        [row("fire", "fire_exempt")], proposal(defect("fire", "fire_housing_review"))
    )
    assert (change.kind, change.old_path, change.new_path) == (
        "path_changed",
        "fire_exempt",
        "fire_housing_review",
    )
    assert (
        change.message == "路径变更：未办理消防验收由『可不再办理消防验收』改为『住建部门牵头审查』"
    )


def test_overridden_path_is_kept_and_the_engine_suggestion_reported():
    [change] = reconcile(
        [row("planning", "planning_supplement", overridden=True)],
        proposal(defect("planning", "violation_disposal")),
    )
    assert (change.kind, change.old_path, change.new_path) == (
        "override_kept",
        "planning_supplement",
        "violation_disposal",
    )
    assert change.message.startswith("人工调整的路径予以保留：引擎现建议『违规建设处置")


def test_overridden_path_is_kept_when_the_engine_now_wants_review():
    [change] = reconcile(
        [row("litigation", "court_coordination", overridden=True)],
        proposal(review("litigation")),
    )
    assert (change.kind, change.old_path, change.new_path) == (
        "override_kept",
        "court_coordination",
        None,
    )
    assert "『人工研判』" in change.message


def test_path_that_can_no_longer_be_decided_goes_to_review():
    [change] = reconcile(
        [row("litigation", "court_coordination")],
        proposal(review("litigation", "群众有过错。")),
    )
    assert (change.kind, change.old_path, change.new_path) == (
        "to_review",
        "court_coordination",
        None,
    )
    assert change.message.startswith("转入人工研判：涉法涉诉类“办证难”")
    assert "群众有过错。" in change.message


def test_review_item_that_can_now_be_decided_comes_from_review():
    [change] = reconcile(
        [row("completion", None)], proposal(defect("completion", "completion_supplement"))
    )
    assert (change.kind, change.old_path, change.new_path) == (
        "from_review",
        None,
        "completion_supplement",
    )
    assert "『补办竣工验收备案』" in change.message


def test_changes_come_in_table_order_whatever_the_order_of_current_rows():
    current = [
        row("oversize", "housing_approval_transfer"),
        row("fire", "fire_exempt"),
        row("land", "land_allocation"),
    ]
    proposed = proposal(
        defect("land", "land_by_construction_era"),
        defect("arrears", "certificate_payment_separation"),
        defect("fire", "fire_housing_review"),
        review("completion"),
    )
    assert kinds(reconcile(current, proposed)) == [
        ("land", "path_changed"),
        ("arrears", "added"),
        ("completion", "to_review"),
        ("fire", "path_changed"),
        ("oversize", "removed"),
    ]


def test_type_dropped_from_the_taxonomy_is_removed_after_the_known_types():
    current = [row("retired_type", "old_path", status="closed"), row("fire", "fire_exempt")]
    changes = reconcile(current, proposal(defect("land", "land_allocation")))
    assert kinds(changes) == [("land", "added"), ("fire", "removed"), ("retired_type", "removed")]
    assert changes[-1].message == "问题不再成立：retired_type（原为『old_path』，状态：已销号）"


def test_duplicate_current_type_is_refused():
    with pytest.raises(ValueError, match="fire"):
        reconcile([row("fire", "fire_exempt"), row("fire", None)], proposal())


def test_reconcile_leaves_its_inputs_alone():
    current = [row("fire", "fire_exempt")]
    proposed = proposal(defect("fire", "fire_housing_review"))
    before = (list(current), proposed)
    first = reconcile(current, proposed)
    assert (list(current), proposed) == before
    assert reconcile(current, proposed) == first
