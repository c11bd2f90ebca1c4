"""Active Authentication exchange."""

from __future__ import annotations

import pytest

from cardreader import activeauth
from cardreader.errors import StatusWordError
from cardreader.session import Session

from .helpers import h, replay, scripted_rng

CHALLENGE = "0102030405060708"


def test_challenge_from_rng_and_signature_returned():
    sig = "AA" * 128
    t = replay([("0088000008" + CHALLENGE + "00", sig + "9000")])
    outcome = activeauth.run(Session(t), rng=scripted_rng(CHALLENGE))
    t.assert_done()
    assert outcome.performed and outcome.challenge == h(CHALLENGE) and outcome.signature == h(sig)
    assert outcome.error is None


def test_extended_length_for_long_signatures():
    t = replay([("00880000000008" + CHALLENGE + "0000", "BB" * 256 + "9000")])
    outcome = activeauth.run(Session(t), rng=scripted_rng(CHALLENGE), extended_length=True)
    assert len(outcome.signature) == 256


@pytest.mark.parametrize("answer", ["6D00", "6982", "9000"])
def test_refusal_is_a_typed_error(answer):
    t = replay([("0088000008" + CHALLENGE + "00", answer)])
    with pytest.raises(StatusWordError) as info:
        activeauth.run(Session(t), rng=scripted_rng(CHALLENGE))
    assert info.value.step == "internal_authenticate" and info.value.sw == int(answer, 16)
