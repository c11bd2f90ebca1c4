"""crypto primitives: KDF, parity, padding, retail MAC, AES-CMAC, SM ciphers, DH groups."""

from __future__ import annotations

import gmpy2
import pytest

from crypto import dh
from crypto.kdf import adjust_parity, kdf, kdf_enc, kdf_mac, kdf_pi
from crypto.mac import PaddingError, aes_cmac, pad, retail_mac, unpad
from crypto.smcipher import SMCipher, aes_sm_iv, tdes_cbc_decrypt, tdes_cbc_encrypt

from .helpers import h


def test_kdf_3des_matches_d3(icao_vectors):
    v = icao_vectors["bac_D3"]
    assert kdf_enc(h(v["kseed"])) == h(v["kenc"])
    assert kdf_mac(h(v["kseed"])) == h(v["kmac"])


def test_kdf_aes128_k_pi_matches_g1(icao_vectors):
    v = icao_vectors["pace_ecdh_gm_G1"]
    assert kdf_pi(h(v["key_seed_sha1_mrz"]), "AES-128") == h(v["k_pi"])


def test_kdf_lengths_and_hash_choice():
    seed = b"\x01" * 20
    assert len(kdf(seed, 1, "AES-192")) == 24
    assert len(kdf(seed, 1, "AES-256")) == 32
    # AES-192 is the first 24 bytes of the SHA-256 output that AES-256 uses whole.
    assert kdf(seed, 1, "AES-256")[:24] == kdf(seed, 1, "AES-192")
    assert kdf(seed, 1, "AES-128") != kdf(seed, 2, "AES-128")
    with pytest.raises(ValueError):
        kdf(seed, 1, "RC4")


def test_parity_is_odd_everywhere():
    key = adjust_parity(bytes(range(256)))
    assert all(bin(b).count("1") % 2 == 1 for b in key)
    assert adjust_parity(key) == key


@pytest.mark.parametrize(
    "data,block,padded",
    [
        (b"", 8, "8000000000000000"),
        (b"\x01" * 7, 8, "01" * 7 + "80"),
        (b"\x01" * 8, 8, "01" * 8 + "80" + "00" * 7),
        (b"\x02" * 3, 16, "020202" + "80" + "00" * 12),
    ],
)
def test_pad_method_2(data, block, padded):
    assert pad(data, block) == h(padded)
    assert unpad(h(padded)) == data


def test_unpad_rejects_missing_marker():
    with pytest.raises(PaddingError):
        unpad(h("0102030000000000"))
    with pytest.raises(PaddingError):
        unpad(bytes(8))


def test_retail_mac_matches_d3(icao_vectors):
    v = icao_vectors["bac_D3"]
    assert retail_mac(h(v["kmac"]), pad(h(v["e_ifd"]))) == h(v["m_ifd"])
    assert retail_mac(h(v["kmac"]), h(v["e_ifd"]), padded=False) == h(v["m_ifd"])
    with pytest.raises(ValueError):
        retail_mac(h(v["kmac"]), b"\x00" * 7)


def test_aes_cmac_rfc4493_example_1_and_2():
    key = h("2b7e151628aed2a6abf7158809cf4f3c")
    assert aes_cmac(key, b"") == h("bb1d6929e95937287fa37d129b756746")
    assert aes_cmac(key, h("6bc1bee22e409f96e93d7e117393172a")) == h(
        "070a16b46b4d4144f79bdd9dd04a287c"
    )


def test_3des_cbc_round_trip_and_d3_cryptogram(icao_vectors):
    v = icao_vectors["bac_D3"]
    s = h(v["rnd_ifd"] + v["rnd_ic"] + v["k_ifd"])
    assert tdes_cbc_encrypt(h(v["kenc"]), s) == h(v["e_ifd"])
    assert tdes_cbc_decrypt(h(v["kenc"]), h(v["e_ifd"])) == s


def test_aes_sm_cipher_iv_depends_on_ssc():
    c = SMCipher.for_cipher("AES-128", bytes(range(16)), bytes(range(16, 32)))
    assert c.block_size == 16 and c.ssc_size == 16
    ssc1, ssc2 = (1).to_bytes(16, "big"), (2).to_bytes(16, "big")
    assert aes_sm_iv(c.k_enc, ssc1) != aes_sm_iv(c.k_enc, ssc2)
    block = pad(b"hello", 16)
    assert c.encrypt(ssc1, block) != c.encrypt(ssc2, block)
    assert c.decrypt(ssc1, c.encrypt(ssc1, block)) == block
    with pytest.raises(ValueError):
        c.decrypt(ssc1, b"\x00" * 15)


@pytest.mark.parametrize("group", dh.GROUPS, ids=lambda g: g.name)
def test_rfc5114_groups_are_consistent(group):
    assert gmpy2.is_prime(group.p) and gmpy2.is_prime(group.q)
    assert (group.p - 1) % group.q == 0
    assert pow(group.g, group.q, group.p) == 1
    assert dh.by_pace_id(group.pace_id) is group


def test_dh_decode_refuses_values_outside_the_subgroup():
    g = dh.MODP_1024_160
    assert g.decode(g.encode(pow(g.g, 12345, g.p))) == pow(g.g, 12345, g.p)
    for bad in (1, g.p - 1, 0):
        with pytest.raises(dh.DHError):
            g.decode(g.encode(bad))
    non_member = next(x for x in range(2, 50) if pow(x, g.q, g.p) != 1)
    with pytest.raises(dh.DHError):
        g.decode(g.encode(non_member))
    with pytest.raises(dh.DHError):
        dh.by_pace_id(13)
