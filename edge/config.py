"""Service configuration: the packaged ``default.toml``, then a TOML file, then the environment.

API keys are best given in the environment (``CCCD_EDGE_API_KEYS``) or as
SHA-256 digests in the file; the service only ever keeps their digests.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from edge.insurance.settings import InsuranceConfigError, InsuranceSettings, insurance_settings
from edge.profiles import PROFILES

DEFAULT_FILE = Path(__file__).with_name("default.toml")
NO_READER = "none"


class ConfigError(Exception):
    """The configuration cannot be used; ``message`` says which key and why."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class RelyingParty:
    id: str
    profile: str
    key_digests: tuple[str, ...]  # hex SHA-256 of each accepted API key
    display_name: str = ""  # what the kiosk screen calls it ("Bệnh viện Chợ Rẫy"); id if empty

    def accepts(self, api_key: str) -> bool:
        digest = hashlib.sha256(api_key.encode("utf-8")).hexdigest()
        # Compare every digest in constant time so timing tells nothing about which keys exist.
        return any([hmac.compare_digest(digest, d) for d in self.key_digests])


@dataclass(frozen=True)
class Config:
    kiosk_id: str = "kiosk-1"
    listen: str = "127.0.0.1:8080"
    reader: str = "simulator"
    simulator_citizen: int = 0
    trust_store: str = ""
    trust_files: tuple[str, ...] = ()
    instance_dir: str = ""
    audit_db: str = ""
    log_file: str = ""
    result_ttl: float = 300.0
    face_threshold: float = 0.0
    face_model: str = ""
    # onnxruntime threads per face embedding: 1 on a 2-core box whose cores serve the
    # request threads; 2-4 on a Raspberry Pi 5 (docs/face-model.md, "Speed and size").
    face_threads: int = 1
    card_timeout: float = 30.0
    access_key_timeout: float = 120.0
    face_timeout: float = 60.0
    liveness: bool = True
    liveness_steps: int = 3
    liveness_window: float = 15.0
    reader_queue: int = 4
    workers: int = 1
    threads: int = 8
    # Operators' views (/v1/stats, /stats, /metrics): SHA-256 hex of the operator key;
    # "" = loopback only.
    operator_key_sha256: str = ""
    # Clients (addresses or CIDRs) that may receive the kiosk token; () = loopback only.
    kiosk_addresses: tuple[str, ...] = ()
    # The screen the app registers ("module:function", given a ScreenHost); "" = no screen.
    screen: str = "kiosk_ui:init_app"
    # The profile of verifications a person starts at the kiosk with its Start button (a hospital
    # kiosk: "hospital", which gets the insurance check); "" = only desk-started verifications.
    walk_up_profile: str = "airport"
    # Reverse proxies whose X-Forwarded-For / -Proto / -Host are believed (werkzeug ProxyFix hops).
    trusted_proxies: int = 0
    relying_parties: tuple[RelyingParty, ...] = field(default_factory=tuple)
    # The BHYT gateway check ([insurance], CCCD_EDGE_BHYT_*; edge/insurance/settings.py).
    insurance: InsuranceSettings = field(default_factory=InsuranceSettings)

    @property
    def instance_path(self) -> Path:
        return Path(self.instance_dir or Path.home() / ".local" / "share" / "cccd-edge")

    @property
    def audit_path(self) -> str:
        return self.audit_db or str(self.instance_path / "audit.sqlite")

    @property
    def host_port(self) -> tuple[str, int]:
        host, _, port = self.listen.rpartition(":")
        return host or "127.0.0.1", int(port)

    @property
    def reader_enabled(self) -> bool:
        """False with ``reader = "none"``: a verify-only box (uploads, no card, no kiosk screen)."""
        return self.reader != NO_READER

    def operator_key_ok(self, key: str | None) -> bool:
        if not self.operator_key_sha256 or not key:
            return False
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
        return hmac.compare_digest(digest, self.operator_key_sha256)

    def relying_party_for_key(self, api_key: str) -> RelyingParty | None:
        return next((rp for rp in self.relying_parties if rp.accepts(api_key)), None)


_ENV = {
    "CCCD_EDGE_KIOSK_ID": "kiosk_id",
    "CCCD_EDGE_LISTEN": "listen",
    "CCCD_EDGE_READER": "reader",
    "CCCD_EDGE_SIMULATOR_CITIZEN": "simulator_citizen",
    "CCCD_EDGE_TRUST_STORE": "trust_store",
    "CCCD_EDGE_INSTANCE_DIR": "instance_dir",
    "CCCD_EDGE_AUDIT_DB": "audit_db",
    "CCCD_EDGE_LOG_FILE": "log_file",
    "CCCD_EDGE_RESULT_TTL": "result_ttl",
    "CCCD_EDGE_FACE_THRESHOLD": "face_threshold",
    "CCCD_EDGE_FACE_MODEL": "face_model",
    "CCCD_EDGE_FACE_THREADS": "face_threads",
    "CCCD_EDGE_WORKERS": "workers",
    "CCCD_EDGE_THREADS": "threads",
    "CCCD_EDGE_LIVENESS": "liveness",
    "CCCD_EDGE_KIOSK_ADDRESSES": "kiosk_addresses",
    "CCCD_EDGE_TRUSTED_PROXIES": "trusted_proxies",
    "CCCD_EDGE_SCREEN": "screen",
    "CCCD_EDGE_WALK_UP_PROFILE": "walk_up_profile",
}
_TYPES = {
    f: t
    for f, t in (
        ("simulator_citizen", int),
        ("result_ttl", float),
        ("face_threshold", float),
        ("face_threads", int),
        ("card_timeout", float),
        ("face_timeout", float),
        ("reader_queue", int),
        ("workers", int),
        ("threads", int),
        ("access_key_timeout", float),
        ("liveness_steps", int),
        ("liveness_window", float),
        ("trusted_proxies", int),
    )
}
_LISTS = {"trust_files", "kiosk_addresses"}
_BOOLS = {"liveness"}


def _bool(value) -> bool:
    # TOML gives a real bool; the environment gives text.
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(text)


def _relying_parties(table: dict, env_keys: str) -> tuple[RelyingParty, ...]:
    parties: dict[str, dict] = {}
    for rp_id, spec in (table or {}).items():
        if not isinstance(spec, dict):
            raise ConfigError(f"relying_parties.{rp_id} must be a table.")
        digests = [str(d).lower() for d in spec.get("api_key_sha256", [])]
        digests += [hashlib.sha256(str(k).encode()).hexdigest() for k in spec.get("api_keys", [])]
        parties[rp_id] = {
            "profile": spec.get("profile", ""),
            "digests": digests,
            "display_name": str(spec.get("display_name", "")),
        }
    for item in filter(None, (s.strip() for s in env_keys.split(","))):
        parts = item.split(":", 2)
        if len(parts) != 3 or not all(parts):
            raise ConfigError(
                "CCCD_EDGE_API_KEYS entries are rp_id:profile:key, separated by commas."
            )
        rp_id, profile, key = parts
        entry = parties.setdefault(rp_id, {"profile": profile, "digests": []})
        entry["profile"] = entry["profile"] or profile
        entry["digests"].append(hashlib.sha256(key.encode()).hexdigest())
    out = []
    for rp_id, entry in parties.items():
        if entry["profile"] not in PROFILES:
            raise ConfigError(
                f"Relying party {rp_id!r} names profile {entry['profile']!r}; "
                f"known profiles: {', '.join(sorted(PROFILES))}."
            )
        out.append(
            RelyingParty(
                rp_id,
                entry["profile"],
                tuple(entry["digests"]),
                entry.get("display_name", ""),
            )
        )
    return tuple(out)


def _coerce(values: dict) -> dict:
    tables = {"relying_parties", "insurance"}  # parsed on their own
    known = {f for f in Config.__dataclass_fields__ if f not in tables}
    unknown = set(values) - known - tables
    if unknown:
        raise ConfigError(f"Unknown configuration keys: {', '.join(sorted(unknown))}.")
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key in tables:
            continue
        try:
            if key in _BOOLS:
                out[key] = _bool(value)
            elif key in _TYPES:
                out[key] = _TYPES[key](value)
            elif key in _LISTS:
                if isinstance(value, str):  # the environment: comma-separated
                    value = [v.strip() for v in value.split(",") if v.strip()]
                out[key] = tuple(
                    str(v) for v in (value if isinstance(value, (list, tuple)) else [value])
                )
            elif key == "operator_key_sha256":
                out[key] = str(value).strip().lower()
            else:
                out[key] = str(value)
        except (TypeError, ValueError):
            raise ConfigError(f"Configuration key {key!r} has an unusable value.") from None
    return out


def _read_toml(path: Path) -> dict:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"Configuration file {path} does not exist.") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"Configuration file {path} is not valid TOML: {exc}.") from None


def load_config(
    path: str | os.PathLike[str] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    overrides: dict[str, Any] | None = None,
) -> Config:
    """Defaults, then ``path`` (or ``$CCCD_EDGE_CONFIG``), the environment, then ``overrides``."""
    env = os.environ if env is None else env
    values = _read_toml(DEFAULT_FILE)
    path = path or env.get("CCCD_EDGE_CONFIG")
    if path:
        file_values = _read_toml(Path(path))
        rps = {**values.get("relying_parties", {}), **file_values.pop("relying_parties", {})}
        file_values["insurance"] = {
            **values.get("insurance", {}),
            **file_values.get("insurance", {}),
        }
        values.update(file_values)
        values["relying_parties"] = rps
    for var, key in _ENV.items():
        if env.get(var):
            values[key] = env[var]
    overrides = dict(overrides or {})
    if "relying_parties" in overrides:
        values["relying_parties"] = {
            **values.get("relying_parties", {}),
            **overrides.pop("relying_parties"),
        }
    values.update(overrides)
    operator_key = env.get("CCCD_EDGE_OPERATOR_KEY", "")
    if operator_key:
        # Like API keys: only the digest is kept.
        values["operator_key_sha256"] = hashlib.sha256(operator_key.encode("utf-8")).hexdigest()
    try:
        insurance = insurance_settings(values.get("insurance"), env, PROFILES)
    except InsuranceConfigError as exc:
        raise ConfigError(str(exc)) from None
    config = Config(
        **_coerce(values),
        relying_parties=_relying_parties(
            values.get("relying_parties", {}), env.get("CCCD_EDGE_API_KEYS", "")
        ),
        insurance=insurance,
    )
    validate(config)
    return config


def validate(config: Config) -> None:
    try:
        _host, port = config.host_port
    except ValueError:
        raise ConfigError(f"listen must be HOST:PORT, not {config.listen!r}.") from None
    if not 0 <= port < 65536:
        raise ConfigError(f"listen port {port} is out of range.")
    for name in (
        "result_ttl",
        "card_timeout",
        "access_key_timeout",
        "face_timeout",
        "liveness_window",
    ):
        if getattr(config, name) <= 0:
            raise ConfigError(f"{name} must be a positive number of seconds.")
    if config.reader_queue < 0 or config.workers < 1 or config.threads < 1:
        raise ConfigError("reader_queue must be >= 0, workers and threads >= 1.")
    if not 1 <= config.liveness_steps <= 8:
        raise ConfigError("liveness_steps must be between 1 and 8.")
    if not 0 <= config.face_threshold < 2:
        raise ConfigError("face_threshold must be between 0 and 2 (0 = calibrated default).")
    if not 1 <= config.face_threads <= 16:
        raise ConfigError("face_threads must be between 1 and 16.")
    if config.face_model not in ("", "sface", "arcface", "dlib"):
        raise ConfigError('face_model must be "sface", "arcface" or "dlib" ("" = sface).')
    if config.workers > 1 and config.reader_enabled:
        # Sessions, the reader's owner thread and the kiosk token live in one process's memory:
        # a second worker would own the reader too and answer 404 for the first one's sessions.
        raise ConfigError(
            f'workers = {config.workers} needs reader = "none" (uploads only): with a '
            "reader attached, run one worker and raise threads instead."
        )
    if config.operator_key_sha256 and not re.fullmatch(r"[0-9a-f]{64}", config.operator_key_sha256):
        raise ConfigError(
            "operator_key_sha256 must be the SHA-256 of the key in hex (64 characters)."
        )
    if not 0 <= config.trusted_proxies <= 5:
        raise ConfigError("trusted_proxies is the number of proxies in front (0 to 5).")
    if config.walk_up_profile and config.walk_up_profile not in PROFILES:
        raise ConfigError(
            f'walk_up_profile must be one of {", ".join(sorted(PROFILES))} or "" (none).'
        )
    for entry in config.kiosk_addresses:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise ConfigError(f"kiosk_addresses: {entry!r} is not an IP address or CIDR.") from None


def with_changes(config: Config, **changes) -> Config:
    new = replace(config, **changes)
    validate(new)
    return new
