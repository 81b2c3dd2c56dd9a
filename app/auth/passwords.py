"""The password policy (GB/T 22239-2019 8.1.4.1 a: 口令具有复杂度要求并定期更换).

At least 8 characters of at least 3 classes, not containing the user name, and not a common
password. "Common" is checked against a shipped list (`common_passwords.txt`) after the usual
disguises are undone: case, a few digits or symbols appended (`Password2024!`), shifted digits
(`!QAZ2wsx`) and leetspeak (`P@ssw0rd`), so `Abc@123456` or `Qwer1234!` are refused although they
have three classes.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from pathlib import Path

from app.services.errors import InvalidInput

MIN_LENGTH = 8
MAX_LENGTH = 128
COMMON_LIST = Path(__file__).with_name("common_passwords.txt")

_CLASSES = (r"[a-z]", r"[A-Z]", r"\d", r"[^A-Za-z0-9]")
_UNSHIFT = str.maketrans("!@#$%^&*()", "1234567890")
_LEET = str.maketrans({"@": "a", "4": "a", "0": "o", "1": "i", "!": "i", "3": "e", "$": "s"})
_EDGE = re.compile(r"^[^a-z]+|[^a-z]+$")


@functools.cache
def common_passwords() -> frozenset[str]:
    """The shipped list, lower-case, comments skipped (read once per process)."""
    lines = COMMON_LIST.read_text(encoding="utf-8").splitlines()
    return frozenset(s.strip().lower() for s in lines if s.strip() and not s.startswith("#"))


def _variants(password: str) -> set[str]:
    """The password and what it is once typical decorations are taken off."""
    lower = password.lower()
    found = {lower, lower.translate(_UNSHIFT), lower.translate(_LEET)}
    for text in list(found):
        core = _EDGE.sub("", text)  # 'qwer1234!' -> 'qwer', '123456aa' -> 'aa'
        if len(core) >= 3:
            found.add(core)
    return found


def is_common(password: str) -> bool:
    """True when the password, or its undecorated core, is on the common-password list."""
    listed = common_passwords()
    return any(v in listed for v in _variants(password))


def check_password(password: str, username: str) -> None:
    """Raise `InvalidInput('password', …)` unless the password meets the policy."""
    if len(password) < MIN_LENGTH:
        raise InvalidInput("password", f"密码至少 {MIN_LENGTH} 位。")
    if len(password) > MAX_LENGTH:
        raise InvalidInput("password", f"密码不能超过 {MAX_LENGTH} 位。")
    classes = sum(bool(re.search(p, password)) for p in _CLASSES)
    if classes < 3:
        raise InvalidInput("password", "密码须包含大写字母、小写字母、数字、符号中的至少三类。")
    if username and username.lower() in password.lower():
        raise InvalidInput("password", "密码不能包含用户名。")
    if is_common(password):
        raise InvalidInput("password", "该密码过于常见，容易被猜中，请换一个。")


def password_expires_at(changed_at: dt.datetime, max_age_days: int) -> dt.datetime | None:
    """When a password set at `changed_at` expires; None when expiry is switched off (0)."""
    if max_age_days <= 0:
        return None
    return changed_at + dt.timedelta(days=max_age_days)
