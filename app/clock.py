"""The application's clock: the one place the web layer reads the current date."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def today() -> dt.date:
    """Today's date in 石嘴山 (UTC+8), passed into `cases` and the services."""
    return dt.datetime.now(LOCAL_TZ).date()
