"""CSCA master lists: contents trusted only after the list's signature chains to the configured
root."""

from __future__ import annotations

import pytest

from crypto.certs import Certificate
from crypto.errors import InvalidSignature, MalformedError
from crypto.masterlist import MasterList
from crypto.truststore import TrustStore
from simulators import pki


def test_german_master_list_verifies_against_its_root(de_ml, de_root):
    ml = de_ml
    assert len(ml.cscas) == 588 and ml.skipped == 0
    signer = ml.verify([de_root])
    assert signer.country == "DE" and "Master List Signer" in signer.subject_text
    assert {"VN", "DE", "AT", "FR"} <= {c.country for c in ml.cscas}


def test_dutch_master_list_verifies_against_its_root(nl_ml_path, pki_dir):
    root = Certificate.from_bytes((pki_dir / "master-lists" / "NL_ROOT_CA.cer").read_bytes())
    ml = MasterList.from_bytes(nl_ml_path.read_bytes())
    assert len(ml.cscas) == 411
    assert ml.verify([root]).country == "NL"


def test_master_list_against_the_wrong_root_is_untrusted(de_ml, pki_dir):
    nl_root = Certificate.from_bytes((pki_dir / "master-lists" / "NL_ROOT_CA.cer").read_bytes())
    ml = de_ml
    with pytest.raises(InvalidSignature) as exc:
        ml.verify([nl_root])
    assert exc.value.code == "masterlist_signer_untrusted"
    store = TrustStore()
    with pytest.raises(InvalidSignature):
        store.import_master_list(ml, roots=[nl_root])
    assert len(store) == 0  # nothing trusted before the signature checks out


def _test_list(tamper: bool) -> tuple[bytes, Certificate]:
    root = pki.issue_csca("ml-test-root", "VN")
    signer = pki.issue_dsc(root, "ml-test-signer")
    member = pki.issue_csca("ml-test-member", "LA", common_name="Test CSCA LA")
    raw = bytearray(pki.build_master_list(signer.key, signer.cert, [root, member]))
    if tamper:
        raw[-1] ^= 0x01  # the SignerInfo's signature ends the file (no unsigned attributes)
    return bytes(raw), Certificate.from_bytes(root.der)


def test_test_master_list_and_its_bad_signature():
    raw, root = _test_list(tamper=False)
    store = TrustStore()
    result = store.import_master_list(raw, roots=[root])
    assert result.added == 2 and result.countries == {"VN": 1, "LA": 1}
    bad, root = _test_list(tamper=True)
    with pytest.raises(InvalidSignature) as exc:
        MasterList.from_bytes(bad).verify([root])
    assert exc.value.code == "masterlist_signature_invalid"


@pytest.mark.parametrize(
    "data",
    [
        b"\x30\x03\x06\x01\x00",
        b"\x00" * 100,
        b"\x30\x0b\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x02",
    ],
)
def test_malformed_master_lists(data):
    with pytest.raises(MalformedError):
        MasterList.from_bytes(data)


def test_truncated_master_list(de_ml_path):
    raw = de_ml_path.read_bytes()
    with pytest.raises(MalformedError):
        MasterList.from_bytes(raw[: len(raw) // 3])
