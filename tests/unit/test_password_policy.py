"""The password policy: length, classes, user name, common passwords in disguise."""

from __future__ import annotations

import datetime as dt

import pytest

from app.auth.passwords import check_password, common_passwords, is_common, password_expires_at
from app.services.errors import InvalidInput


@pytest.mark.parametrize(
    "password",
    [
        "Abc@123456",
        "Aa123456",
        "P@ssw0rd",
        "Qwer1234!",
        "!QAZ2wsx",
        "Password2024!",
        "Admin@123",
        "Woaini1314!",
        "1qaz@WSX",
        "Dragon#2024",
        "Shizuishan#2024",
        "Huawei@123",
    ],
)
def test_common_passwords_are_refused_even_in_disguise(password):
    assert is_common(password)
    with pytest.raises(InvalidInput, match="过于常见"):
        check_password(password, "someone")


@pytest.mark.parametrize(
    "password", ["Test#Pass2024", "Demo#2024szs", "Kx7#Tea2024", "黄河#Tuo7ba9k"]
)
def test_strong_passwords_pass(password):
    check_password(password, "someone")


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Ab#1", "至少 8 位"),
        ("abcdefgh1", "至少三类"),
        ("ABCDEFGH!", "至少三类"),
        ("x" * 100 + "Aa1#" * 10, "不能超过"),
        ("My#zhangwei9", "用户名"),
    ],
)
def test_weak_passwords_are_refused_with_a_chinese_reason(password, message):
    with pytest.raises(InvalidInput, match=message) as caught:
        check_password(password, "zhangwei")
    assert caught.value.field == "password"


def test_the_shipped_list_has_about_a_thousand_entries_and_the_chinese_ones():
    listed = common_passwords()
    assert len(listed) > 1000
    assert {"abc@123456", "aa123456", "p@ssw0rd", "qwer1234!", "123456"} <= listed


def test_expiry_is_configurable_and_can_be_off():
    changed = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    assert password_expires_at(changed, 90) == dt.datetime(2026, 4, 1, tzinfo=dt.UTC)
    assert password_expires_at(changed, 0) is None
