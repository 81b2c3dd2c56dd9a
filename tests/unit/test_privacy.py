"""app.privacy: complainants' personal data is masked wherever it is shown."""

from __future__ import annotations

import pytest

from app.privacy import mask_id_card, mask_name, mask_phone, mask_text


@pytest.mark.parametrize(
    "name,masked",
    [("张三明", "张*明"), ("张三", "张*"), ("欧阳修明", "欧**明"), ("王", "*"), ("", "")],
)
def test_names_keep_surname_and_last_character(name, masked):
    assert mask_name(name) == masked


@pytest.mark.parametrize(
    "phone,masked",
    [("13912345678", "139****5678"), ("0952-2012345", "0952-***2345"), ("", "")],
)
def test_phones_keep_prefix_and_last_four(phone, masked):
    assert mask_phone(phone) == masked


def test_id_numbers_hide_the_birth_date():
    assert mask_id_card("640202199001011234") == "640202********1234"
    assert mask_id_card("") == ""


def test_numbers_typed_into_free_text_are_masked():
    text = "本人张三，身份证640202199001011232，电话13900000001，房号 3-2-1201。"
    masked = mask_text(text)
    assert "640202199001011232" not in masked and "640202********1232" in masked
    assert "13900000001" not in masked and "139****0001" in masked
    assert "3-2-1201" in masked
