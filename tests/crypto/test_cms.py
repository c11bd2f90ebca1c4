"""CMS SignedData: the real SODs (DER and BER, PKCS#1 v1.5, plain rsaEncryption, PSS, ECDSA)."""

from __future__ import annotations

import pytest
from asn1crypto import cms as asn1_cms

from crypto import cms
from crypto.errors import InvalidSignature, MalformedError
from crypto.keys import SignatureScheme
from simulators import pki

from .conftest import DOCUMENTS

EXPECTED_SCHEME = {
    "AT": SignatureScheme("ecdsa", "sha256"),
    "AU": SignatureScheme("pkcs1v15", "sha256"),
    "DE": SignatureScheme("ecdsa", "sha384"),
    "FR": SignatureScheme("pkcs1v15", "sha256"),
    "MY": SignatureScheme("pss", "sha256", 32, "sha256"),
    "NZ": SignatureScheme("pkcs1v15", "sha256"),
}


def _sd(raw: bytes):
    # strip the 77 wrapper (definite or indefinite outer length) -- EFSOD does that in the pipeline
    start = 2 if raw[1] == 0x80 or raw[1] < 0x80 else 2 + (raw[1] & 0x7F)
    return cms.load_signed_data(raw[start:])


@pytest.mark.parametrize("country", DOCUMENTS)
def test_real_sod_signatures_verify(pki_dir, country):
    sd = _sd((pki_dir / "documents" / country / "EF_SOD.bin").read_bytes())
    si = sd["signer_infos"][0]
    signer = cms.find_signer(si, cms.embedded_certificates(sd))
    assert signer is not None
    result = cms.verify_signer_info(sd, si, signer.public_key)
    assert result.scheme == EXPECTED_SCHEME[country]
    assert result.signed_attrs


def test_bsi_sod_verifies_with_embedded_dsc(pki_dir):
    sd = _sd((pki_dir / "bsi-tr03105-5" / "EF_SOD.bin").read_bytes())
    si = sd["signer_infos"][0]
    signer = cms.find_signer(si, cms.embedded_certificates(sd))
    assert cms.verify_signer_info(sd, si, signer.public_key).scheme.kind == "pss"


def test_nz_is_ber_with_plain_rsa_encryption(pki_dir):
    raw = (pki_dir / "documents" / "NZ" / "EF_SOD.bin").read_bytes()
    assert raw[4:6] == b"\x30\x80"  # indefinite length
    sd = _sd(raw)
    assert sd["signer_infos"][0]["signature_algorithm"]["algorithm"].native == "rsassa_pkcs1v15"


def _test_sod(**kw):
    csca = pki.issue_csca("cms-test-csca")
    dsc = pki.issue_dsc(csca, "cms-test-dsc")
    return dsc, pki.sign_sod(dsc, {1: b"\x61\x03abc", 2: b"\x75\x01x"}, **kw)


@pytest.mark.parametrize("hash_alg", ["sha1", "sha224", "sha256", "sha384", "sha512"])
def test_every_hash(hash_alg):
    _dsc, raw = _test_sod(hash_alg=hash_alg)
    sd = _sd(raw)
    key = cms.embedded_certificates(sd)[0].public_key
    assert cms.verify_signer_info(sd, sd["signer_infos"][0], key).digest_algorithm == hash_alg


def _resign_attrs(raw: bytes, mutate) -> tuple:
    """Change the signed attributes and re-sign them properly, to reach the attribute checks."""
    csca = pki.issue_csca("cms-test-csca")
    dsc = pki.issue_dsc(csca, "cms-test-dsc")
    ci = asn1_cms.ContentInfo.load(raw[raw.index(b"\x30") :])
    sd = ci["content"]
    si = sd["signer_infos"][0]
    attrs = si["signed_attrs"]
    mutate(attrs)
    signed = b"\x31" + attrs.dump(force=True)[1:]  # [0] IMPLICIT re-tagged as SET OF
    si["signature"] = pki.sign(dsc.key, signed)
    sd = asn1_cms.ContentInfo.load(ci.dump(force=True))["content"]
    return sd, cms.embedded_certificates(sd)[0].public_key


def test_message_digest_and_content_type_attributes_checked():
    _, raw = _test_sod()

    def wrong_digest(attrs):
        for a in attrs:
            if a["type"].native == "message_digest":
                a["values"] = [b"\x00" * 32]

    def wrong_type(attrs):
        for a in attrs:
            if a["type"].native == "content_type":
                a["values"] = ["1.2.840.113549.1.7.1"]

    sd, key = _resign_attrs(raw, wrong_digest)
    with pytest.raises(InvalidSignature) as exc:
        cms.verify_signer_info(sd, sd["signer_infos"][0], key)
    assert exc.value.code == "message_digest_mismatch"
    sd, key = _resign_attrs(raw, wrong_type)
    with pytest.raises(InvalidSignature) as exc:
        cms.verify_signer_info(sd, sd["signer_infos"][0], key)
    assert exc.value.code == "content_type_mismatch"


def test_flipped_signature_byte():
    _, raw = _test_sod()
    sd = _sd(raw)
    si = sd["signer_infos"][0]
    sig = bytearray(si["signature"].native)
    sig[-1] ^= 0x01
    si["signature"] = bytes(sig)
    with pytest.raises(InvalidSignature) as exc:
        cms.verify_signer_info(sd, si, cms.embedded_certificates(sd)[0].public_key)
    assert exc.value.code == "signature_invalid"


@pytest.mark.parametrize(
    "data", [b"\x30\x03\x06\x01\x00", b"\x30\x80\x06\x09" + b"\x00" * 20, b"junk" * 10]
)
def test_malformed_cms(data):
    with pytest.raises(MalformedError):
        cms.load_signed_data(data)


def test_signed_attributes_with_indefinite_length_and_unsorted_order():
    """BER signedAttrs are re-encoded as DER; definite ones are re-tagged byte for byte."""
    dsc, raw = _test_sod()
    sd = _sd(raw)
    si = sd["signer_infos"][0]
    der = si["signed_attrs"].dump()

    def hdr(d):
        return 2 if d[1] < 0x80 else 2 + (d[1] & 0x7F)

    sid = si.dump()
    ber_si = asn1_cms.SignerInfo.load(
        b"\x30\x80"
        + sid[hdr(sid) :].replace(der, b"\xa0\x80" + der[hdr(der) :] + b"\x00\x00")
        + b"\x00\x00"
    )
    assert ber_si["signed_attrs"]._trailer == b"\x00\x00"
    assert cms._signed_attrs_der(ber_si) == b"\x31" + der[1:]
    key = cms.embedded_certificates(sd)[0].public_key
    cms.verify_signer_info(sd, ber_si, key)
    # attributes in non-DER order, signed as they stand: must be verified as they stand
    attrs = list(asn1_cms.CMSAttributes.load(b"\x31" + der[1:]))
    body = b"".join(a.dump() for a in reversed(attrs))
    unsorted = b"\x31" + bytes([len(body)]) + body
    assert unsorted != b"\x31" + der[1:]
    si2 = asn1_cms.SignerInfo.load(sid)
    si2["signed_attrs"] = asn1_cms.CMSAttributes.load(unsorted).retag("implicit", 0)
    assert cms._signed_attrs_der(si2) == unsorted
    si2["signature"] = pki.sign(dsc.key, unsorted)
    cms.verify_signer_info(sd, si2, key)
