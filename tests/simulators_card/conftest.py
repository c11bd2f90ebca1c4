"""Fixtures of the card-side tests: cards past access control from the ICAO vectors."""

from __future__ import annotations

from typing import Any

import pytest

from simulators.card import VirtualCCCD
from simulators.card.primitives import CipherSuite

from .helpers import ScriptedRng, Terminal, make_dataset


def pace_card(vectors, *, faults=None, extra_rng=(), **dataset_options):
    """A card that ran the 9303-11 G.1 PACE example; returns (card, terminal)."""
    g1 = vectors["pace_ecdh_gm_G1"]
    options: dict[str, Any] = dict(card_access=bytes.fromhex(g1["ef_card_access"]))
    options.update(dataset_options)
    card = VirtualCCCD(
        make_dataset(**options),
        faults=faults,
        rng=ScriptedRng(
            g1["nonce"],
            g1["chip_mapping_private_key"],
            g1["chip_ephemeral_private_key"],
            *extra_rng,
        ),
    )
    card.power_on()
    for step in g1["apdus"]:
        assert (
            card.process_apdu(bytes.fromhex(step["command"])).hex().upper()
            == step["response"].upper()
        )
    terminal = Terminal(
        card, CipherSuite("AES"), bytes.fromhex(g1["ks_enc"]), bytes.fromhex(g1["ks_mac"]), 0
    )
    return card, terminal


@pytest.fixture
def paced(icao_vectors):
    return pace_card(icao_vectors)
