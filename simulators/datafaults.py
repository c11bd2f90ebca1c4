"""Faults in the card's *data* (the card OS stays honest): each returns a new CardDataSet.

- ``tampered-dg``: one byte of the DG2 image changed after the SOD was signed.
- ``bad-sod-signature``: one byte of the SignerInfo signature flipped.
- ``tampered-dg15``: DG15 holds another key (and the chip answers AA with it); SOD unchanged.
- ``wrong-key``: the chip's CAN and MRZ key belong to another ID number than the one printed
  on the card (files, ``citizen`` and what a test takes from the original data set), so a
  reader using the printed CAN or MRZ is refused. The returned set's ``can`` /
  ``document_number`` / ``mrz_lines`` are the chip's (the keys it accepts).
"""

from __future__ import annotations

from dataclasses import replace

from asn1crypto import cms

from .carddata import FID_SOD, CardDataSet, fid_of_dg
from .dataset import DataSetError, strip_sod_tag
from .lds.files import encode_dg15
from .lds.keyinfo import curve_of_key
from .lds.mrz import td1_lines
from .pki import PrivateKey, ec_key, rsa_key

DATA_FAULTS = ("tampered-dg", "bad-sod-signature", "tampered-dg15", "wrong-key")
_JPEG_SOI = b"\xff\xd8\xff"
_JP2_SIGNATURE = b"\x00\x00\x00\x0cjP  \r\n\x87\n"
_J2K_SOC = b"\xff\x4f\xff\x51"


class DataFaultError(DataSetError):
    """Unknown fault name, or a data set the fault cannot apply to."""


def _image_span(dg2: bytes) -> tuple[int, int]:
    """Where the image starts inside DG2, and the end of DG2 (19794-5: the image runs to the
    end; 39794-5: a few bytes of image information follow it)."""
    for magic in (_JPEG_SOI, _JP2_SIGNATURE, _J2K_SOC):
        start = dg2.find(magic)
        if start >= 0:
            return start, len(dg2)
    raise DataFaultError("no JPEG or JPEG 2000 image found in DG2")


def _tampered_dg(ds: CardDataSet) -> CardDataSet:
    fid = fid_of_dg(2)
    dg2 = bytearray(ds.files[fid])
    start, end = _image_span(bytes(dg2))
    # the middle of the span: inside the compressed data (a 39794-5 block ends with a few
    # bytes of image information, far less than the image), so the file still parses
    pos = start + (end - start) // 2
    dg2[pos] ^= 0x01
    return _with_files(ds, {fid: bytes(dg2)})


def _bad_sod_signature(ds: CardDataSet) -> CardDataSet:
    raw = ds.files[FID_SOD]
    signature = cms.ContentInfo.load(strip_sod_tag(raw))["content"]["signer_infos"][0][
        "signature"
    ].native
    pos = raw.rfind(signature)
    if pos < 0:
        raise DataFaultError("the signature was not found in EF.SOD")
    tampered = bytearray(raw)
    tampered[pos + len(signature) - 1] ^= 0x01  # last byte: DER of an ECDSA signature stays valid
    return _with_files(ds, {FID_SOD: bytes(tampered)})


def _tampered_dg15(ds: CardDataSet) -> CardDataSet:
    label = f"attacker-aa|{ds.id_number}"
    old = ds.aa_private_key
    new: PrivateKey
    if hasattr(old, "curve"):
        new = ec_key(label, curve_of_key(old).name)
    else:
        new = rsa_key(label, old.key_size)
    dg15 = encode_dg15(new.public_key())
    out = _with_files(ds, {fid_of_dg(15): dg15})
    return replace(out, aa_private_key=new)


def _wrong_key(ds: CardDataSet) -> CardDataSet:
    """Another serial in the same province/birth prefix: all of CAN and doc number change."""
    serial = int(ds.id_number[6:])
    other_id = ds.id_number[:6] + f"{(serial + 314159) % 1_000_000:06d}"
    person = ds.citizen
    lines = td1_lines(
        document_number=other_id[-9:],
        id_number=other_id,
        birth_date=ds.birth_date,
        sex=ds.mrz_lines[1][7],
        expiry_date=ds.expiry_date,
        full_name=person.full_name if person is not None else "X",
    )
    if person is None:  # keep the printed name line when no citizen is attached
        lines = (lines[0], lines[1], ds.mrz_lines[2])
    return replace(
        ds,
        files=dict(ds.files),
        id_number=other_id,
        can=other_id[-6:],
        document_number=other_id[-9:],
        mrz_lines=lines,
    )


def _with_files(ds: CardDataSet, changes: dict[int, bytes]) -> CardDataSet:
    files = dict(ds.files)
    files.update(changes)
    return replace(ds, files=files)


_FAULTS = {
    "tampered-dg": _tampered_dg,
    "bad-sod-signature": _bad_sod_signature,
    "tampered-dg15": _tampered_dg15,
    "wrong-key": _wrong_key,
}


def apply_data_fault(dataset: CardDataSet, name: str) -> CardDataSet:
    """A new data set with fault ``name`` applied; the input is left unchanged."""
    try:
        fault = _FAULTS[name]
    except KeyError:
        raise DataFaultError(
            f"unknown data fault {name!r}; known: {', '.join(DATA_FAULTS)}"
        ) from None
    return replace(fault(dataset), label=f"{dataset.label} +{name}")
