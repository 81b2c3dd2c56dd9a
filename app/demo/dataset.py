"""The demo ledger of stuck housing projects in 石嘴山市, and a seeded generator of more like it.

Everything here is fictional: project, developer and work-unit names are invented, leaders are
job titles, and coordinates are placed near the real urban cores inside the sample boundaries.
Pure data and pure functions: no Flask, no database, no clock.
"""

from __future__ import annotations

import copy
import datetime as dt
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cases.classify import Classification, classify
from cases.facts import parse_facts
from cases.taxonomy import DEFECT_TYPES, DISTRICTS
from gis.districts import DistrictBoundaries, default_boundaries

Project = dict[str, object]

# The hand-written ledger. Order within a district is the order of the codes (DWK-0001, …).
# Each entry reads like one row of a district's 台账; the facts are what the caseworker has
# established, so a fact left out is one nobody has confirmed yet.
_LEDGER: tuple[Project, ...] = (
    # ---------------------------------------------------------------- 大武口区
    {
        "name": "星海湖畔小区",
        "district": "dwk",
        "address": "大武口区朝阳西街星海湖东岸",
        "developer": "石嘴山市瀚海房地产开发有限公司",
        "developer_exists": True,
        "total_households": 1260,
        "certified_households": 310,
        "lon": 106.3452,
        "lat": 39.0321,
        "leader": "大武口区副区长",
        "notes": "3号、5号楼擅自加建两层，超出规划许可；质量和消防验收合格但未办竣工验收备案。",
        "facts": {
            "project_type": "commercial",
            "government_led": False,
            "institution_own_land": False,
            "construction_start_date": "2012-04-10",
            "completion_date": "2015-09-30",
            "land_procedures_complete": True,
            "land_premium_unpaid": False,
            "planning_permit_obtained": True,
            "planning_verified": False,
            "planning_violation": True,
            "completion_filed": False,
            "completion_supplementable": False,
            "quality_and_fire_accepted": True,
            "fire_acceptance_done": True,
            "sales_invoice_obtainable": True,
            "in_litigation": False,
        },
    },
    {
        "name": "朝阳西街原市机床附件厂家属院",
        "district": "dwk",
        "address": "大武口区朝阳西街124号",
        "developer": "原石嘴山市机床附件厂（已改制）",
        "developer_exists": False,
        "total_households": 96,
        "certified_households": 0,
        "lon": 106.3641,
        "lat": 39.0187,
        "leader": "大武口区副区长",
        "notes": "企业利用自有划拨土地建设的房改房，改制后无人申报；施工技术资料遗失。",
        "facts": {
            "project_type": "reform",
            "government_led": False,
            "institution_own_land": True,
            "construction_start_date": "1993-03-15",
            "completion_date": "1994-10-20",
            "land_procedures_complete": False,
            "planning_permit_obtained": False,
            "planning_verified": False,
            "planning_violation": False,
            "public_housing_shortfall": False,
            "planning_partially_conforming": False,
            "planning_supplementable": False,
            "conforms_territorial_plan": True,
            "completion_filed": False,
            "completion_supplementable": False,
            "quality_and_fire_accepted": False,
            "construction_records_lost": True,
            "fire_acceptance_done": False,
            "altered_or_expanded": False,
            "sales_invoice_obtainable": True,
            "in_litigation": False,
        },
    },
    {
        "name": "游艺街锦绣苑",
        "district": "dwk",
        "address": "大武口区游艺街56号",
        "developer": "宁夏锦程置业有限公司（已注销）",
        "developer_exists": False,
        "total_households": 420,
        "certified_households": 96,
        "lon": 106.3815,
        "lat": 39.0112,
        "leader": "大武口区委常委、副区长",
        "notes": "开发商已注销税务登记，购房人无法取得销售不动产发票；尚欠部分税费。",
        "facts": {
            "project_type": "commercial",
            "government_led": False,
            "institution_own_land": False,
            "construction_start_date": "2008-05-12",
            "completion_date": "2010-11-28",
            "land_procedures_complete": True,
            "land_premium_unpaid": False,
            "taxes_unpaid": True,
            "planning_permit_obtained": True,
            "planning_verified": True,
            "completion_filed": True,
            "fire_acceptance_done": True,
            "sales_invoice_obtainable": False,
            "invoice_obstacle": "developer_deregistered",
            "in_litigation": False,
        },
    },
    {
        "name": "青山街道青山棚改安置小区",
        "district": "dwk",
        "address": "大武口区青山街道青山北路",
        "developer": "大武口区棚户区改造办公室",
        "developer_exists": True,
        "total_households": 1850,
        "certified_households": 620,
        "lon": 106.3558,
        "lat": 39.0436,
        "leader": "大武口区人民政府区长",
        "notes": "棚户区改造产权置换安置，部分群众缴纳了面积差价；用地手续待补办。",
        "facts": {
            "project_type": "shantytown",
            "government_led": True,
            "institution_own_land": False,
            "construction_start_date": "2013-06-18",
            "completion_date": "2015-12-20",
            "land_procedures_complete": False,
            "planning_permit_obtained": True,
            "planning_verified": True,
            "completion_filed": True,
            "fire_acceptance_done": True,
            "sales_invoice_obtainable": False,
            "invoice_obstacle": "resettlement_swap",
            "swap_price_difference_paid": True,
            "in_litigation": False,
        },
    },
    {
        "name": "长胜街道长胜经济适用住房小区",
        "district": "dwk",
        "address": "大武口区长胜街道长胜东街",
        "developer": "大武口区保障性住房建设管理中心",
        "developer_exists": True,
        "total_households": 680,
        "certified_households": 402,
        "lon": 106.3925,
        "lat": 38.9934,
        "leader": "大武口区副区长",
        "notes": "36套单套建筑面积超过80平方米；未做规划核实，资料齐全可补办。",
        "facts": {
            "project_type": "affordable",
            "government_led": True,
            "institution_own_land": False,
            "construction_start_date": "2006-04-08",
            "completion_date": "2008-09-26",
            "land_procedures_complete": True,
            "policy_housing_sold_as_commercial": False,
            "planning_permit_obtained": True,
            "planning_verified": False,
            "planning_violation": False,
            "public_housing_shortfall": False,
            "planning_partially_conforming": False,
            "planning_supplementable": True,
            "completion_filed": True,
            "fire_acceptance_done": True,
            "sales_invoice_obtainable": True,
            "in_litigation": False,
            "oversize_units": 36,
        },
    },
    {
        "name": "人民路原市百货公司集资楼",
        "district": "dwk",
        "address": "大武口区人民路88号",
        "developer": "原石嘴山市百货公司（已破产）",
        "developer_exists": False,
        "total_households": 72,
        "certified_households": 0,
        "lon": 106.3779,
        "lat": 39.0203,
        "leader": "大武口区副区长",
        "notes": "1997年4月开工、1999年5月建成，跨1998年9月1日，消防验收处置方式需研判。",
        "facts": {
            "project_type": "fundraised",
            "government_led": False,
            "institution_own_land": True,
            "construction_start_date": "1997-04-01",
            "completion_date": "1999-05-30",
            "land_procedures_complete": False,
            "planning_permit_obtained": True,
            "planning_verified": True,
            "completion_filed": False,
            "completion_supplementable": True,
            "fire_acceptance_done": False,
            "altered_or_expanded": False,
            "sales_invoice_obtainable": True,
            "in_litigation": False,
        },
    },
    {
        "name": "朝阳西街金桂园",
        "district": "dwk",
        "address": "大武口区朝阳西街210号",
        "developer": "石嘴山市金桂房地产开发有限公司",
        "developer_exists": True,
        "total_households": 312,
        "certified_households": 312,
        "lon": 106.3590,
        "lat": 39.0152,
        "leader": "大武口区副区长",
        "notes": "欠缴税费已补缴，2023年全部办证，已销号。",
        "facts": {
            "project_type": "commercial",
            "government_led": False,
            "institution_own_land": False,
            "construction_start_date": "2016-03-20",
            "completion_date": "2018-07-15",
            "land_procedures_complete": True,
            "land_premium_unpaid": False,
            "taxes_unpaid": False,
            "planning_permit_obtained": True,
            "planning_verified": True,
            "completion_filed": True,
            "fire_acceptance_done": True,
            "sales_invoice_obtainable": True,
            "in_litigation": False,
        },
    },
    {
        "name": "游艺街和顺限价商品房小区",
        "district": "dwk",
        "address": "大武口区游艺街东段",
        "developer": "大武口区房地产开发公司（区属国有）",
        "developer_exists": True,
        "total_households": 540,
        "certified_households": 188,
        "lon": 106.3862,
        "lat": 39.0061,
        "leader": "大武口区委常委、副区长",
        "notes": "部分限价房按商品房对外出售，未补缴土地出让价款；用地拟按协议出让补办。",
        "facts": {
            "project_type": "price_capped",
            "government_led": True,
            "institution_own_land": False,
            "construction_start_date": "2014-05-06",
            "completion_date": "2016-10-18",
            "land_procedures_complete": False,
            "policy_housing_sold_as_commercial": True,
            "planning_permit_obtained": True,
            "planning_verified": True,
            "completion_filed": True,
            "fire_acceptance_done": True,
            "sales_invoice_obtainable": True,
            "in_litigation": False,
        },
    },
    {
        "name": "人民路星光花园",
        "district": "dwk",
        "address": "大武口区人民路北段",
        "developer": "宁夏星辉置业有限公司",
        "developer_exists": True,
        "total_households": 736,
        "certified_households": 0,
        "lon": 106.3987,
        "lat": 39.0248,
        "leader": "市人民政府副市长",
        "notes": "开发商与施工单位工程款纠纷，部分房屋经法院拍卖，受让人持执行裁定书办理。",
        "facts": {
            "project_type": "commercial",
            "government_led": False,
            "institution_own_land": False,
            "construction_start_date": "2019-03-11",
            "completion_date": "2021-08-30",
            "land_procedures_complete": True,
            "land_premium_unpaid": False,
            "planning_permit_obtained": True,
            "planning_verified": True,
            "completion_filed": True,
            "fire_acceptance_done": True,
            "sales_invoice_obtainable": False,
            "invoice_obstacle": "court_ruling",
            "in_litigation": True,
            "buyers_at_fault": False,
        },
    },
    {
        "name": "青山街道原市第二煤矿职工住宅",
        "district": "dwk",
        "address": "大武口区青山街道矿区路",
        "developer": "原石嘴山市第二煤矿（已关闭）",
        "developer_exists": False,
        "total_households": 240,
        "certified_households": 0,
        "lon": 106.3493,
        "lat": 39.0502,
        "leader": "大武口区副区长",
        "notes": "1989年建成，2006年擅自加层扩建；施工资料缺失，消防验收处置需研判。",
        "facts": {
            "project_type": "reform",
            "government_led": False,
            "institution_own_land": True,
            "construction_start_date": "1988-05-10",
            "completion_date": "1989-11-25",
            "land_procedures_complete": False,
            "planning_permit_obtained": True,
            "planning_verified": False,
            "planning_violation": True,
            "completion_filed": False,
            "completion_supplementable": False,
            "quality_and_fire_accepted": False,
            "construction_records_lost": True,
            "fire_acceptance_done": False,
            "altered_or_expanded": True,
            "sales_invoice_obtainable": True,
            "in_litigation": False,
        },
    },
    {
        "name": "人民路原市供销社自建住宅楼",
        "district": "dwk",
        "address": "大武口区人民路32号",
        "developer": "石嘴山市供销合作社联合社",
        "developer_exists": True,
        "total_households": 64,
        "certified_households": 0,
        "lon": 106.3731,
        "lat": 39.0089,
        "leader": "大武口区副区长",
        "notes": "划拨土地上自建住宅擅自对外出售，未补缴土地出让价款。",
        "facts": {
            "project_type": "self_built",
            "government_led": False,
            "institution_own_land": True,
            "construction_start_date": "1995-03-20",
            "completion_date": "1996-08-15",
            "land_procedures_complete": False,
            "allocated_self_built_sold": True,
            "planning_permit_obtained": True,
            "planning_verified": True,
            "completion_filed": True,
            "fire_acceptance_done": False,
            "altered_or_expanded": False,
            "sales_invoice_obtainable": True,
            "in_litigation": False,
        },
    },
    {
        "name": "朝阳西街原市糖酒公司家属楼",
        "district": "dwk",
        "address": "大武口区朝阳西街78号",
        "developer": "原石嘴山市糖业烟酒公司（已改制）",
        "developer_exists": False,
        "total_households": 48,
        "certified_households": 0,
        "lon": 106.3665,
        "lat": 39.0129,
        "leader": "大武口区副区长",
        "notes": "住建部门认定1998年8月31日竣工，建成后未改建、扩建。",
        "facts": {
            "project_type": "fundraised",
            "government_led": False,
            "institution_own_land": True,
            "construction_start_date": "1997-06-10",
            "completion_date": "1998-08-31",
            "land_procedures_complete": True,
            "planning_permit_obtained": True,
            "planning_verified": True,
            "completion_filed": False,
            "completion_supplementable": True,
            "fire_acceptance_done": False,
            "altered_or_expanded": False,
            "sales_invoice_obtainable": True,
            "in_litigation": False,
        },
    },
    {
        "name": "长胜街道原市化工二厂家属院",
        "district": "dwk",
        "address": "大武口区长胜街道工人路",
        "developer": "原石嘴山市化工二厂（已破产）",
        "developer_exists": False,
        "total_households": 120,
        "certified_households": 0,
        "lon": 106.4012,
        "lat": 38.9987,
        "leader": "大武口区委常委、副区长",
        "notes": "1997年9月开工、1998年9月1日竣工，不属“1998年9月1日前建成”，消防需研判。",
        "facts": {
            "project_type": "reform",
            "government_led": False,
            "institution_own_land": True,
            "construction_start_date": "1997-09-15",
            "completion_date": "1998-09-01",
            "land_procedures_complete": False,
            "planning_permit_obtained": True,
            "planning_verified": True,
            "completion_filed": False,
            "completion_supplementable": False,
            "quality_and_fire_accepted": False,
            "construction_records_lost": True,
            "fire_acceptance_done": False,
            "altered_or_expanded": False,
            "sales_invoice_obtainable": True,
            "in_litigation": False,
        },
    },
    {
        "name": "游艺街悦澜府",
        "district": "dwk",
        "address": "大武口区游艺街北段",
        "developer": "石嘴山市悦澜房地产开发有限公司",
        "developer_exists": True,
        "total_households": 388,
        "certified_households": 0,
        "lon": 106.3890,
        "lat": 39.0330,
        "leader": "大武口区副区长",
        "notes": "2022年开工的新建项目，消防验收按现行程序办理；竣工验收备案正在补办。",
        "facts": {
            "project_type": "commercial",
            "government_led": False,
            "institution_own_land": False,
            "construction_start_date": "2022-03-15",
            "completion_date": "2024-06-28",
            "land_procedures_complete": True,
            "land_premium_unpaid": False,
            "taxes_unpaid": False,
            "planning_permit_obtained": True,
            "planning_verified": True,
            "completion_filed": False,
            "completion_supplementable": True,
            "fire_acceptance_done": False,
            "sales_invoice_obtainable": True,
            "in_litigation": False,
        },
    },
    {
        "name": "青山街道原市煤矿机械厂家属院",
        "district": "dwk",
        "address": "大武口区青山街道机械厂路",
        "developer": "原石嘴山市煤矿机械厂（已改制）",
        "developer_exists": False,
        "total_households": 156,
        "certified_households": 0,
        "lon": 106.3512,
        "lat": 39.0398,
        "leader": "大武口区人民政府区长",
        "notes": "1985年开工，建成时间早，不具备补办规划许可条件；参建单位已灭失。",
        "facts": {
            "project_type": "reform",
            "government_led": False,
            "institution_own_land": True,
            "construction_start_date": "1985-04-22",
            "completion_date": "1986-10-30",
            "land_procedures_complete": False,
            "planning_permit_obtained": False,
            "planning_verified": False,
            "planning_violation": False,
            "public_housing_shortfall": False,
            "planning_partially_conforming": False,
            "planning_supplementable": False,
            "conforms_territorial_plan": True,
            "completion_filed": False,
            "completion_supplementable": False,
            "quality_and_fire_accepted": False,
            "construction_records_lost": True,
            "fire_acceptance_done": False,
            "altered_or_expanded": False,
            "sales_invoice_obtainable": True,
            "in_litigation": False,
        },
    },
    {
        "name": "长胜街道长胜安居小区",
        "district": "dwk",
        "address": "大武口区长胜街道安居路",
        "developer": "大武口区房屋征收与补偿办公室",
        "developer_exists": True,
        "total_households": 960,
        "certified_households": 210,
        "lon": 106.4068,
        "lat": 38.9902,
        "leader": "大武口区委常委、副区长",
        "notes": "征收安置项目，配建社区用房面积不足；产权置换群众未缴差价。",
        "facts": {
            "project_type": "resettlement",
            "government_led": True,
            "institution_own_land": False,
            "construction_start_date": "2010-05-16",
            "completion_date": "2012-10-08",
            "land_procedures_complete": False,
            "planning_permit_obtained": True,
            "planning_verified": False,
            "planning_violation": False,
            "public_housing_shortfall": True,
            "completion_filed": True,
            "fire_acceptance_done": False,
            "sales_invoice_obtainable": False,
            "invoice_obstacle": "resettlement_swap",
            "swap_price_difference_paid": False,
            "in_litigation": False,
        },
    },
    {
        "name": "游艺街翰林苑",
        "district": "dwk",
        "address": "大武口区游艺街西段",
        "developer": "石嘴山市翰林房地产开发有限公司",
        "developer_exists": True,
        "total_households": 504,
        "certified_households": 260,
        "lon": 106.3840,
        "lat": 39.0185,
        "leader": "大武口区副区长",
        "notes": "项目部分符合规划，拟对符合规划的住宅楼先行核实。",
        "facts": {
            "project_type": "commercial",
            "government_led": False,
            "institution_own_land": False,
            "construction_start_date": "2011-07-01",
            "completion_date": "2013-12-15",
            "land_procedures_complete": True,
            "land_premium_unpaid": False,
            "planning_permit_obtained": True,
            "planning_verified": False,
            "planning_violation": False,
            "public_housing_shortfall": False,
            "planning_partially_conforming": True,
            "completion_filed": True,
            "fire_acceptance_done": True,
            "sales_invoice_obtainable": True,
            "in_litigation": False,
        },
    },
    {
        "name": "人民路原市粮食局综合楼",
        "district": "dwk",
        "address": "大武口区人民路15号",
        "developer": "石嘴山市粮食和物资储备局",
        "developer_exists": True,
        "total_households": 36,
        "certified_households": 0,
        "lon": 106.3755,
        "lat": 39.0050,
        "leader": "大武口区副区长",
        "notes": "底层商业、上部住宅的综合楼，用地手续不完善，消防验收未办。",
        "facts": {
            "project_type": "other",
            "government_led": False,
            "institution_own_land": True,
            "construction_start_date": "2000-04-12",
            "completion_date": "2001-09-30",
            "land_procedures_complete": False,
            "planning_permit_obtained": True,
            "planning_verified": True,
            "completion_filed": True,
            "fire_acceptance_done": False,
            "sales_invoice_obtainable": True,
            "in_litigation": False,
        },
    },
    {
        "name": "朝阳西街泰和苑",
        "district": "dwk",
        "address": "大武口区朝阳西街北侧",
        "developer": "石嘴山市泰和房地产开发有限公司",
        "developer_exists": True,
        "total_households": 286,
        "certified_households": 120,
        "lon": 106.3620,
        "lat": 39.0240,
        "leader": "大武口区副区长",
        "notes": "未做规划核实，能否补办、是否符合国土空间规划待自然资源局调查。",
        "facts": {
            "project_type": "commercial",
            "government_led": False,
            "institution_own_land": False,
            "construction_start_date": "2009-04-01",
            "completion_date": "2011-06-30",
            "land_procedures_complete": True,
            "planning_permit_obtained": True,
            "planning_verified": False,
            "completion_filed": True,
            "fire_acceptance_done": True,
            "sales_invoice_obtainable": True,
            "in_litigation": False,
        },
    },
    {
        "name": "青山街道山水家园",
        "district": "dwk",
        "address": "大武口区青山街道青山南路",
        "developer": "宁夏山水置业有限公司（已吊销）",
        "developer_exists": False,
        "total_households": 352,
        "certified_households": 40,
        "lon": 106.3580,
        "lat": 39.0475,
        "leader": "大武口区人民政府区长",
        "notes": "开发商营业执照已吊销、下落不明；竣工验收备案路径待住建局核查资料。",
        "facts": {
            "project_type": "commercial",
            "government_led": False,
            "institution_own_land": False,
            "construction_start_date": "2005-05-10",
            "completion_date": "2007-11-20",
            "land_procedures_complete": True,
            "land_premium_unpaid": True,
            "planning_permit_obtained": True,
            "planning_verified": True,
            "completion_filed": False,
            "fire_acceptance_done": False,
            "sales_invoice_obtainable": False,
            "invoice_obstacle": "other",
            "in_litigation": False,
        },
    },
    {
        "name": "人民路盛世华庭",
        "district": "dwk",
        "address": "大武口区人民路与游艺街交叉口",
        "developer": "石嘴山市盛华房地产开发有限公司",
        "developer_exists": True,
        "total_households": 420,
        "certified_households": 180,
        "lon": 106.3805,
        "lat": 39.0280,
        "leader": "市人民政府副市长",
        "notes": "部分房屋以抵顶工程款方式取得，购房人明知房屋已抵押，是否属群众无过错需研判。",
        "facts": {
            "project_type": "commercial",
            "government_led": False,
            "institution_own_land": False,
            "construction_start_date": "2013-03-01",
            "completion_date": "2015-10-30",
            "land_procedures_complete": True,
            "planning_permit_obtained": True,
            "planning_verified": True,
            "completion_filed": True,
            "fire_acceptance_done": True,
            "sales_invoice_obtainable": True,
            "in_litigation": True,
            "buyers_at_fault": True,
        },
    },
    {
        "name": "长胜街道惠民经济适用住房小区",
        "district": "dwk",
        "address": "大武口区长胜街道惠民路",
        "developer": "大武口区保障性住房建设管理中心",
        "developer_exists": True,
        "total_households": 600,
        "certified_households": 600,
        "lon": 106.3960,
        "lat": 38.9960,
        "leader": "大武口区副区长",
        "notes": "2024年已全部办证，问题已销号。",
        "facts": {
            "project_type": "affordable",
            "government_led": True,
            "institution_own_land": False,
            "construction_start_date": "2004-04-15",
            "completion_date": "2006-09-30",
            "land_procedures_complete": True,
            "land_premium_unpaid": False,
            "taxes_unpaid": False,
            "policy_housing_sold_as_commercial": False,
            "planning_permit_obtained": True,
            "planning_verified": True,
            "completion_filed": True,
            "fire_acceptance_done": True,
            "sales_invoice_obtainable": True,
            "in_litigation": False,
            "oversize_units": 0,
        },
    },
    # ---------------------------------------------------------------- 惠农区
    {
        "name": "河滨街道河滨棚改安置小区",
        "district": "hn",
        "address": "惠农区河滨街道河滨街",
        "developer": "惠农区棚户区改造办公室",
        "developer_exists": True,
        "total_households": 1320,
        "certified_households": 410,
        "lon": 106.7780,
        "lat": 39.2462,
        "leader": "惠农区委常委、常务副区长",
        "notes": "产权置换安置，群众未缴差价，由政府主导建设部门开具发票，免征契税。",
        "facts": {
            "project_type": "shantytown",
            "government_led": True,
            "institution_own_land": False,
            "construction_start_date": "2012-04-20",
            "completion_date": "2014-11-15",
            "land_procedures_complete": True,
            "planning_permit_obtained": True,
            "planning_verified": True,
            "completion_filed": True,
            "fire_acceptance_done": False,
            "sales_invoice_obtainable": False,
            "invoice_obstacle": "resettlement_swap",
            "swap_price_difference_paid": False,
            "in_litigation": False,
        },
    },
    {
        "name": "南街原区电机厂家属院",
        "district": "hn",
        "address": "惠农区南街电机厂巷",
        "developer": "原惠农区电机厂（已改制）",
        "developer_exists": False,
        "total_households": 132,
        "certified_households": 0,
        "lon": 106.7705,
        "lat": 39.2268,
        "leader": "惠农区副区长",
        "notes": "1996年企业利用自有土地建设的房改房，用地手续不完善；建成较早，资料缺失。",
        "facts": {
            "project_type": "reform",
            "government_led": False,
            "institution_own_land": True,
            "construction_start_date": "1995-05-06",
            "completion_date": "1996-09-28",
            "land_procedures_complete": False,
            "planning_permit_obtained": True,
            "planning_verified": False,
            "planning_violation": False,
            "public_housing_shortfall": False,
            "planning_partially_conforming": False,
            "planning_supplementable": False,
            "conforms_territorial_plan": True,
            "completion_filed": False,
            "completion_supplementable": False,
            "quality_and_fire_accepted": False,
            "construction_records_lost": True,
            "fire_acceptance_done": False,
            "altered_or_expanded": False,
            "sales_invoice_obtainable": True,
            "in_litigation": False,
        },
    },
    {
        "name": "北街金泰花园",
        "district": "hn",
        "address": "惠农区北街中段",
        "developer": "宁夏金泰置业有限公司",
        "developer_exists": True,
        "total_households": 468,
        "certified_households": 150,
        "lon": 106.7688,
        "lat": 39.2395,
        "leader": "惠农区副区长",
        "notes": "开发商被税务部门列为非正常户，欠缴土地出让价款。",
        "facts": {
            "project_type": "commercial",
            "government_led": False,
            "institution_own_land": False,
            "construction_start_date": "2004-03-18",
            "completion_date": "2006-08-20",
            "land_procedures_complete": True,
            "land_premium_unpaid": True,
            "planning_permit_obtained": True,
            "planning_verified": True,
            "completion_filed": True,
            "fire_acceptance_done": False,
            "sales_invoice_obtainable": False,
            "invoice_obstacle": "developer_abnormal",
            "in_litigation": False,
        },
    },
    {
        "name": "育才路育才经济适用住房小区",
        "district": "hn",
        "address": "惠农区育才路南段",
        "developer": "惠农区保障性住房建设管理中心",
        "developer_exists": True,
        "total_households": 720,
        "certified_households": 505,
        "lon": 106.7625,
        "lat": 39.2310,
        "leader": "惠农区副区长",
        "notes": "24套单套面积超80平方米，需经市住建局审批后办理转移登记。",
        "facts": {
            "project_type": "affordable",
            "government_led": True,
            "institution_own_land": False,
            "construction_start_date": "2007-05-10",
            "completion_date": "2009-10-16",
            "land_procedures_complete": True,
            "policy_housing_sold_as_commercial": False,
            "planning_permit_obtained": True,
            "planning_verified": True,
            "completion_filed": True,
            "fire_acceptance_done": False,
            "sales_invoice_obtainable": True,
            "in_litigation": False,
            "oversize_units": 24,
        },
    },
    {
        "name": "红果子镇原镇砖厂集资楼",
        "district": "hn",
        "address": "惠农区红果子镇红翔路",
        "developer": "原惠农区红果子砖厂（已关闭）",
        "developer_exists": False,
        "total_households": 60,
        "certified_households": 0,
        "lon": 106.6962,
        "lat": 39.1468,
        "leader": "惠农区副区长",
        "notes": "企业利用自有土地集资建房，规划和竣工验收手续资料齐全，可补办。",
        "facts": {
            "project_type": "fundraised",
            "government_led": False,
            "institution_own_land": True,
            "construction_start_date": "1999-04-12",
            "completion_date": "2001-06-30",
            "land_procedures_complete": False,
            "planning_permit_obtained": False,
            "planning_verified": False,
            "planning_violation": False,
            "public_housing_shortfall": False,
            "planning_partially_conforming": False,
            "planning_supplementable": True,
            "completion_filed": False,
            "completion_supplementable": True,
            "fire_acceptance_done": False,
            "sales_invoice_obtainable": True,
            "in_litigation": False,
        },
    },
    {
        "name": "河滨街滨河湾小区",
        "district": "hn",
        "address": "惠农区河滨街北段",
        "developer": "石嘴山市滨河湾房地产开发有限公司",
        "developer_exists": True,
        "total_households": 516,
        "certified_households": 0,
        "lon": 106.7745,
        "lat": 39.2510,
        "leader": "惠农区副区长",
        "notes": "住建部门认定开工日期为2020年6月29日，属历史遗留消防验收范围。",
        "facts": {
            "project_type": "commercial",
            "government_led": False,
            "institution_own_land": False,
            "construction_start_date": "2020-06-29",
            "completion_date": "2022-09-30",
            "land_procedures_complete": True,
            "land_premium_unpaid": False,
            "planning_permit_obtained": True,
            "planning_verified": True,
            "completion_filed": False,
            "completion_supplementable": True,
            "fire_acceptance_done": False,
            "sales_invoice_obtainable": True,
            "in_litigation": False,
        },
    },
    {
        "name": "南街鑫隆苑",
        "district": "hn",
        "address": "惠农区南街东段",
        "developer": "石嘴山市鑫隆房地产开发有限公司",
        "developer_exists": True,
        "total_households": 430,
        "certified_households": 0,
        "lon": 106.7660,
        "lat": 39.2205,
        "leader": "惠农区副区长",
        "notes": "开工日期2020年6月30日，不属历史遗留问题，按现行程序办理消防验收。",
        "facts": {
            "project_type": "commercial",
            "government_led": False,
            "institution_own_land": False,
            "construction_start_date": "2020-06-30",
            "completion_date": "2022-11-20",
            "land_procedures_complete": True,
            "planning_permit_obtained": True,
            "planning_verified": True,
            "completion_filed": False,
            "completion_supplementable": True,
            "fire_acceptance_done": False,
            "sales_invoice_obtainable": True,
            "in_litigation": False,
        },
    },
    {
        "name": "育才路文苑小区",
        "district": "hn",
        "address": "惠农区育才路北段",
        "developer": "惠农区文苑房地产开发公司（下落不明）",
        "developer_exists": False,
        "total_households": 244,
        "certified_households": 60,
        "lon": 106.7598,
        "lat": 39.2352,
        "leader": "惠农区委常委、常务副区长",
        "notes": "开发商下落不明，购房人无法取得发票，拟按原合同金额核定征收契税；欠缴税费。",
        "facts": {
            "project_type": "commercial",
            "government_led": False,
            "institution_own_land": False,
            "construction_start_date": "2002-04-10",
            "completion_date": "2004-07-30",
            "land_procedures_complete": True,
            "taxes_unpaid": True,
            "planning_permit_obtained": True,
            "planning_verified": True,
            "completion_filed": True,
            "fire_acceptance_done": False,
            "sales_invoice_obtainable": False,
            "invoice_obstacle": "other",
            "in_litigation": False,
        },
    },
    {
        "name": "北街福润限价商品房小区",
        "district": "hn",
        "address": "惠农区北街西段",
        "developer": "惠农区保障性住房建设管理中心",
        "developer_exists": True,
        "total_households": 384,
        "certified_households": 122,
        "lon": 106.7721,
        "lat": 39.2430,
        "leader": "惠农区副区长",
        "notes": "手续齐全，建设单位正在补办竣工验收备案。",
        "facts": {
            "project_type": "price_capped",
            "government_led": True,
            "institution_own_land": False,
            "construction_start_date": "2015-04-08",
            "completion_date": "2017-09-25",
            "land_procedures_complete": True,
            "policy_housing_sold_as_commercial": False,
            "planning_permit_obtained": True,
            "planning_verified": True,
            "completion_filed": False,
            "completion_supplementable": True,
            "fire_acceptance_done": True,
            "sales_invoice_obtainable": True,
            "in_litigation": False,
        },
    },
    {
        "name": "河滨街阳光水岸小区",
        "district": "hn",
        "address": "惠农区河滨街南段",
        "developer": "石嘴山市阳光水岸置业有限公司",
        "developer_exists": True,
        "total_households": 610,
        "certified_households": 230,
        "lon": 106.7772,
        "lat": 39.2375,
        "leader": "惠农区委常委、常务副区长",
        "notes": "超容积率建设，自然资源局已提出处置意见，待区政府研究。",
        "facts": {
            "project_type": "commercial",
            "government_led": False,
            "institution_own_land": False,
            "construction_start_date": "2010-06-01",
            "completion_date": "2012-12-10",
            "land_procedures_complete": True,
            "land_premium_unpaid": False,
            "planning_permit_obtained": True,
            "planning_verified": False,
            "planning_violation": True,
            "completion_filed": True,
            "fire_acceptance_done": True,
            "sales_invoice_obtainable": True,
            "in_litigation": False,
        },
    },
    {
        "name": "南街安居小区",
        "district": "hn",
        "address": "惠农区南街西段",
        "developer": "惠农区房屋征收与补偿办公室",
        "developer_exists": True,
        "total_households": 880,
        "certified_households": 300,
        "lon": 106.7633,
        "lat": 39.2250,
        "leader": "惠农区副区长",
        "notes": "征收安置房，用地拟按划拨补办；规划核实资料齐全可补办。",
        "facts": {
            "project_type": "resettlement",
            "government_led": True,
            "institution_own_land": False,
            "construction_start_date": "2009-05-15",
            "completion_date": "2011-10-28",
            "land_procedures_complete": False,
            "planning_permit_obtained": True,
            "planning_verified": False,
            "planning_violation": False,
            "public_housing_shortfall": False,
            "planning_partially_conforming": False,
            "planning_supplementable": True,
            "completion_filed": True,
            "fire_acceptance_done": False,
            "sales_invoice_obtainable": True,
            "in_litigation": False,
        },
    },
    {
        "name": "北街龙泰苑",
        "district": "hn",
        "address": "惠农区北街东段",
        "developer": "石嘴山市龙泰房地产开发有限公司",
        "developer_exists": True,
        "total_households": 372,
        "certified_households": 85,
        "lon": 106.7702,
        "lat": 39.2480,
        "leader": "市人民政府副市长",
        "notes": "开发商债务纠纷致房屋被查封，群众无过错，法院牵头协调解封。",
        "facts": {
            "project_type": "commercial",
            "government_led": False,
            "institution_own_land": False,
            "construction_start_date": "2011-04-01",
            "completion_date": "2013-08-30",
            "land_procedures_complete": True,
            "land_premium_unpaid": False,
            "planning_permit_obtained": True,
            "planning_verified": True,
            "completion_filed": True,
            "fire_acceptance_done": True,
            "sales_invoice_obtainable": True,
            "in_litigation": True,
            "buyers_at_fault": False,
        },
    },
    {
        "name": "红果子镇原粮站自建住宅楼",
        "district": "hn",
        "address": "惠农区红果子镇粮站路",
        "developer": "原惠农区红果子粮站（已撤并）",
        "developer_exists": False,
        "total_households": 40,
        "certified_households": 0,
        "lon": 106.6918,
        "lat": 39.1425,
        "leader": "惠农区副区长",
        "notes": "粮站在划拨土地上自建住宅并对外出售，未补缴土地出让价款；无规划许可。",
        "facts": {
            "project_type": "self_built",
            "government_led": False,
            "institution_own_land": True,
            "construction_start_date": "2003-05-20",
            "completion_date": "2004-10-15",
            "land_procedures_complete": False,
            "allocated_self_built_sold": True,
            "planning_permit_obtained": False,
            "planning_verified": False,
            "planning_violation": False,
            "public_housing_shortfall": False,
            "planning_partially_conforming": False,
            "planning_supplementable": False,
            "conforms_territorial_plan": True,
            "completion_filed": False,
            "completion_supplementable": False,
            "quality_and_fire_accepted": False,
            "construction_records_lost": True,
            "fire_acceptance_done": False,
            "sales_invoice_obtainable": True,
            "in_litigation": False,
        },
    },
    {
        "name": "育才路原区陶瓷厂家属楼",
        "district": "hn",
        "address": "惠农区育才路陶瓷厂巷",
        "developer": "原惠农区陶瓷厂（已破产）",
        "developer_exists": False,
        "total_households": 90,
        "certified_households": 0,
        "lon": 106.7580,
        "lat": 39.2280,
        "leader": "惠农区副区长",
        "notes": "住建部门认定开工日期为1998年9月1日，属住建部门牵头审查的时段。",
        "facts": {
            "project_type": "reform",
            "government_led": False,
            "institution_own_land": True,
            "construction_start_date": "1998-09-01",
            "completion_date": "2000-06-30",
            "land_procedures_complete": False,
            "planning_permit_obtained": True,
            "planning_verified": True,
            "completion_filed": False,
            "completion_supplementable": False,
            "quality_and_fire_accepted": False,
            "construction_records_lost": True,
            "fire_acceptance_done": False,
            "sales_invoice_obtainable": True,
            "in_litigation": False,
        },
    },
    {
        "name": "北街锦华小区",
        "district": "hn",
        "address": "惠农区北街锦华巷",
        "developer": "石嘴山市锦华房地产开发有限公司",
        "developer_exists": True,
        "total_households": 298,
        "certified_households": 110,
        "lon": 106.7655,
        "lat": 39.2455,
        "leader": "惠农区副区长",
        "notes": "购房人反映无法取得销售不动产发票，原因待税务局核实。",
        "facts": {
            "project_type": "commercial",
            "government_led": False,
            "institution_own_land": False,
            "construction_start_date": "2006-03-12",
            "completion_date": "2008-06-30",
            "land_procedures_complete": True,
            "planning_permit_obtained": True,
            "planning_verified": True,
            "completion_filed": True,
            "fire_acceptance_done": True,
            "sales_invoice_obtainable": False,
            "in_litigation": False,
        },
    },
    {
        "name": "南街原区农机站住宅楼",
        "district": "hn",
        "address": "惠农区南街农机站院内",
        "developer": "原惠农区农机站（已撤销）",
        "developer_exists": False,
        "total_households": 32,
        "certified_households": 0,
        "lon": 106.7728,
        "lat": 39.2190,
        "leader": "惠农区副区长",
        "notes": "建设档案缺失，开工、竣工日期待住建部门认定。",
        "facts": {
            "project_type": "other",
            "government_led": False,
            "institution_own_land": True,
            "land_procedures_complete": False,
            "completion_filed": False,
            "completion_supplementable": False,
            "quality_and_fire_accepted": False,
            "construction_records_lost": True,
            "fire_acceptance_done": False,
            "sales_invoice_obtainable": True,
            "in_litigation": False,
        },
    },
    {
        "name": "河滨街御景苑",
        "district": "hn",
        "address": "惠农区河滨街御景路",
        "developer": "石嘴山市御景房地产开发有限公司",
        "developer_exists": True,
        "total_households": 264,
        "certified_households": 264,
        "lon": 106.7760,
        "lat": 39.2560,
        "leader": "惠农区副区长",
        "notes": "竣工验收备案已补办，全部办证，已销号。",
        "facts": {
            "project_type": "commercial",
            "government_led": False,
            "institution_own_land": False,
            "construction_start_date": "2017-04-06",
            "completion_date": "2019-08-26",
            "land_procedures_complete": True,
            "land_premium_unpaid": False,
            "taxes_unpaid": False,
            "planning_permit_obtained": True,
            "planning_verified": True,
            "completion_filed": True,
            "fire_acceptance_done": True,
            "sales_invoice_obtainable": True,
            "in_litigation": False,
        },
    },
    {
        "name": "育才路康乐小区",
        "district": "hn",
        "address": "惠农区育才路康乐巷",
        "developer": "惠农区康乐房地产开发公司（已注销）",
        "developer_exists": False,
        "total_households": 188,
        "certified_households": 20,
        "lon": 106.7550,
        "lat": 39.2400,
        "leader": "惠农区委常委、常务副区长",
        "notes": "开发商已注销，参建单位灭失，需委托第三方质量鉴定；用地手续不完善。",
        "facts": {
            "project_type": "commercial",
            "government_led": False,
            "institution_own_land": False,
            "construction_start_date": "2001-05-08",
            "completion_date": "2003-09-18",
            "land_procedures_complete": False,
            "planning_permit_obtained": True,
            "planning_verified": True,
            "completion_filed": False,
            "completion_supplementable": False,
            "quality_and_fire_accepted": False,
            "construction_records_lost": True,
            "fire_acceptance_done": False,
            "sales_invoice_obtainable": False,
            "invoice_obstacle": "developer_deregistered",
            "in_litigation": False,
        },
    },
    # ---------------------------------------------------------------- 平罗县
    {
        "name": "鼓楼北街鼓楼佳苑",
        "district": "pl",
        "address": "平罗县城关镇鼓楼北街",
        "developer": "平罗县鼓楼房地产开发有限公司",
        "developer_exists": True,
        "total_households": 642,
        "certified_households": 198,
        "lon": 106.5462,
        "lat": 38.9138,
        "leader": "平罗县副县长",
        "notes": "欠缴土地出让价款；规划核实和竣工验收备案资料齐全，可补办。",
        "facts": {
            "project_type": "commercial",
            "government_led": False,
            "institution_own_land": False,
            "construction_start_date": "2012-05-06",
            "completion_date": "2014-10-20",
            "land_procedures_complete": True,
            "land_premium_unpaid": True,
            "planning_permit_obtained": True,
            "planning_verified": False,
            "planning_violation": False,
            "public_housing_shortfall": False,
            "planning_partially_conforming": False,
            "planning_supplementable": True,
            "completion_filed": False,
            "completion_supplementable": True,
            "fire_acceptance_done": False,
            "sales_invoice_obtainable": True,
            "in_litigation": False,
        },
    },
    {
        "name": "城关镇原县纺织厂家属院",
        "district": "pl",
        "address": "平罗县城关镇纺织厂路",
        "developer": "原平罗县纺织厂（已破产）",
        "developer_exists": False,
        "total_households": 168,
        "certified_households": 0,
        "lon": 106.5380,
        "lat": 38.9025,
        "leader": "平罗县副县长",
        "notes": "1990年建成的房改房，企业破产后无人申报，施工资料缺失。",
        "facts": {
            "project_type": "reform",
            "government_led": False,
            "institution_own_land": True,
            "construction_start_date": "1989-04-18",
            "completion_date": "1990-09-30",
            "land_procedures_complete": False,
            "planning_permit_obtained": True,
            "planning_verified": True,
            "completion_filed": False,
            "completion_supplementable": False,
            "quality_and_fire_accepted": False,
            "construction_records_lost": True,
            "fire_acceptance_done": False,
            "altered_or_expanded": False,
            "sales_invoice_obtainable": True,
            "in_litigation": False,
        },
    },
    {
        "name": "唐徕街唐徕经济适用住房小区",
        "district": "pl",
        "address": "平罗县城关镇唐徕街",
        "developer": "平罗县保障性住房建设管理中心",
        "developer_exists": True,
        "total_households": 560,
        "certified_households": 380,
        "lon": 106.5325,
        "lat": 38.9080,
        "leader": "平罗县副县长",
        "notes": "12套单套面积超标；项目部分符合规划，拟先行核实符合部分。",
        "facts": {
            "project_type": "affordable",
            "government_led": True,
            "institution_own_land": False,
            "construction_start_date": "2008-04-20",
            "completion_date": "2010-09-15",
            "land_procedures_complete": True,
            "policy_housing_sold_as_commercial": False,
            "planning_permit_obtained": True,
            "planning_verified": False,
            "planning_violation": False,
            "public_housing_shortfall": False,
            "planning_partially_conforming": True,
            "completion_filed": True,
            "fire_acceptance_done": True,
            "sales_invoice_obtainable": True,
            "in_litigation": False,
            "oversize_units": 12,
        },
    },
    {
        "name": "太沙工业园职工集资公寓",
        "district": "pl",
        "address": "平罗县太沙工业园区纬三路",
        "developer": "平罗县太沙化工有限责任公司",
        "developer_exists": True,
        "total_households": 144,
        "certified_households": 0,
        "lon": 106.5870,
        "lat": 38.9315,
        "leader": "平罗县委常委、常务副县长",
        "notes": "企业利用自有土地集资建房，用地按划拨补办；规划手续可补办。",
        "facts": {
            "project_type": "fundraised",
            "government_led": False,
            "institution_own_land": True,
            "construction_start_date": "2002-03-25",
            "completion_date": "2003-11-10",
            "land_procedures_complete": False,
            "planning_permit_obtained": False,
            "planning_verified": False,
            "planning_violation": False,
            "public_housing_shortfall": False,
            "planning_partially_conforming": False,
            "planning_supplementable": True,
            "completion_filed": True,
            "fire_acceptance_done": False,
            "sales_invoice_obtainable": True,
            "in_litigation": False,
        },
    },
    {
        "name": "城关镇南关棚改安置小区",
        "district": "pl",
        "address": "平罗县城关镇南关街",
        "developer": "平罗县棚户区改造办公室",
        "developer_exists": True,
        "total_households": 1120,
        "certified_households": 460,
        "lon": 106.5520,
        "lat": 38.8985,
        "leader": "平罗县委常委、常务副县长",
        "notes": "产权置换安置，部分群众缴纳差价；质量和消防验收合格但未备案。",
        "facts": {
            "project_type": "shantytown",
            "government_led": True,
            "institution_own_land": False,
            "construction_start_date": "2014-04-10",
            "completion_date": "2016-09-30",
            "land_procedures_complete": False,
            "planning_permit_obtained": True,
            "planning_verified": True,
            "completion_filed": False,
            "completion_supplementable": False,
            "quality_and_fire_accepted": True,
            "fire_acceptance_done": True,
            "sales_invoice_obtainable": False,
            "invoice_obstacle": "resettlement_swap",
            "swap_price_difference_paid": True,
            "in_litigation": False,
        },
    },
    {
        "name": "鼓楼街金鼎花园",
        "district": "pl",
        "address": "平罗县城关镇鼓楼街",
        "developer": "宁夏金鼎房地产开发有限公司",
        "developer_exists": True,
        "total_households": 496,
        "certified_households": 130,
        "lon": 106.5488,
        "lat": 38.9072,
        "leader": "市人民政府副市长",
        "notes": "开发商欠债，法院拍卖部分房屋，受让人持执行裁定书申报契税；欠缴税费。",
        "facts": {
            "project_type": "commercial",
            "government_led": False,
            "institution_own_land": False,
            "construction_start_date": "2013-04-15",
            "completion_date": "2015-11-20",
            "land_procedures_complete": True,
            "taxes_unpaid": True,
            "planning_permit_obtained": True,
            "planning_verified": True,
            "completion_filed": True,
            "fire_acceptance_done": True,
            "sales_invoice_obtainable": False,
            "invoice_obstacle": "court_ruling",
            "in_litigation": True,
            "buyers_at_fault": False,
        },
    },
    {
        "name": "唐徕街唐徕安置小区",
        "district": "pl",
        "address": "平罗县城关镇唐徕街西段",
        "developer": "平罗县房屋征收与补偿办公室",
        "developer_exists": True,
        "total_households": 760,
        "certified_households": 240,
        "lon": 106.5290,
        "lat": 38.9122,
        "leader": "平罗县副县长",
        "notes": "配建幼儿园面积不足，县政府研究补建方案；用地手续不完善。",
        "facts": {
            "project_type": "resettlement",
            "government_led": True,
            "institution_own_land": False,
            "construction_start_date": "2011-05-08",
            "completion_date": "2013-10-25",
            "land_procedures_complete": False,
            "planning_permit_obtained": True,
            "planning_verified": False,
            "planning_violation": False,
            "public_housing_shortfall": True,
            "completion_filed": True,
            "fire_acceptance_done": False,
            "sales_invoice_obtainable": True,
            "in_litigation": False,
        },
    },
    {
        "name": "城关镇北环棚改小区",
        "district": "pl",
        "address": "平罗县城关镇北环路",
        "developer": "平罗县棚户区改造办公室",
        "developer_exists": True,
        "total_households": 940,
        "certified_households": 520,
        "lon": 106.5555,
        "lat": 38.9175,
        "leader": "平罗县委常委、常务副县长",
        "notes": "质量和消防验收合格，但未办理竣工验收备案。",
        "facts": {
            "project_type": "shantytown",
            "government_led": True,
            "institution_own_land": False,
            "construction_start_date": "2016-04-12",
            "completion_date": "2018-10-30",
            "land_procedures_complete": True,
            "planning_permit_obtained": True,
            "planning_verified": True,
            "completion_filed": False,
            "completion_supplementable": False,
            "quality_and_fire_accepted": True,
            "fire_acceptance_done": True,
            "sales_invoice_obtainable": True,
            "in_litigation": False,
        },
    },
    {
        "name": "鼓楼南街富民小区",
        "district": "pl",
        "address": "平罗县城关镇鼓楼南街",
        "developer": "平罗县富民房地产开发公司（已注销）",
        "developer_exists": False,
        "total_households": 210,
        "certified_households": 35,
        "lon": 106.5450,
        "lat": 38.9010,
        "leader": "平罗县副县长",
        "notes": "开发商无法联系，购房人无发票，拟按原合同金额核定征收契税。",
        "facts": {
            "project_type": "commercial",
            "government_led": False,
            "institution_own_land": False,
            "construction_start_date": "1999-05-10",
            "completion_date": "2001-08-28",
            "land_procedures_complete": False,
            "planning_permit_obtained": True,
            "planning_verified": True,
            "completion_filed": True,
            "fire_acceptance_done": False,
            "sales_invoice_obtainable": False,
            "invoice_obstacle": "other",
            "in_litigation": False,
        },
    },
    {
        "name": "唐徕街西湖苑",
        "district": "pl",
        "address": "平罗县城关镇唐徕街北段",
        "developer": "平罗县西湖房地产开发有限公司",
        "developer_exists": True,
        "total_households": 180,
        "certified_households": 60,
        "lon": 106.5268,
        "lat": 38.9040,
        "leader": "平罗县副县长",
        "notes": "建成较早未取得规划许可，符合国土空间规划，拟按现状出具认定意见。",
        "facts": {
            "project_type": "commercial",
            "government_led": False,
            "institution_own_land": False,
            "construction_start_date": "1996-04-02",
            "completion_date": "1997-10-15",
            "land_procedures_complete": True,
            "planning_permit_obtained": False,
            "planning_verified": False,
            "planning_violation": False,
            "public_housing_shortfall": False,
            "planning_partially_conforming": False,
            "planning_supplementable": False,
            "conforms_territorial_plan": True,
            "completion_filed": True,
            "fire_acceptance_done": False,
            "altered_or_expanded": False,
            "sales_invoice_obtainable": True,
            "in_litigation": False,
        },
    },
    {
        "name": "城关镇康居限价商品房小区",
        "district": "pl",
        "address": "平罗县城关镇康居路",
        "developer": "平罗县保障性住房建设管理中心",
        "developer_exists": True,
        "total_households": 420,
        "certified_households": 150,
        "lon": 106.5590,
        "lat": 38.9060,
        "leader": "平罗县副县长",
        "notes": "用地拟按协议出让补办，评估基准日为住建部门认定的开工日期。",
        "facts": {
            "project_type": "price_capped",
            "government_led": True,
            "institution_own_land": False,
            "construction_start_date": "2017-03-28",
            "completion_date": "2019-09-20",
            "land_procedures_complete": False,
            "policy_housing_sold_as_commercial": False,
            "planning_permit_obtained": True,
            "planning_verified": True,
            "completion_filed": True,
            "fire_acceptance_done": True,
            "sales_invoice_obtainable": True,
            "in_litigation": False,
        },
    },
    {
        "name": "城关镇原县物资公司自建住宅",
        "district": "pl",
        "address": "平罗县城关镇物资巷",
        "developer": "原平罗县物资公司（已改制）",
        "developer_exists": False,
        "total_households": 56,
        "certified_households": 0,
        "lon": 106.5405,
        "lat": 38.8950,
        "leader": "平罗县副县长",
        "notes": "划拨土地上自建住宅对外出售，未补缴土地出让价款。",
        "facts": {
            "project_type": "self_built",
            "government_led": False,
            "institution_own_land": True,
            "construction_start_date": "1992-04-06",
            "completion_date": "1993-08-20",
            "land_procedures_complete": False,
            "allocated_self_built_sold": True,
            "planning_permit_obtained": True,
            "planning_verified": True,
            "completion_filed": True,
            "fire_acceptance_done": False,
            "altered_or_expanded": False,
            "sales_invoice_obtainable": True,
            "in_litigation": False,
        },
    },
    {
        "name": "鼓楼北街鼓楼新城",
        "district": "pl",
        "address": "平罗县城关镇鼓楼北街北段",
        "developer": "平罗县鼓楼新城置业有限公司",
        "developer_exists": True,
        "total_households": 620,
        "certified_households": 0,
        "lon": 106.5505,
        "lat": 38.9200,
        "leader": "平罗县副县长",
        "notes": "2021年开工，消防验收按现行程序办理；竣工验收备案可补办。",
        "facts": {
            "project_type": "commercial",
            "government_led": False,
            "institution_own_land": False,
            "construction_start_date": "2021-04-16",
            "completion_date": "2023-08-30",
            "land_procedures_complete": True,
            "land_premium_unpaid": False,
            "planning_permit_obtained": True,
            "planning_verified": True,
            "completion_filed": False,
            "completion_supplementable": True,
            "fire_acceptance_done": False,
            "sales_invoice_obtainable": True,
            "in_litigation": False,
        },
    },
    {
        "name": "鼓楼街原县农机公司商住楼",
        "district": "pl",
        "address": "平罗县城关镇鼓楼街农机巷",
        "developer": "原平罗县农机公司（已改制）",
        "developer_exists": False,
        "total_households": 44,
        "certified_households": 0,
        "lon": 106.5440,
        "lat": 38.9088,
        "leader": "平罗县副县长",
        "notes": "临街商住楼，1998年3月开工、1999年7月建成，消防验收处置需研判。",
        "facts": {
            "project_type": "other",
            "government_led": False,
            "institution_own_land": True,
            "construction_start_date": "1998-03-10",
            "completion_date": "1999-07-15",
            "land_procedures_complete": False,
            "planning_permit_obtained": True,
            "planning_verified": True,
            "completion_filed": True,
            "fire_acceptance_done": False,
            "altered_or_expanded": False,
            "sales_invoice_obtainable": True,
            "in_litigation": False,
        },
    },
    {
        "name": "唐徕街安置小区二期",
        "district": "pl",
        "address": "平罗县城关镇唐徕街南段",
        "developer": "平罗县唐徕房地产开发有限公司",
        "developer_exists": True,
        "total_households": 336,
        "certified_households": 80,
        "lon": 106.5240,
        "lat": 38.9165,
        "leader": "平罗县委常委、常务副县长",
        "notes": "安置房由企业代建，是否属政府主导建设待县政府确认。",
        "facts": {
            "project_type": "resettlement",
            "institution_own_land": False,
            "construction_start_date": "2015-05-18",
            "completion_date": "2017-10-10",
            "land_procedures_complete": False,
            "planning_permit_obtained": True,
            "planning_verified": True,
            "completion_filed": True,
            "fire_acceptance_done": True,
            "sales_invoice_obtainable": True,
            "in_litigation": False,
        },
    },
    {
        "name": "城关镇文化苑",
        "district": "pl",
        "address": "平罗县城关镇文化街",
        "developer": "平罗县文化苑房地产开发有限公司",
        "developer_exists": True,
        "total_households": 268,
        "certified_households": 90,
        "lon": 106.5610,
        "lat": 38.9130,
        "leader": "平罗县副县长",
        "notes": "未取得规划许可，既不能补办也不符合国土空间规划，需人工研判。",
        "facts": {
            "project_type": "commercial",
            "government_led": False,
            "institution_own_land": False,
            "construction_start_date": "2007-04-10",
            "completion_date": "2009-08-25",
            "land_procedures_complete": True,
            "planning_permit_obtained": False,
            "planning_verified": False,
            "planning_violation": False,
            "public_housing_shortfall": False,
            "planning_partially_conforming": False,
            "planning_supplementable": False,
            "conforms_territorial_plan": False,
            "completion_filed": True,
            "fire_acceptance_done": True,
            "sales_invoice_obtainable": True,
            "in_litigation": False,
        },
    },
    {
        "name": "太沙工业园康馨家园",
        "district": "pl",
        "address": "平罗县太沙工业园区康馨路",
        "developer": "平罗县康馨房地产开发有限公司（已注销）",
        "developer_exists": False,
        "total_households": 230,
        "certified_households": 18,
        "lon": 106.5815,
        "lat": 38.9268,
        "leader": "平罗县委常委、常务副县长",
        "notes": "开发商已注销，施工单位灭失、技术资料缺失，委托第三方质量鉴定；欠缴税费。",
        "facts": {
            "project_type": "commercial",
            "government_led": False,
            "institution_own_land": False,
            "construction_start_date": "2004-06-01",
            "completion_date": "2006-05-30",
            "land_procedures_complete": True,
            "taxes_unpaid": True,
            "planning_permit_obtained": True,
            "planning_verified": True,
            "completion_filed": False,
            "completion_supplementable": False,
            "quality_and_fire_accepted": False,
            "construction_records_lost": True,
            "fire_acceptance_done": False,
            "sales_invoice_obtainable": False,
            "invoice_obstacle": "developer_deregistered",
            "in_litigation": False,
        },
    },
    {
        "name": "唐徕街安康经济适用住房小区",
        "district": "pl",
        "address": "平罗县城关镇唐徕街安康巷",
        "developer": "平罗县保障性住房建设管理中心",
        "developer_exists": True,
        "total_households": 450,
        "certified_households": 450,
        "lon": 106.5345,
        "lat": 38.8990,
        "leader": "平罗县副县长",
        "notes": "已全部办证，问题已销号。",
        "facts": {
            "project_type": "affordable",
            "government_led": True,
            "institution_own_land": False,
            "construction_start_date": "2005-04-08",
            "completion_date": "2007-10-12",
            "land_procedures_complete": True,
            "policy_housing_sold_as_commercial": False,
            "planning_permit_obtained": True,
            "planning_verified": True,
            "completion_filed": True,
            "fire_acceptance_done": True,
            "sales_invoice_obtainable": True,
            "in_litigation": False,
            "oversize_units": 0,
        },
    },
    {
        "name": "城关镇原县粮食局家属院",
        "district": "pl",
        "address": "平罗县城关镇粮食局巷",
        "developer": "平罗县粮食和物资储备局",
        "developer_exists": True,
        "total_households": 88,
        "certified_households": 0,
        "lon": 106.5395,
        "lat": 38.9115,
        "leader": "平罗县副县长",
        "notes": "机关利用自有土地建设的房改房，1988年建成，未改建、扩建。",
        "facts": {
            "project_type": "reform",
            "government_led": False,
            "institution_own_land": True,
            "construction_start_date": "1987-05-12",
            "completion_date": "1988-09-30",
            "land_procedures_complete": False,
            "planning_permit_obtained": True,
            "planning_verified": True,
            "completion_filed": True,
            "fire_acceptance_done": False,
            "altered_or_expanded": False,
            "sales_invoice_obtainable": True,
            "in_litigation": False,
        },
    },
    {
        "name": "鼓楼南街华府小区",
        "district": "pl",
        "address": "平罗县城关镇鼓楼南街南段",
        "developer": "宁夏华府置业有限公司",
        "developer_exists": True,
        "total_households": 350,
        "certified_households": 95,
        "lon": 106.5475,
        "lat": 38.8965,
        "leader": "平罗县委常委、常务副县长",
        "notes": "开发商被列为非正常户，欠缴税费，拟证缴分离办理登记。",
        "facts": {
            "project_type": "commercial",
            "government_led": False,
            "institution_own_land": False,
            "construction_start_date": "2008-03-20",
            "completion_date": "2010-06-30",
            "land_procedures_complete": True,
            "taxes_unpaid": True,
            "planning_permit_obtained": True,
            "planning_verified": True,
            "completion_filed": True,
            "fire_acceptance_done": False,
            "sales_invoice_obtainable": False,
            "invoice_obstacle": "developer_abnormal",
            "in_litigation": False,
        },
    },
)


def _with_codes(projects: Sequence[Project]) -> list[Project]:
    """Copies of `projects` with `code` first, numbered from 1 within each district."""
    counters: dict[str, int] = dict.fromkeys(DISTRICTS, 0)
    out: list[Project] = []
    for project in projects:
        district = str(project["district"])
        counters[district] += 1
        code = f"{DISTRICTS[district].prefix}-{counters[district]:04d}"
        out.append({"code": code, **copy.deepcopy(project)})
    return out


def demo_projects() -> list[Project]:
    """The hand-written demo ledger (about 60 projects), as fresh copies the caller may mutate."""
    return _with_codes(_LEDGER)


# ---------------------------------------------------------------------------------------------
# The synthetic generator: the same kind of rows at any size, reproducible from a seed.


@dataclass(frozen=True)
class _Cluster:
    """Where projects of a district concentrate: a core, its spread, and its street names."""

    lon: float
    lat: float
    spread: float  # standard deviation in degrees of longitude
    weight: float
    streets: tuple[str, ...]


# Projects cluster in the built-up areas; 惠农区's core lies close to the Yellow River border,
# so its spread is small and points falling across it are simply drawn again.
_CLUSTERS: Mapping[str, tuple[_Cluster, ...]] = {
    "dwk": (
        _Cluster(106.375, 39.015, 0.016, 0.75, ("朝阳西街", "人民路", "游艺街", "长胜街道")),
        _Cluster(106.352, 39.043, 0.008, 0.25, ("青山街道",)),
    ),
    "hn": (
        _Cluster(106.765, 39.235, 0.010, 0.75, ("南街", "北街", "河滨街", "育才路")),
        _Cluster(106.695, 39.145, 0.007, 0.25, ("红果子镇",)),
    ),
    "pl": (
        _Cluster(106.545, 38.908, 0.012, 0.8, ("城关镇鼓楼街", "城关镇唐徕街", "城关镇南关街")),
        _Cluster(106.585, 38.930, 0.006, 0.2, ("太沙工业园区",)),
    ),
}
_DISTRICT_WEIGHTS: Mapping[str, float] = {"dwk": 0.4, "hn": 0.3, "pl": 0.3}
# Who a work unit belonged to: the short local form used in project names ("原市…厂家属院")
# and the full form used for the developer.
_UNIT_LEVEL: Mapping[str, tuple[str, str]] = {
    "dwk": ("市", "石嘴山市"),
    "hn": ("区", "惠农区"),
    "pl": ("县", "平罗县"),
}
_LEADERS: Mapping[str, tuple[str, ...]] = {
    "dwk": ("大武口区副区长", "大武口区委常委、副区长", "大武口区人民政府区长"),
    "hn": ("惠农区副区长", "惠农区委常委、常务副区长", "惠农区人民政府区长"),
    "pl": ("平罗县副县长", "平罗县委常委、常务副县长", "平罗县人民政府县长"),
}


@dataclass(frozen=True)
class _TypeProfile:
    """How a project type looks in the ledger: frequency, build years and size."""

    weight: float
    first_year: int
    last_year: int
    min_households: int
    max_households: int


_TYPE_PROFILES: Mapping[str, _TypeProfile] = {
    "commercial": _TypeProfile(0.38, 1995, 2022, 120, 1500),
    "affordable": _TypeProfile(0.08, 2003, 2014, 200, 1000),
    "resettlement": _TypeProfile(0.09, 2005, 2020, 300, 2000),
    "shantytown": _TypeProfile(0.09, 2009, 2019, 300, 2000),
    "price_capped": _TypeProfile(0.05, 2010, 2019, 150, 800),
    "reform": _TypeProfile(0.13, 1985, 1999, 24, 260),
    "fundraised": _TypeProfile(0.08, 1988, 2004, 24, 200),
    "self_built": _TypeProfile(0.05, 1985, 2008, 12, 120),
    "other": _TypeProfile(0.05, 1985, 2020, 12, 200),
}
_POLICY_TYPES = ("affordable", "resettlement", "shantytown", "price_capped")
_NAME_WORDS = (
    "锦华", "金桂", "翰林", "御景", "和顺", "阳光", "盛世", "泰和", "康乐", "福润",
    "瑞丰", "星河", "兴隆", "丽景", "龙泰", "润泽", "嘉禾", "宏远", "安康", "馨园",
)  # fmt: skip
_NAME_SUFFIXES = ("小区", "花园", "苑", "家园", "佳苑", "华庭", "新城")
_WORK_UNITS = (
    "机械厂", "化肥厂", "水泥厂", "面粉厂", "印刷厂", "运输公司", "建筑公司", "五金厂",
    "针织厂", "农机公司", "物资公司", "供销社", "粮食局", "电石厂", "陶瓷厂", "砖厂",
)  # fmt: skip
_POLICY_SUFFIX: Mapping[str, str] = {
    "affordable": "经济适用住房小区",
    "resettlement": "安置小区",
    "shantytown": "棚改安置小区",
    "price_capped": "限价商品房小区",
}
_UNIT_SUFFIX: Mapping[str, str] = {
    "reform": "家属院",
    "fundraised": "集资楼",
    "self_built": "自建住宅楼",
    "other": "商住楼",
}
_PUBLIC_BUILDER: Mapping[str, str] = {
    "affordable": "保障性住房建设管理中心",
    "price_capped": "保障性住房建设管理中心",
    "resettlement": "房屋征收与补偿办公室",
    "shantytown": "棚户区改造办公室",
}
# 附件3 三(一)4 and 5 check their deciding facts in this order; the first that holds wins.
_PLANNING_FACTS = (
    "planning_violation",
    "public_housing_shortfall",
    "planning_partially_conforming",
    "planning_supplementable",
    "conforms_territorial_plan",
)
_PLANNING_WEIGHTS = (0.10, 0.08, 0.14, 0.40, 0.18)  # the rest: nothing known to hold
_COMPLETION_FACTS = (
    "completion_supplementable",
    "quality_and_fire_accepted",
    "construction_records_lost",
)
_COMPLETION_WEIGHTS = (0.50, 0.22, 0.18)
# The ledger is as of mid-2024, when the work plan was issued; a fixed date rather than the clock
# keeps the data reproducible and never in the future (the forms refuse future dates).
_LATEST_COMPLETION = dt.date(2024, 6, 30)
_FIRE_EXEMPT_BEFORE = dt.date(1998, 9, 1)
_FIRE_WINDOW_END = dt.date(2020, 6, 30)
# How often a deciding fact is still unknown in a row, so that needs_review shows up.
_UNKNOWN = 0.06


def _weighted(rng: random.Random, choices: Sequence[str], weights: Sequence[float]) -> str:
    return rng.choices(choices, weights=weights)[0]


def _chance(rng: random.Random, probability: float) -> bool:
    return rng.random() < probability


def _maybe(rng: random.Random, value: bool) -> bool | None:
    """`value`, or unknown now and then."""
    return None if _chance(rng, _UNKNOWN) else value


def _place(
    rng: random.Random, boundaries: DistrictBoundaries, adcode: str, cluster: _Cluster
) -> tuple[float, float]:
    """A point near the cluster's core that lies inside the district."""
    for _ in range(50):
        lon = round(rng.gauss(cluster.lon, cluster.spread), 6)
        # A degree of latitude is longer than one of longitude here (cos 39° ≈ 0.78).
        lat = round(rng.gauss(cluster.lat, cluster.spread * 0.78), 6)
        if boundaries.locate(lon, lat) == adcode:
            return lon, lat
    # Custom boundaries may not contain the built-in cores: fall back to the whole district.
    minx, miny, maxx, maxy = boundaries.geometry(adcode).bounds
    for _ in range(10_000):
        lon = round(rng.uniform(minx, maxx), 6)
        lat = round(rng.uniform(miny, maxy), 6)
        if boundaries.locate(lon, lat) == adcode:
            return lon, lat
    return boundaries.representative_point(adcode)


def _dates(rng: random.Random, profile: _TypeProfile) -> tuple[dt.date | None, dt.date | None]:
    """A start date in the type's years and a completion 10 months to 4 years later."""
    if _chance(rng, 0.02):
        return None, None  # the archive is lost; the housing department has not ruled yet
    year = rng.randint(profile.first_year, profile.last_year)
    start = dt.date(year, 1, 1) + dt.timedelta(days=rng.randrange(365))
    completion = min(start + dt.timedelta(days=rng.randint(300, 1400)), _LATEST_COMPLETION)
    if _chance(rng, 0.02):
        return start, None
    return start, completion


def _set_first_holding(
    rng: random.Random,
    facts: dict[str, object],
    names: Sequence[str],
    weights: Sequence[float],
) -> None:
    """Record an ordered chain of deciding facts: earlier ones false, the chosen one true."""
    nothing = max(0.0, 1.0 - sum(weights))
    chosen = rng.choices([*names, ""], weights=[*weights, nothing])[0]
    for name in names:
        if name == chosen:
            facts[name] = True
            return
        if not chosen and _chance(rng, 0.5):
            return  # nothing holds and the rest is not yet investigated: a review case
        facts[name] = False


def _random_facts(
    rng: random.Random,
    project_type: str,
    start: dt.date | None,
    completion: dt.date | None,
    government_led: bool | None,
    developer_exists: bool,
) -> dict[str, object]:
    """Plausible, internally consistent facts for one synthetic project."""
    old = start is None or start.year < 2000
    facts: dict[str, object] = {"project_type": project_type}
    if government_led is not None:
        facts["government_led"] = government_led
    facts["institution_own_land"] = project_type in ("reform", "fundraised") or (
        project_type in ("self_built", "other") and _chance(rng, 0.6)
    )
    if start is not None:
        facts["construction_start_date"] = start.isoformat()
    if completion is not None:
        facts["completion_date"] = completion.isoformat()

    facts["land_procedures_complete"] = not _chance(rng, 0.55 if old else 0.22)

    if project_type in ("commercial", "price_capped", "other"):
        facts["land_premium_unpaid"] = _chance(rng, 0.12)
    facts["taxes_unpaid"] = _chance(rng, 0.07 if developer_exists else 0.2)
    if project_type in _POLICY_TYPES:
        facts["policy_housing_sold_as_commercial"] = _chance(rng, 0.08)
    if project_type == "self_built":
        facts["allocated_self_built_sold"] = _chance(rng, 0.7)

    swap = bool(government_led) and project_type in ("resettlement", "shantytown")
    if _chance(rng, 0.45 if swap else (0.1 if developer_exists else 0.45)):
        facts["sales_invoice_obtainable"] = False
        if _chance(rng, _UNKNOWN):
            pass  # the tax bureau has not yet established why
        elif swap:
            facts["invoice_obstacle"] = "resettlement_swap"
            paid = _maybe(rng, _chance(rng, 0.4))
            if paid is not None:
                facts["swap_price_difference_paid"] = paid
        elif not developer_exists:
            facts["invoice_obstacle"] = _weighted(
                rng, ("developer_deregistered", "developer_abnormal", "other"), (0.6, 0.2, 0.2)
            )
        else:
            facts["invoice_obstacle"] = _weighted(
                rng, ("court_ruling", "developer_abnormal", "other"), (0.5, 0.3, 0.2)
            )
    else:
        facts["sales_invoice_obtainable"] = True

    if _chance(rng, 0.3):
        facts["planning_permit_obtained"] = not (old and _chance(rng, 0.5))
        facts["planning_verified"] = False
        _set_first_holding(rng, facts, _PLANNING_FACTS, _PLANNING_WEIGHTS)
    else:
        facts["planning_permit_obtained"] = True
        facts["planning_verified"] = True

    if _chance(rng, 0.6 if old else 0.3):
        facts["completion_filed"] = False
        _set_first_holding(rng, facts, _COMPLETION_FACTS, _COMPLETION_WEIGHTS)
    else:
        facts["completion_filed"] = True

    if facts.get("quality_and_fire_accepted") is True:
        facts["fire_acceptance_done"] = True  # 消防验收合格 is part of that fact
    elif completion is not None and completion < _FIRE_EXEMPT_BEFORE:
        facts["fire_acceptance_done"] = not _chance(rng, 0.75)
    elif start is not None and start >= _FIRE_WINDOW_END:
        facts["fire_acceptance_done"] = not _chance(rng, 0.5)
    else:
        facts["fire_acceptance_done"] = not _chance(rng, 0.35)
    if old and facts["fire_acceptance_done"] is False:
        altered = _maybe(rng, _chance(rng, 0.12))
        if altered is not None:
            facts["altered_or_expanded"] = altered

    in_litigation = _chance(rng, 0.06)
    facts["in_litigation"] = in_litigation
    if in_litigation:
        at_fault = _maybe(rng, _chance(rng, 0.15))
        if at_fault is not None:
            facts["buyers_at_fault"] = at_fault

    if project_type == "affordable":
        facts["oversize_units"] = rng.randint(1, 60) if _chance(rng, 0.4) else 0
    return facts


def _names(
    rng: random.Random, district: str, project_type: str, street: str, government_led: bool | None
) -> tuple[str, str, bool]:
    """(project name, developer, developer still exists) for one synthetic project."""
    word = rng.choice(_NAME_WORDS)
    district_name = DISTRICTS[district].name
    if project_type in _UNIT_SUFFIX:
        short, full = _UNIT_LEVEL[district]
        unit = rng.choice(_WORK_UNITS)
        exists = _chance(rng, 0.3)  # most such work units were restructured or closed
        if exists:
            developer = f"{full}{unit}"
        else:
            developer = f"原{full}{unit}" + rng.choice(("（已改制）", "（已破产）", "（已关闭）"))
        return f"{street}原{short}{unit}{_UNIT_SUFFIX[project_type]}", developer, exists
    if project_type in _POLICY_SUFFIX and government_led:
        developer = f"{district_name}{_PUBLIC_BUILDER[project_type]}"
        return f"{street}{word}{_POLICY_SUFFIX[project_type]}", developer, True
    exists = not _chance(rng, 0.2)
    company = rng.choice(("石嘴山市{}房地产开发有限公司", "宁夏{}置业有限公司")).format(
        rng.choice(_NAME_WORDS)
    )
    developer = company + ("" if exists else rng.choice(("（已注销）", "（已吊销）")))
    suffix = _POLICY_SUFFIX.get(project_type) or rng.choice(_NAME_SUFFIXES)
    phase = rng.choice(("", "", "", "二期", "三期"))
    return f"{street}{word}{suffix}{phase}", developer, exists


def _notes(classification: Classification) -> str:
    """A short caseworker-style note naming the open problems."""
    problems = [DEFECT_TYPES[d.type].name for d in classification.defects]
    problems += [f"{DEFECT_TYPES[r.type].name}（待研判）" for r in classification.needs_review]
    if not problems:
        return "问题已化解，全部办证。"
    return "；".join(problems) + "。"


def generate_projects(
    n: int, seed: int, boundaries: DistrictBoundaries | None = None
) -> list[Project]:
    """`n` synthetic projects like the demo ledger, identical for identical (n, seed)."""
    if n < 0:
        raise ValueError("n must not be negative")
    rng = random.Random(seed)
    boundaries = boundaries or default_boundaries()
    districts = list(_DISTRICT_WEIGHTS)
    district_weights = list(_DISTRICT_WEIGHTS.values())
    types = list(_TYPE_PROFILES)
    type_weights = [p.weight for p in _TYPE_PROFILES.values()]
    rows: list[Project] = []
    for _ in range(n):
        district = _weighted(rng, districts, district_weights)
        clusters = _CLUSTERS[district]
        cluster = rng.choices(clusters, weights=[c.weight for c in clusters])[0]
        street = rng.choice(cluster.streets)
        project_type = _weighted(rng, types, type_weights)
        profile = _TYPE_PROFILES[project_type]
        government_led: bool | None = False
        if project_type in _POLICY_TYPES:
            government_led = _maybe(rng, _chance(rng, 0.85))
        name, developer, developer_exists = _names(
            rng, district, project_type, street, government_led
        )
        start, completion = _dates(rng, profile)
        facts = _random_facts(
            rng, project_type, start, completion, government_led, developer_exists
        )
        classification = classify(parse_facts(facts))
        total = rng.randint(profile.min_households, profile.max_households)
        open_items = classification.defects or classification.needs_review
        certified = rng.randint(0, total * 7 // 10) if open_items else total
        lon, lat = _place(rng, boundaries, DISTRICTS[district].adcode, cluster)
        rows.append(
            {
                "name": name,
                "district": district,
                "address": f"{DISTRICTS[district].name}{street}{rng.randint(1, 300)}号",
                "developer": developer,
                "developer_exists": developer_exists,
                "total_households": total,
                "certified_households": certified,
                "lon": lon,
                "lat": lat,
                "leader": rng.choice(_LEADERS[district]),
                "notes": _notes(classification),
                "facts": facts,
            }
        )
    return _with_codes(rows)
