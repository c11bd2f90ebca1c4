"""DG15 (ICAO Doc 9303-10 §4.7.15): tag 6F -> SubjectPublicKeyInfo of the Active Authentication
key."""

from __future__ import annotations

from dataclasses import dataclass

from asn1crypto import keys

from cardreader import tlv
from cardreader.errors import ParseError
from cardreader.lds.pubkey import PublicKey
from crypto.curves import NamedCurve

TAG_DG15 = 0x6F


@dataclass
class DG15:
    raw: bytes
    public_key: PublicKey

    @property
    def public_key_info(self) -> keys.PublicKeyInfo:
        return self.public_key.public_key_info

    @property
    def algorithm(self) -> str:
        """'rsa' or 'ec'."""
        return self.public_key.algorithm

    @property
    def curve(self) -> NamedCurve | None:
        return self.public_key.curve

    @property
    def key_size(self) -> int | None:
        return self.public_key.key_size

    @classmethod
    def from_bytes(cls, raw: bytes, *, file: str = "DG15") -> DG15:
        raw = bytes(raw)
        root = tlv.decode_file(raw, TAG_DG15, file=file)
        if len(root.children) != 1:
            raise ParseError(
                "DG15 must hold exactly one SubjectPublicKeyInfo", step="parse", file=file
            )
        key = PublicKey.from_bytes(root.children[0].raw, file=file)
        if key.algorithm not in ("rsa", "ec"):
            raise ParseError(
                f"DG15 key algorithm {key.algorithm_oid} is neither RSA nor EC",
                step="parse",
                file=file,
            )
        return cls(raw=raw, public_key=key)
