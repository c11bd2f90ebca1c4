"""Fault injection for the virtual CCCD: protocol faults here, data faults routed on.

``parse_fault("name[:arg]")`` reads one fault; ``FaultConfig.from_specs([...])``
collects them. Protocol faults act inside the card OS (``simulators.card``); data
faults edit the card's files and keys through
``simulators.datafaults.apply_data_fault(dataset, name)``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from simulators.carddata import CardDataSet


class FaultError(ValueError):
    """A fault name or argument the simulator does not know; the message says why."""


PROTOCOL_FAULTS = {
    "remove-after": "after N APDUs the card leaves the field (ConnectionResetError)",
    "slow": "sleep MS milliseconds before each answer",
    "no-extended-length": "extended length not advertised; extended APDUs get 6700",
    "extended-refused": "extended length advertised, but extended reads get 6700",
    "tag84-required": "MSE:Set AT for PACE without tag 84 gets 6A80",
    "tag84-rejected": "MSE:Set AT for PACE with tag 84 gets 6A80",
    "bad-response-mac": "corrupt the MAC of the N-th protected response (default 1)",
    "ca-fail": "Chip Authentication answers 9000 but switches to wrong keys",
    "aa-wrong": "Active Authentication signs a different challenge",
    "cam-wrong": "PACE-CAM sends chip authentication data that does not fit its static key",
}
DATA_FAULTS = {
    "tampered-dg": "a data group no longer matches its hash in the SOD",
    "bad-sod-signature": "the SOD signature does not verify",
    "wrong-key": "the chip's CAN and MRZ key belong to another ID number than the one printed, "
    "so a reader using the printed CAN or MRZ is refused (access key rejected)",
    "tampered-dg15": "DG15 holds a public key other than the chip's AA key",
}
_NEEDS_ARG = {"remove-after", "slow"}
_OPTIONAL_ARG = {"bad-response-mac"}


class Fault(NamedTuple):
    name: str
    arg: int | None = None


def parse_fault(text: str) -> Fault:
    """``"slow:200"`` -> Fault("slow", 200); unknown names raise FaultError."""
    name, _, arg = text.strip().partition(":")
    name = name.strip().lower()
    if name not in PROTOCOL_FAULTS and name not in DATA_FAULTS:
        known = ", ".join(sorted({**PROTOCOL_FAULTS, **DATA_FAULTS}))
        raise FaultError(f"Unknown fault '{name}'. Known faults: {known}.")
    if name in _NEEDS_ARG and not arg:
        raise FaultError(f"Fault '{name}' needs a number, e.g. {name}:3.")
    if arg and name not in _NEEDS_ARG | _OPTIONAL_ARG:
        raise FaultError(f"Fault '{name}' takes no argument.")
    value = None
    if arg:
        try:
            value = int(arg)
        except ValueError:
            raise FaultError(f"Fault '{name}' wants a whole number, not '{arg}'.") from None
        if value < 0 or (name == "bad-response-mac" and value == 0):
            raise FaultError(f"Fault '{name}' wants a positive number.")
    return Fault(name, value)


@dataclass
class FaultConfig:
    remove_after: int | None = None
    slow_ms: int = 0
    no_extended_length: bool = False
    extended_refused: bool = False
    tag84_required: bool = False
    tag84_rejected: bool = False
    bad_response_mac: int | None = None  # which protected response (1-based) gets a bad MAC
    ca_fail: bool = False
    aa_wrong: bool = False
    cam_wrong: bool = False
    data_faults: list[str] = field(default_factory=list)

    @classmethod
    def from_specs(cls, specs: Iterable[str | Fault]) -> FaultConfig:
        config = cls()
        for spec in specs:
            config = config.with_fault(spec if isinstance(spec, Fault) else parse_fault(spec))
        return config

    def with_fault(self, fault: Fault) -> FaultConfig:
        name, arg = fault
        if name in DATA_FAULTS:
            return replace(self, data_faults=[*self.data_faults, name])
        table: dict[str, dict[str, Any]] = {
            "remove-after": {"remove_after": arg},
            "slow": {"slow_ms": arg},
            "no-extended-length": {"no_extended_length": True},
            "extended-refused": {"extended_refused": True},
            "tag84-required": {"tag84_required": True},
            "tag84-rejected": {"tag84_rejected": True},
            "bad-response-mac": {"bad_response_mac": arg or 1},
            "ca-fail": {"ca_fail": True},
            "aa-wrong": {"aa_wrong": True},
            "cam-wrong": {"cam_wrong": True},
        }
        return replace(self, **table[name])

    @property
    def names(self) -> list[str]:
        """The active faults, for display."""
        out = []
        if self.remove_after is not None:
            out.append(f"remove-after:{self.remove_after}")
        if self.slow_ms:
            out.append(f"slow:{self.slow_ms}")
        for flag, name in (
            ("no_extended_length", "no-extended-length"),
            ("extended_refused", "extended-refused"),
            ("tag84_required", "tag84-required"),
            ("tag84_rejected", "tag84-rejected"),
            ("ca_fail", "ca-fail"),
            ("aa_wrong", "aa-wrong"),
            ("cam_wrong", "cam-wrong"),
        ):
            if getattr(self, flag):
                out.append(name)
        if self.bad_response_mac is not None:
            out.append(f"bad-response-mac:{self.bad_response_mac}")
        return out + list(self.data_faults)

    def apply_data_faults(self, dataset: CardDataSet) -> CardDataSet:
        """Route data faults to ``simulators.datafaults``; returns the data set to serve."""
        if not self.data_faults:
            return dataset
        try:
            from simulators.datafaults import apply_data_fault
        except ImportError:
            raise FaultError(
                "Data faults need simulators.datafaults, which is not available."
            ) from None
        for name in self.data_faults:
            result = apply_data_fault(dataset, name)
            dataset = dataset if result is None else result
        return dataset
