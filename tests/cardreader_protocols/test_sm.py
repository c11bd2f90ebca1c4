"""Secure messaging: App. D.4 (3DES), the AES vector, and the failures that end a session."""

from __future__ import annotations

import pytest

from cardreader.apdu import CommandAPDU, ResponseAPDU
from cardreader.errors import SecureMessagingError
from cardreader.sm import SecureMessaging, parse_do_list
from crypto.mac import pad, retail_mac

from .cardside import protect_response
from .helpers import flip, h


def _d4(v) -> SecureMessaging:
    return SecureMessaging.from_keys("3DES", h(v["ks_enc"]), h(v["ks_mac"]), h(v["ssc_start"]))


def test_d4_every_command_response_and_ssc(icao_vectors):
    v = icao_vectors["sm_3des_D4"]
    sm = _d4(v)
    ssc = int(v["ssc_start"], 16)
    for ex in v["exchanges"]:
        wrapped = sm.wrap(CommandAPDU.from_bytes(h(ex["plain_command"])))
        assert wrapped.to_bytes() == h(ex["protected_command"])
        assert sm.ssc == (ssc + 1).to_bytes(8, "big")
        plain = sm.unwrap(ResponseAPDU.from_bytes(h(ex["protected_response"])))
        assert plain.to_bytes() == h(ex["plain_response"])
        ssc += 2
        assert sm.ssc == ssc.to_bytes(8, "big")
    assert sm.active


def test_aes_vector_command_and_ssc(icao_vectors):
    v = icao_vectors["sm_aes_encode"]
    sm = SecureMessaging.from_keys("AES-128", h(v["ks_enc"]), h(v["ks_mac"]), h(v["ssc_before"]))
    wrapped = sm.wrap(CommandAPDU.from_bytes(h(v["plain_command"])))
    assert wrapped.to_bytes() == h(v["protected_command"])
    assert sm.ssc == h(v["ssc_after"])


def test_flipped_mac_byte_raises_and_ends(icao_vectors):
    v = icao_vectors["sm_3des_D4"]
    sm = _d4(v)
    ex = v["exchanges"][1]
    sm.wrap(CommandAPDU.from_bytes(h(v["exchanges"][0]["plain_command"])))
    with pytest.raises(SecureMessagingError, match="MAC"):
        # byte 3 from the end is the MAC's last byte (before SW1 SW2)
        sm.unwrap(ResponseAPDU.from_bytes(h(flip(v["exchanges"][0]["protected_response"], 3))))
    assert not sm.active
    with pytest.raises(SecureMessagingError):
        sm.wrap(CommandAPDU.from_bytes(h(ex["plain_command"])))


def test_flipped_cryptogram_byte_fails_the_mac(icao_vectors):
    v = icao_vectors["sm_3des_D4"]
    sm = _d4(v)
    for ex in v["exchanges"][:1]:
        sm.wrap(CommandAPDU.from_bytes(h(ex["plain_command"])))
        sm.unwrap(ResponseAPDU.from_bytes(h(ex["protected_response"])))
    ex = v["exchanges"][1]
    sm.wrap(CommandAPDU.from_bytes(h(ex["plain_command"])))
    raw = bytearray(h(ex["protected_response"]))
    raw[4] ^= 0x80  # inside DO'87'
    with pytest.raises(SecureMessagingError, match="MAC"):
        sm.unwrap(ResponseAPDU.from_bytes(bytes(raw)))


@pytest.mark.parametrize(
    "response,match,sw",
    [  # (answer to the first D.4 command, error, SW)
        ("6988", "without secure messaging", 0x6988),
        ("6987", "without secure messaging", 0x6987),
        ("6A82", "without secure messaging", 0x6A82),
        ("990290009000", "no MAC", 0x9000),
        ("8E0801020304050607089000", "DO'99'", 0x9000),
        ("990290008E04010203049000", "MAC check", 0x9000),
        ("8E08010203040506070899029000" + "9000", "after its MAC", 0x9000),
        ("87099000", "malformed", 0x9000),
    ],
)
def test_responses_that_end_secure_messaging(icao_vectors, response, match, sw):
    v = icao_vectors["sm_3des_D4"]
    sm = _d4(v)
    sm.wrap(CommandAPDU.from_bytes(h(v["exchanges"][0]["plain_command"])))
    raw = h(response)
    with pytest.raises(SecureMessagingError, match=match) as info:
        sm.unwrap(ResponseAPDU.from_bytes(raw))
    assert info.value.sw == sw
    assert not sm.active


def test_protected_error_status_is_not_an_sm_failure():
    k_enc, k_mac = bytes(range(16)), bytes(range(16, 32))
    sm = SecureMessaging.from_keys("3DES", k_enc, k_mac, 100)
    sm.wrap(CommandAPDU(0x00, 0xA4, 0x02, 0x0C, h("0103")))
    plain = sm.unwrap(ResponseAPDU.from_bytes(protect_response(k_enc, k_mac, 102, b"", 0x6A82)))
    assert plain == ResponseAPDU(b"", 0x6A82) and sm.active


def test_extended_length_command_and_long_response_3des():
    k_enc, k_mac = bytes(range(16)), bytes(range(16, 32))
    sm = SecureMessaging.from_keys("3DES", k_enc, k_mac, 0)
    wrapped = sm.wrap(CommandAPDU(0x00, 0xB0, 0x00, 0x00, ne=1000))
    raw = wrapped.to_bytes()
    assert wrapped.is_extended and raw[-2:] == h("0000")  # Le 65536 on the wire
    dos = parse_do_list(wrapped.data)
    assert [(t, v) for t, v, _ in dos[:1]] == [(0x97, h("03E8"))]
    ssc = (1).to_bytes(8, "big")
    expect_mac = retail_mac(k_mac, pad(ssc + pad(h("0CB00000"), 8) + dos[0][2], 8))
    assert dos[1][1] == expect_mac
    data = bytes(range(256)) * 4  # 1024 bytes: DO'87' long form 82
    plain = sm.unwrap(
        ResponseAPDU.from_bytes(protect_response(k_enc, k_mac, 2, data[:1000], 0x9000))
    )
    assert plain.data == data[:1000] and plain.sw == 0x9000


def test_long_plain_data_forces_extended_protected_command():
    sm = SecureMessaging.from_keys("AES-128", bytes(16), bytes(16), 0)
    wrapped = sm.wrap(
        CommandAPDU(0x00, 0xD6, 0x00, 0x00, bytes(250))
    )  # short plain, long protected
    assert wrapped.is_extended and len(wrapped.data) > 255
    assert wrapped.to_bytes()[4] == 0x00


def test_odd_ins_uses_do85_both_ways_aes():
    k_enc, k_mac = bytes(range(16)), bytes(range(16, 32))
    sm = SecureMessaging.from_keys("AES-128", k_enc, k_mac, 0x10)
    wrapped = sm.wrap(CommandAPDU(0x00, 0xB1, 0x00, 0x00, h("54028001"), ne=200))
    assert [t for t, _, _ in parse_do_list(wrapped.data)] == [0x85, 0x97, 0x8E]
    do53 = h("5381C8") + bytes(200)
    resp = protect_response(k_enc, k_mac, 0x12, do53, 0x9000, aes=True, odd_ins=True)
    assert sm.unwrap(ResponseAPDU.from_bytes(resp)).data == do53
    assert sm.ssc == (0x12).to_bytes(16, "big")


def test_aes_response_with_wrong_ssc_fails():
    k_enc, k_mac = bytes(range(16)), bytes(range(16, 32))
    sm = SecureMessaging.from_keys("AES-256", k_enc + k_enc, k_mac + k_mac, 0)
    sm.wrap(CommandAPDU(0x00, 0xB0, 0x00, 0x00, ne=4))
    # Card computed its MAC one SSC step ahead: a replayed or reordered answer.
    resp = protect_response(k_enc + k_enc, k_mac + k_mac, 3, b"abcd", 0x9000, aes=True)
    with pytest.raises(SecureMessagingError):
        sm.unwrap(ResponseAPDU.from_bytes(resp))
