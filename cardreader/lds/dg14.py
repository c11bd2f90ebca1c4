"""DG14 (ICAO Doc 9303-10 §4.7.14): tag 6E -> SecurityInfos for Chip Authentication (and PACE,
AA)."""

from __future__ import annotations

from dataclasses import dataclass

from cardreader import tlv
from cardreader.lds.security_infos import (
    ActiveAuthenticationInfo,
    ChipAuthenticationInfo,
    ChipAuthenticationPublicKeyInfo,
    SecurityInfos,
)

TAG_DG14 = 0x6E


@dataclass
class DG14:
    raw: bytes
    security_infos: SecurityInfos

    @property
    def chip_authentication_infos(self) -> list[ChipAuthenticationInfo]:
        return self.security_infos.chip_authentication_infos

    @property
    def chip_authentication_public_keys(self) -> list[ChipAuthenticationPublicKeyInfo]:
        return self.security_infos.chip_authentication_public_keys

    @property
    def active_authentication_info(self) -> ActiveAuthenticationInfo | None:
        return self.security_infos.active_authentication_info

    def chip_authentication_pair(
        self, key_id: int | None = None
    ) -> tuple[ChipAuthenticationInfo | None, ChipAuthenticationPublicKeyInfo | None]:
        """The ChipAuthenticationInfo and public key to use: matched by keyId when keys carry
        one."""
        infos = self.chip_authentication_infos
        keys = self.chip_authentication_public_keys
        if key_id is not None:
            infos = [i for i in infos if i.key_id in (key_id, None)]
            keys = [k for k in keys if k.key_id in (key_id, None)]
        key = keys[0] if keys else None
        info = None
        if key is not None:
            # The CA protocol must use the same key agreement as the key (DH with DH, ECDH with
            # ECDH).
            info = next(
                (
                    i
                    for i in infos
                    if i.key_agreement == key.key_agreement
                    and (key.key_id is None or i.key_id in (None, key.key_id))
                ),
                None,
            )
        elif infos:
            info = infos[0]
        return info, key

    @classmethod
    def from_bytes(cls, raw: bytes, *, file: str = "DG14") -> DG14:
        raw = bytes(raw)
        root = tlv.decode_file(raw, TAG_DG14, file=file)
        return cls(raw=raw, security_infos=SecurityInfos.from_bytes(root.value, file=file))
