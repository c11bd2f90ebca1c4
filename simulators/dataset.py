"""``build_dataset``: the files, keys and access data of one virtual CCCD.

Everything is derived from the citizen index and the options, so the card
process and a test process build byte-identical data sets. Keys, certificates
and portraits are cached, so a data set after the first costs a few ms.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from functools import lru_cache
from typing import ParamSpec, TypeVar

from asn1crypto import cms
from cryptography.hazmat.primitives.asymmetric import ec

from .carddata import FID_CARD_ACCESS, FID_COM, FID_SOD, CardDataSet, fid_of_dg
from .citizens import Citizen
from .citizens import citizen as citizen_at
from .lds.dg2 import encode_dg2
from .lds.files import encode_com, encode_dg1, encode_dg13, encode_dg15
from .lds.security_infos import (
    ID_CA_ECDH_AES128,
    encode_card_access,
    encode_card_security_infos,
    encode_dg14,
    pace_oid,
)
from .lds.tlv import LDSEncodeError, tlv
from .pki import (
    SIGNING_TIME,
    Issued,
    PKIError,
    PrivateKey,
    default_pki,
    ec_key,
    rsa_key,
    sign_card_security,
    sign_sod,
)
from .portrait import PortraitError, image_size, portrait_from_photo, synthetic_portrait

COM_DGS = [1, 2, 3, 13, 14, 15]  # what a CCCD's EF.COM lists (DG3 needs TA: 6982)
SOD_DGS = [1, 2, 13, 14, 15]  # what the virtual card serves and signs
# ``pace_offer`` switches: a card that offers one PACE mapping only (brainpoolP256r1, AES-128).
PACE_OFFERS: dict[str, list[tuple[str, int | None]]] = {
    "GM": [(pace_oid("ECDH-GM"), 13)],
    "IM": [(pace_oid("ECDH-IM"), 13)],
    "CAM": [(pace_oid("ECDH-CAM"), 13)],
}


_P = ParamSpec("_P")
_R = TypeVar("_R")


class DataSetError(ValueError):
    """Options that do not make a data set (the message says which)."""


@lru_cache(maxsize=64)
def _portrait(seed: str, fmt: str, female: bool) -> bytes:
    return synthetic_portrait(seed, fmt, female=female)


@lru_cache(maxsize=16)
def _photo_portrait(photo: bytes, fmt: str) -> bytes:
    return portrait_from_photo(photo, fmt)


def _stand_in_dg3(id_number: str) -> bytes:
    """Bytes whose hash the SOD lists for DG3 (fingerprints behind Terminal Authentication)."""
    return tlv(0x63, hashlib.shake_256(f"dg3|{id_number}".encode()).digest(512))


def chip_ca_key(person: Citizen, curve: str = "brainpoolP256r1") -> ec.EllipticCurvePrivateKey:
    """The chip's static Chip Authentication key (DG14)."""
    return ec_key(f"chip-ca|{person.id_number}", curve)


def chip_aa_key(
    person: Citizen, kind: str = "rsa", *, bits: int = 1024, curve: str = "brainpoolP256r1"
) -> PrivateKey:
    """The chip's Active Authentication key (DG15): RSA (ISO/IEC 9796-2) or ECDSA."""
    if kind == "rsa":
        return rsa_key(f"chip-aa|{person.id_number}", bits)
    if kind == "ecdsa":
        return ec_key(f"chip-aa|{person.id_number}", curve)
    raise DataSetError(f"unknown AA key kind {kind!r}; use 'rsa' or 'ecdsa'")


def _one_error_type(fn: Callable[_P, _R]) -> Callable[_P, _R]:
    """Errors from the PKI, the encoders and the portrait reach callers as DataSetError."""

    @functools.wraps(fn)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return fn(*args, **kwargs)
        except (PKIError, LDSEncodeError, PortraitError) as exc:
            raise DataSetError(f"the virtual card's data could not be built: {exc}") from exc

    return wrapper


@_one_error_type
def build_dataset(
    index: int = 0,
    *,
    photo: bytes | None = None,
    photo_format: str = "jpeg",
    pace: list[tuple[str, int | None]] | None = None,
    pace_offer: str | None = None,
    card_security: bool | None = None,
    signer: str = "ecdsa",
    aa_key: str = "rsa",
    aa_bits: int = 1024,
    aa_curve: str = "brainpoolP256r1",
    aa_hash: str = "sha256",
    sod_hash: str = "sha256",
    ca_curve: str = "brainpoolP256r1",
    ca_key_id: int | None = 1,
    ca_oid: str = ID_CA_ECDH_AES128,
    explicit_params: bool = True,
    lds_version_info: tuple[str, str] | None = None,
    sod_dgs: list[int] | None = None,
    dsc: Issued | None = None,
    person: Citizen | None = None,
    signing_time: datetime | None = SIGNING_TIME,
    mrz_expiry: str | None = None,
    dg2_iso39794: bool = False,
    keep_photo: bool = True,
) -> CardDataSet:
    """The virtual CCCD of citizen ``index``.

    photo: image bytes to use as the portrait instead of the synthetic face (any format
    Pillow reads), re-encoded as ``photo_format`` ('jpeg' or 'jp2').
    pace: [(PACE protocol OID, parameter id)] for EF.CardAccess; None = the CCCD's bytes.
    pace_offer: 'GM', 'IM' or 'CAM': the card offers only that ECDH mapping (instead of ``pace``).
    card_security: serve a signed EF.CardSecurity (default: when PACE-CAM is offered, which
    needs it for the chip's static key).
    signer: 'ecdsa' | 'rsa' | 'rsa-pss' test PKI (or ``dsc`` to sign with any DSC).
    lds_version_info: e.g. ('0108', '040000') for an LDSSecurityObject v1.
    sod_dgs: the data groups hashed in the SOD (default DG1, 2, 13, 14, 15); 3 adds the hash
    of a stand-in fingerprint DG3 that the card never serves (it answers 6982, as a CCCD does).
    mrz_expiry: the MRZ's expiry field instead of the person's, e.g. '<<<<<<' for a card
    without expiry.
    signing_time: the SOD's signingTime attribute (fixed by default; None leaves it out).
    dg2_iso39794: DG2 in the ISO/IEC 39794-5 layout (7F2E) instead of ISO/IEC 19794-5 (5F2E).
    keep_photo: False for a real person's photo: it is not kept in the portrait cache.
    """
    person = person or citizen_at(index)
    if pace_offer is not None:
        if pace_offer not in PACE_OFFERS:
            raise DataSetError(f"pace_offer {pace_offer!r}: use one of {', '.join(PACE_OFFERS)}")
        pace = PACE_OFFERS[pace_offer]
    if mrz_expiry is not None:
        if len(mrz_expiry) != 6:
            raise DataSetError("the MRZ expiry is six characters (YYMMDD or '<<<<<<')")
        person = replace(person, mrz_expiry_override=mrz_expiry)
    if photo_format not in ("jpeg", "jp2"):
        raise DataSetError(f"photo format {photo_format!r}: use 'jpeg' or 'jp2'")
    # keep_photo=False: a person's own photo (the kiosk demo) is not kept in the portrait cache.
    image = (
        (_photo_portrait if keep_photo else portrait_from_photo)(photo, photo_format)
        if photo is not None
        else _portrait(person.id_number, photo_format, person.sex == "Nữ")
    )
    width, height = image_size(image)
    ca_priv = chip_ca_key(person, ca_curve)
    aa_priv = chip_aa_key(person, aa_key, bits=aa_bits, curve=aa_curve)
    mrz = person.mrz_lines()

    dgs = {
        1: encode_dg1(mrz),
        2: encode_dg2(
            image,
            photo_format,
            width,
            height,
            gender=1 if person.sex == "Nam" else 2,
            iso39794=dg2_iso39794,
        ),
        13: encode_dg13(person.dg13_fields()),
        14: encode_dg14(
            ca_priv.public_key(),
            key_id=ca_key_id,
            ca_oid=ca_oid,
            explicit=explicit_params,
            aa_hash=aa_hash if aa_key == "ecdsa" else None,
        ),
        15: encode_dg15(aa_priv.public_key(), explicit=explicit_params),
    }
    signed = {n: dgs[n] for n in (sod_dgs or SOD_DGS) if n in dgs}
    if 3 in (sod_dgs or ()):
        signed[3] = _stand_in_dg3(person.id_number)
    dsc = dsc or default_pki(signer)[1]
    sod = sign_sod(dsc, signed, sod_hash, lds_version=lds_version_info, signing_time=signing_time)

    cam_prefix = pace_oid("ECDH-CAM").rpartition(".")[0] + "."
    offers_cam = any(oid.startswith(cam_prefix) for oid, _ in pace or [])
    security_file = None
    if card_security if card_security is not None else offers_cam:
        infos = encode_card_security_infos(
            pace if pace is not None else [("0.4.0.127.0.7.2.2.4.2.2", 13)],
            ca_priv.public_key(),
            key_id=ca_key_id,
            ca_oid=ca_oid,
            explicit=explicit_params,
        )
        security_file = sign_card_security(dsc, infos, signing_time=signing_time)
    files = {
        FID_CARD_ACCESS: encode_card_access(pace, ca_oid=ca_oid),
        FID_COM: encode_com(COM_DGS),
        FID_SOD: sod,
    }
    files.update({fid_of_dg(n): data for n, data in dgs.items()})
    return CardDataSet(
        files=files,
        id_number=person.id_number,
        can=person.can,
        document_number=person.document_number,
        birth_date=person.birth_yymmdd,
        expiry_date=person.expiry_yymmdd,
        mrz_lines=mrz,
        ca_private_key=ca_priv,
        ca_key_id=ca_key_id,
        card_security=security_file,
        aa_private_key=aa_priv,
        aa_hash=aa_hash,
        citizen=person,
        label=f"citizen {person.id_number[-4:]} ({signer}, AA {aa_key}, {photo_format})",
    )


def sod_content(dataset: CardDataSet) -> bytes:
    """The LDSSecurityObject inside a data set's EF.SOD (for tests and tools)."""
    raw = dataset.files[FID_SOD]
    ci = cms.ContentInfo.load(strip_sod_tag(raw))
    return bytes(ci["content"]["encap_content_info"]["content"].native)


def strip_sod_tag(raw: bytes) -> bytes:
    """The ContentInfo inside EF.SOD's tag 77."""
    if raw[0] != 0x77:
        raise DataSetError("EF.SOD does not start with tag 77")
    n = raw[1]
    start = 2 if n < 0x80 else 2 + (n & 0x7F)
    return raw[start:]


__all__ = [
    "COM_DGS",
    "SOD_DGS",
    "DataSetError",
    "build_dataset",
    "chip_aa_key",
    "chip_ca_key",
    "sod_content",
]
