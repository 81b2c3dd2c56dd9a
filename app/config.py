"""Configuration read from the environment, with safe defaults for a single-machine install."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any


def _instance_secret_key(instance_path: Path) -> str:
    """Return a per-installation secret kept in `instance/secret_key`, creating it once."""
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text(encoding="utf-8").strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    # Written with 0600 so other local users cannot forge sessions.
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(key)
    return key


def load_config(instance_path: Path, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Build the Flask config from defaults, the environment and explicit overrides."""
    env = os.environ
    database_url = env.get("DATABASE_URL") or f"sqlite:///{instance_path / 'shizuishan.db'}"
    config: dict[str, Any] = {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "SECRET_KEY": env.get("SECRET_KEY"),
        # A caseworker may keep a long form open; the session's own lifetime bounds the token.
        "WTF_CSRF_TIME_LIMIT": None,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env.get("SESSION_COOKIE_SECURE", "0") == "1",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "PROJECTS_PER_PAGE": int(env.get("PROJECTS_PER_PAGE", "20")),
        "API_MAX_PER_PAGE": 200,
        "API_TOKEN_DAYS": int(env.get("API_TOKEN_DAYS", "180")),
        "DISTRICT_BOUNDARIES": env.get("DISTRICT_BOUNDARIES"),
        # Optional basemap tiles (off by default: the map draws the district boundaries itself).
        # 天地图 e.g. MAP_TILE_URL="https://t{s}.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=
        # GetTile&VERSION=1.0.0&LAYER=vec&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}
        # &TILEROW={y}&TILECOL={x}&tk={tk}", MAP_TILE_LABELS_URL the same with cva_w/LAYER=cva.
        "MAP_TILE_URL": env.get("MAP_TILE_URL", ""),
        "MAP_TILE_LABELS_URL": env.get("MAP_TILE_LABELS_URL", ""),
        "MAP_TILE_TOKEN": env.get("MAP_TILE_TOKEN", ""),
        "MAP_TILE_SUBDOMAINS": env.get("MAP_TILE_SUBDOMAINS", "01234567"),
        "MAP_TILE_ATTRIBUTION": env.get("MAP_TILE_ATTRIBUTION", "天地图"),
        "MAP_IMPORT_MAX_FEATURES": int(env.get("MAP_IMPORT_MAX_FEATURES", "5000")),
        "MAX_CONTENT_LENGTH": 20 * 1024 * 1024,
        # The Excel 台账 import (docs/ledger.md, Safety): file size, data rows per sheet, and the
        # zip-bomb bounds checked before openpyxl parses anything.
        "LEDGER_MAX_BYTES": int(env.get("LEDGER_MAX_BYTES", str(10 * 1024 * 1024))),
        "LEDGER_MAX_ROWS": int(env.get("LEDGER_MAX_ROWS", "20000")),
        "LEDGER_MAX_UNCOMPRESSED_BYTES": int(
            env.get("LEDGER_MAX_UNCOMPRESSED_BYTES", str(200 * 1024 * 1024))
        ),
        "LEDGER_MAX_MEMBERS": int(env.get("LEDGER_MAX_MEMBERS", "200")),
        "LEDGER_MAX_RATIO": int(env.get("LEDGER_MAX_RATIO", "100")),
        # Account and session security (docs/security.md; GB/T 22239-2019 8.1.4.1).
        "PASSWORD_MAX_AGE_DAYS": int(env.get("PASSWORD_MAX_AGE_DAYS", "90")),  # 0: no expiry
        "LOCKOUT_THRESHOLD": int(env.get("LOCKOUT_THRESHOLD", "5")),
        "LOCKOUT_MINUTES": int(env.get("LOCKOUT_MINUTES", "15")),
        "SESSION_IDLE_MINUTES": int(env.get("SESSION_IDLE_MINUTES", "10")),
        "SESSION_MAX_HOURS": int(env.get("SESSION_MAX_HOURS", "12")),
        "REMEMBER_COOKIE_SECURE": env.get("SESSION_COOKIE_SECURE", "0") == "1",
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        # Flask-Limiter: per-process memory by default; several workers need a shared store
        # (redis://host:6379/0). The login limit counts failed attempts per client address.
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI", "memory://"),
        "LOGIN_RATE_LIMIT": env.get("LOGIN_RATE_LIMIT", "10 per minute;50 per hour"),
        # Reverse proxies in front of the app whose X-Forwarded-For/-Proto are trusted.
        "TRUSTED_PROXIES": int(env.get("TRUSTED_PROXIES", "0")),
        "HSTS_SECONDS": int(env.get("HSTS_SECONDS", "31536000")),
    }
    if overrides:
        config.update(overrides)
    if not config["SECRET_KEY"]:
        config["SECRET_KEY"] = _instance_secret_key(instance_path)
    return config
