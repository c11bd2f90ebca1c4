import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from asn1crypto import cms
from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from simulators import pki
from simulators.lds import cms as lds_cms

from .keyhelp import cert_public_key, verify_certificate, verify_signature

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("signer", pki.SIGNERS)
def test_certificates_load_in_both_libraries(signer):
    csca, dsc = pki.default_pki(signer)
    for issued in (csca, dsc):
        c = x509.load_der_x509_certificate(issued.der)
        assert asn1_x509.Certificate.load(issued.der).dump() == issued.der
        assert (
            c.issuer.rfc4514_string()
            == "CN=Test CSCA CCCD"
            + (" RSA" if signer != "ecdsa" else "")
            + ",O=Test Vietnam CCCD,C=VN"
        )
    assert x509.load_der_x509_certificate(dsc.der).not_valid_before_utc == datetime(
        2024, 1, 1, tzinfo=UTC
    )


def test_ecdsa_csca_and_dsc_carry_explicit_parameters():
    csca, dsc = pki.default_pki("ecdsa")
    for issued, curve in ((csca, ec.BrainpoolP384R1), (dsc, ec.BrainpoolP256R1)):
        params = issued.cert["tbs_certificate"]["subject_public_key_info"]["algorithm"][
            "parameters"
        ]
        assert params.name == "specified"
        key = cert_public_key(issued.cert)
        assert isinstance(key.curve, curve)
        assert key.public_numbers() == issued.key.public_key().public_numbers()
    # cryptography refuses explicit parameters, as with real CSCAs
    with pytest.raises(UnsupportedAlgorithm, match="explicit parameters"):
        x509.load_der_x509_certificate(csca.der).public_key()


@pytest.mark.parametrize("signer", pki.SIGNERS)
def test_dsc_signature_verifies_with_the_csca_key(signer):
    csca, dsc = pki.default_pki(signer)
    csca_key = cert_public_key(csca.cert)
    verify_certificate(csca.cert, csca_key)  # self-signed
    verify_certificate(dsc.cert, csca_key)
    kind = "ecdsa" if signer == "ecdsa" else "rsa"
    other = pki.issue_csca("another-csca", key_kind=kind, bits=2048, common_name="Other CSCA")
    with pytest.raises(InvalidSignature):
        verify_certificate(dsc.cert, cert_public_key(other.cert))


def test_rsa_variants_use_the_asked_sizes_and_padding():
    csca, dsc = pki.default_pki("rsa")
    assert (
        isinstance(csca.key, rsa.RSAPrivateKey)
        and csca.key.key_size == 3072
        and dsc.key.key_size == 2048
    )
    assert dsc.cert["signature_algorithm"]["algorithm"].native == "sha256_rsa"
    _, dsc_pss = pki.default_pki("rsa-pss")
    params = dsc_pss.cert["signature_algorithm"]["parameters"]
    assert dsc_pss.cert["signature_algorithm"]["algorithm"].native == "rsassa_pss"
    assert (
        params["salt_length"].native == 32
        and params["hash_algorithm"]["algorithm"].native == "sha256"
    )


def test_extensions_follow_the_icao_profile():
    csca, dsc = pki.default_pki("ecdsa")
    assert csca.cert.ca is True and csca.cert.basic_constraints_value["ca"].native
    assert csca.cert.key_usage_value.native == {"key_cert_sign", "crl_sign"}
    assert csca.cert.key_identifier == csca.cert.authority_key_identifier
    assert dsc.cert.key_usage_value.native == {"digital_signature"}
    assert dsc.cert.authority_key_identifier == csca.ski
    assert "key_usage" in dsc.cert.critical_extensions


def test_keys_and_certificates_are_deterministic():
    a = pki.ec_key.__wrapped__("det-test", "brainpoolP256r1")
    b = pki.ec_key.__wrapped__("det-test", "brainpoolP256r1")
    assert a.private_numbers() == b.private_numbers()
    assert (
        pki.ec_key.__wrapped__("det-test-2", "brainpoolP256r1").private_numbers()
        != a.private_numbers()
    )
    r1 = pki.rsa_key.__wrapped__("det-test", 1024)
    r2 = pki.rsa_key.__wrapped__("det-test", 1024)
    assert r1.private_numbers() == r2.private_numbers() and r1.key_size == 1024
    assert pki.issue_csca.__wrapped__().der == pki.issue_csca.__wrapped__().der


def test_another_process_builds_the_same_certificates_and_files(tmp_path):
    code = (
        "import hashlib, sys; from simulators import pki; from simulators.dataset import "
        "build_dataset;"
        "c, d = pki.default_pki('ecdsa'); ds = build_dataset(2);"
        "print(hashlib.sha256(c.der + d.der + b''.join(ds.files[k] for k in "
        "sorted(ds.files))).hexdigest())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    import hashlib

    from simulators.dataset import build_dataset

    c, d = pki.default_pki("ecdsa")
    ds = build_dataset(2)
    here = hashlib.sha256(
        c.der + d.der + b"".join(ds.files[k] for k in sorted(ds.files))
    ).hexdigest()
    assert out.stdout.strip() == here


def test_crl_lists_the_revoked_serials_and_verifies():
    csca, dsc = pki.default_pki("ecdsa")
    der = pki.issue_crl(
        csca,
        [dsc.serial, 42],
        datetime(2025, 1, 1, tzinfo=UTC),
        datetime(2025, 2, 1, tzinfo=UTC),
        crl_number=7,
    )
    c = x509.load_der_x509_crl(der)
    assert {r.serial_number for r in c} == {dsc.serial, 42}
    assert c.next_update_utc == datetime(2025, 2, 1, tzinfo=UTC)
    parsed = asn1_crl.CertificateList.load(der)
    assert parsed.crl_number_value.native == 7 and parsed.authority_key_identifier == csca.ski
    verify_signature(
        cert_public_key(csca.cert),
        parsed["signature"].native,
        parsed["tbs_cert_list"].dump(),
        parsed["signature_algorithm"],
    )
    empty = x509.load_der_x509_crl(pki.issue_crl(csca))
    assert len(list(empty)) == 0


def test_link_certificate_chains_new_csca_to_old():
    old = pki.issue_csca("link-old", common_name="Old CSCA")
    new = pki.issue_csca("link-new", common_name="New CSCA")
    link = pki.issue_link_certificate(old, new)
    assert link.cert.subject == new.subject and link.cert.issuer == old.subject
    assert link.cert.authority_key_identifier == old.ski and link.cert.key_identifier == new.ski
    verify_certificate(link.cert, cert_public_key(old.cert))
    with pytest.raises(InvalidSignature):
        verify_certificate(link.cert, cert_public_key(new.cert))


def test_master_list_is_signed_cms_holding_the_cscas():
    csca, _ = pki.default_pki("ecdsa")
    rsa_csca, _ = pki.default_pki("rsa")
    signer = pki.issue_dsc(csca, "test-mls-vn", common_name="Test Master List Signer")
    der = pki.build_master_list(signer.key, signer.cert, [csca, rsa_csca.der])
    ci = cms.ContentInfo.load(der)
    sd = ci["content"]
    assert sd["encap_content_info"]["content_type"].dotted == "2.23.136.1.1.2"
    ml = lds_cms.CscaMasterList.load(sd["encap_content_info"]["content"].native)
    assert ml["version"].native == 0
    assert {c.dump() for c in ml["cert_list"]} == {csca.der, rsa_csca.der}
    si = sd["signer_infos"][0]
    verify_signature(
        cert_public_key(signer.cert),
        si["signature"].native,
        si["signed_attrs"].untag().dump(),
        si["signature_algorithm"],
    )


def test_negative_builders_for_passive_authentication():
    csca, _ = pki.default_pki("ecdsa")
    expired = pki.issue_dsc(
        csca,
        "expired-dsc",
        datetime(2010, 1, 1, tzinfo=UTC),
        datetime(2011, 1, 1, tzinfo=UTC),
    )
    assert x509.load_der_x509_certificate(expired.der).not_valid_after_utc.year == 2011
    foreign = pki.issue_dsc(csca, "foreign-dsc", country="FR", serial=12345)
    assert foreign.cert.subject.native["country_name"] == "FR" and foreign.serial == 12345
    with pytest.raises(pki.PKIError):
        pki.issue_csca("bad", key_kind="dsa")
    with pytest.raises(pki.PKIError):
        pki.default_pki("hmac")


def test_write_pki_exports_loadable_files(tmp_path):
    paths = pki.write_pki(tmp_path)
    assert {p.name for p in paths} == {"csca.cer", "csca.pem", "dsc.cer", "crl.crl"}
    csca = x509.load_der_x509_certificate((tmp_path / "csca.cer").read_bytes())
    assert csca == x509.load_pem_x509_certificate((tmp_path / "csca.pem").read_bytes())
    assert (
        x509.load_der_x509_certificate((tmp_path / "dsc.cer").read_bytes()).issuer == csca.subject
    )
    assert x509.load_der_x509_crl((tmp_path / "crl.crl").read_bytes()).issuer == csca.subject
