"""The card side against the ICAO Doc 9303-11 worked examples, byte for byte."""

from __future__ import annotations

import pytest

from simulators.card import VirtualCCCD
from simulators.card.apdu import CommandAPDU
from simulators.card.keys import check_digit, mrz_information
from simulators.card.primitives import CipherSuite
from simulators.card.sm import SecureMessaging
from simulators.carddata import FID_COM

from .conftest import pace_card
from .helpers import ScriptedRng, make_dataset


def h(text: str) -> bytes:
    return bytes.fromhex(text)


def test_check_digits(icao_vectors):
    for case in icao_vectors["mrz_check_digit"]:
        assert check_digit(case["input"]) == str(case["check"])


def bac_card(vectors, **options):
    d3 = vectors["bac_D3"]
    dataset = make_dataset(document_number="L898902C", birth="690806", expiry="940623", **options)
    card = VirtualCCCD(dataset, rng=ScriptedRng(d3["rnd_ic"], d3["k_ic"]))
    card.power_on()
    return card


def test_bac_d3_replays(icao_vectors):
    d3 = icao_vectors["bac_D3"]
    card = bac_card(icao_vectors)
    assert mrz_information("L898902C", "690806", "940623") == d3["mrz_information"]
    assert card.process_apdu(h("00A4040C07A0000002471001")) == h("9000")
    command, response = d3["get_challenge"]
    assert card.process_apdu(h(command)) == h(response)
    # The terminal's EXTERNAL AUTHENTICATE carries e_ifd || m_ifd from the vector.
    command, response = d3["external_authenticate"]
    assert h(command)[5:45] == h(d3["e_ifd"] + d3["m_ifd"])
    assert card.process_apdu(h(command)).hex().upper() == response.upper()
    assert card.sm.k_enc == h(d3["ks_enc"])
    assert card.sm.k_mac == h(d3["ks_mac"])
    assert card.sm.ssc == int(d3["ssc"], 16)
    assert card.access_protocol == "BAC"


def test_bac_wrong_key_gets_6300(icao_vectors):
    d3 = icao_vectors["bac_D3"]
    dataset = make_dataset(document_number="L898902C", birth="690807", expiry="940623")
    card = VirtualCCCD(dataset, rng=ScriptedRng(d3["rnd_ic"]))
    card.process_apdu(h(d3["get_challenge"][0]))
    assert card.process_apdu(h(d3["external_authenticate"][0])) == h("6300")
    assert card.sm is None and not card.authenticated
    # The challenge is spent: a second try without a new challenge is refused.
    assert card.process_apdu(h(d3["external_authenticate"][0])) == h("6985")


@pytest.mark.parametrize("index", range(3))
def test_sm_3des_d4_unwrap_and_wrap(icao_vectors, index):
    d4 = icao_vectors["sm_3des_D4"]
    sm = SecureMessaging(
        CipherSuite("3DES"), h(d4["ks_enc"]), h(d4["ks_mac"]), int(d4["ssc_start"], 16)
    )
    for exchange in d4["exchanges"][:index]:  # bring the SSC to this exchange
        sm.unwrap_command(CommandAPDU.from_bytes(h(exchange["protected_command"])))
        sm.wrap_response(b"", 0x9000, 0)
    exchange = d4["exchanges"][index]
    plain = sm.unwrap_command(CommandAPDU.from_bytes(h(exchange["protected_command"])))
    assert plain == CommandAPDU.from_bytes(h(exchange["plain_command"]))
    plain_response = h(exchange["plain_response"])
    wrapped = sm.wrap_response(
        plain_response[:-2], int.from_bytes(plain_response[-2:], "big"), plain.ins
    )
    assert wrapped.hex().upper() == exchange["protected_response"].upper()


def test_sm_3des_d4_through_the_card(icao_vectors):
    """The card after BAC D.3 answers the D.4 commands with exactly the D.4 responses."""
    d4 = icao_vectors["sm_3des_D4"]
    card = bac_card(icao_vectors, extra={FID_COM: h(d4["ef_com"])})
    card.process_apdu(h("00A4040C07A0000002471001"))
    d3 = icao_vectors["bac_D3"]
    card.process_apdu(h(d3["get_challenge"][0]))
    card.process_apdu(h(d3["external_authenticate"][0]))
    assert card.sm.ssc == int(d4["ssc_start"], 16)
    for exchange in d4["exchanges"]:
        response = card.process_apdu(h(exchange["protected_command"]))
        assert response.hex().upper() == exchange["protected_response"].upper()


def test_sm_aes_unwraps_the_vector(icao_vectors):
    v = icao_vectors["sm_aes_encode"]
    sm = SecureMessaging(
        CipherSuite("AES"), h(v["ks_enc"]), h(v["ks_mac"]), int(v["ssc_before"], 16)
    )
    plain = sm.unwrap_command(CommandAPDU.from_bytes(h(v["protected_command"])))
    assert plain == CommandAPDU.from_bytes(h(v["plain_command"]))
    assert sm.ssc == int(v["ssc_after"], 16)


def test_sm_aes_bad_mac_rejected(icao_vectors):
    v = icao_vectors["sm_aes_encode"]
    sm = SecureMessaging(
        CipherSuite("AES"), h(v["ks_enc"]), h(v["ks_mac"]), int(v["ssc_before"], 16)
    )
    bad = bytearray(h(v["protected_command"]))
    bad[-3] ^= 0x01  # last MAC byte
    from simulators.card.errors import SMError

    with pytest.raises(SMError) as info:
        sm.unwrap_command(CommandAPDU.from_bytes(bytes(bad)))
    assert info.value.sw == 0x6988


def test_pace_g1_replays_and_keys(icao_vectors):
    g1 = icao_vectors["pace_ecdh_gm_G1"]
    card, _ = pace_card(icao_vectors)  # asserts every response byte for byte
    assert card.sm.k_enc == h(g1["ks_enc"])
    assert card.sm.k_mac == h(g1["ks_mac"])
    assert card.sm.ssc == 0
    assert card.sm.suite.cipher == "AES"
    assert card.access_protocol == "PACE"


def test_pace_g1_wrong_mrz_changes_the_encrypted_nonce(icao_vectors):
    """With another MRZ the card encrypts the same nonce under another K_pi."""
    g1 = icao_vectors["pace_ecdh_gm_G1"]
    dataset = make_dataset(document_number="T22000130", card_access=h(g1["ef_card_access"]))
    card = VirtualCCCD(dataset, rng=ScriptedRng(g1["nonce"]))
    assert card.process_apdu(h(g1["apdus"][0]["command"])) == h("9000")
    response = card.process_apdu(h(g1["apdus"][1]["command"]))
    assert response[-2:] == h("9000") and len(response) == len(h(g1["apdus"][1]["response"]))
    assert h(g1["encrypted_nonce"]) not in response


def test_pace_g1_terminal_with_another_nonce_gets_6300(icao_vectors):
    """A terminal that decrypted another nonce (wrong password) fails on the last step."""
    g1 = icao_vectors["pace_ecdh_gm_G1"]
    other_nonce = bytes(b ^ 0x01 for b in h(g1["nonce"]))
    card = VirtualCCCD(
        make_dataset(card_access=h(g1["ef_card_access"])),
        rng=ScriptedRng(
            other_nonce, g1["chip_mapping_private_key"], g1["chip_ephemeral_private_key"]
        ),
    )
    responses = [card.process_apdu(h(step["command"])) for step in g1["apdus"]]
    assert all(r[-2:] == h("9000") for r in responses[:4])
    assert responses[4] == h("6300")
    assert card.sm is None and not card.authenticated


def test_pace_g1_with_tag84(icao_vectors):
    """The same run with '84 01 0D' in MSE:Set AT (and no EF.CardAccess needed)."""
    g1 = icao_vectors["pace_ecdh_gm_G1"]
    card = VirtualCCCD(
        make_dataset(),
        rng=ScriptedRng(
            g1["nonce"], g1["chip_mapping_private_key"], g1["chip_ephemeral_private_key"]
        ),
    )
    mse = h("0022C1A412800A04007F00070202040202830101" + "84010D")
    assert card.process_apdu(mse) == h("9000")
    for step in g1["apdus"][1:]:
        assert card.process_apdu(h(step["command"])).hex().upper() == step["response"].upper()
    assert card.sm.k_enc == h(g1["ks_enc"])


def test_pace_without_parameter_id_anywhere_is_refused(icao_vectors):
    card = VirtualCCCD(make_dataset())  # no EF.CardAccess, no tag 84
    assert card.process_apdu(h("0022C1A40F800A04007F00070202040202830101")) == h("6A88")
