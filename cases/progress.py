"""A project's 化解 state derived from the statuses of its defects."""

from __future__ import annotations

from collections.abc import Iterable

from cases.taxonomy import DEFECT_STATUSES


def project_state(statuses: Iterable[str]) -> str:
    """未化解 / 化解中 / 已化解 of a project (附件3 四(二) 调度, 二(三) 化解销号)."""
    seen = tuple(statuses)
    unknown = [s for s in seen if s not in DEFECT_STATUSES]
    if unknown:
        raise ValueError(f"未知的问题状态：{unknown[0]}")
    # A project is resolved once every defect is 销号; one with no defect has nothing to clear.
    if all(s == "closed" for s in seen):
        return "resolved"
    if all(s == "registered" for s in seen):
        return "unresolved"
    return "in_progress"
