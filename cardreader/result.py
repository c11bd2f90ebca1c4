"""What one read of a card produced, before any verification.

The reader fills a ``ReadResult``; LDS parsing and passive authentication
consume it; nothing downstream talks to the card again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from cardreader.errors import CardError
from crypto.outcomes import ActiveAuthOutcome, ChipAuthOutcome

# Chip/Active Authentication outcomes live in crypto (both layers need them); re-exported here.
__all__ = ["ActiveAuthOutcome", "ChipAuthOutcome", "Incident", "Phase", "ReadResult", "ReadStats"]


class Phase(str, Enum):
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

    def to_dict(self) -> dict:
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

    def to_dict(self) -> dict:
        return {
            "step": self.step,
            "file": self.file,
            "code": self.code,
            "message": self.message,
            "sw": None if self.sw is None else f"{self.sw:04X}",
        }


@dataclass
class ReadResult:
    """Raw bytes of every file read, keyed by name ('EF.CardAccess', 'EF.COM', 'EF.SOD', 'DG1', ...)."""

    files: dict[str, bytes] = field(default_factory=dict)
    file_errors: dict[str, CardError] = field(default_factory=dict)
    access_protocol: str | None = None  # 'PACE-CAN', 'PACE-MRZ' or 'BAC'
    pace_oid: str | None = None
    pace_parameter_id: int | None = None
    extended_length: bool = False
    chip_auth: ChipAuthOutcome = field(default_factory=ChipAuthOutcome)
    active_auth: ActiveAuthOutcome = field(default_factory=ActiveAuthOutcome)
    stats: ReadStats = field(default_factory=ReadStats)
    incidents: list[Incident] = field(default_factory=list)  # recovered failures, in order
    error: CardError | None = None  # set when the read stopped early
    complete: bool = False  # True only when every wanted file was attempted

    @staticmethod
    def dg_name(number: int) -> str:
        return f"DG{number}"
