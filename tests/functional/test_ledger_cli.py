"""`flask ledger export PATH [--district CODE]` and `flask ledger import PATH [--dry-run]`."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.extensions import db
from app.models import LedgerImport, Project
from cases.ledger import PROJECT_SHEET
from tests.checks import is_chinese, row_counts
from tests.ledger_book import edit, workbook

NEW_ROWS = [
    (1, None, "星海新村", "大武口区", 120, 0, "2005-03-01", "否"),
    (2, None, "河滨小区", "惠农区", 80, 8, "2006/4/1", "是"),
]


@pytest.fixture()
def cli(app):
    runner = app.test_cli_runner()

    def invoke(*args: str):
        return runner.invoke(args=list(args))

    return invoke


def _names(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(Project.name).order_by(Project.code)))


def _without_imports(counts: dict[str, int]) -> dict[str, int]:
    return {k: v for k, v in counts.items() if k not in ("ledger_imports", "audit_events")}


def test_export_writes_xlsx_or_csv_by_extension_and_district(app, cli, factory, tmp_path):
    factory.project(district="hn", name="惠农的项目")
    factory.project(district="pl", name="平罗的项目")
    result = cli("ledger", "export", str(tmp_path / "全部.xlsx"))
    assert result.exit_code == 0, result.output
    assert "已导出 2 个项目" in result.output
    ws = load_workbook(tmp_path / "全部.xlsx")[PROJECT_SHEET]
    assert [r[2] for r in ws.iter_rows(min_row=4, values_only=True) if r[2]] == [
        "惠农的项目",
        "平罗的项目",
    ]
    result = cli("ledger", "export", str(tmp_path / "惠农.csv"), "--district", "hn")
    assert result.exit_code == 0, result.output
    data = (tmp_path / "惠农.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert [r[2] for r in rows[1:]] == ["惠农的项目"]


def test_export_refuses_another_extension_or_district(cli, tmp_path):
    result = cli("ledger", "export", str(tmp_path / "台账.pdf"))
    assert result.exit_code != 0 and "须以 .xlsx 或 .csv 结尾" in result.output
    result = cli("ledger", "export", str(tmp_path / "台账.xlsx"), "--district", "mars")
    assert result.exit_code != 0


def test_a_dry_run_reports_and_changes_nothing(app, cli, tmp_path):
    path = tmp_path / "台账.xlsx"
    path.write_bytes(workbook(NEW_ROWS))
    before = row_counts(app)
    result = cli("ledger", "import", str(path), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "试导入（未写入数据库）：共 2 个项目，新增 2 个" in result.output
    assert _without_imports(row_counts(app)) == _without_imports(before)
    with app.app_context():
        assert db.session.scalars(select(LedgerImport.status)).all() == ["dry_run"]


def test_import_applies_a_good_file(app, cli, tmp_path):
    path = tmp_path / "台账.xlsx"
    path.write_bytes(workbook(NEW_ROWS))
    result = cli("ledger", "import", str(path))
    assert result.exit_code == 0, result.output
    assert "已导入：共 2 个项目，新增 2 个" in result.output
    assert _names(app) == ["星海新村", "河滨小区"]
    again = cli("ledger", "import", str(path))
    assert again.exit_code == 0 and "同一文件不会重复导入" in again.output
    assert _names(app) == ["星海新村", "河滨小区"]


def test_a_bad_file_exits_non_zero_prints_every_problem_in_chinese_and_changes_nothing(
    app, cli, tmp_path
):
    rows = [*NEW_ROWS, (3, None, "坏行", "大武口区", 10, 0, "2003年13月", "也许")]
    path = tmp_path / "台账.xlsx"
    path.write_bytes(workbook(rows))
    before = row_counts(app)
    result = cli("ledger", "import", str(path))
    assert result.exit_code == 1
    assert "「项目台账」第5行『开工日期』无法识别：2003年13月" in result.stderr
    assert "「项目台账」第5行『涉法涉诉』无法识别：也许" in result.stderr
    assert "共 2 个问题，未导入任何数据" in result.stderr
    assert _without_imports(row_counts(app)) == _without_imports(before)
    dry = cli("ledger", "import", str(path), "--dry-run")
    assert dry.exit_code == 1


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("台账.csv", "项目名称,县区\n星海,大武口区\n".encode(), "CSV"),
        ("台账.xlsm", None, "启用宏"),
        (
            "台账.xlsx",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "EncryptionInfo".encode("utf-16-le"),
            "加密",
        ),
        ("台账.xlsx", b"PK\x03\x04 not really", "损坏"),
    ],
)
def test_refused_files_exit_non_zero_with_the_reason(app, cli, tmp_path, name, content, says):
    path = tmp_path / name
    path.write_bytes(content if content is not None else workbook(NEW_ROWS))
    result = cli("ledger", "import", str(path))
    assert result.exit_code == 1
    assert says in result.stderr and is_chinese(result.stderr)
    assert _names(app) == []


def test_import_as_a_district_account_is_scoped(app, cli, factory, tmp_path):
    factory.user("district", username="cli_dwk", district="dwk")
    path = tmp_path / "台账.xlsx"
    path.write_bytes(workbook(NEW_ROWS))
    result = cli("ledger", "import", str(path), "--user", "cli_dwk")
    assert result.exit_code == 1
    assert "「项目台账」第4行『县区』惠农区不在您的管辖范围内" in result.stderr
    assert cli("ledger", "import", str(path), "--user", "nobody").exit_code != 0


def test_an_exported_ledger_edited_and_imported_through_the_cli(app, cli, factory, tmp_path):
    project = factory.project(district="pl", name="平罗的项目", total_households=40)
    path = tmp_path / "台账.xlsx"
    assert cli("ledger", "export", str(path)).exit_code == 0
    path.write_bytes(edit(path.read_bytes(), {(project.code, "总户数"): 44}))
    result = cli("ledger", "import", str(path))
    assert result.exit_code == 0, result.output
    assert "更新 1 个" in result.output
    with app.app_context():
        assert db.session.scalars(select(Project.total_households)).one() == 44


def test_the_full_demo_with_its_workflow_history_round_trips(app, cli, tmp_path):
    assert cli("demo", "load").exit_code == 0
    path = tmp_path / "演示台账.xlsx"
    assert cli("ledger", "export", str(path)).exit_code == 0
    before = row_counts(app)
    result = cli("ledger", "import", str(path))
    assert result.exit_code == 0, result.output
    assert "新增 0 个，更新 0 个，60 个无变化" in result.output
    assert "问题类型差异" not in result.output
    after = row_counts(app)
    for table in ("ledger_imports", "audit_events"):
        after.pop(table), before.pop(table)
    assert after == before
