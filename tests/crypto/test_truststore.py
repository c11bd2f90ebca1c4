"""Trust store: import (files, folders, PEM, master lists, CRLs), persistence, queries."""

from __future__ import annotations

import pytest

from crypto.certs import Certificate
from crypto.errors import InvalidSignature, MalformedError
from crypto.truststore import TrustStore, default_path
from simulators import pki


def test_queries_on_the_german_list(de_store, pki_dir):
    vn = de_store.by_country("vn")
    assert [c.subject_text for c in vn] == [
        "C=VN, O=Vietnam Government Information Security Commission, CN=CSCA ePassport Vietnam"
    ]
    dsc = Certificate.from_bytes((pki_dir / "documents" / "DE" / "DSC.cer").read_bytes())
    by_ski = de_store.by_ski(dsc.aki)
    assert by_ski and all(c.ski == dsc.aki for c in by_ski)
    assert de_store.issuers_of(dsc) == by_ski
    assert de_store.by_subject(by_ski[0].subject)


def test_persisted_store_reopens_with_the_same_contents(tmp_path, de_ml_path, de_ml, de_root):
    path = tmp_path / "trust.sqlite"
    with TrustStore.open(path) as store:
        result = store.import_path(de_ml_path, roots=[de_root])[0]
        assert result.kind == "master_list" and result.added == 588
    with TrustStore.open(path) as store:
        assert len(store) == 588
        assert store.by_country("VN")[0].country == "VN"
        again = store.import_master_list(de_ml, roots=[de_root])
        assert again.added == 0 and again.already_present == 588


def test_master_list_without_root_uses_trusted_cscas_only(de_ml, de_root):
    store = TrustStore()
    with pytest.raises(InvalidSignature):
        store.import_master_list(de_ml)  # nothing trusted yet
    assert len(store) == 0
    store.add_certificate(de_root)
    assert store.import_master_list(de_ml).added == 587  # its root is already in


def test_import_folder_of_pem_der_and_crl(tmp_path):
    csca = pki.issue_csca("store-test-csca", "VN")
    other = pki.issue_csca("store-test-csca-la", "LA", common_name="Test CSCA LA")
    (tmp_path / "a.cer").write_bytes(csca.der)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.pem").write_bytes(other.pem)
    (tmp_path / "c.crl").write_bytes(pki.issue_crl(csca))
    (tmp_path / "notes.txt").write_text("ignored")
    store = TrustStore()
    results = store.import_path(tmp_path)
    assert sorted(r.kind for r in results) == ["certificate", "certificate", "crl"]
    assert {c.country for c in store.by_country("VN") + store.by_country("LA")} == {"VN", "LA"}
    assert len(store.crls_for(Certificate.from_bytes(csca.der))) == 1
    assert store.crls_for(Certificate.from_bytes(other.der)) == []


def test_unrecognised_and_huge_files(tmp_path):
    store = TrustStore()
    with pytest.raises(MalformedError) as exc:
        store.import_bytes(b"\x30\x03\x02\x01\x01", "x.cer")
    assert exc.value.code == "unrecognised_file"
    big = tmp_path / "big.cer"
    big.write_bytes(b"\x30" + b"\x00" * (40 << 20))
    with pytest.raises(MalformedError) as exc:
        store.import_path(big)
    assert exc.value.code == "too_large"


def test_default_path_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("CCCD_EDGE_TRUST_STORE", str(tmp_path / "x.sqlite"))
    assert default_path() == tmp_path / "x.sqlite"
    monkeypatch.delenv("CCCD_EDGE_TRUST_STORE")
    assert default_path().parts[-3:] == ("share", "cccd-edge", "trust.sqlite")


def test_copy_is_independent(de_store):
    copy = de_store.copy()
    assert len(copy) == len(de_store)
    copy.add_certificate(Certificate.from_bytes(pki.issue_csca("store-test-copy").der))
    assert len(copy) == len(de_store) + 1


def test_listing_entries(de_store):
    rows = de_store.entries("VN")
    assert (
        len(rows) == 1
        and rows[0]["role"] == "csca"
        and rows[0]["not_after"].startswith("2037-10-01")
    )


@pytest.mark.parametrize(
    "head",
    [
        b"",
        b"\x30\x84\x00\xa0\x00\x00\x06\x09",
        b"\x30\x84\x00\xa0\x00\x00\x30\x84",
        b"-----BEGIN CERTIFICATE-----\n",
    ],
)
def test_ten_megabytes_of_garbage_rejected_in_bounded_memory(head):
    # Speed is measured in benchmarks/; here: a typed error and bounded memory.
    import tracemalloc

    data = head + bytes(range(256)) * (10 * 4096)
    tracemalloc.start()
    try:
        with pytest.raises(MalformedError):
            TrustStore().import_bytes(data, "garbage.bin")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * len(data)
