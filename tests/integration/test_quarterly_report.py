"""The quarterly written report (附件3 四(二)): every number read back from the .docx equals the
figure recomputed from the database as of the quarter's last day, and later history changes
nothing in it."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess

import pytest

from app.services.report_document import build_quarterly
from app.services.report_docx import write_docx
from app.services.report_pdf import write_pdf
from app.services.reporting import system_scope
from cases.reporting import parse_quarter
from cases.taxonomy import DEFECT_TYPES, DEPARTMENTS, DISTRICTS
from tests.report_support import (
    Q3_END,
    Q3_START,
    build_q3,
    change_history_after_q3,
    expected,
    numbers,
    read_docx,
)

SIGNED = dt.date(2025, 3, 3)
SHORT = {
    "land": "用地手续",
    "arrears": "欠缴价款税费",
    "deed_tax": "契税申报",
    "planning": "规划核实",
    "completion": "竣工验收备案",
    "fire": "消防验收",
    "litigation": "涉法涉诉",
    "oversize": "经适房超面积",
}


def _report(district: str | None = None, quarter: str = "2024Q3") -> bytes:
    document = build_quarterly(system_scope(district), parse_quarter(quarter), SIGNED)
    return write_docx(document)


def _row(table: list[list[str]], first: str) -> list[str]:
    rows = [r for r in table if r[0] == first]
    assert len(rows) == 1, (first, table)
    return rows[0]


def test_the_scenario_is_the_one_worked_out_by_hand(app, factory, clock):
    build_q3(app, factory, clock)
    with app.app_context():
        exp = expected(Q3_END, Q3_START)
    overall = exp["overall"]
    assert (overall["projects"], overall["households"], overall["certified"]) == (4, 300, 60)
    assert (overall["rate"], overall["in_period"], overall["resolved"]) == ("20.0%", 40, 1)
    d = overall["defects"]
    assert (d["total"], d["closed"], d["open"], d["overdue"], d["closed_in_period"]) == (
        5,
        1,
        4,
        2,
        1,
    )
    assert exp["by_lead"]["tax"]["total"] == 2  # the October 改派 to 住建局 is not yet


def test_every_number_in_the_tables_and_the_text_matches_the_database(app, factory, clock):
    build_q3(app, factory, clock)
    with app.app_context():
        parsed = read_docx(_report())
        exp = expected(Q3_END, Q3_START)
    o, d = exp["overall"], exp["overall"]["defects"]

    # Form: title, addressee, the six sections, fonts.
    assert parsed.paragraphs[0] == "关于全面化解城镇住宅“办证难”问题工作进展情况的报告"
    assert parsed.paragraphs[1] == "（2024年第三季度）"
    assert "市人民政府：" in parsed.paragraphs
    assert parsed.headings == [
        "一、总体进展",
        "二、分类化解情况",
        "三、分县区推进情况",
        "四、牵头部门履职情况",
        "五、存在的问题",
        "六、下一步工作",
    ]
    assert (parsed.body_font, parsed.heading_font) == ("仿宋_GB2312", "黑体")
    assert "2025年3月3日" in parsed.paragraphs

    key = {r[0]: r[1] for r in parsed.tables["表1 总体进展情况"][1:]}
    assert key == {
        "纳入台账项目（个）": str(o["projects"]),
        "涉及户数（户）": str(o["households"]),
        "已办证户数（户）": str(o["certified"]),
        "未办证户数（户）": str(o["uncertified"]),
        "办证率": o["rate"],
        "本季度新办证户数（户）": str(o["in_period"]),
        "问题总数（个）": str(d["total"]),
        "已销号（个）": str(d["closed"]),
        "未销号（个）": str(d["open"]),
        "销号率": d["rate"],
        "本季度销号（个）": str(d["closed_in_period"]),
        "逾期未销号（个）": str(d["overdue"]),
        "已全面化解项目（个）": str(o["resolved"]),
    }

    types = parsed.tables["表2 分类化解情况（附件3 三(一)）"]
    for code, spec in DEFECT_TYPES.items():
        c = exp["by_type"][code]
        row = _row(types, spec.name)
        assert row[2] == DEPARTMENTS[spec.lead].name
        assert row[3:] == [
            str(c["total"]),
            str(c["closed"]),
            str(c["open"]),
            str(c["overdue"]),
            c["rate"],
            str(c["closed_in_period"]),
        ], code
    assert _row(types, "合计")[3:] == [
        str(d["total"]),
        str(d["closed"]),
        str(d["open"]),
        str(d["overdue"]),
        d["rate"],
        str(d["closed_in_period"]),
    ]

    districts = parsed.tables["表3 分县区推进情况"]
    for code, district in DISTRICTS.items():
        a = exp["by_district"][code]
        assert _row(districts, district.name)[1:] == [
            str(a["projects"]),
            str(a["households"]),
            str(a["certified"]),
            a["rate"],
            str(a["defects"]["total"]),
            str(a["defects"]["closed"]),
            str(a["defects"]["overdue"]),
            a["defects"]["rate"],
        ]
    assert _row(districts, "合计")[1:3] == [str(o["projects"]), str(o["households"])]

    matrix = parsed.tables["表4 分县区、分类型问题数（未销号/总数）"]
    assert matrix[0] == ["县区", *SHORT.values()]
    for code, district in DISTRICTS.items():
        cells = _row(matrix, district.name)[1:]
        for cell, type_code in zip(cells, DEFECT_TYPES, strict=True):
            c = exp["by_district_type"][(code, type_code)]
            assert cell == (f"{c['open']}/{c['total']}" if c["total"] else "—"), (code, type_code)

    leads = parsed.tables["表5 牵头部门履职情况"]
    assert [r[0] for r in leads[1:]] == [DEPARTMENTS[c].name for c in exp["by_lead"]]
    for code, c in exp["by_lead"].items():
        assert _row(leads, DEPARTMENTS[code].name)[1:6] == [
            str(c["total"]),
            str(c["closed"]),
            str(c["open"]),
            str(c["overdue"]),
            c["rate"],
        ]
    # 住建局's one 销号: 交办 2024-03-05, 销号 2024-09-30 = 209 days; the others none yet.
    assert _row(leads, "市住房和城乡建设局")[6] == "209"
    assert _row(leads, "市税务局")[6] == "—"

    items, projects = exp["items"], exp["projects"]
    overdue = parsed.tables[f"表6 逾期未销号问题（逾期时间最长的{len(exp['overdue'])}个）"]
    shown = {(r[1], r[3], r[6]) for r in overdue[1:]}
    want = set()
    for item_id in exp["overdue"]:
        item = items[item_id]
        p = projects[item.project_id]
        want.add((f"{p.name}（{p.code}）", DEFECT_TYPES[item.type].name, "30"))
    assert shown == want
    escalated = parsed.tables["表7 提级督办问题"]
    assert [(r[3], r[5], r[6]) for r in escalated[1:]] == [
        ("无法取得销售不动产发票的契税申报", "开发企业已注销", "待销号")
    ]
    pending = parsed.tables["表8 待政府同意事项"]
    assert [r[1:] for r in pending[1:]] == [
        [
            f"{projects[items[exp['pending'][0]].project_id].name}"
            f"（{projects[items[exp['pending'][0]].project_id].code}）",
            "惠农区",
            "欠缴土地出让价款、相关税费",
            "2024-08-01",
            "60",
        ]
    ]

    # The numbers in the words, paragraph by paragraph (default wording).
    overall_text = parsed.sections["一、总体进展"]
    assert numbers(overall_text[0]) == [
        "2024", "9", "30", str(o["projects"]), str(o["households"]), str(o["certified"]),
        o["rate"], str(o["uncertified"]), "2024", str(o["in_period"]),
    ]  # fmt: skip
    assert numbers(overall_text[1]) == [
        "3", str(d["total"]), str(d["closed"]), d["rate"], "2024", str(d["closed_in_period"]),
        str(d["open"]), str(d["overdue"]), str(o["resolved"]),
    ]  # fmt: skip
    present = [c for c in DEFECT_TYPES if exp["by_type"][c]["total"]]
    type_text = parsed.sections["二、分类化解情况"]
    assert len(type_text) == len(present)
    for paragraph, code in zip(type_text, present, strict=True):
        c = exp["by_type"][code]
        clause = re.findall(r"\d+", DEFECT_TYPES[code].clause)
        assert DEFECT_TYPES[code].name in paragraph
        assert numbers(paragraph) == [
            *clause, str(c["total"]), str(c["closed"]), c["rate"], str(c["open"]),
            str(c["overdue"]), "2024", str(c["closed_in_period"]),
        ]  # fmt: skip
    district_text = parsed.sections["三、分县区推进情况"]
    for paragraph, code in zip(district_text, DISTRICTS, strict=False):
        a = exp["by_district"][code]
        assert paragraph.startswith(DISTRICTS[code].name)
        assert numbers(paragraph) == [
            str(a["projects"]), str(a["households"]), str(a["certified"]), a["rate"],
            str(a["defects"]["total"]), str(a["defects"]["closed"]), a["defects"]["rate"],
            str(a["defects"]["overdue"]),
        ]  # fmt: skip
    # Slowest: 平罗县 and 惠农区 both 0.0%; 平罗县 has the overdue item.
    assert district_text[-1].startswith("从销号进度看，平罗县销号率最低")
    assert numbers(district_text[-1]) == ["0.0%", "1"]
    lead_text = parsed.sections["四、牵头部门履职情况"]
    for paragraph, (code, c) in zip(lead_text, exp["by_lead"].items(), strict=True):
        assert paragraph.startswith(DEPARTMENTS[code].name)
        tail = ["209"] if code == "housing" else []
        assert numbers(paragraph) == [
            str(c["total"]), str(c["closed"]), c["rate"], str(c["open"]), str(c["overdue"]), *tail,
        ]  # fmt: skip
    problems = parsed.sections["五、存在的问题"]
    assert numbers(problems[0]) == ["2024", "9", "30", str(d["overdue"]), str(len(exp["overdue"]))]
    assert numbers(problems[1]) == ["1"]  # 提级督办, still open at the quarter's end
    assert numbers(problems[2]) == ["3", "2", "4", str(len(exp["pending"]))]
    steps = parsed.sections["六、下一步工作"]
    assert numbers(steps[0]) == [str(d["overdue"])]
    assert numbers(steps[1]) == [str(len(exp["pending"]))]
    assert numbers(steps[2]) == ["2024", "11", "3", "1"]


def test_history_after_the_quarter_end_does_not_change_the_quarters_report(app, factory, clock):
    s = build_q3(app, factory, clock)
    with app.app_context():
        before = read_docx(_report())
        before_dwk = read_docx(_report("dwk"))
    change_history_after_q3(app, clock, s)
    with app.app_context():
        after = read_docx(_report())
        after_dwk = read_docx(_report("dwk"))
        q4 = read_docx(_report(quarter="2024Q4"))
        exp_q4 = expected(dt.date(2024, 12, 31), dt.date(2024, 10, 1))
    assert after.tables == before.tables
    assert after.sections == before.sections
    assert after.paragraphs == before.paragraphs
    assert after_dwk.tables == before_dwk.tables
    # The later quarter does see the new history.
    key = {r[0]: r[1] for r in q4.tables["表1 总体进展情况"][1:]}
    assert key["已销号（个）"] == str(exp_q4["overall"]["defects"]["closed"]) == "4"
    assert key["已办证户数（户）"] == str(exp_q4["overall"]["certified"]) == "105"
    assert key["纳入台账项目（个）"] == "5"
    # 住建局 now leads P1, P4 and P5 fire and, after the 改派, P4 deed tax.
    assert _row(q4.tables["表5 牵头部门履职情况"], "市住房和城乡建设局")[1] == "4"


def test_a_district_report_counts_only_that_district(app, factory, clock):
    build_q3(app, factory, clock)
    with app.app_context():
        parsed = read_docx(_report("dwk"))
        exp = expected(Q3_END, Q3_START, district="dwk")
    assert parsed.paragraphs[1] == "（2024年第三季度·大武口区）"
    districts = parsed.tables["表3 分县区推进情况"]
    assert [r[0] for r in districts[1:]] == ["大武口区", "合计"]
    key = {r[0]: r[1] for r in parsed.tables["表1 总体进展情况"][1:]}
    assert key["纳入台账项目（个）"] == str(exp["overall"]["projects"]) == "2"
    assert key["涉及户数（户）"] == "160"
    assert key["问题总数（个）"] == str(exp["overall"]["defects"]["total"]) == "3"


def test_the_pdf_carries_the_same_text_and_tables_as_the_word_file(app, factory, clock):
    build_q3(app, factory, clock)
    with app.app_context():
        document = build_quarterly(system_scope(), parse_quarter("2024Q3"), SIGNED)
        parsed = read_docx(write_docx(document))
        pdf = write_pdf(document)
    assert pdf.startswith(b"%PDF")
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    text = subprocess.run(
        ["pdftotext", "-raw", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode("utf-8")
    # Page numbers ("— 2 —") may fall inside a paragraph that runs over a page.
    flat = re.sub(r"—\d+—", "", re.sub(r"\s+", "", text))
    for paragraph in parsed.paragraphs:
        assert re.sub(r"\s+", "", paragraph) in flat, paragraph
    for caption, rows in parsed.tables.items():
        assert re.sub(r"\s+", "", caption) in flat
        for row in rows:
            for cell in row:
                assert re.sub(r"\s+", "", cell) in flat, (caption, cell)
