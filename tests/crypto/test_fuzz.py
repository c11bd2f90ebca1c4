"""Mutated real inputs: every outcome is a verdict or a typed error, never another exception."""

from __future__ import annotations

import random

import pytest

from crypto import passive_auth
from crypto.certs import Certificate
from crypto.crl import CRL
from crypto.errors import CryptoError
from crypto.report import Status
from crypto.truststore import TrustStore
from simulators import pki


def _mutations(raw: bytes, seed: int, count: int = 40):
    rng = random.Random(seed)
    for _ in range(count):
        data = bytearray(raw)
        kind = rng.randrange(3)
        if kind == 0:
            for _ in range(rng.randint(1, 4)):
                data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        elif kind == 1:
            data = data[: rng.randrange(1, len(data))]
        else:
            pos = rng.randrange(len(data))
            data[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        yield bytes(data)


@pytest.mark.parametrize("country, seed", [("DE", 11), ("NZ", 12), ("MY", 13)])
def test_mutated_sods_give_verdicts(pki_dir, de_store, country, seed):
    folder = pki_dir / "documents" / country
    raw = (folder / "EF_SOD.bin").read_bytes()
    for data in _mutations(raw, seed=seed):
        res = passive_auth.verify(data, {}, de_store)
        assert res.status in (Status.VALID, Status.INVALID, Status.UNKNOWN, Status.NOT_PERFORMED)
        if data != raw and res.status is Status.VALID:
            # only bytes outside what is signed (e.g. unsigned certificate padding) may change
            assert res.signature_valid


def test_mutated_certificates_and_crls_raise_typed_errors(pki_dir):
    cert = (pki_dir / "VN_CSCA_ePassport.cer").read_bytes()
    crl = pki.issue_crl(pki.issue_csca("fuzz-csca"), [1, 2, 3])
    for data in _mutations(cert, seed=1):
        try:
            _ = Certificate.from_bytes(data).public_key  # the key decoded, or a typed error
        except CryptoError:
            pass
    for data in _mutations(crl, seed=2):
        try:
            CRL.from_bytes(data)
        except CryptoError:
            pass


def test_mutated_master_list_never_imports_unverified(de_ml_path, de_root):
    raw = de_ml_path.read_bytes()
    rng = random.Random(3)
    for _ in range(2):
        data = bytearray(raw)
        data[rng.randrange(len(data) // 4, len(data) * 3 // 4)] ^= (
            0x10  # inside the certificate list
        )
        store = TrustStore()
        with pytest.raises(CryptoError):
            store.import_bytes(bytes(data), "ml", roots=[de_root])
        assert len(store) == 0
