"""附件3 三(一) taxonomy as data: departments, defect types, paths, facts, districts, statuses."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal, TypeVar

# Everything here is data on purpose: a revision of 附件3 should be an edit of these tables,
# not of the rule functions in `cases.classify`.

FactKind = Literal["bool", "date", "int", "enum"]

_V = TypeVar("_V")


def _frozen(items: Mapping[str, _V]) -> Mapping[str, _V]:
    """A read-only view so importers cannot mutate the policy tables by accident."""
    return MappingProxyType(dict(items))


def _no_extras() -> Mapping[str, object]:
    """Default for `PathSpec.fixed_extras`."""
    return MappingProxyType({})


@dataclass(frozen=True)
class Department:
    """A department that leads or cooperates on a defect (annex3-rules.md, Departments)."""

    code: str
    name: str


DEPARTMENTS: Mapping[str, Department] = _frozen(
    {
        d.code: d
        for d in (
            Department("nr", "市自然资源局"),
            Department("tax", "市税务局"),
            Department("housing", "市住房和城乡建设局"),
            Department("court", "市中级人民法院"),
            Department("district_court", "各辖区人民法院"),
            Department("fire_rescue", "市消防救援支队"),
            Department("approval", "市审批服务管理局"),
            Department("finance", "市财政局"),
            Department("district_government", "各县区人民政府"),
            Department("xinghan", "星瀚集团"),
        )
    }
)


@dataclass(frozen=True)
class PathSpec:
    """One remedy path of a defect type, with its policy text."""

    code: str
    type: str
    name: str
    needs_government_approval: bool
    explanation: str
    # Departments added to the type's cooperating list for this path only.
    extra_cooperating: tuple[str, ...] = ()
    # Fixed flags every defect on this path carries (e.g. 追缴土地出让价款).
    fixed_extras: Mapping[str, object] = field(default_factory=_no_extras, hash=False)


@dataclass(frozen=True)
class DefectTypeSpec:
    """One defect type of 附件3 三(一): clause, lead, cooperating departments and paths."""

    code: str
    name: str
    clause: str
    lead: str
    cooperating: tuple[str, ...]
    paths: tuple[str, ...]
    summary: str


_PATH_LIST: tuple[PathSpec, ...] = (
    # 附件3 三(一)1
    PathSpec(
        "land_allocation_or_agreement",
        "land",
        "划拨或协议出让补办用地手续",
        False,
        "由政府主导的安置房、棚改房、经济适用住房、限价商品房等项目，可按照划拨、协议出让方式"
        "补办用地手续。以协议出让方式补办用地手续且需评估补缴土地出让价款的，以市、县（区）"
        "住建部门认定的房地产项目开工日期作为土地价款评估基准日。",
    ),
    PathSpec(
        "land_allocation",
        "land",
        "划拨方式补办用地手续",
        False,
        "国家机关、企事业单位利用自有土地建设房改房、集资房的，可按划拨方式补办用地手续。",
    ),
    PathSpec(
        "land_by_construction_era",
        "land",
        "按建设时政策分时段、分类型补办用地手续",
        False,
        "其他建设项目，按照实际情况，分不同时间段、不同类型分别采取划拨、协议出让等方式，"
        "按照项目建设时的政策规定补办用地手续。以协议出让方式补办用地手续且需评估补缴土地出让"
        "价款的，以市、县（区）住建部门认定的房地产项目开工日期作为土地价款评估基准日。",
    ),
    # 附件3 三(一)2
    PathSpec(
        "certificate_payment_separation",
        "arrears",
        "证缴分离办理不动产登记",
        True,
        "开发单位未按出让合同约定或政策规定足额缴纳土地出让价款、相关税费，以及将经济适用住房"
        "等政策性住房按商品房对外出售但未补缴土地出让价款、相关税费，或者划拨土地上自建房擅自"
        "对外出售未补缴土地出让价款的，报经市、县人民政府同意，可按照“证缴分离”原则，在有关"
        "部门依法追缴的同时，办理不动产登记手续。",
    ),
    # 附件3 三(一)3
    PathSpec(
        "court_document_filing",
        "deed_tax",
        "持法院执行裁定书申报契税",
        False,
        "根据人民法院、仲裁委员会的生效法律文书发生土地、房屋权属转移，受让人不能取得销售"
        "不动产发票的，可由受让人持人民法院执行裁定书原件和有关材料办理契税纳税申报。",
    ),
    PathSpec(
        "tax_verified_acceptance",
        "deed_tax",
        "税务部门落实情况后受理",
        False,
        "开发建设主体已办理注销税务登记或被税务部门列为非正常户等原因，致使购房人不能取得销售"
        "不动产发票的，税务部门落实相关情况后，予以受理。",
    ),
    PathSpec(
        "resettlement_government_invoice",
        "deed_tax",
        "政府主导建设部门开具销售发票",
        False,
        "政府主导建设的安置房、棚改房等项目，对于实行产权置换安置的房屋，由政府主导建设部门"
        "牵头办理相关税收手续，负责开具不动产销售发票。其中购房人缴纳差价的，对差价部分征收"
        "契税，不缴纳差价的免征契税。",
        # The government's construction department issues the invoice, so the district joins.
        extra_cooperating=("district_government",),
    ),
    PathSpec(
        "contract_amount_assessment",
        "deed_tax",
        "按原合同金额核定征收契税",
        False,
        "上述购房人（或受让人）不能取得销售不动产发票的，税务部门根据税法规定和原合同金额予以"
        "核定计算征收契税。",
    ),
    # 附件3 三(一)4
    PathSpec(
        "violation_disposal",
        "planning",
        "违规建设处置后按实测出具核实意见",
        True,
        "对于违反建设工程规划许可规定，擅自改变土地用途、超出规划许可范围、超容积率等建设的"
        "项目，由自然资源部门提出处置意见，经市、县人民政府研究同意后，按实际测量成果出具规划"
        "核实意见。涉及违反规划相关法律法规的行为，依法处理并追缴土地出让价款。",
        fixed_extras=MappingProxyType({"pursue_land_premium": True}),
    ),
    PathSpec(
        "public_housing_remedy",
        "planning",
        "公共用房补建整改后出具核实意见",
        True,
        "建设项目未按要求配建公共用房或者配建的公共用房未达规定面积的，经市、县（区）人民政府"
        "研究确定补建、置换、易地建设等措施，由项目建设单位出具整改承诺书后，自然资源部门出具"
        "规划核实意见。",
        fixed_extras=MappingProxyType({"developer_commitment_required": True}),
    ),
    PathSpec(
        "partial_verification",
        "planning",
        "符合规划部分先行核实",
        False,
        "建设项目部分符合规划的，自然资源部门可对符合规划的部分先行核实，并出具规划核实意见。",
    ),
    PathSpec(
        "planning_supplement",
        "planning",
        "依法补办规划核实手续",
        False,
        "按规定能够补办规划核实等手续的，应当依法依规处理并补办核实手续。",
    ),
    PathSpec(
        "status_quo_recognition",
        "planning",
        "按现状出具认定或核实意见",
        True,
        "确因建成时间较早等原因不具备补办条件的，在符合国土空间规划前提下，经市、县人民政府"
        "同意，自然资源部门按现状出具认定或核实意见。",
    ),
    # 附件3 三(一)5
    PathSpec(
        "completion_supplement",
        "completion",
        "补办竣工验收备案",
        False,
        "建设工程项目手续齐全、能够补办竣工验收备案手续的，建设单位或其他申报主体应当按规定补办。",
    ),
    PathSpec(
        "acceptance_material_review",
        "completion",
        "凭有效验收材料审核出具意见",
        False,
        "建设工程项目质量和消防验收合格、但未办理竣工验收备案手续的，凭参建单位有效验收材料、"
        "房屋质量鉴定报告等，由住建部门审核出具是否符合竣工验收的意见。",
    ),
    PathSpec(
        "third_party_quality_appraisal",
        "completion",
        "第三方房屋质量安全鉴定",
        False,
        "确因建成时间较早，项目审批手续资料齐全，施工技术资料缺失、相关参建主体灭失或不配合等"
        "原因无法办理竣工验收备案手续的，由申报主体委托具有相应资质的质量鉴定机构进行房屋质量"
        "安全鉴定，住建部门对第三方机构出具的房屋质量鉴定报告进行认定并出具验收是否合格意见。",
    ),
    # 附件3 三(一)6
    PathSpec(
        "fire_exempt",
        "fire",
        "可不再办理消防验收",
        False,
        "1998年9月1日前建成，未进行改建（含用途变更）、扩建的房屋，可不再办理消防验收（备案）"
        "手续。",
    ),
    PathSpec(
        "fire_housing_review",
        "fire",
        "住建部门牵头审查",
        False,
        "1998年9月1日至2020年6月30日前开工建设的房屋，由申报主体向住建部门申报消防验收，住建"
        "部门牵头，消防救援机构配合，在住宅建筑实体满足建设时消防执行标准，无消防安全隐患的"
        "前提下，不关联建设工程的立项、土地、规划、环评、质量报监、施工许可、规划核实等手续，"
        "不关联建设责任主体灭失等情况，完善消防验收（备案）手续并出具意见。",
    ),
    PathSpec(
        "fire_standard_procedure",
        "fire",
        "按现行程序办理消防验收",
        False,
        # The policy covers only buildings started before 2020-06-30; later ones are not legacy.
        "附件3 三(一)6 仅适用于“1998年9月1日至2020年6月30日前开工建设的房屋”；2020年6月30日"
        "及以后开工建设的，不属于历史遗留问题，按现行规定办理消防验收（备案）手续。",
    ),
    # 附件3 三(一)7
    PathSpec(
        "court_coordination",
        "litigation",
        "法院牵头统筹协调化解",
        False,
        "针对“群众无过错”的涉法涉诉类城镇住宅“办证难”问题，坚持统筹协调、部门联动、综合施策，"
        "聚焦难点堵点问题，明确路径方法，压实工作责任，全力推动问题应化尽化。",
    ),
    # 附件3 三(一)9
    PathSpec(
        "housing_approval_transfer",
        "oversize",
        "住建部门审批后办理转移登记",
        False,
        "经济适用房单套面积超出80平方米的，经市住建部门审批后办理不动产转移登记，登记房屋性质"
        "为经济适用房。",
    ),
)

PATHS: Mapping[str, PathSpec] = _frozen({p.code: p for p in _PATH_LIST})


def _paths_of(type_code: str) -> tuple[str, ...]:
    """Path codes of one type, in the order they are listed above."""
    return tuple(p.code for p in _PATH_LIST if p.type == type_code)


DEFECT_TYPES: Mapping[str, DefectTypeSpec] = _frozen(
    {
        t.code: t
        for t in (
            DefectTypeSpec(
                "land",
                "用地手续不完善",
                "附件3 三(一)1",
                "nr",
                ("district_government",),
                _paths_of("land"),
                "其他建设项目，按照实际情况，分不同时间段、不同类型分别采取划拨、协议出让等方式，"
                "按照项目建设时的政策规定补办用地手续。",
            ),
            DefectTypeSpec(
                "arrears",
                "欠缴土地出让价款、相关税费",
                "附件3 三(一)2",
                "nr",
                ("tax", "finance"),
                _paths_of("arrears"),
                "报经市、县人民政府同意，可按照“证缴分离”原则，在有关部门依法追缴的同时，办理"
                "不动产登记手续。",
            ),
            DefectTypeSpec(
                "deed_tax",
                "无法取得销售不动产发票的契税申报",
                "附件3 三(一)3",
                "tax",
                (),
                _paths_of("deed_tax"),
                "上述购房人（或受让人）不能取得销售不动产发票的，税务部门根据税法规定和原合同金额"
                "予以核定计算征收契税。",
            ),
            DefectTypeSpec(
                "planning",
                "未办理规划许可和未进行规划核实",
                "附件3 三(一)4",
                "nr",
                ("district_government",),
                _paths_of("planning"),
                "规划核实手续或认定意见、核实意见可以作为不动产登记建设工程符合规划的材料，不再"
                "补办建设工程规划许可证。",
            ),
            DefectTypeSpec(
                "completion",
                "未办理竣工验收备案",
                "附件3 三(一)5",
                "housing",
                (),
                _paths_of("completion"),
                "建设工程项目手续齐全、能够补办竣工验收备案手续的，建设单位或其他申报主体应当按"
                "规定补办。",
            ),
            DefectTypeSpec(
                "fire",
                "未办理消防验收",
                "附件3 三(一)6",
                "housing",
                ("fire_rescue",),
                _paths_of("fire"),
                "1998年9月1日前建成，未进行改建（含用途变更）、扩建的房屋，可不再办理消防验收"
                "（备案）手续。",
            ),
            DefectTypeSpec(
                "litigation",
                "涉法涉诉类“办证难”",
                "附件3 三(一)7",
                "court",
                ("district_court",),
                _paths_of("litigation"),
                "针对“群众无过错”的涉法涉诉类城镇住宅“办证难”问题，坚持统筹协调、部门联动、综合"
                "施策，聚焦难点堵点问题，明确路径方法，压实工作责任，全力推动问题应化尽化。",
            ),
            DefectTypeSpec(
                "oversize",
                "经济适用房单套建筑面积超标准",
                "附件3 三(一)9",
                "housing",
                ("nr",),
                _paths_of("oversize"),
                "经济适用房单套面积超出80平方米的，经市住建部门审批后办理不动产转移登记，登记房屋"
                "性质为经济适用房。",
            ),
        )
    }
)

# 附件3 三(一)8 (畅通群众反映渠道) is the complaint intake, not a defect of a project: its output
# is a 工作办理提示建议单 sent upstream, so it has no paths and classify() never raises it.
COMPLAINT_INTAKE_CLAUSE = "附件3 三(一)8"
COMPLAINT_INTAKE_LEAD = "nr"
COMPLAINT_INTAKE_COOPERATING: tuple[str, ...] = ("district_government",)
COMPLAINT_INTAKE_NAME = "畅通群众反映“办证难”问题渠道"

PROJECT_TYPES: Mapping[str, str] = _frozen(
    {
        "commercial": "商品房",
        "affordable": "经济适用住房",
        "resettlement": "安置房",
        "shantytown": "棚改房",
        "price_capped": "限价商品房",
        "reform": "房改房",
        "fundraised": "集资房",
        "self_built": "划拨土地上自建房",
        "other": "其他",
    }
)

INVOICE_OBSTACLES: Mapping[str, str] = _frozen(
    {
        "court_ruling": "法院/仲裁生效法律文书",
        "developer_deregistered": "开发主体已注销税务登记",
        "developer_abnormal": "被列为非正常户",
        "resettlement_swap": "政府主导安置房产权置换",
        "other": "其他",
    }
)


@dataclass(frozen=True)
class FactField:
    """One input fact of annex3-rules.md, with its form label and section."""

    name: str
    kind: FactKind
    label: str
    group: str
    # Excluded from the hash: a mapping view is unhashable and specs should stay hashable.
    choices: Mapping[str, str] | None = field(default=None, hash=False)


def _bool(name: str, label: str, group: str) -> FactField:
    """Shorthand for a tri-state (是/否/不详) fact."""
    return FactField(name, "bool", label, group)


FACT_FIELDS: tuple[FactField, ...] = (
    FactField("project_type", "enum", "项目类型", "基本情况", PROJECT_TYPES),
    _bool("government_led", "政府主导建设", "基本情况"),
    _bool("institution_own_land", "国家机关、企事业单位利用自有土地建设", "基本情况"),
    _bool("land_procedures_complete", "用地手续完善", "用地"),
    _bool("land_premium_unpaid", "未足额缴纳土地出让价款", "土地价款和税费"),
    _bool("taxes_unpaid", "未足额缴纳相关税费", "土地价款和税费"),
    _bool("policy_housing_sold_as_commercial", "政策性住房按商品房出售且未补缴", "土地价款和税费"),
    _bool("allocated_self_built_sold", "划拨土地上自建房擅自出售且未补缴", "土地价款和税费"),
    _bool("sales_invoice_obtainable", "购房人能取得销售不动产发票", "契税发票"),
    FactField(
        "invoice_obstacle", "enum", "不能取得销售不动产发票的原因", "契税发票", INVOICE_OBSTACLES
    ),
    _bool("swap_price_difference_paid", "产权置换购房人缴纳了差价", "契税发票"),
    _bool("planning_permit_obtained", "已取得建设工程规划许可", "规划"),
    _bool("planning_verified", "已进行规划核实", "规划"),
    _bool("planning_supplementable", "能够补办规划核实等手续", "规划"),
    _bool("conforms_territorial_plan", "符合国土空间规划", "规划"),
    _bool("planning_partially_conforming", "项目部分符合规划", "规划"),
    _bool("public_housing_shortfall", "未按要求配建公共用房或面积不足", "规划"),
    _bool("planning_violation", "擅自改变用途、超出规划许可范围、超容积率等", "规划"),
    _bool("completion_filed", "已办理竣工验收备案", "竣工验收"),
    _bool("completion_supplementable", "手续齐全、能够补办竣工验收备案", "竣工验收"),
    _bool("quality_and_fire_accepted", "质量和消防验收合格但未备案", "竣工验收"),
    _bool("construction_records_lost", "施工技术资料缺失、参建主体灭失或不配合", "竣工验收"),
    _bool("fire_acceptance_done", "已办理消防验收（备案）", "消防"),
    FactField("construction_start_date", "date", "开工日期（住建部门认定）", "消防"),
    FactField("completion_date", "date", "建成（竣工）日期", "消防"),
    _bool("altered_or_expanded", "建成后改建（含用途变更）、扩建", "消防"),
    _bool("in_litigation", "涉法涉诉", "涉法涉诉"),
    _bool("buyers_at_fault", "群众有过错", "涉法涉诉"),
    FactField("oversize_units", "int", "经适房单套面积超80平方米的套数", "经济适用房"),
)

FACT_FIELDS_BY_NAME: Mapping[str, FactField] = _frozen({f.name: f for f in FACT_FIELDS})


@dataclass(frozen=True)
class District:
    """A county-level division of 石嘴山市; `prefix` starts its project codes."""

    code: str
    name: str
    adcode: str
    prefix: str


DISTRICTS: Mapping[str, District] = _frozen(
    {
        d.code: d
        for d in (
            District("dwk", "大武口区", "640202", "DWK"),
            District("hn", "惠农区", "640205", "HN"),
            District("pl", "平罗县", "640221", "PL"),
        )
    }
)

# 附件3 二(三) aims at 化解销号 and 四(二) at tracking each project's progress; these are the
# steps of one defect towards 销号.
DEFECT_STATUSES: Mapping[str, str] = _frozen(
    {
        "registered": "待交办",
        "assigned": "已交办",
        "in_progress": "办理中",
        "awaiting_approval": "待政府同意",
        "awaiting_closure": "待销号",
        "closed": "已销号",
        "suspended": "暂缓",
    }
)
INITIAL_DEFECT_STATUS = "registered"

PROJECT_STATES: Mapping[str, str] = _frozen(
    {
        "unresolved": "未化解",
        "in_progress": "化解中",
        "resolved": "已化解",
    }
)
