"""The strict replay transport."""

from __future__ import annotations

import json

import pytest

from cardreader.errors import CardError, CardRemovedError, CardTimeoutError
from cardreader.transport.base import Transport
from cardreader.transport.replay import (
    TRACES_DIR,
    Exchange,
    ReplayMismatch,
    ReplayTransport,
    save_trace,
)

from .helpers import h, replay


def test_is_a_transport():
    assert isinstance(replay([]), Transport)


def test_plays_in_order_and_records():
    t = replay([("0084000008", "01020304050607089000"), ("00A4020C02011E", "9000")])
    assert t.transmit(h("0084000008")) == h("01020304050607089000")
    assert t.remaining == 1
    with pytest.raises(ReplayMismatch, match="1 scripted"):
        t.assert_done()
    assert t.transmit(h("00A4020C02011E")) == h("9000")
    t.assert_done()
    assert t.sent == [h("0084000008"), h("00A4020C02011E")]


def test_fails_at_once_on_an_unexpected_command():
    t = replay([("0084000008", "9000"), ("00B0000004", "9000")])
    with pytest.raises(ReplayMismatch, match="expected 0084000008"):
        t.transmit(h("0084000009"))
    # Not a card error: protocol code must not swallow it.
    assert not issubclass(ReplayMismatch, CardError)


def test_extra_command_and_use_after_close():
    t = replay([])
    with pytest.raises(ReplayMismatch, match="extra"):
        t.transmit(h("00B0000004"))
    t.close()
    with pytest.raises(ReplayMismatch, match="after close"):
        t.transmit(h("00B0000004"))


@pytest.mark.parametrize(
    "fault,error", [("card_removed", CardRemovedError), ("timeout", CardTimeoutError)]
)
def test_replayed_faults(fault, error):
    t = ReplayTransport([Exchange(h("00B0000004"), None, fault)])
    with pytest.raises(error):
        t.transmit(h("00B0000004"))
    t.assert_done()


def test_json_round_trip(tmp_path):
    path = tmp_path / "t.json"
    save_trace(
        path,
        [
            {"description": "x", "command": "00B0000004", "response": "01029000"},
            {"command": "00B0000404", "error": "card_removed"},
        ],
        source="synthetic",
    )
    t = ReplayTransport.from_json(path)
    assert t.meta["source"] == "synthetic" and t.name == "t"
    assert t.transmit(h("00b0000004")) == h("01029000")
    with pytest.raises(CardRemovedError):
        t.transmit(h("00B0000404"))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"exchanges": [{"command": "00", "error": "explode"}]}))
    with pytest.raises(ValueError):
        ReplayTransport.from_json(bad)


def test_every_stored_trace_loads_and_names_its_source():
    names = sorted(p.stem for p in TRACES_DIR.glob("*.json"))
    assert {"bac_d3_sm_d4", "pace_g1", "pace_g1_tag84_6a80", "bac_wrong_key_6300"} <= set(names)
    for name in names:
        t = ReplayTransport.from_trace(name)
        assert t.script and t.meta.get("source"), name
