"""`flask report quarterly YYYYQN --format docx|pdf --output PATH [--district CODE]`."""

from __future__ import annotations

import pytest

from tests.checks import is_chinese
from tests.report_support import build_q3, read_docx


@pytest.fixture()
def cli(app):
    runner = app.test_cli_runner()

    def invoke(*args: str):
        return runner.invoke(args=["report", "quarterly", *args])

    return invoke


def test_the_command_writes_the_quarterly_report_as_of_the_quarter_end(
    app, factory, clock, cli, tmp_path
):
    build_q3(app, factory, clock)
    target = tmp_path / "q3.docx"
    result = cli("2024Q3", "--format", "docx", "--output", str(target))
    assert result.exit_code == 0, result.output
    assert "数据截至 2024-09-30" in result.output
    assert "写出文件" in result.output  # the progress bar names its steps
    parsed = read_docx(target.read_bytes())
    key = {r[0]: r[1] for r in parsed.tables["表1 总体进展情况"][1:]}
    assert key["纳入台账项目（个）"] == "4"
    assert key["已办证户数（户）"] == "60"


def test_the_command_writes_a_pdf_and_a_district_report(app, factory, clock, cli, tmp_path):
    build_q3(app, factory, clock)
    target = tmp_path / "q3-hn.pdf"
    result = cli("2024q3", "--format", "pdf", "--output", str(target), "--district", "hn")
    assert result.exit_code == 0, result.output
    assert target.read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("2024Q5", "--format", "docx"), "季度应为 1—4"),
        (("24Q3", "--format", "docx"), "季度格式应为 YYYYQN"),
        (("2024-Q3", "--format", "docx"), "季度格式应为 YYYYQN"),
        (("2098Q1", "--format", "docx"), "尚未开始"),
        (("2024Q3", "--format", "odt"), "格式应为 docx 或 pdf"),
        (("2024Q3", "--format", "docx", "--district", "xx"), "未知的县区代码：xx"),
    ],
)
def test_bad_input_exits_non_zero_with_a_chinese_message_and_writes_nothing(
    app, cli, tmp_path, args, message
):
    target = tmp_path / "out.docx"
    result = cli(*args, "--output", str(target))
    assert result.exit_code != 0
    assert message in result.output, result.output
    assert is_chinese(result.output)
    assert not target.exists()


def test_a_missing_output_folder_is_refused(app, cli, tmp_path):
    result = cli("2024Q3", "--format", "docx", "--output", str(tmp_path / "nope" / "q.docx"))
    assert result.exit_code != 0
    assert "输出目录不存在" in result.output


def test_the_output_option_is_required(app, cli):
    result = cli("2024Q3", "--format", "docx")
    assert result.exit_code == 2
