"""PACE v2 generic mapping: App. G.1 step by step and replayed, faults, and a DH/3DES run."""

from __future__ import annotations

import pytest

from cardreader import pace
from cardreader.accesskey import CanKey, MrzKey
from cardreader.errors import AccessControlError, AccessDeniedError
from cardreader.session import Session
from cardreader.transport.replay import ReplayTransport
from crypto import curves

from .helpers import flip, h, replay, scripted_keys

OID_ECDH_AES128 = "0.4.0.127.0.7.2.2.4.2.2"


@pytest.fixture(scope="module")
def g1(icao_vectors):
    return icao_vectors["pace_ecdh_gm_G1"]


def _key(g1) -> MrzKey:
    m = g1["mrz"]
    return MrzKey(m["document_number"], m["date_of_birth"], m["date_of_expiry"])


def _keys(g1):
    return scripted_keys(g1["terminal_mapping_private_key"], g1["terminal_ephemeral_private_key"])


def _pairs(g1):
    return [(a["command"], a["response"]) for a in g1["apdus"]]


def test_g1_intermediate_values(g1):
    curve = curves.by_name(g1["curve"])
    assert curve.pace_id == g1["parameter_id"] == 13
    alg = pace.algorithm(OID_ECDH_AES128)
    assert (alg.agreement, alg.mapping, alg.cipher) == ("ECDH", "GM", "AES-128")
    key = _key(g1)
    assert key.pace_password == h(g1["key_seed_sha1_mrz"])
    k_pi = pace.derive_k_pi(key.pace_password, "AES-128")
    assert k_pi == h(g1["k_pi"])
    nonce = pace.decrypt_nonce(k_pi, h(g1["encrypted_nonce"]), "AES-128")
    assert nonce == h(g1["nonce"])

    domain = pace.domain_for(alg, 13)
    assert isinstance(domain, pace.EcDomain)
    sk_map = int(g1["terminal_mapping_private_key"], 16)
    pk_map_chip = curve.generator * int(g1["chip_mapping_private_key"], 16)
    # The chip's mapping key in the G.1 answer is the one its private key gives.
    answer = pace.parse_general_authenticate(h(g1["apdus"][2]["response"])[:-2], 0x82, "map")
    assert answer == curve.encode_point(pk_map_chip)
    point_h = domain.agree(sk_map, pk_map_chip)
    assert (point_h.x(), point_h.y()) == tuple(int(c, 16) for c in g1["shared_point_h"])
    mapped = domain.map_generator(int.from_bytes(nonce, "big"), point_h)
    assert (mapped.generator.x(), mapped.generator.y()) == tuple(
        int(c, 16) for c in g1["mapped_generator"]
    )

    sk_eph = int(g1["terminal_ephemeral_private_key"], 16)
    pk_chip = mapped.public(int(g1["chip_ephemeral_private_key"], 16))
    shared = mapped.shared_secret(sk_eph, pk_chip)
    assert shared == h(g1["shared_secret_x"])
    k_enc, k_mac = pace.session_keys(shared, "AES-128")
    assert (k_enc, k_mac) == (h(g1["ks_enc"]), h(g1["ks_mac"]))
    pk_ifd = mapped.encode(mapped.public(sk_eph))
    assert pace.auth_token(k_mac, "AES-128", OID_ECDH_AES128, mapped, mapped.encode(pk_chip)) == h(
        g1["t_ifd"]
    )
    assert pace.auth_token(k_mac, "AES-128", OID_ECDH_AES128, mapped, pk_ifd) == h(g1["t_ic"])


def test_g1_full_exchange_replayed_byte_for_byte(g1):
    t = replay(_pairs(g1), "G.1")
    s = Session(t)
    keygen = _keys(g1)
    result = pace.run(s, _key(g1), OID_ECDH_AES128, 13, keygen=keygen)
    t.assert_done()
    assert not keygen.remaining
    assert (result.k_enc, result.k_mac) == (h(g1["ks_enc"]), h(g1["ks_mac"]))
    assert s.secure_messaging is result.sm and result.sm.is_aes
    assert result.sm.ssc == bytes(16)
    assert result.access_protocol == "PACE-MRZ" and not result.used_tag84
    # Chaining: CLA 10 on all but the last GENERAL AUTHENTICATE.
    assert [c[0] for c in t.sent] == [0x00, 0x10, 0x10, 0x10, 0x00]


def test_g1_trace_file_matches_the_vector(g1):
    t = ReplayTransport.from_trace("pace_g1")
    assert [(e.command, e.response) for e in t.script] == [(h(c), h(r)) for c, r in _pairs(g1)]
    pace.run(
        Session(t),
        _key(g1),
        t.meta["protocol_oid"],
        t.meta["parameter_id"],
        keygen=scripted_keys(*t.meta["ephemeral_keys"]),
    )
    t.assert_done()


def test_tag84_accepted(g1):
    pairs = _pairs(g1)
    mse = h(pairs[0][0])
    mse84 = mse[:4] + bytes((mse[4] + 3,)) + mse[5:] + h("84010D")
    t = replay([(mse84.hex(), "9000"), *pairs[1:]])
    result = pace.run(Session(t), _key(g1), OID_ECDH_AES128, 13, use_tag84=True, keygen=_keys(g1))
    assert result.used_tag84
    t.assert_done()


def test_6a80_on_mse_set_at_retries_without_tag84(g1):
    t = ReplayTransport.from_trace("pace_g1_tag84_6a80")
    assert [(e.command, e.response) for e in t.script[1:]] == [(h(c), h(r)) for c, r in _pairs(g1)]
    result = pace.run_with_fallback(
        Session(t), _key(g1), OID_ECDH_AES128, 13, first_use_tag84=True, keygen=_keys(g1)
    )
    t.assert_done()
    assert not result.used_tag84 and result.k_enc == h(g1["ks_enc"])


def test_6a87_without_tag84_retries_with_it(g1):
    pairs = _pairs(g1)
    mse = h(pairs[0][0])
    mse84 = mse[:4] + bytes((mse[4] + 3,)) + mse[5:] + h("84010D")
    t = replay([(pairs[0][0], "6A87"), (mse84.hex(), "9000"), *pairs[1:]])
    result = pace.run_with_fallback(
        Session(t), _key(g1), OID_ECDH_AES128, 13, first_use_tag84=False, keygen=_keys(g1)
    )
    t.assert_done()
    assert result.used_tag84


def test_6a80_without_fallback_is_parameter_rejected(g1):
    t = replay([(_pairs(g1)[0][0], "6A80")])
    with pytest.raises(pace.PaceParameterRejected) as info:
        pace.run(Session(t), _key(g1), OID_ECDH_AES128, 13, keygen=_keys(g1))
    assert isinstance(info.value, AccessControlError) and info.value.sw == 0x6A80


@pytest.mark.parametrize("sw", ["6300", "63C2", "6982"])
def test_refused_mutual_authentication_is_access_denied(g1, sw):
    pairs = _pairs(g1)
    t = replay([*pairs[:4], (pairs[4][0], sw)])
    s = Session(t)
    with pytest.raises(AccessDeniedError) as info:
        pace.run(s, _key(g1), OID_ECDH_AES128, 13, keygen=_keys(g1))
    assert info.value.step == "mutual_authentication" and info.value.sw == int(sw, 16)
    assert s.secure_messaging is None


def test_flipped_chip_token_is_access_denied(g1):
    pairs = _pairs(g1)
    t = replay([*pairs[:4], (pairs[4][0], flip(pairs[4][1], 3))])
    with pytest.raises(AccessDeniedError):
        pace.run(Session(t), _key(g1), OID_ECDH_AES128, 13, keygen=_keys(g1))


class _Lenient:
    """Answers with the G.1 responses whatever the terminal computed (a card with the real key)."""

    def __init__(self, responses):
        self.responses = [h(r) for r in responses]
        self.sent = []

    def transmit(self, apdu: bytes) -> bytes:
        self.sent.append(apdu)
        return self.responses.pop(0)

    def close(self) -> None:
        pass


def test_wrong_password_is_access_denied(g1):
    pairs = _pairs(g1)
    # The card holds G.1's MRZ; the terminal types another CAN: its token cannot verify -> 6300.
    card = _Lenient([r for _, r in pairs[:4]] + ["6300"])
    with pytest.raises(AccessDeniedError):
        pace.run(Session(card), CanKey("123456"), OID_ECDH_AES128, 13, keygen=_keys(g1))
    assert card.sent[0][-3:] == h("830102")  # password reference 02: CAN
    assert card.sent[3] != h(pairs[3][0])  # another nonce gave another generator


def test_wrong_password_with_an_accepting_card_fails_on_the_token(g1):
    pairs = _pairs(g1)
    card = _Lenient([r for _, r in pairs])
    with pytest.raises(AccessDeniedError):
        pace.run(Session(card), CanKey("123456"), OID_ECDH_AES128, 13, keygen=_keys(g1))


def test_other_step_failures_name_the_step(g1):
    pairs = _pairs(g1)
    t = replay([*pairs[:2], (pairs[2][0], "6A88")])
    with pytest.raises(AccessControlError) as info:
        pace.run(Session(t), _key(g1), OID_ECDH_AES128, 13, keygen=_keys(g1))
    assert not isinstance(info.value, AccessDeniedError) and info.value.step == "map_nonce"


def test_point_off_the_curve_is_refused(g1):
    pairs = _pairs(g1)
    bad = bytearray(h(pairs[2][1]))
    bad[-3] ^= 0x01  # last byte of the chip's y-coordinate
    t = replay([*pairs[:2], (pairs[2][0], bad.hex())])
    with pytest.raises(AccessControlError) as info:
        pace.run(Session(t), _key(g1), OID_ECDH_AES128, 13, keygen=_keys(g1))
    assert info.value.step == "map_nonce"


def test_chip_echoing_our_ephemeral_key_is_refused(g1):
    pairs = _pairs(g1)
    ours = pace.parse_general_authenticate(h(pairs[3][0])[5:-1], 0x83, "x")
    echo = (h("7C438441") + ours + h("9000")).hex()
    t = replay([*pairs[:3], (pairs[3][0], echo)])
    with pytest.raises(AccessControlError, match="echoed"):
        pace.run(Session(t), _key(g1), OID_ECDH_AES128, 13, keygen=_keys(g1))


def test_malformed_answer(g1):
    pairs = _pairs(g1)
    t = replay([*pairs[:1], (pairs[1][0], "7D0280019000")])
    with pytest.raises(AccessControlError, match="malformed") as info:
        pace.run(Session(t), _key(g1), OID_ECDH_AES128, 13, keygen=_keys(g1))
    assert info.value.step == "encrypted_nonce"


@pytest.mark.parametrize(
    "oid,match",
    [
        ("0.4.0.127.0.7.2.2.4.3.2", "not supported"),  # DH integrated mapping
        ("0.4.0.127.0.7.2.2.4.4.4", "not supported"),  # ECDH IM with AES-256
        ("0.4.0.127.0.7.2.2.4.6.1", "not supported"),  # CAM with 3DES (CAM is AES only)
        ("0.4.0.127.0.7.2.2.3.2.2", "Unknown"),  # a CA OID
        ("0.4.0.127.0.7.2.2.4.2.9", "Unknown"),
        ("1.2.3", "Unknown"),
    ],
)
def test_unsupported_protocols(oid, match):
    with pytest.raises(AccessControlError, match=match):
        pace.algorithm(oid)


def test_parameter_id_must_fit_the_agreement():
    with pytest.raises(AccessControlError):
        pace.domain_for(pace.algorithm("0.4.0.127.0.7.2.2.4.2.2"), 2)  # ECDH with a DH id
    with pytest.raises(AccessControlError):
        pace.domain_for(pace.algorithm("0.4.0.127.0.7.2.2.4.1.2"), 13)  # DH with a curve id
    with pytest.raises(AccessControlError):
        pace.domain_for(pace.algorithm("0.4.0.127.0.7.2.2.4.2.2"), None)


def test_encode_oid():
    assert pace.encode_oid("0.4.0.127.0.7.2.2.4.2.2") == h("04007F00070202040202")
    assert pace.encode_oid("1.2.840.10045.3.1.7") == h("2A8648CE3D030107")


def test_no_parameter_id_fails_before_any_apdu():
    mse = pace.build_mse_set_at("0.4.0.127.0.7.2.2.4.2.2", 2, None, use_tag84=True).to_bytes()
    assert mse == h("0022C1A40F800A04007F00070202040202830102")  # no 84 without an id
    t = replay([])
    with pytest.raises(AccessControlError, match="parameter id"):
        pace.run_with_fallback(Session(t), CanKey("123456"), "0.4.0.127.0.7.2.2.4.2.2", None)
    assert t.sent == []
