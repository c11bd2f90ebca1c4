"""The virtual CCCD card OS: ISO 7816-4 commands, BAC, PACE, secure messaging,
Chip and Active Authentication, all on the card side (no ``cardreader`` imports)."""

from simulators.card.cardos import VirtualCCCD
from simulators.card.filesystem import AID_EMRTD

__all__ = ["AID_EMRTD", "VirtualCCCD"]
