"""What one read of a card produced, before any verification.

The reader fills a ``ReadResult``; LDS parsing and passive authentication
consume it; nothing downstream talks to the card again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from cardreader.errors import CardError
from crypto.outcomes import ActiveAuthOutcome, ChipAuthOutcome

# Chip/Active Authentication outcomes live in crypto (both layers need them); re-exported here.
__all__ = ["ActiveAuthOutcome", "ChipAuthOutcome", "Incident", "Phase", "ReadResult", "ReadStats"]


# UP042 ignored: StrEnum would change str(Phase.X), which callers format today.
class Phase(str, Enum):  # noqa: UP042
    """Stable, ordered phases of a read: they feed the kiosk's progress bar."""

    CONNECT = "connect"
    ACCESS_CONTROL = "access_control"
    READ_FILES = "read_files"
    CHIP_AUTHENTICATION = "chip_authentication"
    ACTIVE_AUTHENTICATION = "active_authentication"
    DONE = "done"


@dataclass
class PhaseTiming:
    wall_ms: float = 0.0
    cpu_ms: float = 0.0
    apdus: int = 0


@dataclass
class ReadStats:
    """Counted exchanges: every APDU, bytes each way, time per phase."""

    apdus: int = 0
    bytes_sent: int = 0
    bytes_received: int = 0
    wall_ms: float = 0.0
    phases: dict[str, PhaseTiming] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "apdus": self.apdus,
            "bytes_sent": self.bytes_sent,
            "bytes_received": self.bytes_received,
            "wall_ms": round(self.wall_ms, 2),
            "phases": {
                k: {"wall_ms": round(v.wall_ms, 2), "cpu_ms": round(v.cpu_ms, 2), "apdus": v.apdus}
                for k, v in self.phases.items()
            },
        }


@dataclass
class ChipAuthMappingOutcome:
    """PACE-CAM as run on the card: the chip's mapping key and its decrypted proof CA_IC.

    Whether PK_Map,IC = CA_IC * PK_IC for the static key of a verified EF.CardSecurity is
    crypto's decision (``crypto.chip_auth_mapping``)."""

    performed: bool = False
    parameter_id: int | None = None
    chip_mapping_public_key: bytes | None = None
    chip_authentication_data: bytes | None = None
    error: str | None = None  # 'cam_data_missing' | 'cam_data_malformed'


@dataclass(frozen=True)
class Incident:
    """Something the reader recovered from (a re-opened secure channel): no personal data, only
    where it happened and the typed error's code and sentence."""

    step: str
    file: str | None
    code: str
    message: str
    sw: int | None = None

    @classmethod
    def from_error(cls, exc: CardError, *, step: str, file: str | None) -> Incident:
        return cls(exc.step or step, exc.file or file, exc.code, exc.message, exc.sw)

    def to_dict(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "file": self.file,
            "code": self.code,
            "message": self.message,
            "sw": None if self.sw is None else f"{self.sw:04X}",
        }


@dataclass
class ReadResult:
    """Raw bytes of every file read, keyed by name ('EF.CardAccess', 'EF.COM', 'EF.SOD',
    'DG1', ...)."""

    files: dict[str, bytes] = field(default_factory=dict)
    file_errors: dict[str, CardError] = field(default_factory=dict)
    access_protocol: str | None = None  # 'PACE-CAN', 'PACE-MRZ' or 'BAC'
    pace_oid: str | None = None
    pace_parameter_id: int | None = None
    extended_length: bool = False
    chip_auth: ChipAuthOutcome = field(default_factory=ChipAuthOutcome)
    active_auth: ActiveAuthOutcome = field(default_factory=ActiveAuthOutcome)
    chip_auth_mapping: ChipAuthMappingOutcome = field(default_factory=ChipAuthMappingOutcome)
    stats: ReadStats = field(default_factory=ReadStats)
    incidents: list[Incident] = field(default_factory=list)  # recovered failures, in order
    error: CardError | None = None  # set when the read stopped early
    complete: bool = False  # True only when every wanted file was attempted

    @staticmethod
    def dg_name(number: int) -> str:
        return f"DG{number}"
