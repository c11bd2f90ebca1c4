"""Small test helpers: scripted randomness and key generators, trace editing."""

from __future__ import annotations

from cardreader.transport.replay import Exchange, ReplayTransport


def h(text: str) -> bytes:
    return bytes.fromhex("".join(text.split()))


def scripted_rng(*chunks: str | bytes):
    """An rng(n) that hands out the given values in order and checks each requested size."""
    queue = [h(c) if isinstance(c, str) else c for c in chunks]

    def rng(n: int) -> bytes:
        assert queue, "protocol asked for more randomness than scripted"
        value = queue.pop(0)
        assert len(value) == n, f"asked for {n} random bytes, script holds {len(value)}"
        return value

    rng.remaining = queue  # type: ignore[attr-defined]  # tests check nothing is left over
    return rng


def scripted_keys(*hex_keys: str):
    keys = [int(k, 16) for k in hex_keys]

    def keygen(domain) -> int:
        assert keys, "protocol asked for more ephemeral keys than scripted"
        return keys.pop(0)

    keygen.remaining = keys  # type: ignore[attr-defined]  # tests check nothing is left over
    return keygen


def replay(pairs, name: str = "trace") -> ReplayTransport:
    return ReplayTransport([Exchange(h(c), h(r)) for c, r in pairs], name=name)


def flip(hex_text: str, index_from_end: int) -> str:
    """Flip one byte counted from the end of a hex string (e.g. a MAC byte before the SW)."""
    b = bytearray(h(hex_text))
    b[-index_from_end] ^= 0x01
    return b.hex().upper()
