"""The 附件3 三(一) rules: which defects a project has and which path each one takes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from cases.facts import Facts
from cases.taxonomy import DEFECT_TYPES, FACT_FIELDS_BY_NAME, PATHS, PROJECT_TYPES


def _no_extras() -> Mapping[str, object]:
    """Default for `Defect.extras`."""
    return MappingProxyType({})


@dataclass(frozen=True)
class Defect:
    """A defect with the path the rules give it (annex3-rules.md, Output)."""

    type: str
    path: str
    lead: str
    cooperating: tuple[str, ...]
    needs_government_approval: bool
    clause: str
    explanation: str
    # Excluded from the hash (a mapping view is unhashable) so defects can go in sets.
    extras: Mapping[str, object] = field(default_factory=_no_extras, hash=False)

    def to_dict(self) -> dict[str, object]:
        """JSON form: the spec's keys followed by this defect's extras."""
        out: dict[str, object] = {
            "type": self.type,
            "path": self.path,
            "lead": self.lead,
            "cooperating": list(self.cooperating),
            "needs_government_approval": self.needs_government_approval,
            "clause": self.clause,
            "explanation": self.explanation,
        }
        out.update(self.extras)
        return out


@dataclass(frozen=True)
class Review:
    """A triggered defect whose path the rules cannot decide; a person must look at it."""

    type: str
    missing: tuple[str, ...]
    reason: str
    lead: str
    clause: str

    def to_dict(self) -> dict[str, object]:
        """JSON form of one `needs_review` item."""
        return {
            "type": self.type,
            "missing": list(self.missing),
            "reason": self.reason,
            "lead": self.lead,
            "clause": self.clause,
        }


@dataclass(frozen=True)
class Classification:
    """The engine's answer: decided defects and triggered types needing review, in table order."""

    defects: tuple[Defect, ...]
    needs_review: tuple[Review, ...]

    def to_dict(self) -> dict[str, object]:
        """The JSON of `POST /api/v1/classify`."""
        return {
            "defects": [d.to_dict() for d in self.defects],
            "needs_review": [r.to_dict() for r in self.needs_review],
        }


_Outcome = Defect | Review | None


def _defect(path_code: str, extras: Mapping[str, object] | None = None) -> Defect:
    """A defect on `path_code`, its departments and approval gate taken from the taxonomy."""
    path = PATHS[path_code]
    spec = DEFECT_TYPES[path.type]
    cooperating = spec.cooperating + tuple(
        code for code in path.extra_cooperating if code not in spec.cooperating
    )
    merged: dict[str, object] = dict(path.fixed_extras)
    merged.update(extras or {})
    return Defect(
        type=spec.code,
        path=path.code,
        lead=spec.lead,
        cooperating=cooperating,
        needs_government_approval=path.needs_government_approval,
        clause=spec.clause,
        explanation=path.explanation,
        extras=MappingProxyType(merged),
    )


def _review(type_code: str, missing: tuple[str, ...], reason: str) -> Review:
    """A needs-review item for `type_code`, lead and clause taken from the taxonomy."""
    spec = DEFECT_TYPES[type_code]
    return Review(type_code, missing, reason, spec.lead, spec.clause)


def _iso(value: dt.date | None) -> str | None:
    """ISO date string, keeping unknown as None."""
    return None if value is None else value.isoformat()


def _unknown(facts: Facts, names: tuple[str, ...]) -> tuple[str, ...]:
    """The names among `names` whose fact is unknown, in the given order."""
    return tuple(name for name in names if getattr(facts, name) is None)


def _labels(names: tuple[str, ...]) -> str:
    """Chinese labels of fact names, for a review reason."""
    return "、".join(f"“{FACT_FIELDS_BY_NAME[name].label}”" for name in names)


# 附件3 三(一)1: "由政府主导的安置房、棚改房、经济适用住房、限价商品房等项目".
_GOVERNMENT_LED_TYPES = frozenset({"resettlement", "shantytown", "affordable", "price_capped"})
# 附件3 三(一)1: "国家机关、企事业单位利用自有土地建设房改房、集资房".
_INSTITUTION_TYPES = frozenset({"reform", "fundraised"})


def _land(facts: Facts) -> _Outcome:
    """附件3 三(一)1 用地手续不完善: the project type and who built it decide the remedy."""
    if facts.land_procedures_complete is not False:
        return None
    project_type = facts.project_type
    if project_type is None:
        return _review(
            "land",
            ("project_type",),
            "项目类型不详：附件3 三(一)1 按项目类型分别采取划拨、协议出让等方式补办用地手续。",
        )
    # Agreement transfers are appraised at the recognized start date (附件3 三(一)1, last sentence).
    appraisal = {"appraisal_base_date": _iso(facts.construction_start_date)}
    type_name = PROJECT_TYPES.get(project_type, project_type)
    if project_type in _GOVERNMENT_LED_TYPES:
        if facts.government_led is None:
            return _review(
                "land",
                ("government_led",),
                f"项目为{type_name}，但是否由政府主导建设不详：附件3 三(一)1 对“由政府主导的"
                "安置房、棚改房、经济适用住房、限价商品房等项目”可按照划拨、协议出让方式补办。",
            )
        if facts.government_led:
            return _defect("land_allocation_or_agreement", appraisal)
    elif project_type in _INSTITUTION_TYPES:
        if facts.institution_own_land is None:
            return _review(
                "land",
                ("institution_own_land",),
                f"项目为{type_name}，但是否为国家机关、企事业单位利用自有土地建设不详：附件3 "
                "三(一)1 对此类房改房、集资房可按划拨方式补办。",
            )
        if facts.institution_own_land:
            return _defect("land_allocation")
    return _defect("land_by_construction_era", appraisal)


def _arrears(facts: Facts) -> _Outcome:
    """附件3 三(一)2 欠缴土地出让价款、相关税费: 证缴分离, gated by government approval."""
    owed = (
        facts.land_premium_unpaid,
        facts.taxes_unpaid,
        facts.policy_housing_sold_as_commercial,
        facts.allocated_self_built_sold,
    )
    if any(value is True for value in owed):
        return _defect("certificate_payment_separation")
    return None


# 附件3 三(一)3: the reason no invoice can be had decides how the deed tax is declared.
_INVOICE_OBSTACLE_PATHS: Mapping[str, str] = MappingProxyType(
    {
        "court_ruling": "court_document_filing",
        "developer_deregistered": "tax_verified_acceptance",
        "developer_abnormal": "tax_verified_acceptance",
        "resettlement_swap": "resettlement_government_invoice",
        "other": "contract_amount_assessment",
    }
)


def _deed_tax(facts: Facts) -> _Outcome:
    """附件3 三(一)3 无法取得销售不动产发票的契税申报: path by the obstacle."""
    if facts.sales_invoice_obtainable is not False:
        return None
    obstacle = facts.invoice_obstacle
    if obstacle is None:
        return _review(
            "deed_tax",
            ("invoice_obstacle",),
            "不能取得销售不动产发票的原因不详：附件3 三(一)3 按原因区分契税申报方式。",
        )
    path = _INVOICE_OBSTACLE_PATHS[obstacle]
    if path != "resettlement_government_invoice":
        return _defect(path)
    paid = facts.swap_price_difference_paid
    if paid is None:
        # Exempting the tax on an unknown fact would be a guess either way.
        return _review(
            "deed_tax",
            ("swap_price_difference_paid",),
            "产权置换购房人是否缴纳差价不详：附件3 三(一)3 “其中购房人缴纳差价的，对差价部分"
            "征收契税，不缴纳差价的免征契税”。",
        )
    return _defect(path, {"tax_basis": "price_difference" if paid else "exempt"})


# 附件3 三(一)4, in the order annex3-rules.md checks them: the first fact that holds wins.
_PLANNING_PATHS: tuple[tuple[str, str], ...] = (
    ("planning_violation", "violation_disposal"),
    ("public_housing_shortfall", "public_housing_remedy"),
    ("planning_partially_conforming", "partial_verification"),
    ("planning_supplementable", "planning_supplement"),
    ("conforms_territorial_plan", "status_quo_recognition"),
)


def _planning(facts: Facts) -> _Outcome:
    """附件3 三(一)4 未办理规划许可和未进行规划核实: first deciding fact that holds."""
    if facts.planning_permit_obtained is not False and facts.planning_verified is not False:
        return None
    for fact_name, path in _PLANNING_PATHS:
        if getattr(facts, fact_name) is True:
            return _defect(path)
    missing = _unknown(facts, tuple(name for name, _ in _PLANNING_PATHS))
    if missing:
        reason = f"{_labels(missing)}不详，附件3 三(一)4 的处置路径无法确定，请补充后重新判定。"
    else:
        reason = (
            "按已登记的事实，附件3 三(一)4 未给出处置路径：既不能补办规划核实，也不符合国土空间"
            "规划，且无部分符合规划、公共用房配建不足或违规建设情形。"
        )
    return _review("planning", missing, reason)


# 附件3 三(一)5, in the order annex3-rules.md checks them: the first fact that holds wins.
_COMPLETION_PATHS: tuple[tuple[str, str], ...] = (
    ("completion_supplementable", "completion_supplement"),
    ("quality_and_fire_accepted", "acceptance_material_review"),
    ("construction_records_lost", "third_party_quality_appraisal"),
)


def _completion(facts: Facts) -> _Outcome:
    """附件3 三(一)5 未办理竣工验收备案: first deciding fact that holds."""
    if facts.completion_filed is not False:
        return None
    for fact_name, path in _COMPLETION_PATHS:
        if getattr(facts, fact_name) is True:
            return _defect(path)
    missing = _unknown(facts, tuple(name for name, _ in _COMPLETION_PATHS))
    if missing:
        reason = f"{_labels(missing)}不详，附件3 三(一)5 的处置路径无法确定，请补充后重新判定。"
    else:
        reason = (
            "按已登记的事实，附件3 三(一)5 未给出处置路径：既不能补办备案，也非质量和消防验收"
            "合格，且无施工技术资料缺失、参建主体灭失或不配合情形。"
        )
    return _review("completion", missing, reason)


# 附件3 三(一)6: "1998年9月1日前建成" and "1998年9月1日至2020年6月30日前开工建设".
_FIRE_EXEMPT_BEFORE = dt.date(1998, 9, 1)
_FIRE_WINDOW_END = dt.date(2020, 6, 30)


def _fire(facts: Facts) -> _Outcome:
    """附件3 三(一)6 未办理消防验收: the completion and start dates decide, exact to the day."""
    if facts.fire_acceptance_done is not False:
        return None
    start, done = facts.construction_start_date, facts.completion_date
    if start is not None and done is not None and done < start:
        return _review("fire", (), "竣工日期早于开工日期，请核对日期后重新判定。")
    if done is not None and done < _FIRE_EXEMPT_BEFORE:
        altered = facts.altered_or_expanded
        if altered is False:
            return _defect("fire_exempt")
        if altered is None:
            return _review(
                "fire",
                ("altered_or_expanded",),
                "1998年9月1日前建成，但建成后是否改建（含用途变更）、扩建不详：附件3 三(一)6 "
                "仅对“未进行改建（含用途变更）、扩建的房屋”免于办理消防验收。",
            )
        return _review(
            "fire",
            (),
            "1998年9月1日前建成但建成后进行过改建（含用途变更）、扩建：附件3 三(一)6 对此"
            "未作规定，需人工研判。",
        )
    if start is not None:
        if _FIRE_EXEMPT_BEFORE <= start < _FIRE_WINDOW_END:
            return _defect("fire_housing_review")
        if start >= _FIRE_WINDOW_END:
            return _defect("fire_standard_procedure")
        if done is None:
            return _review(
                "fire",
                ("completion_date",),
                "1998年9月1日前开工，建成日期不详：附件3 三(一)6 以是否“1998年9月1日前建成”"
                "区分处置方式。",
            )
        return _review(
            "fire",
            (),
            "1998年9月1日前开工、1998年9月1日及以后建成：附件3 三(一)6 对此未作规定，需人工研判。",
        )
    missing = _unknown(facts, ("completion_date", "construction_start_date"))
    return _review(
        "fire",
        missing,
        f"{_labels(missing)}不详：附件3 三(一)6 按“1998年9月1日前建成”或“1998年9月1日至"
        "2020年6月30日前开工建设”区分处置方式。",
    )


def _litigation(facts: Facts) -> _Outcome:
    """附件3 三(一)7 涉法涉诉类“办证难”: only cases where the buyers are not at fault."""
    if facts.in_litigation is not True:
        return None
    if facts.buyers_at_fault is True:
        return _review(
            "litigation",
            (),
            "附件3 三(一)7 针对“群众无过错”的涉法涉诉类城镇住宅“办证难”问题；已登记群众有"
            "过错，不在该条款范围内，需人工研判。",
        )
    return _defect("court_coordination")


def _oversize(facts: Facts) -> _Outcome:
    """附件3 三(一)9 经济适用房单套建筑面积超标准: 住建部门审批后办理转移登记."""
    units = facts.oversize_units
    if facts.project_type != "affordable" or units is None or units <= 0:
        return None
    return _defect("housing_approval_transfer", {"units": units})


_RULES: Mapping[str, Callable[[Facts], _Outcome]] = MappingProxyType(
    {
        "land": _land,
        "arrears": _arrears,
        "deed_tax": _deed_tax,
        "planning": _planning,
        "completion": _completion,
        "fire": _fire,
        "litigation": _litigation,
        "oversize": _oversize,
    }
)


def classify(facts: Facts) -> Classification:
    """Apply every 附件3 三(一) rule to `facts`; a pure function, results in table order."""
    defects: list[Defect] = []
    reviews: list[Review] = []
    for type_code in DEFECT_TYPES:
        outcome = _RULES[type_code](facts)
        if isinstance(outcome, Defect):
            defects.append(outcome)
        elif isinstance(outcome, Review):
            reviews.append(outcome)
    return Classification(tuple(defects), tuple(reviews))
