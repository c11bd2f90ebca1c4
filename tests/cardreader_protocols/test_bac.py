"""BAC, ICAO Doc 9303-11 App. D.3: every intermediate value and the full exchange."""

from __future__ import annotations

import pytest

from cardreader import bac
from cardreader.accesskey import MrzKey
from cardreader.errors import AccessControlError, AccessDeniedError
from cardreader.session import Session
from cardreader.transport.replay import ReplayTransport

from .helpers import flip, h, replay, scripted_rng

KEY = MrzKey("L898902C", "690806", "940623")


def test_d3_intermediate_values(icao_vectors):
    v = icao_vectors["bac_D3"]
    k_enc, k_mac = bac.derive_keys(KEY.bac_key_seed)
    assert KEY.bac_key_seed == h(v["kseed"])
    assert (k_enc, k_mac) == (h(v["kenc"]), h(v["kmac"]))
    cmd, e_ifd, m_ifd = bac.build_external_authenticate(
        h(v["rnd_ic"]), h(v["rnd_ifd"]), h(v["k_ifd"]), k_enc, k_mac
    )
    assert e_ifd == h(v["e_ifd"]) and m_ifd == h(v["m_ifd"])
    assert cmd.to_bytes() == h(v["external_authenticate"][0])
    assert bac.build_get_challenge().to_bytes() == h(v["get_challenge"][0])
    resp = h(v["external_authenticate"][1])[:-2]
    k_ic = bac.process_external_authenticate(resp, h(v["rnd_ic"]), h(v["rnd_ifd"]), k_enc, k_mac)
    assert k_ic == h(v["k_ic"])
    keys = bac.session_keys(h(v["k_ifd"]), k_ic, h(v["rnd_ic"]), h(v["rnd_ifd"]))
    assert (keys.ks_enc, keys.ks_mac, keys.ssc) == (h(v["ks_enc"]), h(v["ks_mac"]), h(v["ssc"]))


def test_d3_full_exchange_through_replay(icao_vectors):
    v = icao_vectors["bac_D3"]
    t = ReplayTransport.from_trace("bac_d3_sm_d4")
    s = Session(t)
    rng = scripted_rng(v["rnd_ifd"], v["k_ifd"])
    sm = bac.run(s, KEY, rng=rng)
    assert s.secure_messaging is sm and not rng.remaining
    assert (
        sm.ssc == h(v["ssc"])
        and sm.cipher.k_enc == h(v["ks_enc"])
        and sm.cipher.k_mac == h(v["ks_mac"])
    )
    assert t.remaining == 3  # the D.4 reads follow in the trace (see test_session)


def test_wrong_key_6300_is_access_denied(icao_vectors):
    v = icao_vectors["bac_D3"]
    t = ReplayTransport.from_trace("bac_wrong_key_6300")
    s = Session(t)
    wrong = MrzKey("L898902C", "690806", "940624")
    with pytest.raises(AccessDeniedError) as info:
        bac.run(s, wrong, rng=scripted_rng(v["rnd_ifd"], v["k_ifd"]))
    assert info.value.sw == 0x6300 and info.value.step == "external_authenticate"
    assert s.secure_messaging is None
    t.assert_done()  # no retry


@pytest.mark.parametrize("sw", ["6982", "6985"])
def test_other_refusals_are_access_denied(icao_vectors, sw):
    v = icao_vectors["bac_D3"]
    t = replay([v["get_challenge"], (v["external_authenticate"][0], sw)])
    with pytest.raises(AccessDeniedError):
        bac.run(Session(t), KEY, rng=scripted_rng(v["rnd_ifd"], v["k_ifd"]))


def test_mac_failure_on_the_answer_is_access_denied(icao_vectors):
    v = icao_vectors["bac_D3"]
    t = replay(
        [
            v["get_challenge"],
            (v["external_authenticate"][0], flip(v["external_authenticate"][1], 3)),
        ]
    )
    with pytest.raises(AccessDeniedError):
        bac.run(Session(t), KEY, rng=scripted_rng(v["rnd_ifd"], v["k_ifd"]))


def test_get_challenge_refused_is_access_control_error(icao_vectors):
    v = icao_vectors["bac_D3"]
    with pytest.raises(AccessControlError) as info:
        bac.run(Session(replay([(v["get_challenge"][0], "6D00")])), KEY)
    assert not isinstance(info.value, AccessDeniedError) and info.value.step == "get_challenge"


def test_wrong_rnd_ifd_echo_is_refused(icao_vectors):
    v = icao_vectors["bac_D3"]
    k_enc, k_mac = bac.derive_keys(KEY.bac_key_seed)
    resp = h(v["external_authenticate"][1])[:-2]
    with pytest.raises(AccessControlError, match="echo"):
        bac.process_external_authenticate(resp, h(v["rnd_ic"]), bytes(8), k_enc, k_mac)
