"""EF.SOD (six real documents + the BSI reference) and EF.COM."""

from __future__ import annotations

import hashlib
import os

import pytest
from asn1crypto import algos, cms, x509
from asn1crypto import core as cms_core

from cardreader import tlv
from cardreader.errors import ParseError
from cardreader.lds.com import EFCOM
from cardreader.lds.sod import EFSOD

COUNTRIES = ["AT", "AU", "DE", "FR", "MY", "NZ"]


def _expected(path) -> dict[str, str]:
    out = {}
    for line in path.read_text().splitlines():
        key, sep, value = line.partition("=")
        if sep:
            out[key.strip()] = value.strip()
    return out


@pytest.mark.parametrize("country", COUNTRIES)
def test_real_sods(shared_dir, country):
    folder = shared_dir / "pki/documents" / country
    exp = _expected(folder / "expected.txt")
    sod = EFSOD.from_bytes((folder / "EF_SOD.bin").read_bytes())
    assert sod.dg_hashes[1].hex() == exp["expDg1Hash"].lower()
    assert sod.dg_hashes[2].hex() == exp["expDg2Hash"].lower()
    assert (sod.lds_version or "") == exp["expLdsVersion"]
    assert (sod.unicode_version or "") == exp["expUnicodeVersion"]
    assert len(sod.dg_hashes[1]) == hashlib.new(sod.hash_algorithm).digest_size
    assert sod.encap_content_type == "2.23.136.1.1.1" and not sod.warnings
    assert len(sod.signer_infos) == 1
    (cert,) = sod.certificates
    assert isinstance(cert, x509.Certificate)
    assert cert.subject.native["country_name"] == exp["expCountryAlpha2"]
    # encap_content is exactly what the signed messageDigest covers (also for NZ's BER chunks).
    signer = sod.signer_infos[0]
    digest = signer["digest_algorithm"]["algorithm"].native
    (md,) = [
        a["values"][0].native
        for a in signer["signed_attrs"]
        if a["type"].native == "message_digest"
    ]
    assert hashlib.new(digest, sod.encap_content).digest() == md


def test_sod_dg_files_hash_to_listed_values(shared_dir):
    for country in ("AT", "DE", "FR", "MY"):
        folder = shared_dir / "pki/documents" / country
        sod = EFSOD.from_bytes((folder / "EF_SOD.bin").read_bytes())
        dg14 = (folder / "DG14.bin").read_bytes()
        assert hashlib.new(sod.hash_algorithm, dg14).digest() == sod.dg_hashes[14], country


def test_de_uses_sha384_and_v1(shared_dir):
    sod = EFSOD.from_bytes((shared_dir / "pki/documents/DE/EF_SOD.bin").read_bytes())
    assert (sod.hash_algorithm, sod.hash_algorithm_oid, sod.version) == (
        "sha384",
        "2.16.840.1.101.3.4.2.2",
        1,
    )


def test_bsi_sod_matches_its_data_groups(shared_dir):
    folder = shared_dir / "pki/bsi-tr03105-5"
    sod = EFSOD.from_bytes((folder / "EF_SOD.bin").read_bytes())
    assert sod.data_group_numbers == [1, 2, 3, 4, 14]
    for number, name in [
        (1, "Datagroup1.bin"),
        (2, "Datagroup2.bin"),
        (3, "Datagroup3.bin"),
        (4, "Datagroup4.bin"),
        (14, "Datagroup14.bin"),
    ]:
        assert (
            hashlib.new(sod.hash_algorithm, (folder / name).read_bytes()).digest()
            == sod.dg_hashes[number]
        )


def test_nz_is_ber_indefinite(shared_dir):
    raw = (shared_dir / "pki/documents/NZ/EF_SOD.bin").read_bytes()
    assert raw[4:6] == b"\x30\x80"  # the ContentInfo uses an indefinite length
    sod = EFSOD.from_bytes(raw)
    assert sorted(sod.dg_hashes) == [1, 2, 12, 13, 14, 15]
    assert sod.raw == raw


def test_garbage_sod():
    with pytest.raises(ParseError, match="not a valid CMS SignedData") as err:
        EFSOD.from_bytes(tlv.encode(0x77, bytes.fromhex("3003020101")))
    assert err.value.file == "EF.SOD"


def test_sod_wrong_outer_tag():
    with pytest.raises(ParseError, match="must start with tag 77, found 61"):
        EFSOD.from_bytes(bytes.fromhex("6103020101"))


def test_sod_truncated(shared_dir):
    raw = (shared_dir / "pki/documents/AT/EF_SOD.bin").read_bytes()
    with pytest.raises(ParseError, match="runs past the end"):
        EFSOD.from_bytes(raw[:-10])


def test_sod_random_ten_megabytes():
    with pytest.raises(ParseError):
        EFSOD.from_bytes(b"\x77\x84\x00\xa0\x00\x00" + os.urandom(10 * 1024 * 1024))


def test_sod_flipped_inner_bytes(shared_dir):
    raw = bytearray((shared_dir / "pki/documents/AT/EF_SOD.bin").read_bytes())
    raw[4] = 0x31  # ContentInfo SEQUENCE -> SET
    with pytest.raises(ParseError, match=r"EF\.SOD"):
        EFSOD.from_bytes(bytes(raw))


def test_ef_com_bsi(shared_dir):
    raw = (shared_dir / "pki/bsi-tr03105-5/EF_COM.bin").read_bytes()
    com = EFCOM.from_bytes(raw)
    assert (com.lds_version, com.unicode_version) == ("1.7", "4.0.0")
    assert com.data_groups == [1, 2, 3, 4, 14] and com.unknown_tags == []
    assert com.raw == raw


def test_ef_com_cccd_like():
    body = (
        tlv.encode(0x5F01, b"0107")
        + tlv.encode(0x5F36, b"040000")
        + tlv.encode(0x5C, bytes([0x61, 0x75, 0x63, 0x6D, 0x6E, 0x6F]))
    )
    com = EFCOM.from_bytes(tlv.encode(0x60, body))
    assert com.data_groups == [1, 2, 3, 13, 14, 15]


def test_ef_com_errors():
    with pytest.raises(ParseError, match="must start with tag 60"):
        EFCOM.from_bytes(tlv.encode(0x61, tlv.encode(0x5C, b"\x61")))
    with pytest.raises(ParseError, match="no tag list"):
        EFCOM.from_bytes(tlv.encode(0x60, tlv.encode(0x5F01, b"0107")))
    with pytest.raises(ParseError, match="version is malformed"):
        EFCOM.from_bytes(tlv.encode(0x60, tlv.encode(0x5F01, b"1.7") + tlv.encode(0x5C, b"\x61")))


def _resigned_content(shared_dir, content_type: str, content: bytes | None = None) -> bytes:
    """The AT SOD with its encapsulated content re-labelled (the signature no longer matters
    here)."""
    raw = (shared_dir / "pki/documents/AT/EF_SOD.bin").read_bytes()
    ci = cms.ContentInfo.load(tlv.decode(raw).value)
    sd = ci["content"]
    econtent = content if content is not None else bytes(sd["encap_content_info"]["content"].native)
    new_sd = cms.SignedData(
        {
            "version": sd["version"].native,
            "digest_algorithms": sd["digest_algorithms"],
            "encap_content_info": {"content_type": content_type, "content": econtent},
            "certificates": sd["certificates"],
            "signer_infos": sd["signer_infos"],
        }
    )
    return cms.ContentInfo({"content_type": "signed_data", "content": new_sd}).dump()


def test_sod_with_id_data_is_accepted_with_warning(shared_dir):
    sod = EFSOD.from_bytes(tlv.encode(0x77, _resigned_content(shared_dir, "data")))
    assert sod.encap_content_type == "1.2.840.113549.1.7.1"
    assert sod.warnings == ["eContentType is id-data instead of ldsSecurityObject"]
    assert sod.data_group_numbers == [1, 2, 3, 11, 12, 14]


def test_sod_with_other_content_type(shared_dir):
    with pytest.raises(
        ParseError, match=r"eContentType is 2\.23\.136\.1\.1\.2, not ldsSecurityObject"
    ):
        EFSOD.from_bytes(tlv.encode(0x77, _resigned_content(shared_dir, "2.23.136.1.1.2")))


def test_sod_lds_object_without_hashes(shared_dir):
    empty = cms_core.Sequence(
        value=None,
        contents=cms_core.Integer(0).dump()
        + algos.DigestAlgorithm({"algorithm": "sha256"}).dump()
        + cms_core.Sequence(value=None, contents=b"").dump(),
    ).dump()
    with pytest.raises(ParseError, match="lists no data group hashes"):
        EFSOD.from_bytes(tlv.encode(0x77, _resigned_content(shared_dir, "2.23.136.1.1.1", empty)))


def test_card_security(shared_dir, icao_vectors):
    from cardreader.lds.security_infos import parse_card_security

    infos_der = bytes.fromhex(icao_vectors["cccd"]["ef_card_access"])
    blob = _resigned_content(shared_dir, "0.4.0.127.0.7.3.2.1", infos_der)
    infos = parse_card_security(blob)
    assert infos.describe() == icao_vectors["cccd"]["ef_card_access_decoded"]
    with pytest.raises(ParseError, match="not id-SecurityObject"):
        parse_card_security(_resigned_content(shared_dir, "data", infos_der))
    with pytest.raises(ParseError, match=r"EF\.CardSecurity is not a valid CMS"):
        parse_card_security(b"\x30\x03\x02\x01\x01")
