"""What re-running the 附件3 engine changes for the defects a project already has."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from cases.classify import Classification
from cases.taxonomy import DEFECT_STATUSES, DEFECT_TYPES, PATHS

ChangeKind = Literal[
    "added", "removed", "path_changed", "override_kept", "to_review", "from_review"
]

# How a needs-review item (path None) is shown where a path name would be.
_REVIEW_LABEL = "人工研判"


@dataclass(frozen=True)
class CurrentDefect:
    """A defect row a project already has; `path` None means it awaits review."""

    type: str
    path: str | None
    overridden: bool
    status: str


@dataclass(frozen=True)
class DefectChange:
    """One change a re-run proposes for a defect type, with a Chinese message for the log."""

    type: str
    kind: ChangeKind
    old_path: str | None
    new_path: str | None
    message: str


def _type_name(type_code: str) -> str:
    """Chinese name of a defect type; a code dropped from the taxonomy is shown as is."""
    spec = DEFECT_TYPES.get(type_code)
    return spec.name if spec else type_code


def _path_name(path_code: str | None) -> str:
    """Chinese name of a path, or 人工研判 for a needs-review item."""
    if path_code is None:
        return _REVIEW_LABEL
    spec = PATHS.get(path_code)
    return spec.name if spec else path_code


def _proposed_paths(proposed: Classification) -> dict[str, str | None]:
    """Type -> proposed path (None for needs_review)."""
    paths: dict[str, str | None] = {d.type: d.path for d in proposed.defects}
    paths.update({r.type: None for r in proposed.needs_review})
    return paths


def _change(
    type_code: str, old: CurrentDefect | None, new_path: str | None, review_reason: str
) -> DefectChange:
    """The change for a type present in the proposal; caller guarantees it differs."""
    name = _type_name(type_code)
    if old is None:
        if new_path is None:
            return DefectChange(
                type_code,
                "to_review",
                None,
                None,
                f"新增问题（需人工研判）：{name}。{review_reason}",
            )
        return DefectChange(
            type_code, "added", None, new_path, f"新增问题：{name}（{_path_name(new_path)}）"
        )
    old_path = old.path
    if old.overridden:
        # A caseworker chose this path with a reason; the engine must not undo that silently.
        return DefectChange(
            type_code,
            "override_kept",
            old_path,
            new_path,
            f"人工调整的路径予以保留：引擎现建议『{_path_name(new_path)}』"
            f"（{name}：仍为『{_path_name(old_path)}』）",
        )
    if new_path is None:
        return DefectChange(
            type_code,
            "to_review",
            old_path,
            None,
            f"转入人工研判：{name}原为『{_path_name(old_path)}』。{review_reason}",
        )
    if old_path is None:
        return DefectChange(
            type_code,
            "from_review",
            None,
            new_path,
            f"人工研判项已确定路径：{name}改为『{_path_name(new_path)}』",
        )
    return DefectChange(
        type_code,
        "path_changed",
        old_path,
        new_path,
        f"路径变更：{name}由『{_path_name(old_path)}』改为『{_path_name(new_path)}』",
    )


def _removed(old: CurrentDefect) -> DefectChange:
    """The change for a current type the engine no longer raises."""
    status = DEFECT_STATUSES.get(old.status, old.status)
    return DefectChange(
        old.type,
        "removed",
        old.path,
        None,
        f"问题不再成立：{_type_name(old.type)}（原为『{_path_name(old.path)}』，状态：{status}）",
    )


def reconcile(
    current: Sequence[CurrentDefect], proposed: Classification
) -> tuple[DefectChange, ...]:
    """Changes a re-run proposes, in table order (types no longer in the taxonomy last)."""
    by_type: dict[str, CurrentDefect] = {}
    for row in current:
        if row.type in by_type:
            raise ValueError(f"同一问题类型出现多次：{row.type}")
        by_type[row.type] = row
    new_paths = _proposed_paths(proposed)
    reasons = {r.type: r.reason for r in proposed.needs_review}
    # Types dropped by a policy revision still have rows to remove, after the known ones.
    order = list(DEFECT_TYPES) + [t for t in by_type if t not in DEFECT_TYPES]
    changes: list[DefectChange] = []
    for type_code in order:
        old = by_type.get(type_code)
        if type_code not in new_paths:
            if old is not None:
                changes.append(_removed(old))
            continue
        new_path = new_paths[type_code]
        if old is not None and old.path == new_path:
            continue
        changes.append(_change(type_code, old, new_path, reasons.get(type_code, "")))
    return tuple(changes)
