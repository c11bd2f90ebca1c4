"""Chip Authentication: the ECDH agreement with the BSI DG14 key, and the verdict rules."""

from __future__ import annotations

from typing import Any

import pytest
from asn1crypto import keys as asn1_keys

from cardreader.errors import ChipAuthenticationError
from cardreader.lds.dg14 import DG14
from cardreader.result import ChipAuthOutcome
from crypto import chip_auth
from crypto.errors import InvalidKey
from crypto.keys import PublicKey
from crypto.report import Status


@pytest.fixture(scope="module")
def bsi_ca(pki_dir):
    folder = pki_dir / "bsi-tr03105-5"
    dg14 = DG14.from_bytes((folder / "Datagroup14.bin").read_bytes())
    key = PublicKey.from_spki(dg14.chip_authentication_public_keys[0].public_key.raw)
    sk = asn1_keys.PrivateKeyInfo.load((folder / "DG14_sk.pkcs8").read_bytes())
    return key, int(sk["private_key"].parsed["private_key"].native)


def test_dg14_key_is_brainpool_p224_and_matches_the_private_key(bsi_ca, pki_dir):
    key, d = bsi_ca
    assert key.curve.name == "brainpoolP224r1"  # a curve cryptography lacks
    assert key.curve.encode_point(key.curve.generator * d) == key.point
    alone = PublicKey.from_spki((pki_dir / "bsi-tr03105-5" / "DG14_pk.bin").read_bytes())
    assert alone.point == key.point


def test_ecdh_agreement_both_ways(bsi_ca):
    key, d = bsi_ca
    curve = key.curve
    eph = 0x1234567890ABCDEF1234567890ABCDEF % curve.order
    terminal_public = PublicKey.from_ec_point(curve, curve.encode_point(curve.generator * eph))
    terminal_side = chip_auth.agree(key, eph)  # SK_PCD with PK_IC from DG14
    chip_side = chip_auth.agree(terminal_public, d)  # SK_IC with PK_PCD
    assert terminal_side == chip_side and len(terminal_side) == curve.field_size
    assert chip_auth.agree(key, eph + 1) != terminal_side
    with pytest.raises(InvalidKey):
        chip_auth.agree(key, 0)


def _ca(outcome, **kw):
    args: dict[str, Any] = dict(
        dg14_present=True,
        dg14_has_ca_key=True,
        dg14_authenticated=True,
        dg14_hash_status=Status.VALID,
    )
    args.update(kw)
    c = chip_auth.check(outcome, **args)
    return c.status, c.code


def test_verdicts():
    ok = ChipAuthOutcome(
        performed=True, established=True, protocol_oid="0.4.0.127.0.7.2.2.3.2.2", key_id=1
    )
    failed = ChipAuthOutcome(performed=True, established=False, error=ChipAuthenticationError())
    assert _ca(ok) == (Status.VALID, "ok")
    assert _ca(failed) == (Status.INVALID, "ca_failed")
    assert _ca(ok, dg14_authenticated=False, dg14_hash_status=Status.INVALID) == (
        Status.INVALID,
        "ca_key_hash_mismatch",
    )
    assert _ca(ok, dg14_authenticated=False, dg14_hash_status=Status.NOT_PERFORMED) == (
        Status.UNKNOWN,
        "ca_key_not_authenticated",
    )
    assert _ca(ChipAuthOutcome()) == (Status.NOT_PERFORMED, "ca_not_run")
    assert _ca(None, dg14_present=False, dg14_has_ca_key=False) == (
        Status.NOT_PERFORMED,
        "ca_not_supported",
    )
