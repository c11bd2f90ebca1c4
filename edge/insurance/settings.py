"""The ``[insurance]`` settings: the gateway's address, the facility account and the staff pair.

From the TOML table ``[insurance]`` and then the environment (``CCCD_EDGE_BHYT_*``); every key is
optional and without a URL the check is off. The password may come from a file
(``password_file`` / ``CCCD_EDGE_BHYT_PASSWORD_FILE``) so it stays out of the environment.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ENV = {
    "CCCD_EDGE_BHYT_URL": "url",
    "CCCD_EDGE_BHYT_USERNAME": "username",
    "CCCD_EDGE_BHYT_PASSWORD": "password",
    "CCCD_EDGE_BHYT_PASSWORD_FILE": "password_file",
    "CCCD_EDGE_BHYT_STAFF_NAME": "staff_name",
    "CCCD_EDGE_BHYT_STAFF_ID": "staff_id",
    "CCCD_EDGE_BHYT_PROFILES": "profiles",
}


class InsuranceConfigError(ValueError):
    """The ``[insurance]`` settings cannot be used; the message says which key and why."""


@dataclass(frozen=True)
class InsuranceSettings:
    url: str = ""  # base URL of the gateway; "" = the check is off
    username: str = ""  # the facility account, e.g. 01013_BV
    password: str = field(default="", repr=False)  # sent only as its MD5 hex, never logged
    staff_name: str = ""  # hoTenCb: the staff member on whose account checks run
    staff_id: str = ""  # cccdCb: that staff member's 12-digit ID number
    profiles: tuple[str, ...] = ("hospital",)  # relying-party profiles that get the check
    timeout: float = 4.0  # seconds for one check, connect and read together
    breaker_seconds: float = 30.0  # how long the gateway is skipped after it failed
    max_answer_bytes: int = 512 * 1024  # a larger answer is refused unread

    @property
    def enabled(self) -> bool:
        return bool(self.url)

    def applies_to(self, profile: str) -> bool:
        return self.enabled and profile in self.profiles


_KEYS = {f for f in InsuranceSettings.__dataclass_fields__} | {"password_file"}


def insurance_settings(
    table: Mapping[str, Any] | None, env: Mapping[str, str], known_profiles: Iterable[str]
) -> InsuranceSettings:
    """The settings from the TOML table, then the environment; checked, or InsuranceConfigError."""
    values: dict[str, Any] = dict(table or {})
    unknown = set(values) - _KEYS
    if unknown:
        raise InsuranceConfigError(f"Unknown [insurance] keys: {', '.join(sorted(unknown))}.")
    for var, key in ENV.items():
        if env.get(var):
            values[key] = env[var]
    password_file = str(values.pop("password_file", "") or "")
    if password_file and not values.get("password"):
        try:
            values["password"] = Path(password_file).read_text(encoding="utf-8").strip()
        except OSError:
            raise InsuranceConfigError(
                f"insurance.password_file {password_file} cannot be read."
            ) from None
    profiles = values.get("profiles", InsuranceSettings.profiles)
    if isinstance(profiles, str):
        profiles = [p.strip() for p in profiles.split(",") if p.strip()]
    try:
        settings = InsuranceSettings(
            url=str(values.get("url", "")).strip().rstrip("/"),
            username=str(values.get("username", "")),
            password=str(values.get("password", "")),
            staff_name=str(values.get("staff_name", "")).strip(),
            staff_id=str(values.get("staff_id", "")).strip(),
            profiles=tuple(str(p) for p in profiles),
            timeout=float(values.get("timeout", InsuranceSettings.timeout)),
            breaker_seconds=float(values.get("breaker_seconds", InsuranceSettings.breaker_seconds)),
            max_answer_bytes=int(
                values.get("max_answer_bytes", InsuranceSettings.max_answer_bytes)
            ),
        )
    except (TypeError, ValueError):
        raise InsuranceConfigError("An [insurance] key has an unusable value.") from None
    _validate(settings, set(known_profiles))
    return settings


def _validate(s: InsuranceSettings, known_profiles: set[str]) -> None:
    for name in s.profiles:
        if name not in known_profiles:
            raise InsuranceConfigError(
                f"insurance.profiles names {name!r}; known: {', '.join(sorted(known_profiles))}."
            )
    if not 0 < s.timeout <= 30 or not 0 <= s.breaker_seconds <= 3600:
        raise InsuranceConfigError("insurance.timeout must be 0-30 s and breaker_seconds 0-3600 s.")
    if not 1024 <= s.max_answer_bytes <= 16 * 1024 * 1024:
        raise InsuranceConfigError("insurance.max_answer_bytes must be 1 KiB to 16 MiB.")
    if not s.enabled:
        return
    parts = urlsplit(s.url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
        # Not repeated in the message: a URL given with credentials must not reach a log.
        raise InsuranceConfigError("insurance.url must be an http(s) base URL without a query.")
    missing = [k for k in ("username", "password", "staff_name", "staff_id") if not getattr(s, k)]
    if missing:
        raise InsuranceConfigError(
            f"The insurance check needs {', '.join('insurance.' + k for k in missing)} "
            "(or the CCCD_EDGE_BHYT_* variables)."
        )
    if not re.fullmatch(r"\d{12}", s.staff_id):
        raise InsuranceConfigError("insurance.staff_id must be the staff member's 12-digit ID.")
