"""Certificate roles, names compared regardless of order and case, key identifiers."""

from __future__ import annotations

import pytest
from asn1crypto import pem, x509

from crypto.certs import Certificate, Role, certificates_from_file, name_key
from crypto.errors import InvalidSignature, MalformedError
from simulators import pki


def _cert(pki_dir, country, name):
    return Certificate.from_bytes((pki_dir / "documents" / country / name).read_bytes())


def test_roles_of_real_certificates(pki_dir, de_root):
    assert _cert(pki_dir, "DE", "CSCA.cer").role is Role.CSCA
    assert (
        _cert(pki_dir, "AT", "CSCA.cer").role is Role.LINK
    )  # CSCA-AUSTRIA key signed by its predecessor
    assert _cert(pki_dir, "DE", "DSC.cer").role is Role.DSC
    assert de_root.role is Role.CSCA and de_root.self_signed


def test_link_certificate_is_not_self_signed_but_signs_the_dsc(pki_dir):
    link, dsc = _cert(pki_dir, "AT", "CSCA.cer"), _cert(pki_dir, "AT", "DSC.cer")
    assert link.self_issued and not link.self_signed
    with pytest.raises(InvalidSignature):
        link.verify_signed_by(link)
    assert dsc.may_be_issued_by(link)
    dsc.verify_signed_by(link)


def test_names_match_regardless_of_order_and_case():
    a = x509.Name.build(
        {"country_name": "VN", "organization_name": "Gov", "common_name": "CSCA  One"}
    )
    b = x509.Name.build(
        {"common_name": "csca one", "country_name": "vn", "organization_name": "GOV"}
    )
    c = x509.Name.build(
        {"common_name": "csca two", "country_name": "vn", "organization_name": "GOV"}
    )
    assert name_key(a) == name_key(b)
    assert name_key(a) != name_key(c)


def test_my_signer_issuer_differs_in_order_from_dsc_issuer(pki_dir):
    """The MY SOD's SignerInfo names the issuer in another order than the DSC: still matched."""
    from crypto import cms

    sd = cms.load_signed_data((pki_dir / "documents" / "MY" / "EF_SOD.bin").read_bytes()[4:])
    si = sd["signer_infos"][0]
    dsc = cms.embedded_certificates(sd)[0]
    assert si["sid"].chosen["issuer"].dump() != dsc.asn1.issuer.dump()
    assert cms.find_signer(si, [dsc]) is dsc


def test_key_identifiers_and_master_list_signer_role():
    csca = pki.issue_csca("certs-test-csca", "VN")
    signer = pki.issue_dsc(csca, "certs-test-dsc")
    c, d = Certificate.from_bytes(csca.der), Certificate.from_bytes(signer.pem)  # DER and PEM
    assert c.ski == csca.ski and d.aki == csca.ski
    assert d.may_be_issued_by(c) and d.role is Role.DSC
    d.verify_signed_by(c)
    other = Certificate.from_bytes(pki.issue_csca("certs-test-other", "VN").der)
    assert not d.may_be_issued_by(other)
    with pytest.raises(InvalidSignature):
        d.verify_signed_by(other)


def test_master_list_signer_role(de_ml):
    ml = de_ml
    assert any(c.role is Role.MASTER_LIST_SIGNER for c in ml.signer_candidates)


def test_pem_bundle(pki_dir):
    ders = [(pki_dir / "documents" / cc / "CSCA.cer").read_bytes() for cc in ("DE", "FR")]
    bundle = b"".join(pem.armor("CERTIFICATE", d) for d in ders)
    certs = certificates_from_file(bundle)
    assert [c.country for c in certs] == ["DE", "FR"]


@pytest.mark.parametrize(
    "data, code",
    [
        (b"\x30\x82\x01\x00" + b"\x00" * 10, "certificate_malformed"),
        (b"\x04\x03abc", "certificate_malformed"),
        (b"", "malformed"),
        (b"\x30" * (2 << 20), "too_large"),
    ],
)
def test_malformed_certificates(data, code):
    with pytest.raises(MalformedError) as exc:
        Certificate.from_bytes(data)
    assert exc.value.code == code


def test_truncated_real_certificate(pki_dir):
    raw = (pki_dir / "VN_CSCA_ePassport.cer").read_bytes()
    for cut in (10, len(raw) // 2, len(raw) - 1):
        with pytest.raises(MalformedError):
            Certificate.from_bytes(raw[:cut])
