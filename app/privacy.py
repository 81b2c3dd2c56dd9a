"""Masking of personal data (姓名, 电话, 身份证号码) for pages, exports, audit rows and logs.

A complainant's personal data is shown in full only to a role holding `pii.reveal`, one record
at a time, and every reveal is audited; everywhere else these masks apply.
"""

from __future__ import annotations

import re

# An 18-character (or old 15-digit) ID number or an 11-digit mobile inside free text.
_ID_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")
_MOBILE_IN_TEXT = re.compile(r"(?<!\d)(1[3-9]\d{9})(?!\d)")


def mask_name(name: str) -> str:
    """'张三明' → '张*明', '张三' → '张*': the surname and the last character stay readable."""
    name = name.strip()
    if len(name) <= 1:
        return "*" * len(name)
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_phone(phone: str) -> str:
    """'13912345678' → '139****5678'; a fixed line keeps its area code and last four digits."""
    phone = phone.strip()
    if not phone:
        return ""
    area, sep, local = phone.rpartition("-")
    if sep and area:
        return f"{area}-{'*' * max(0, len(local) - 4)}{local[-4:]}"
    if len(phone) <= 7:
        return "*" * (len(phone) - 2) + phone[-2:] if len(phone) > 2 else "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def mask_id_card(number: str) -> str:
    """'640202199001011234' → '640202********1234': region and last four kept, birth date hidden."""
    number = number.strip()
    if not number:
        return ""
    if len(number) >= 15:
        return number[:6] + "*" * (len(number) - 10) + number[-4:]
    return "*" * max(0, len(number) - 2) + number[-2:]


def mask_text(text: str) -> str:
    """Free text with any ID number or mobile number in it masked (content typed by people)."""
    text = _ID_IN_TEXT.sub(lambda m: mask_id_card(m.group(1)), text)
    return _MOBILE_IN_TEXT.sub(lambda m: mask_phone(m.group(1)), text)
