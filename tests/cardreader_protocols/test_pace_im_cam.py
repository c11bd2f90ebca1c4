"""Terminal side of PACE-IM and PACE-CAM against ICAO Doc 9303-11 App. H.1 and I.1, step by step.

The values live in tests/vectors/pace_im_cam.json (as printed in the appendices).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cardreader import pace, pace_cam, pace_im
from crypto import curves
from crypto.chip_auth_mapping import proof_holds

VECTORS = json.loads((Path(__file__).parents[1] / "vectors" / "pace_im_cam.json").read_text())
H1, I1 = VECTORS["im_ecdh_H1"], VECTORS["cam_ecdh_I1"]
CURVE = curves.by_pace_id(13)


def h(text: str) -> bytes:
    return bytes.fromhex(text)


def test_im_pseudo_random_function_h1():
    s, t = h(H1["nonce_s"]), h(H1["nonce_t"])
    assert pace_im.pseudo_random_blocks(s, t, CURVE.p) == h(H1["pseudo_random_R"])  # 3 blocks
    assert pace_im.pseudo_random(s, t, CURVE.p) == int(H1["pseudo_random_Rp"], 16)


def test_im_point_encoding_h1():
    g = pace_im.point_encoding(CURVE, int(H1["pseudo_random_Rp"], 16))
    assert (g.x(), g.y()) == (int(H1["mapped_generator_x"], 16), int(H1["mapped_generator_y"], 16))
    # R(s,t) unreduced gives the same point: the encoding works mod p.
    same = pace_im.point_encoding(CURVE, int(H1["pseudo_random_R"], 16))
    assert (same.x(), same.y()) == (g.x(), g.y())


def test_im_key_agreement_keys_and_tokens_h1():
    domain = pace.EcDomain(CURVE)
    mapped = domain.with_generator(pace_im.map_generator(CURVE, h(H1["nonce_s"]), h(H1["nonce_t"])))
    sk_ic, sk_ifd = (
        int(H1["chip_ephemeral_private_key"], 16),
        int(H1["terminal_ephemeral_private_key"], 16),
    )
    pk_ic, pk_ifd = mapped.encode(mapped.public(sk_ic)), mapped.encode(mapped.public(sk_ifd))
    shared = mapped.shared_secret(sk_ifd, mapped.decode(pk_ic))
    assert shared == h(H1["shared_secret_x"])
    assert shared == mapped.shared_secret(sk_ic, mapped.decode(pk_ifd))
    k_enc, k_mac = pace.session_keys(shared, "AES-128")
    assert (k_enc, k_mac) == (h(H1["ks_enc"]), h(H1["ks_mac"]))
    oid = H1["protocol"]
    assert pace.auth_token(k_mac, "AES-128", oid, mapped, pk_ic) == h(H1["t_ifd"])
    assert pace.auth_token(k_mac, "AES-128", oid, mapped, pk_ifd) == h(H1["t_ic"])


def test_im_rejects_wrong_nonce_length_and_unsuited_curve():
    with pytest.raises(pace_im.IntegratedMappingError):
        pace_im.pseudo_random(b"\x01" * 8, b"\x02" * 16, CURVE.p)
    with pytest.raises(pace_im.IntegratedMappingError, match="not defined"):
        pace_im.point_encoding(curves.by_pace_id(10), 5)  # NIST P-224: p = 1 mod 4


def test_cam_decrypts_a_ic_i1():
    ca_ic = pace_cam.decrypt_chip_authentication_data(
        h(I1["ks_enc"]), h(I1["encrypted_chip_authentication_data"])
    )
    assert ca_ic == h(I1["chip_authentication_data"])


def test_cam_mapping_key_and_proof_i1():
    sk_map = int(I1["chip_mapping_private_key"], 16)
    assert CURVE.encode_point(CURVE.generator * sk_map) == h(I1["chip_mapping_public_key"])
    assert proof_holds(
        CURVE,
        h(I1["chip_static_public_key"]),
        h(I1["chip_mapping_public_key"]),
        h(I1["chip_authentication_data"]),
    )
    # The proof binds the static key: the mapping key in its place does not verify.
    assert not proof_holds(
        CURVE,
        h(I1["chip_mapping_public_key"]),
        h(I1["chip_mapping_public_key"]),
        h(I1["chip_authentication_data"]),
    )


@pytest.mark.parametrize(
    "a_ic",
    [b"", b"\x00" * 15, bytes(32)],  # empty, not whole blocks, decrypts without padding
)
def test_cam_rejects_broken_a_ic(a_ic):
    with pytest.raises(pace_cam.ChipAuthenticationDataError):
        pace_cam.decrypt_chip_authentication_data(h(I1["ks_enc"]), a_ic)


def test_cam_and_im_are_accepted_protocols():
    assert pace.algorithm(I1["protocol"]).mapping == "CAM"
    assert pace.algorithm(H1["protocol"]).mapping == "IM"
