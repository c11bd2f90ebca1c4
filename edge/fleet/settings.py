"""The fleet service's settings, from the environment (``CCCD_EDGE_FLEET_*``)."""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


class FleetConfigError(Exception):
    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class FleetSettings:
    database_url: str = ""
    instance_dir: str = ""
    enrol_token_digests: tuple[str, ...] = ()
    operator_key_digest: str = ""
    timezone: str = "Asia/Ho_Chi_Minh"
    silent_after_s: int = 900  # no event and no heartbeat for this long: the kiosk is silent
    listen: str = "127.0.0.1:8090"
    workers: int = 2
    threads: int = 8

    @property
    def instance_path(self) -> Path:
        return Path(self.instance_dir or Path.home() / ".local" / "share" / "cccd-edge-fleet")

    def enrol_token_ok(self, token: str) -> bool:
        digest = hashlib.sha256(token.encode("utf-8")).hexdigest()
        return any([hmac.compare_digest(digest, d) for d in self.enrol_token_digests])

    def operator_key_ok(self, key: str) -> bool:
        if not self.operator_key_digest or not key:
            return False
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
        return hmac.compare_digest(digest, self.operator_key_digest)


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    text = env.get(name, "")
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        raise FleetConfigError(f"{name} must be a whole number.") from None
    if not low <= value <= high:
        raise FleetConfigError(f"{name} must be between {low} and {high}.")
    return value


def load_settings(env: Mapping[str, str] | None = None) -> FleetSettings:
    env = os.environ if env is None else env
    url = env.get("CCCD_EDGE_FLEET_DATABASE_URL", "").strip()
    if url and not url.startswith(("postgresql://", "postgres://")):
        raise FleetConfigError("CCCD_EDGE_FLEET_DATABASE_URL must be a postgresql:// URL.")
    # Several one-time tokens may be handed out at once: comma-separated, each usable once.
    tokens = [t.strip() for t in env.get("CCCD_EDGE_FLEET_ENROLL_TOKEN", "").split(",")]
    operator = env.get("CCCD_EDGE_FLEET_OPERATOR_KEY", "")
    listen = env.get("CCCD_EDGE_FLEET_LISTEN", "") or "127.0.0.1:8090"
    host, _, port = listen.rpartition(":")
    if not host or not port.isdigit() or not 0 <= int(port) < 65536:
        raise FleetConfigError(f"--listen must be HOST:PORT, not {listen!r}.")
    tz = env.get("CCCD_EDGE_FLEET_TIMEZONE", "") or "Asia/Ho_Chi_Minh"
    try:
        from zoneinfo import ZoneInfo

        ZoneInfo(tz)
    except (KeyError, ValueError, OSError):
        raise FleetConfigError(
            f"CCCD_EDGE_FLEET_TIMEZONE {tz!r} is not a known time zone."
        ) from None
    return FleetSettings(
        database_url=url,
        instance_dir=env.get("CCCD_EDGE_FLEET_DIR", ""),
        enrol_token_digests=tuple(
            hashlib.sha256(t.encode("utf-8")).hexdigest() for t in tokens if t
        ),
        operator_key_digest=hashlib.sha256(operator.encode("utf-8")).hexdigest()
        if operator
        else "",
        timezone=tz,
        silent_after_s=_int(env, "CCCD_EDGE_FLEET_SILENT_SECONDS", 900, 30, 7 * 86400),
        listen=listen,
        workers=_int(env, "CCCD_EDGE_FLEET_WORKERS", 2, 1, 32),
        threads=_int(env, "CCCD_EDGE_FLEET_THREADS", 8, 1, 64),
    )
