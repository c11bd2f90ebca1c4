"""CRLs: revoked, not revoked, stale (never 'revoked' or 'valid'), bad signature, malformed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from asn1crypto import pem

from crypto.certs import Certificate
from crypto.crl import CRL
from crypto.errors import InvalidSignature, MalformedError
from simulators import pki

UTC = UTC


def test_parse_and_verify_crl():
    csca = pki.issue_csca("crl-test-csca")
    dsc = pki.issue_dsc(csca, "crl-test-dsc")
    crl = CRL.from_bytes(
        pki.issue_crl(csca, [dsc.serial], revocation_date=datetime(2025, 1, 1, tzinfo=UTC))
    )
    issuer = Certificate.from_bytes(csca.der)
    assert crl.may_be_issued_by(issuer)
    crl.verify_signed_by(issuer)
    assert crl.revocation_date(dsc.serial) == datetime(2025, 1, 1, tzinfo=UTC)
    assert crl.revocation_date(dsc.serial + 1) is None
    assert not crl.is_stale(datetime(2030, 1, 1, tzinfo=UTC))
    assert crl.is_stale(datetime(2035, 1, 1, tzinfo=UTC))
    other = Certificate.from_bytes(pki.issue_csca("crl-test-other").der)
    with pytest.raises(InvalidSignature):
        crl.verify_signed_by(other)


def test_pem_crl():
    csca = pki.issue_csca("crl-test-csca")
    crl = CRL.from_bytes(pem.armor("X509 CRL", pki.issue_crl(csca)))
    assert crl.revoked == {}


@pytest.mark.parametrize("data", [b"\x30\x05\x30\x03\x02\x01\x01", b"garbage!", b""])
def test_malformed_crl(data):
    with pytest.raises(MalformedError):
        CRL.from_bytes(data)
