"""群众诉求 intake and 工作办理提示建议单 numbering (附件3 三(一)8), as pure functions.

附件3 三(一)8 asks the 市自然资源局 to keep open the channels through which residents report
"办证难" problems (12345, 好差评, 来信来访, online) and, where needed, to send a numbered
工作办理提示建议单 upstream. This module checks what a complainant gives (居民身份证号码 by
GB 11643-1999, telephone numbers) and formats the per-year sheet number `石自然提〔2024〕12号`.
Dates are passed in; nothing here reads the clock.
"""

from __future__ import annotations

import datetime as dt
import re

PROMPT_PREFIX = "石自然提"
PROMPT_NUMBER = re.compile(r"^石自然提〔([0-9]{4})〕([0-9]+)号$")

# GB 11643-1999: weights of the first 17 digits and the check character for (sum mod 11).
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"
# GB/T 2260 province-level codes (the first two digits of a 居民身份证号码).
PROVINCE_CODES = frozenset(
    {
        *("11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36"),
        *("37", "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62"),
        *("63", "64", "65", "71", "81", "82"),
    }
)

MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
# A fixed line: area code (010 and 02x have three digits, the rest four; 石嘴山 is 0952), then a
# local number of 7 or 8 digits that does not start with 0 or 1.
LANDLINE = re.compile(r"^(0[12][0-9]|0[3-9][0-9]{2})([2-9][0-9]{6,7})$")
PHONE_SEPARATORS = re.compile(r"[\s\-()（）]")


class IntakeError(Exception):
    """A refused value; `field` names the input and `message` is shown to the user."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


# ---------------------------------------------------------------- 提示建议单 numbers


def format_prompt_number(year: int, seq: int) -> str:
    """`石自然提〔2024〕12号`: the sheet's document number (附件3 三(一)8)."""
    if not 1900 <= year <= 9999:
        raise ValueError(f"year out of range: {year}")
    if seq < 1:
        raise ValueError(f"sequence must start at 1: {seq}")
    return f"{PROMPT_PREFIX}〔{year}〕{seq}号"


def parse_prompt_number(number: str) -> tuple[int, int]:
    """(year, seq) of a sheet number; ValueError when it is not one."""
    match = PROMPT_NUMBER.match(number.strip())
    if not match or match.group(2).startswith("0"):
        raise ValueError(f"not a prompt sheet number: {number!r}")
    return int(match.group(1)), int(match.group(2))


def next_prompt_seq(highest: int | None) -> int:
    """The next number of the year: one after the highest issued, so there are no gaps."""
    return (highest or 0) + 1


# ---------------------------------------------------------------- 居民身份证号码


def id_check_char(first17: str) -> str:
    """The GB 11643-1999 check character of the first 17 digits."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError("need exactly 17 digits")
    total = sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK_CHARS[total % 11]


def normalize_id_number(raw: str, today: dt.date) -> str:
    """A valid 18-character 居民身份证号码 (upper-case X) or IntakeError; '' stays ''."""
    value = raw.strip().replace(" ", "").upper()
    if not value:
        return ""
    if len(value) != 18:
        raise IntakeError("id_number", f"身份证号码应为 18 位，您填写了 {len(value)} 位。")
    if not re.fullmatch(r"[0-9]{17}[0-9X]", value):
        raise IntakeError("id_number", "身份证号码前 17 位应为数字，最后一位为数字或 X。")
    if value[:2] not in PROVINCE_CODES:
        raise IntakeError("id_number", "身份证号码的地区码无效，请核对前 6 位。")
    try:
        born = dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise IntakeError("id_number", "身份证号码中的出生日期无效，请核对第 7–14 位。") from None
    if born.year < 1900 or born > today:
        raise IntakeError("id_number", "身份证号码中的出生日期不合理，请核对第 7–14 位。")
    if id_check_char(value[:17]) != value[17]:
        raise IntakeError("id_number", "身份证号码校验位不正确（GB 11643），请核对后重新填写。")
    return value


# ---------------------------------------------------------------- telephone numbers


def normalize_phone(raw: str) -> str:
    """A mobile (11 digits) or fixed line (`0952-2012345`), or IntakeError; '' stays ''."""
    value = PHONE_SEPARATORS.sub("", raw.strip())
    if value.startswith("+86"):
        value = value[3:]
    elif value.startswith("0086"):
        value = value[4:]
    if not value:
        return ""
    if not value.isascii() or not value.isdigit():
        raise IntakeError("phone", "联系电话只能包含数字（可带区号和“-”）。")
    if MOBILE.match(value):
        return value
    landline = LANDLINE.match(value)
    if landline:
        return f"{landline.group(1)}-{landline.group(2)}"
    if value.startswith("1"):
        raise IntakeError("phone", "手机号码应为以 13–19 开头的 11 位数字。")
    raise IntakeError("phone", "固定电话应为区号加 7–8 位号码，例如 0952-2012345。")
