"""Card side of PACE-IM and PACE-CAM against ICAO Doc 9303-11 App. H.1 and I.1.

The chip is driven step by step with the appendix's randomness; the test side computes only
with the appendix's printed values and the ecdsa library's point arithmetic.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from ecdsa import curves
from ecdsa.ellipticcurve import PointJacobi

from simulators.card.errors import SWError
from simulators.card.oids import ProtocolOID
from simulators.card.pace import PACEChip
from simulators.card.pace_im import mapped_generator, prf
from simulators.card.tlv import tlv, tlv_dict

from .helpers import ScriptedRng, make_dataset

VECTORS = json.loads((Path(__file__).parents[1] / "vectors" / "pace_im_cam.json").read_text())
H1, I1 = VECTORS["im_ecdh_H1"], VECTORS["cam_ecdh_I1"]
BP256 = curves.BRAINPOOLP256r1


def h(text: str) -> bytes:
    return bytes.fromhex(text)


def encode(point) -> bytes:
    return b"\x04" + int(point.x()).to_bytes(32, "big") + int(point.y()).to_bytes(32, "big")


def oid_bytes(dotted: str) -> bytes:
    arcs = [int(a) for a in dotted.split(".")]
    out = bytearray([arcs[0] * 40 + arcs[1]])
    for arc in arcs[2:]:
        out.append(arc)  # every arc of the BSI PACE OIDs is below 128
    return bytes(out)


def ga(chip: PACEChip, tag: int | None, value: bytes = b"") -> dict[int, bytes]:
    data, _sm = chip.general_authenticate(tlv(0x7C, tlv(tag, value) if tag else b""))
    return tlv_dict(tlv_dict(data)[0x7C])


def test_prf_and_mapped_generator_h1():
    s, t = h(H1["nonce_s"]), h(H1["nonce_t"])
    assert prf(s, t, BP256.curve.p()) == h(H1["pseudo_random_R"])
    g = mapped_generator(BP256, s, t)
    assert (g.x(), g.y()) == (int(H1["mapped_generator_x"], 16), int(H1["mapped_generator_y"], 16))


def test_chip_runs_integrated_mapping_h1():
    rng = ScriptedRng(H1["nonce_s"], H1["chip_ephemeral_private_key"])
    chip = PACEChip(make_dataset(), ProtocolOID.from_bytes(oid_bytes(H1["protocol"])), 2, 13, rng)
    assert 0x80 in ga(chip, None)  # z = E(K_pi, s)
    assert ga(chip, 0x81, h(H1["nonce_t"])) == {0x82: b""}
    g = PointJacobi(
        BP256.curve,
        int(H1["mapped_generator_x"], 16),
        int(H1["mapped_generator_y"], 16),
        1,
        BP256.order,
    )
    pk_ifd = encode(g * int(H1["terminal_ephemeral_private_key"], 16))
    pk_ic = ga(chip, 0x83, pk_ifd)[0x84]
    assert pk_ic == encode(g * int(H1["chip_ephemeral_private_key"], 16))
    answer = ga(chip, 0x85, h(H1["t_ifd"]))  # the appendix's terminal token is accepted
    assert answer == {0x86: h(H1["t_ic"])}
    assert chip.sm is not None


def test_chip_rejects_a_wrong_token_after_im():
    rng = ScriptedRng(H1["nonce_s"], H1["chip_ephemeral_private_key"])
    chip = PACEChip(make_dataset(), ProtocolOID.from_bytes(oid_bytes(H1["protocol"])), 2, 13, rng)
    ga(chip, None)
    ga(chip, 0x81, h(H1["nonce_t"]))
    g = mapped_generator(BP256, h(H1["nonce_s"]), h(H1["nonce_t"]))
    ga(chip, 0x83, encode(g * 12345))
    with pytest.raises(SWError) as info:
        ga(chip, 0x85, h(H1["t_ifd"]))
    assert info.value.sw == 0x6300


def test_chip_encrypts_chip_authentication_data_i1():
    sk_map = int(I1["chip_mapping_private_key"], 16)
    ca_ic = int(I1["chip_authentication_data"], 16)
    # App. I.1 prints PK_IC only; SK_IC = SK_Map,IC * CA_IC^-1 mod n, checked against PK_IC.
    n = int(BP256.order)
    sk_static = sk_map * pow(ca_ic, -1, n) % n
    assert encode(BP256.generator * sk_static) == h(I1["chip_static_public_key"])
    dataset = make_dataset()
    dataset.ca_private_key = ec.derive_private_key(sk_static, ec.BrainpoolP256R1())
    chip = PACEChip(dataset, ProtocolOID.from_bytes(oid_bytes(I1["protocol"])), 2, 13, None)
    chip._sk_map, chip._k_enc = sk_map, h(I1["ks_enc"])
    assert chip._encrypted_ca_data() == h(I1["encrypted_chip_authentication_data"])


def test_cam_needs_a_static_key_on_the_pace_curve():
    dataset = make_dataset()
    dataset.ca_private_key = ec.derive_private_key(7, ec.SECP256R1())
    with pytest.raises(SWError, match="static key"):
        PACEChip(dataset, ProtocolOID.from_bytes(oid_bytes(I1["protocol"])), 2, 13, None)


@pytest.mark.parametrize(
    "oid",
    ["0.4.0.127.0.7.2.2.4.6.1", "0.4.0.127.0.7.2.2.4.4.4", "0.4.0.127.0.7.2.2.4.3.2"],
)
def test_unsupported_mappings_are_refused(oid):
    with pytest.raises(SWError):
        PACEChip(make_dataset(), ProtocolOID.from_bytes(oid_bytes(oid)), 2, 13, None)
