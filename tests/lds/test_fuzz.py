"""Mutated real files: every parser either succeeds or raises ParseError, never anything else, never
hangs."""

from __future__ import annotations

import random

import pytest

from cardreader.errors import ParseError
from cardreader.lds import DG1, DG2, DG13, DG14, DG15, EFCOM, EFSOD, SecurityInfos

CASES = [
    (EFSOD, "pki/documents/NZ/EF_SOD.bin"),
    (EFSOD, "pki/documents/MY/EF_SOD.bin"),
    (EFCOM, "pki/bsi-tr03105-5/EF_COM.bin"),
    (DG1, "pki/bsi-tr03105-5/Datagroup1.bin"),
    (DG2, "pki/bsi-tr03105-5/Datagroup2.bin"),
    (DG14, "pki/documents/AT/DG14.bin"),
    (DG15, "pki/documents/NZ/DG15.bin"),
]


def _mutations(raw: bytes, rng: random.Random, count: int):
    for _ in range(count):
        b = bytearray(raw)
        kind = rng.randrange(3)
        if kind == 0:  # flip a few bytes, biased to the headers
            for _ in range(rng.randint(1, 3)):
                b[rng.randrange(min(len(b), 400))] = rng.randrange(256)
        elif kind == 1:  # truncate
            del b[rng.randrange(1, len(b)) :]
        else:  # splice a random run in
            pos = rng.randrange(len(b))
            b[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        yield bytes(b)


@pytest.mark.parametrize(
    "cls,path", CASES, ids=[f"{c.__name__}-{p.split('/')[-2]}" for c, p in CASES]
)
def test_mutations_raise_only_parse_error(shared_dir, cls, path):
    raw = (shared_dir / path).read_bytes()
    rng = random.Random(path)
    for blob in _mutations(raw, rng, 150):
        try:
            obj = cls.from_bytes(blob)
        except ParseError as exc:
            assert exc.message and exc.file
        else:
            assert obj.raw == blob


def test_security_infos_and_dg13_mutations(icao_vectors):
    from tests.lds.test_dg13 import FIELDS, encode_dg13

    rng = random.Random(13)
    card_access = bytes.fromhex(icao_vectors["cccd"]["ef_card_access"])
    for blob in _mutations(card_access, rng, 300):
        try:
            SecurityInfos.from_bytes(blob)
        except ParseError:
            pass
    for blob in _mutations(encode_dg13(FIELDS), rng, 300):
        try:
            dg = DG13.from_bytes(blob)
        except ParseError as exc:
            assert exc.file == "DG13"
        else:
            assert all(isinstance(e, ParseError) for e in dg.errors)
