import hashlib
from datetime import UTC, datetime

import pytest
from asn1crypto import cms, core

from simulators import pki
from simulators.carddata import FID_SOD, fid_of_dg
from simulators.dataset import SOD_DGS, build_dataset, strip_sod_tag
from simulators.lds.cms import LDSSecurityObject

from .keyhelp import cert_public_key, strip_tlv, verify_certificate, verify_signature


def _open_sod(raw: bytes):
    ci = cms.ContentInfo.load(strip_tlv(raw, b"\x77"))
    assert ci["content_type"].native == "signed_data"
    sd = ci["content"]
    econtent = sd["encap_content_info"]["content"].native
    return sd, econtent, LDSSecurityObject.load(econtent)


def _check_sod(ds, hash_name: str):
    sd, econtent, lso = _open_sod(ds.files[FID_SOD])
    assert sd["version"].native == "v3"
    assert sd["encap_content_info"]["content_type"].dotted == "2.23.136.1.1.1"
    assert lso["hash_algorithm"]["algorithm"].native == hash_name
    hashes = {
        h["data_group_number"].native: h["data_group_hash_value"].native
        for h in lso["data_group_hash_values"]
    }
    assert sorted(hashes) == sorted(SOD_DGS)
    for n, value in hashes.items():
        assert value == hashlib.new(hash_name, ds.files[fid_of_dg(n)]).digest(), f"DG{n}"
    si = sd["signer_infos"][0]
    attrs = {a["type"].native: a["values"][0] for a in si["signed_attrs"]}
    assert attrs["content_type"].dotted == "2.23.136.1.1.1"
    assert attrs["message_digest"].native == hashlib.new(hash_name, econtent).digest()
    assert si["digest_algorithm"]["algorithm"].native == hash_name
    (dsc_cert,) = [c.chosen for c in sd["certificates"]]
    sid = si["sid"].chosen
    assert (
        sid["serial_number"].native == dsc_cert.serial_number and sid["issuer"] == dsc_cert.issuer
    )
    # the signature covers the signedAttrs re-tagged from [0] to SET
    signed = si["signed_attrs"].untag().dump()
    assert signed[0] == 0x31
    verify_signature(
        cert_public_key(dsc_cert), si["signature"].native, signed, si["signature_algorithm"]
    )
    return sd, lso, dsc_cert


@pytest.mark.parametrize("signer", pki.SIGNERS)
def test_sod_signature_verifies_and_dg_hashes_match(signer):
    ds = build_dataset(0, signer=signer)
    _, lso, dsc_cert = _check_sod(ds, "sha256")
    assert lso["version"].native == 0 and not lso["lds_version_info"].native
    csca, dsc = pki.default_pki(signer)
    assert dsc_cert.dump() == dsc.der
    verify_certificate(dsc_cert, cert_public_key(csca.cert))


@pytest.mark.parametrize("hash_name", ["sha1", "sha384", "sha512"])
def test_sod_hash_options(hash_name):
    _check_sod(build_dataset(1, sod_hash=hash_name), hash_name)


def test_lds_security_object_v1_carries_version_info():
    _, lso, _ = _check_sod(build_dataset(1, lds_version_info=("0108", "040000")), "sha256")
    assert lso["version"].native == 1
    assert lso["lds_version_info"].native == {"lds_version": "0108", "unicode_version": "040000"}


def test_signing_time_is_fixed_and_injectable():
    _csca, dsc = pki.default_pki("ecdsa")
    raw = pki.sign_sod(dsc, {1: b"\x61\x00"}, signing_time=datetime(2025, 5, 6, tzinfo=UTC))
    sd, _, _ = _open_sod(raw)
    attrs = {a["type"].native: a["values"][0].native for a in sd["signer_infos"][0]["signed_attrs"]}
    assert attrs["signing_time"] == datetime(2025, 5, 6, tzinfo=UTC)
    without = pki.sign_sod(dsc, {1: b"\x61\x00"}, signing_time=None)
    sd, _, _ = _open_sod(without)
    assert len(sd["signer_infos"][0]["signed_attrs"]) == 2


def test_sign_sod_options_for_negative_tests():
    _csca, dsc = pki.default_pki("ecdsa")
    dgs = {1: b"\x61\x03\x5f\x1f\x00", 15: b"\x6f\x00"}
    sd, _, lso = _open_sod(pki.sign_sod(dsc, dgs, include_certificate=False, sid_by_ski=True))
    assert not sd["certificates"].native
    si = sd["signer_infos"][0]
    assert si["version"].native == "v3" and si["sid"].chosen.native == dsc.ski
    verify_signature(
        cert_public_key(dsc.cert),
        si["signature"].native,
        si["signed_attrs"].untag().dump(),
        si["signature_algorithm"],
    )
    assert [h["data_group_number"].native for h in lso["data_group_hash_values"]] == [1, 15]
    sd, _, _ = _open_sod(pki.sign_sod(dsc, dgs, econtent_type="1.2.840.113549.1.7.1"))
    assert sd["encap_content_info"]["content_type"].native == "data"
    with pytest.raises(ValueError):
        pki.sign_sod(dsc, dgs, "md5")


def test_sod_over_255_bytes_uses_long_form():
    raw = build_dataset(0).files[FID_SOD]
    assert raw[0] == 0x77 and raw[1] == 0x82 and int.from_bytes(raw[2:4], "big") == len(raw) - 4
    assert strip_sod_tag(raw) == raw[4:]
    assert isinstance(core.load(raw[4:]), core.Sequence)
