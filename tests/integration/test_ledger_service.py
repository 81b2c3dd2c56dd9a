"""app.services.ledger on the database: round trip, edits, all-or-nothing, scoping, audit."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.demo.dataset import demo_projects
from app.demo.loader import load_projects
from app.extensions import db
from app.models import (
    AuditEvent,
    CertificateEntry,
    Defect,
    DefectEvent,
    LedgerImport,
    Project,
    User,
)
from app.services import ledger as service
from app.services import projects
from app.services.errors import Forbidden, InvalidInput
from app.services.projects import ProjectFilters
from cases.ledger import DEFECT_SHEET, NOTES_SHEET, OPTIONS_SHEET, PROJECT_COLUMNS, PROJECT_SHEET
from tests.checks import is_chinese
from tests.factories import FIRE_WINDOW_FACTS, TODAY
from tests.ledger_book import HEADER, edit, table, workbook

NOW = dt.datetime(2026, 11, 27, 2, 0, tzinfo=dt.UTC)


@pytest.fixture()
def users(app_ctx, factory) -> dict[str, User]:
    recs = {
        "caseworker": factory.user("caseworker", username="ledger_cw"),
        "dwk": factory.user("district", username="ledger_dwk", district="dwk"),
        "leader": factory.user("leader", username="ledger_leader"),
        "department": factory.user("department", username="ledger_dep"),
    }
    return {k: db.session.get(User, r.id) for k, r in recs.items()}


@pytest.fixture()
def demo(users) -> int:
    return load_projects(demo_projects(), TODAY)


def _export(user: User | None, fmt: str = "xlsx", **filters: str) -> bytes:
    return service.export_ledger(user, ProjectFilters(**filters), fmt, NOW).data


def _import(user: User | None, data: bytes, mode: str = "apply", name: str = "台账.xlsx"):
    return service.import_ledger(user, name, data, TODAY, mode=mode)  # type: ignore[arg-type]


def _state() -> dict[str, object]:
    """What an import could change: every project row and version, defects, history."""
    return {
        "projects": sorted(
            db.session.execute(
                select(
                    Project.code,
                    Project.version,
                    Project.name,
                    Project.total_households,
                    Project.facts,
                )
            ).all()
        ),
        "defects": sorted(
            db.session.execute(select(Defect.project_id, Defect.type, Defect.status)).all()
        ),
        "events": db.session.scalar(select(func.count(DefectEvent.id))),
        "certificates": db.session.scalar(select(func.count(CertificateEntry.id))),
        "project_audit": db.session.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.action.like("project.%"))
        ),
    }


# ---------------------------------------------------------------- round trip


def test_an_exported_demo_ledger_imports_to_no_change(users, demo):
    assert demo == 60
    data = _export(users["caseworker"])
    before = _state()
    record = _import(users["caseworker"], data)
    assert record.status == "applied", record.problems
    assert (record.row_count, record.created_count, record.updated_count) == (60, 0, 0)
    assert record.unchanged_count == 60
    assert record.disagreements == [] and record.warnings == []
    assert _state() == before
    assert record.sha256 == service.stored_sha256(data)
    imports = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "ledger.import"))
    assert [a.changes["updated"] for a in imports] == [0]


def _pick(rows, district: str, predicate=lambda r: True) -> dict:
    return next(r for r in rows if r["县区"] == district and predicate(r))


def test_edited_cells_change_exactly_those_projects_with_audit_rows(users, demo):
    data = _export(users["caseworker"])
    rows = table(data)
    bigger = _pick(rows, "大武口区")
    earlier = _pick(rows, "惠农区", lambda r: r["开工日期"] and r["建成日期"])
    sued = _pick(rows, "平罗县", lambda r: r["涉法涉诉"] != "是" and r["群众有过错"] != "是")
    start = earlier["开工日期"] - dt.timedelta(days=400)
    edited = edit(
        data,
        {
            (bigger["项目编号"], "总户数"): bigger["总户数"] + 10,
            (earlier["项目编号"], "开工日期"): start.strftime("%Y年%m月%d日"),
            (sued["项目编号"], "涉法涉诉"): "√",
        },
    )
    before = _state()
    record = _import(users["caseworker"], edited)
    assert record.status == "applied", record.problems
    assert (record.updated_count, record.unchanged_count, record.created_count) == (3, 57, 0)
    audits = {
        a.entity_id: a
        for a in db.session.scalars(select(AuditEvent).where(AuditEvent.action == "project.update"))
    }
    assert set(audits) == {bigger["项目编号"], earlier["项目编号"], sued["项目编号"]}
    assert audits[bigger["项目编号"]].changes["fields"] == {
        "total_households": [bigger["总户数"], bigger["总户数"] + 10]
    }
    assert audits[earlier["项目编号"]].changes["fields"]["construction_start_date"][1] == (
        start.date().isoformat()
    )
    assert audits[sued["项目编号"]].changes["fields"]["facts"][1]["in_litigation"] is True
    assert all(a.changes["ledger"] == record.sha256 for a in audits.values())
    assert all(a.actor_name == "ledger_cw" for a in audits.values())
    # Only these three projects moved; the litigation defect is new, with its history row.
    after = _state()
    changed = {p[0] for p in after["projects"]} - set()
    moved = {a[0] for a, b in zip(after["projects"], before["projects"], strict=True) if a != b}
    assert moved == set(audits) and changed
    litigation = db.session.scalars(
        select(Defect)
        .join(Project)
        .where(Project.code == sued["项目编号"], Defect.type == "litigation")
    ).one()
    assert litigation.status == "registered" and litigation.path == "court_coordination"
    assert (
        db.session.scalar(
            select(func.count(DefectEvent.id)).where(DefectEvent.defect_id == litigation.id)
        )
        == 1
    )
    assert {c["code"] for c in record.changes} == set(audits)


def test_a_changed_certified_count_leaves_a_correction_entry(users, demo):
    data = _export(users["caseworker"])
    row = _pick(table(data), "大武口区", lambda r: r["总户数"] > r["已办证户数"])
    record = _import(
        users["caseworker"], edit(data, {(row["项目编号"], "已办证户数"): row["已办证户数"] + 1})
    )
    assert record.status == "applied" and record.updated_count == 1
    entry = db.session.scalars(
        select(CertificateEntry).where(CertificateEntry.kind == "correction")
    ).one()
    assert entry.households == 1 and entry.entry_date == TODAY


def test_sheet_two_statuses_are_not_imported(users, demo):
    data = _export(users["caseworker"])
    first = table(data, DEFECT_SHEET)[0]
    edited = edit(data, {(first["项目编号"], "当前状态"): "已销号"}, sheet=DEFECT_SHEET)
    before = _state()
    record = _import(users["caseworker"], edited)
    assert record.status == "applied" and record.updated_count == 0
    assert _state() == before
    assert all(d.status == "registered" for d in db.session.scalars(select(Defect)))


# ---------------------------------------------------------------- new rows, repeats, dry runs


NEW_ROWS = [
    (1, None, "星海新村", "大武口区", 120, 0, "2005-03-01", "否"),
    (2, "", "河滨小区", "惠农区", "80户", "8", "2006/4/1", ""),
]


def test_new_rows_get_codes_after_the_stored_and_the_written_ones(users):
    projects.create_project(
        users["caseworker"], projects.ProjectInput(name="已有", district="dwk"), TODAY
    )
    data = workbook([*NEW_ROWS, (3, "DWK-0007", "写明编号", "大武口区", 10, 0, None, None)])
    record = _import(users["caseworker"], data)
    assert record.status == "applied", record.problems
    codes = dict(db.session.execute(select(Project.name, Project.code)).all())
    assert codes == {
        "已有": "DWK-0001",
        "写明编号": "DWK-0007",
        "星海新村": "DWK-0008",
        "河滨小区": "HN-0001",
    }
    hn = db.session.scalars(select(Project).where(Project.code == "HN-0001")).one()
    assert (hn.total_households, hn.certified_households) == (80, 8)
    assert hn.construction_start_date == dt.date(2006, 4, 1)


def test_the_same_file_applied_twice_changes_nothing_the_second_time(users):
    data = workbook(NEW_ROWS)
    first = _import(users["caseworker"], data)
    assert first.status == "applied" and first.created_count == 2
    before = _state()
    second = _import(users["caseworker"], data)
    assert second.status == "duplicate"
    assert (second.created_count, second.updated_count) == (0, 0)
    assert f"第 {first.id} 号导入记录" in second.problems[0]
    assert _state() == before
    statuses = db.session.scalars(select(LedgerImport.status).order_by(LedgerImport.id)).all()
    assert statuses == ["applied", "duplicate"]


def test_a_dry_run_reports_what_would_change_and_changes_nothing(users):
    before = _state()
    record = _import(users["caseworker"], workbook(NEW_ROWS), mode="dry_run")
    assert record.status == "dry_run" and record.created_count == 2
    assert [c["name"] for c in record.changes] == ["星海新村", "河滨小区"]
    assert _state() == before
    assert record.content is None


def test_a_preview_keeps_the_file_until_it_is_confirmed(users):
    data = workbook(NEW_ROWS)
    record = _import(users["caseworker"], data, mode="preview")
    assert record.status == "previewed" and record.content == data
    assert db.session.scalar(select(func.count(Project.id))) == 0
    applied = service.confirm_import(
        users["caseworker"], record.id, record.version, TODAY, confirmed=False
    )
    assert applied.status == "applied" and applied.content is None
    assert db.session.scalar(select(func.count(Project.id))) == 2
    with pytest.raises(InvalidInput):
        service.confirm_import(
            users["caseworker"], record.id, applied.version, TODAY, confirmed=True
        )


# ---------------------------------------------------------------- all or nothing


def test_one_bad_row_among_thousands_changes_nothing(users):
    names = ("大武口区", "惠农区", "平罗县")
    rows = [
        (i, None, f"第{i}号小区", names[i % 3], 50, 5, "2005-03-01", "否") for i in range(1, 2001)
    ]
    # The last row fails a rule of the form, after 1999 rows were written in the transaction.
    rows[-1] = (2000, None, "最后一个小区", "平罗县", 10, 12, "2005-03-01", "否")
    record = _import(users["caseworker"], workbook(rows, write_only=True))
    assert record.status == "rejected"
    assert record.problems == ["「项目台账」第2002行『已办证户数』已办证户数不能大于总户数。"]
    assert record.created_count == 0 and record.problem_count == 1
    assert db.session.scalar(select(func.count(Project.id))) == 0
    assert (
        db.session.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.action.like("project.%"))
        )
        == 0
    )


def test_every_problem_of_a_file_is_listed_by_sheet_row_and_column(users):
    rows = [
        (1, None, "甲", "大武口区", 10, 0, "2003年13月", "否"),
        (2, None, "乙", "火星区", "很多", 0, "2003-05-01", "也许"),
        (3, None, "", "惠农区", 10, 0, None, None),
        (4, "DWK-0001", "丁", "大武口区", 10, 0, None, None),
        (5, "DWK-0001", "戊", "大武口区", 10, 0, None, None),
        (6, None, "己", "平罗县", 10, 0, "2030-01-01", None),
    ]
    record = _import(users["caseworker"], workbook(rows))
    assert record.status == "rejected"
    assert record.problems == [
        "「项目台账」第3行『开工日期』无法识别：2003年13月",
        "「项目台账」第4行『县区』无法识别：火星区",
        "「项目台账」第4行『总户数』无法识别：很多",
        "「项目台账」第4行『涉法涉诉』无法识别：也许（应填“是”或“否”）",
        "「项目台账」第5行『项目名称』此项为必填项。",
        "「项目台账」第7行『项目编号』DWK-0001 与第6行重复。",
        "「项目台账」第8行『开工日期』日期不能晚于今天。",
    ]
    assert db.session.scalar(select(func.count(Project.id))) == 0


# ---------------------------------------------------------------- what real sheets contain


def test_a_real_district_sheet_with_all_its_quirks_imports(users, app):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append(["惠农区城镇住宅“办证难”问题台账（2024年6月）"])
    ws.merge_cells("A1:N1")
    ws.append(["填报单位：惠农区住建局", None, None, "填报日期：2024.6"])
    ws.append([
        "序号", "小区名称", "所属县区", "地址", "开发单位", "开发建设单位是否存续", "项目类型",
        "开工日期（住建部门认定）", "竣工日期", "总户数", "已办证户数", "联系人", "涉法涉诉",
        "已办理消防验收（备案）",
    ])  # fmt: skip
    quirks = [
        ("1", "　星海新村　", "惠农", "惠农区北街１号", "原惠农房产公司", "×", "商品房",
         37742, "2005/10/1", "１２０", "１，２", "张工", "否", "否"),
        (2, "河滨花园", "惠农区", "", "", "√", "经济适用房",
         "2003.5", "2006年8月", "80户", 0, "", "是", "不详"),
        (3, "工人村", "640205", None, None, "是", "房改房",
         2003.5, dt.datetime(2005, 1, 1), " 36 ", "0", "", "", ""),
    ]  # fmt: skip
    for row in quirks:
        ws.append(list(row))
    ws.append(["合计", None, None, None, None, None, None, None, None, 236, 12])
    for blank in range(20, 40):  # formatted but empty rows under the table
        ws.cell(row=blank, column=2).number_format = "@"
    out = io.BytesIO()
    wb.save(out)
    record = _import(users["caseworker"], out.getvalue(), name="惠农区台账.xlsx")
    assert record.status == "applied", record.problems
    assert record.created_count == 3
    assert any("联系人" in w for w in record.warnings)
    assert any("合计行" in w for w in record.warnings)
    stored = {p.name: p for p in db.session.scalars(select(Project))}
    assert set(stored) == {"星海新村", "河滨花园", "工人村"}
    first = stored["星海新村"]
    assert (first.district_code, first.address, first.developer_exists) == (
        "hn",
        "惠农区北街１号",
        False,
    )
    assert first.construction_start_date == dt.date(2003, 5, 1)  # serial 37742
    assert first.completion_date == dt.date(2005, 10, 1)
    assert (first.total_households, first.certified_households) == (120, 12)
    assert first.facts["fire_acceptance_done"] is False and first.facts["in_litigation"] is False
    second = stored["河滨花园"]
    assert second.project_type == "affordable" and second.developer_exists is True
    assert second.construction_start_date == dt.date(2003, 5, 1)
    assert second.completion_date == dt.date(2006, 8, 1)
    assert "fire_acceptance_done" not in second.facts and second.facts["in_litigation"] is True
    third = stored["工人村"]
    assert third.construction_start_date == dt.date(2003, 5, 1)  # 2003.5 typed as a number
    assert third.total_households == 36 and third.project_type == "reform"
    assert {d.type for d in first.defects} >= {"fire"}


# ---------------------------------------------------------------- scoping


def test_a_district_user_imports_only_its_own_districts_rows(users):
    hn = projects.create_project(
        users["caseworker"], projects.ProjectInput(name="惠农项目", district="hn"), TODAY
    ).project
    rows = [
        (1, None, "本区新项目", "大武口区", 10, 0, None, None),
        (2, None, "外区新项目", "惠农区", 10, 0, None, None),
        (3, hn.code, "改外区项目", "惠农区", 10, 0, None, None),
    ]
    before = _state()
    record = _import(users["dwk"], workbook(rows))
    assert record.status == "rejected"
    assert record.problems == [
        "「项目台账」第4行『县区』惠农区不在您的管辖范围内，不能导入该行。",
        f"「项目台账」第5行『项目编号』{hn.code} 是惠农区的项目，您不能导入该行。",
    ]
    assert _state() == before
    assert record.district_code == "dwk"
    ok = _import(users["dwk"], workbook(rows[:1]))
    assert ok.status == "applied" and ok.created_count == 1


def test_a_district_user_cannot_move_a_project_to_another_district(users):
    own = projects.create_project(
        users["dwk"],
        projects.ProjectInput(name="本区项目", district="dwk", total_households=5),
        TODAY,
    ).project
    data = _export(users["dwk"])
    record = _import(users["dwk"], edit(data, {(own.code, "县区"): "平罗县"}))
    assert record.status == "rejected"
    assert record.problems == ["「项目台账」第4行『县区』县区用户不能把项目移到其他县区。"]


def test_exports_hold_what_the_user_may_see_under_the_filters(users, demo):
    district = [r["县区"] for r in table(_export(users["dwk"]))]
    assert district and set(district) == {"大武口区"}
    assert set(r["县区"] for r in table(_export(users["caseworker"], district="hn"))) == {"惠农区"}
    fire = table(_export(users["leader"], type="fire"), DEFECT_SHEET)
    codes = {r["项目编号"] for r in fire}
    assert codes and all(
        any(d.type == "fire" for d in p.defects)
        for p in db.session.scalars(select(Project).where(Project.code.in_(codes)))
    )
    with pytest.raises(Forbidden):
        _export(users["department"])
    with pytest.raises(Forbidden):
        _import(users["leader"], workbook(NEW_ROWS))
    with pytest.raises(InvalidInput):
        _export(users["caseworker"], district="mars")


# ---------------------------------------------------------------- stale files, engine


def test_a_row_edited_in_a_file_older_than_the_projects_last_change_is_refused(users, monkeypatch):
    from app import clock

    created = projects.create_project(
        users["caseworker"],
        projects.ProjectInput(name="星海", district="dwk", total_households=100),
        TODAY,
    ).project
    other = projects.create_project(
        users["caseworker"],
        projects.ProjectInput(name="河滨", district="dwk", total_households=50),
        TODAY,
    ).project
    data = _export(users["caseworker"])
    later = clock.now() + dt.timedelta(hours=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    data_in = projects.project_input(created)
    projects.update_project(
        users["dwk"], created.code, projects.dataclasses.replace(data_in, leader="王区长"),
        created.version, TODAY,
    )  # fmt: skip
    stale = _import(users["caseworker"], edit(data, {(created.code, "总户数"): 101}))
    assert stale.status == "rejected"
    assert len(stale.problems) == 1 and "『最后更新时间』该项目已于" in stale.problems[0]
    assert "ledger_dwk" in stale.problems[0] and "请重新导出" in stale.problems[0]
    # Untouched, that old row would still undo the district's edit: refused all the same.
    untouched = _import(users["caseworker"], edit(data, {(other.code, "总户数"): 51}))
    assert untouched.status == "rejected"
    assert untouched.problems[0].startswith("「项目台账」第4行『最后更新时间』该项目已于")
    # A fresh export carries the new time: the same edits go through.
    fresh = _export(users["caseworker"])
    record = _import(users["caseworker"], edit(fresh, {(created.code, "总户数"): 101}))
    assert record.status == "applied" and record.updated_count == 1
    assert db.session.get(Project, created.id).leader == "王区长"


def test_disagreements_between_the_sheet_and_the_engine_are_listed(users):
    rows = [(1, None, "星海", "大武口区", 10, 0, None, "是")]
    defects = [(None, "星海", "用地手续不完善"), (None, "无此项目", "未办理消防验收")]
    record = _import(users["caseworker"], workbook(rows, defects=defects), mode="preview")
    assert record.status == "previewed"
    assert record.disagreements == [
        "「项目台账」第3行 新项目 星海：表中列有『用地手续不完善』，按导入的事实引擎未认定此问题",
        "「项目台账」第3行 新项目 星海：引擎按导入的事实认定『涉法涉诉类“办证难”』"
        "（附件3 三(一)7），表中未列出",
    ]
    assert any("无此项目" in w and "未比对" in w for w in record.warnings)


# ---------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("name", "says"),
    [("台账.xlsm", "启用宏"), ("台账.xls", ".xls"), ("台账.csv", "CSV")],
)
def test_a_refused_file_is_recorded_and_changes_nothing(users, name, says):
    before = _state()
    record = _import(users["caseworker"], workbook(NEW_ROWS), name=name)
    assert record.status == "rejected" and says in record.problems[0]
    assert is_chinese(record.problems[0])
    assert len(record.sha256) == 64 and record.filename == name
    assert _state() == before


def test_the_row_limit_refuses_a_longer_sheet(users, app, monkeypatch):
    monkeypatch.setitem(app.config, "LEDGER_MAX_ROWS", 1)
    record = _import(users["caseworker"], workbook(NEW_ROWS))
    assert record.status == "rejected"
    assert record.problems == ["「项目台账」超过 1 行数据的上限，请分批导入（可按县区拆分）。"]


def test_the_size_limit_refuses_a_larger_file(users, app, monkeypatch):
    monkeypatch.setitem(app.config, "LEDGER_MAX_BYTES", 1024)
    record = _import(users["caseworker"], workbook(NEW_ROWS))
    assert record.status == "rejected" and "文件过大" in record.problems[0]


def test_a_workbook_without_a_ledger_header_is_refused(users):
    record = _import(users["caseworker"], workbook([("a", "b")], header=("甲", "乙")))
    assert record.status == "rejected"
    assert "没有找到项目台账的表头" in record.problems[0]


# ---------------------------------------------------------------- export details


FORMULAS = {
    "name": '=HYPERLINK("http://example.invalid","点我")',
    "developer": "+8613900000000",
    "address": "@SUM(A1:A9)",
    "leader": "-1+1",
}


def test_formula_like_text_is_neutralised_and_round_trips(users):
    projects.create_project(
        users["caseworker"],
        projects.ProjectInput(district="dwk", total_households=5, **FORMULAS),
        TODAY,
    )
    data = _export(users["caseworker"])
    ws = load_workbook(io.BytesIO(data))[PROJECT_SHEET]
    texts = [c for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert not [c.value for c in texts if c.value.startswith(("=", "+", "-", "@"))]
    assert {c.value for c in ws[4]} >= {"'" + v for v in FORMULAS.values()}
    assert all(c.data_type == "s" for c in ws[4] if isinstance(c.value, str))
    content = _export(users["caseworker"], "csv").decode("utf-8-sig")
    row = next(csv.DictReader(io.StringIO(content)))
    assert row["项目名称"] == "'" + FORMULAS["name"] and row["开发建设单位"] == "'+8613900000000"
    record = _import(users["caseworker"], data)
    assert record.status == "applied" and record.unchanged_count == 1
    assert db.session.scalar(select(Project.name)) == FORMULAS["name"]


def test_csv_is_sheet_one_with_a_bom(users, demo):
    data = _export(users["caseworker"], "csv", district="pl")
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == [c.header for c in PROJECT_COLUMNS]
    assert len(rows) - 1 == db.session.scalar(
        select(func.count(Project.id)).where(Project.district_code == "pl")
    )
    assert {r[3] for r in rows[1:]} == {"平罗县"}


def test_every_export_is_audited(users, demo):
    _export(users["leader"], "csv", district="hn")
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "ledger.export")).one()
    assert event.actor_name == "ledger_leader"
    assert event.changes["filters"] == {"district": "hn"} and event.changes["format"] == "csv"


def test_the_template_has_dropdowns_for_every_enumerated_column_and_notes():
    wb = load_workbook(io.BytesIO(service.template().data))
    assert wb.sheetnames == [PROJECT_SHEET, DEFECT_SHEET, NOTES_SHEET, OPTIONS_SHEET]
    assert wb[OPTIONS_SHEET].sheet_state == "hidden"
    ws = wb[PROJECT_SHEET]
    headers = {c.value: c.column_letter for c in ws[3]}
    covered = {
        str(v.sqref).split(":")[0].rstrip("0123456789") for v in ws.data_validations.dataValidation
    }
    enumerated = [c.header for c in PROJECT_COLUMNS if c.kind in ("bool", "enum")]
    assert enumerated and {headers[h] for h in enumerated} == covered
    second = wb[DEFECT_SHEET]
    second_headers = {c.value: c.column_letter for c in second[3]}
    second_covered = {
        str(v.sqref).split(":")[0].rstrip("0123456789")
        for v in second.data_validations.dataValidation
    }
    assert {second_headers[h] for h in ("问题类型", "牵头部门", "当前状态")} == second_covered
    notes = {row[1] for row in wb[NOTES_SHEET].iter_rows(values_only=True)}
    assert all(any(str(n).startswith(c.header) for n in notes) for c in PROJECT_COLUMNS)
    county = next(
        v for v in ws.data_validations.dataValidation if str(v.sqref).startswith(headers["县区"])
    )
    ref = county.formula1.split("!")[1].replace("$", "")
    values = [c.value for row in wb[OPTIONS_SHEET][ref] for c in row]
    assert values == ["大武口区", "惠农区", "平罗县"]


def test_a_blank_template_filled_in_imports(users):
    from openpyxl import load_workbook as load

    wb = load(io.BytesIO(service.template().data))
    ws = wb[PROJECT_SHEET]
    headers = {c.value: c.column for c in ws[3]}
    for column, value in {
        "项目名称": "模板项目",
        "县区": "平罗县",
        "总户数": 12,
        "涉法涉诉": "是",
    }.items():
        ws.cell(row=4, column=headers[column]).value = value
    out = io.BytesIO()
    wb.save(out)
    record = _import(users["caseworker"], out.getvalue())
    assert record.status == "applied", record.problems
    project = db.session.scalars(select(Project)).one()
    assert (project.code, project.name) == ("PL-0001", "模板项目")
    assert [d.type for d in project.defects] == ["litigation"]


def test_the_header_row_numbers_match_the_export(users):
    projects.create_project(
        users["caseworker"],
        projects.ProjectInput(name="星海", district="dwk", total_households=5),
        TODAY,
    )
    data = edit(_export(users["caseworker"]), {("DWK-0001", "开工日期"): "2003年13月"})
    record = _import(users["caseworker"], data)
    assert record.problems == ["「项目台账」第4行『开工日期』无法识别：2003年13月"]


def test_the_cli_system_actor_needs_no_account(users):
    record = service.import_ledger(
        None, "x.xlsx", workbook(NEW_ROWS), TODAY, mode="apply", source="cli"
    )
    assert record.status == "applied" and record.actor_name == "system" and record.user_id is None
    assert db.session.scalar(select(func.count(User.id))) == 4  # nobody was created for it
    audit = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "project.create")
    ).first()
    assert audit is not None and audit.actor_name == "system"


def test_fire_window_facts_classify_on_import_like_the_form(users):
    rows = [
        (1, None, "消防项目", "大武口区", 10, 0, FIRE_WINDOW_FACTS["construction_start_date"], None)
    ]
    header = (*HEADER, "建成日期", "项目类型", "已办理消防验收（备案）")
    data = workbook([(*rows[0], "2007-10-01", "商品房", "否")], header=header)
    record = _import(users["caseworker"], data)
    assert record.status == "applied", record.problems
    project = db.session.scalars(select(Project)).one()
    form = projects.create_project(
        users["caseworker"],
        projects.ProjectInput(
            name="表单项目",
            district="dwk",
            total_households=10,
            facts=projects.parse_input_facts(FIRE_WINDOW_FACTS),
        ),
        TODAY,
    ).project
    assert [(d.type, d.path) for d in project.defects] == [(d.type, d.path) for d in form.defects]


def test_a_preview_left_for_a_day_gives_its_file_back(users, monkeypatch):
    from app import clock

    old = _import(users["caseworker"], workbook(NEW_ROWS), mode="preview")
    later = clock.now() + dt.timedelta(days=2)
    monkeypatch.setattr(clock, "now", lambda: later)
    new = _import(users["caseworker"], workbook(NEW_ROWS[:1]), mode="preview")
    db.session.expire_all()
    assert db.session.get(LedgerImport, old.id).status == "discarded"
    assert db.session.get(LedgerImport, old.id).content is None
    assert db.session.get(LedgerImport, new.id).status == "previewed"
