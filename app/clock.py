"""The application's clock: the one place the web layer reads the current time.

Everything in `app/` that needs "now" calls `clock.now()` (through the module, so a test can
monkeypatch `app.clock.now` and move time: lockouts, idle sessions, password expiry).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def now() -> dt.datetime:
    """The current instant, timezone-aware UTC."""
    return dt.datetime.now(dt.UTC)


def today() -> dt.date:
    """Today's date in 石嘴山 (UTC+8), passed into `cases` and the services."""
    return now().astimezone(LOCAL_TZ).date()
