"""Session: APDU log with wrapped children, counters, phases, error mapping, SM ending."""

from __future__ import annotations

import pytest

from cardreader import bac
from cardreader.accesskey import MrzKey
from cardreader.apdu import CommandAPDU
from cardreader.errors import CardError, CardRemovedError, CardTimeoutError, SecureMessagingError
from cardreader.result import Phase, ReadStats
from cardreader.session import Session
from cardreader.transport.replay import ReplayTransport

from .helpers import h, replay, scripted_rng


class _Raising:
    def __init__(self, exc):
        self.exc = exc

    def transmit(self, apdu: bytes) -> bytes:
        raise self.exc

    def close(self) -> None:
        pass


def _bac_session(icao_vectors, transport=None) -> Session:
    v = icao_vectors["bac_D3"]
    t = transport or ReplayTransport.from_trace("bac_d3_sm_d4")
    s = Session(t)
    bac.run(s, MrzKey("L898902C", "690806", "940623"), rng=scripted_rng(v["rnd_ifd"], v["k_ifd"]))
    return s


def test_log_holds_plain_exchange_with_wrapped_child(icao_vectors):
    d4 = icao_vectors["sm_3des_D4"]
    s = _bac_session(icao_vectors)
    trace = s.transport
    assert isinstance(trace, ReplayTransport)
    for ex in d4["exchanges"]:
        resp = s.transmit(CommandAPDU.from_bytes(h(ex["plain_command"])), "D.4")
        assert resp.to_bytes() == h(ex["plain_response"])
    trace.assert_done()
    plain_entries = s.log[2:]
    assert [e.wrapped is None for e in s.log[:2]] == [True, True]
    for entry, ex in zip(plain_entries, d4["exchanges"], strict=True):
        assert entry.command == h(ex["plain_command"]) and entry.response == h(ex["plain_response"])
        assert entry.wrapped.command == h(ex["protected_command"])
        assert entry.wrapped.response == h(ex["protected_response"])
    assert s.stats.apdus == 5
    assert s.stats.bytes_sent == sum(len(x) for x in trace.sent)
    assert s.stats.bytes_received == sum(len(e.response) for e in trace.script)
    assert s.wire_trace()[3]["command"] == d4["exchanges"][1]["protected_command"].upper()
    assert (
        s.log[-1].to_dict()["wrapped"]["response"]
        == d4["exchanges"][2]["protected_response"].upper()
    )


def test_plain_6988_mid_session_raises_and_ends_sm(icao_vectors):
    d3, d4 = icao_vectors["bac_D3"], icao_vectors["sm_3des_D4"]
    t = replay(
        [
            (d3["get_challenge"][0], d3["get_challenge"][1]),
            (d3["external_authenticate"][0], d3["external_authenticate"][1]),
            (d4["exchanges"][0]["protected_command"], "6988"),
            ("00A4020C02011E", "9000"),
        ]
    )
    s = _bac_session(icao_vectors, t)
    assert s.secure_messaging is not None
    with pytest.raises(SecureMessagingError) as info:
        s.transmit(CommandAPDU.from_bytes(h(d4["exchanges"][0]["plain_command"])))
    assert info.value.sw == 0x6988
    assert s.secure_messaging is None
    assert s.log[-1].error == "secure_messaging_error"
    # Afterwards the session sends in plain (the card would then refuse: a new access is needed).
    assert s.transmit(CommandAPDU.from_bytes(h("00A4020C02011E"))).sw == 0x9000
    t.assert_done()


def test_flipped_mac_through_the_session_ends_sm(icao_vectors):
    d3, d4 = icao_vectors["bac_D3"], icao_vectors["sm_3des_D4"]
    bad = bytearray(h(d4["exchanges"][0]["protected_response"]))
    bad[-3] ^= 0xFF
    t = replay(
        [
            (d3["get_challenge"][0], d3["get_challenge"][1]),
            (d3["external_authenticate"][0], d3["external_authenticate"][1]),
            (d4["exchanges"][0]["protected_command"], bad.hex()),
        ]
    )
    s = _bac_session(icao_vectors, t)
    with pytest.raises(SecureMessagingError, match="MAC"):
        s.transmit(CommandAPDU.from_bytes(h(d4["exchanges"][0]["plain_command"])))
    assert s.secure_messaging is None


@pytest.mark.parametrize(
    "exc,mapped",
    [
        (ConnectionResetError(), CardRemovedError),
        (BrokenPipeError(), CardRemovedError),
        (TimeoutError(), CardTimeoutError),
        (OSError("reader gone"), CardError),
        (CardRemovedError(), CardRemovedError),
    ],
)
def test_transport_errors_are_mapped(exc, mapped):
    s = Session(_Raising(exc))
    with pytest.raises(mapped):
        s.transmit(CommandAPDU(0x00, 0x84, 0x00, 0x00, ne=8))
    assert s.log[-1].response is None and s.log[-1].error


def test_transport_error_under_sm_ends_sm(icao_vectors):
    d3, d4 = icao_vectors["bac_D3"], icao_vectors["sm_3des_D4"]
    t = ReplayTransport.from_dict(
        {
            "exchanges": [
                {"command": d3["get_challenge"][0], "response": d3["get_challenge"][1]},
                {
                    "command": d3["external_authenticate"][0],
                    "response": d3["external_authenticate"][1],
                },
                {"command": d4["exchanges"][0]["protected_command"], "error": "card_removed"},
            ]
        }
    )
    s = _bac_session(icao_vectors, t)
    with pytest.raises(CardRemovedError):
        s.transmit(CommandAPDU.from_bytes(h(d4["exchanges"][0]["plain_command"])))
    assert s.secure_messaging is None


def test_malformed_answer_is_a_card_error():
    s = Session(replay([("0084000008", "90")]))
    with pytest.raises(CardError, match="malformed"):
        s.transmit(CommandAPDU(0x00, 0x84, 0x00, 0x00, ne=8))


def test_61xx_is_followed_by_get_response():
    t = replay([("0084000008", "6104"), ("00C0000004", "AABBCCDD6102"), ("00C0000002", "EEFF9000")])
    s = Session(t)
    resp = s.transmit(CommandAPDU(0x00, 0x84, 0x00, 0x00, ne=8))
    assert resp.data == h("AABBCCDDEEFF") and resp.sw == 0x9000
    assert s.stats.apdus == 3
    t.assert_done()


def test_phases_accumulate_wall_cpu_and_apdus():
    ticks = iter(range(0, 1000))
    cpu = iter(x / 2 for x in range(0, 1000))
    stats = ReadStats()
    t = replay([("0084000008", "01020304050607089000")] * 3)
    s = Session(t, stats=stats, clock=lambda: next(ticks), cpu_clock=lambda: next(cpu))
    with s.phase(Phase.ACCESS_CONTROL):
        s.transmit(CommandAPDU(0x00, 0x84, 0x00, 0x00, ne=8))
        with s.phase("inner"):
            s.transmit(CommandAPDU(0x00, 0x84, 0x00, 0x00, ne=8))
    with s.phase(Phase.ACCESS_CONTROL):
        s.transmit(CommandAPDU(0x00, 0x84, 0x00, 0x00, ne=8))
    ac = stats.phases["access_control"]
    assert ac.apdus == 3 and stats.phases["inner"].apdus == 1
    assert ac.wall_ms > stats.phases["inner"].wall_ms > 0
    assert ac.cpu_ms > 0
    # Only outermost phases count towards the total.
    assert stats.wall_ms == pytest.approx(ac.wall_ms)
    assert stats.to_dict()["phases"]["access_control"]["apdus"] == 3


def test_keep_log_false_keeps_nothing():
    s = Session(replay([("0084000008", "01020304050607089000")]), keep_log=False)
    s.transmit(CommandAPDU(0x00, 0x84, 0x00, 0x00, ne=8))
    assert s.log == [] and s.stats.apdus == 1
