"""Test helpers: scripted randomness, hand-built data sets and a tiny terminal.

The terminal here is test-only and deliberately small: it builds protected
commands and checks protected responses so the card can be driven past access
control. The card's primitives it reuses (KDF, MACs, padding) are pinned by the
ICAO worked examples in test_vectors.py.
"""

from __future__ import annotations

from simulators.card.primitives import CipherSuite, aes_ecb_encrypt, pad, unpad
from simulators.card.tlv import parse_tlvs, tlv
from simulators.carddata import FID_CARD_ACCESS, FID_COM, FID_SOD, CardDataSet, fid_of_dg


class ScriptedRng:
    """Returns queued byte strings in order; each call must ask for the queued length."""

    def __init__(self, *chunks: bytes | str):
        self.chunks = [bytes.fromhex(c) if isinstance(c, str) else c for c in chunks]

    def __call__(self, n: int) -> bytes:
        assert self.chunks, f"card asked for {n} more random bytes than scripted"
        chunk = self.chunks.pop(0)
        assert len(chunk) == n, f"card asked for {n} random bytes, script has {len(chunk)}"
        return chunk


def make_dataset(
    *,
    document_number="T22000129",
    birth="640812",
    expiry="101031",
    can="123456",
    card_access: bytes | None = None,
    extra: dict[int, bytes] | None = None,
    **keys,
) -> CardDataSet:
    files = {
        FID_COM: bytes.fromhex("60145F0104303130365F36063034303030305C026175"),
        FID_SOD: b"\x77\x03\x01\x02\x03",
        fid_of_dg(1): b"\x61\x05\x5f\x1f\x02AB",
        fid_of_dg(13): b"\x6d\x03\x02\x01\x01",
    }
    if card_access is not None:
        files[FID_CARD_ACCESS] = card_access
    files.update(extra or {})
    return CardDataSet(
        files=files,
        id_number="001064" + can,
        can=can,
        document_number=document_number,
        birth_date=birth,
        expiry_date=expiry,
        mrz_lines=("", "", ""),
        label="test",
        **keys,
    )


class Terminal:
    """Minimal terminal-side secure messaging for driving the card in tests."""

    def __init__(self, card, suite: CipherSuite, k_enc: bytes, k_mac: bytes, ssc: int):
        self.card, self.suite, self.k_enc, self.k_mac, self.ssc = card, suite, k_enc, k_mac, ssc

    def _ssc(self) -> bytes:
        return self.ssc.to_bytes(self.suite.block, "big")

    def _iv(self) -> bytes:
        return bytes(8) if self.suite.cipher == "3DES" else aes_ecb_encrypt(self.k_enc, self._ssc())

    def wrap(self, cla, ins, p1, p2, data=b"", ne=None) -> bytes:
        self.ssc += 1
        cla |= 0x0C
        dos = b""
        if data:
            ct = self.suite.encrypt(self.k_enc, pad(data, self.suite.block), self._iv())
            dos += tlv(0x85, ct) if ins & 1 else tlv(0x87, b"\x01" + ct)
        if ne is not None:
            dos += tlv(
                0x97,
                (ne % 256).to_bytes(1, "big") if ne <= 256 else (ne % 65536).to_bytes(2, "big"),
            )
        header = pad(bytes((cla, ins, p1, p2)), self.suite.block)
        mac = self.suite.mac(self.k_mac, self._ssc() + header + dos)
        body = dos + tlv(0x8E, mac)
        if len(body) > 255 or (ne or 0) > 256:
            return bytes((cla, ins, p1, p2, 0)) + len(body).to_bytes(2, "big") + body + b"\x00\x00"
        return bytes((cla, ins, p1, p2, len(body))) + body + b"\x00"

    def unwrap(self, response: bytes) -> tuple[bytes, int]:
        """Check the response MAC; returns (plain data, SW from DO'99')."""
        self.ssc += 1
        sw = int.from_bytes(response[-2:], "big")
        objects = parse_tlvs(response[:-2])
        mac_input = b"".join(tlv(t, v) for t, v in objects if t != 0x8E)
        mac = dict(objects)[0x8E]
        assert self.suite.mac(self.k_mac, self._ssc() + mac_input) == mac, (
            "response MAC does not verify"
        )
        values = dict(objects)
        data = b""
        if 0x87 in values or 0x85 in values:
            ct = values[0x87][1:] if 0x87 in values else values[0x85]
            data = unpad(self.suite.decrypt(self.k_enc, ct, self._iv()))
        assert int.from_bytes(values[0x99], "big") == sw
        return data, sw

    def send(self, cla, ins, p1, p2, data=b"", ne=None) -> tuple[bytes, int]:
        return self.unwrap(self.card.process_apdu(self.wrap(cla, ins, p1, p2, data, ne)))


def run_pace(
    card,
    oid_hex: str,
    password: bytes,
    *,
    password_ref: int = 2,
    parameter_id: int | None = None,
    rng=None,
) -> tuple[int, Terminal | None]:
    """Test-side PACE generic mapping (ECDH or DH); returns (final SW, terminal or None).

    Plain formulas of 9303-11 4.4.3.3 written out here so the card's PACE is
    checked by a second implementation (the card's own primitives are pinned by G.1).
    """
    import os

    from simulators.card.oids import ProtocolOID
    from simulators.card.tlv import tlv_dict

    rng = rng or os.urandom
    oid = ProtocolOID.from_bytes(bytes.fromhex(oid_hex))
    suite = oid.suite
    k_pi = suite.derive(password, 3)

    def ga(data: bytes, last: bool = False) -> tuple[dict, int]:
        body = tlv(0x7C, data)
        cla = 0x00 if last else 0x10
        if len(body) > 255:
            apdu = bytes((cla, 0x86, 0, 0, 0)) + len(body).to_bytes(2, "big") + body + b"\x00\x00"
        else:
            apdu = bytes((cla, 0x86, 0, 0, len(body))) + body + b"\x00"
        r = card.process_apdu(apdu)
        sw = int.from_bytes(r[-2:], "big")
        if sw != 0x9000:
            raise _Stop(sw)
        return tlv_dict(tlv_dict(r[:-2])[0x7C]), sw

    mse = tlv(0x80, oid.raw) + tlv(0x83, bytes((password_ref,)))
    if parameter_id is not None:
        mse += tlv(0x84, bytes((parameter_id,)))
    r = card.process_apdu(bytes((0, 0x22, 0xC1, 0xA4, len(mse))) + mse)
    if r != b"\x90\x00":
        return int.from_bytes(r, "big"), None
    try:
        return _pace_steps(card, oid, suite, k_pi, parameter_id, ga, rng)
    except _Stop as stop:
        return stop.sw, None


class _Stop(Exception):
    def __init__(self, sw: int):
        self.sw = sw


def _pace_steps(card, oid, suite, k_pi, parameter_id, ga, rng):
    from ecdsa.ellipticcurve import PointJacobi

    from simulators.card.groups import DH_GROUPS, EC_CURVES

    objs, sw = ga(b"")
    s = int.from_bytes(suite.decrypt(k_pi, objs[0x80]), "big")
    if oid.is_ecdh:
        curve = EC_CURVES[parameter_id if parameter_id is not None else 13]
        n = (curve.curve.p().bit_length() + 7) // 8

        def enc(pt):
            return b"\x04" + int(pt.x()).to_bytes(n, "big") + int(pt.y()).to_bytes(n, "big")

        def dec(b):
            return PointJacobi(
                curve.curve,
                int.from_bytes(b[1 : 1 + n], "big"),
                int.from_bytes(b[1 + n :], "big"),
                1,
            )

        sk = int.from_bytes(rng(n), "big") % (curve.order - 1) + 1
        objs, sw = ga(tlv(0x81, enc(curve.generator * sk)))
        g2 = curve.generator * s + dec(objs[0x82]) * sk
        sk2 = int.from_bytes(rng(n), "big") % (curve.order - 1) + 1
        pk_ifd = enc(g2 * sk2)
        objs, sw = ga(tlv(0x83, pk_ifd))
        pk_ic = objs[0x84]
        secret = int((dec(pk_ic) * sk2).x()).to_bytes(n, "big")
        key_tag = 0x86
    else:
        group = DH_GROUPS[parameter_id]
        size = group.size
        sk = int.from_bytes(rng(32), "big") % (group.q - 1) + 1
        objs, sw = ga(tlv(0x81, pow(group.g, sk, group.p).to_bytes(size, "big")))
        h = pow(int.from_bytes(objs[0x82], "big"), sk, group.p)
        g2 = pow(group.g, s, group.p) * h % group.p
        sk2 = int.from_bytes(rng(32), "big") % (group.q - 1) + 1
        pk_ifd = pow(g2, sk2, group.p).to_bytes(size, "big")
        objs, sw = ga(tlv(0x83, pk_ifd))
        pk_ic = objs[0x84]
        secret = pow(int.from_bytes(pk_ic, "big"), sk2, group.p).to_bytes(size, "big")
        key_tag = 0x84
    k_enc, k_mac = suite.derive(secret, 1), suite.derive(secret, 2)

    def key_object(pk: bytes) -> bytes:
        return tlv(0x7F49, tlv(0x06, oid.raw) + tlv(key_tag, pk))

    objs, sw = ga(tlv(0x85, suite.token(k_mac, key_object(pk_ic))), last=True)
    assert objs[0x86] == suite.token(k_mac, key_object(pk_ifd)), "T_IC does not verify"
    return sw, Terminal(card, suite, k_enc, k_mac, 0)
