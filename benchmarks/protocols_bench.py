"""Terminal-side protocol timings: PACE (brainpoolP256r1, App. G.1) CPU ms, SM wrap/unwrap µs per
APDU.

Run: .venv/bin/python benchmarks/protocols_bench.py [repeats]
The card side is a replay of the ICAO worked example, so the figures are the
terminal's own work (curve arithmetic, KDF, MACs, APDU codec).
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cardreader import pace  # noqa: E402
from cardreader.accesskey import MrzKey  # noqa: E402
from cardreader.apdu import CommandAPDU, ResponseAPDU  # noqa: E402
from cardreader.session import Session  # noqa: E402
from cardreader.sm import SecureMessaging, tlv  # noqa: E402
from cardreader.transport.replay import Exchange, ReplayTransport  # noqa: E402
from crypto.mac import aes_cmac, pad  # noqa: E402
from crypto.smcipher import aes_cbc_encrypt, aes_sm_iv  # noqa: E402

VECTORS = ROOT.parent / "shared" / "vectors" / "icao9303_p11.json"


def _h(s: str) -> bytes:
    return bytes.fromhex(s)


def bench_pace(v: dict, repeats: int) -> list[float]:
    g1 = v["pace_ecdh_gm_G1"]
    m = g1["mrz"]
    key = MrzKey(m["document_number"], m["date_of_birth"], m["date_of_expiry"])
    script = [Exchange(_h(a["command"]), _h(a["response"])) for a in g1["apdus"]]
    out = []
    for _ in range(repeats):
        keys = [
            int(g1["terminal_mapping_private_key"], 16),
            int(g1["terminal_ephemeral_private_key"], 16),
        ]
        s = Session(ReplayTransport(script))
        c0 = time.process_time()

        def keygen(_domain: object, keys: list[int] = keys) -> int:
            return keys.pop(0)

        pace.run(s, key, "0.4.0.127.0.7.2.2.4.2.2", 13, keygen=keygen)
        out.append((time.process_time() - c0) * 1000)
    return out


def _aes_response(k_enc: bytes, k_mac: bytes, ssc: int, data: bytes) -> ResponseAPDU:
    ssc_b = ssc.to_bytes(16, "big")
    body = tlv(0x87, b"\x01" + aes_cbc_encrypt(k_enc, aes_sm_iv(k_enc, ssc_b), pad(data, 16)))
    body += tlv(0x99, b"\x90\x00")
    return ResponseAPDU(body + tlv(0x8E, aes_cmac(k_mac, pad(ssc_b + body, 16))[:8]), 0x9000)


def bench_sm(v: dict, repeats: int) -> dict[str, tuple[float, float]]:
    d4 = v["sm_3des_D4"]
    results = {}
    # 3DES: the D.4 READ BINARY of 18 bytes, wrap and unwrap, SSC restored each time.
    ex = d4["exchanges"][2]
    cmd, resp = (
        CommandAPDU.from_bytes(_h(ex["plain_command"])),
        ResponseAPDU.from_bytes(_h(ex["protected_response"])),
    )
    sm = SecureMessaging.from_keys("3DES", _h(d4["ks_enc"]), _h(d4["ks_mac"]), 0)
    start = int(d4["ssc_start"], 16) + 4
    wrap, unwrap = [], []
    for _ in range(repeats):
        sm._ssc = start
        t0 = time.perf_counter()
        sm.wrap(cmd)
        t1 = time.perf_counter()
        sm.unwrap(resp)
        t2 = time.perf_counter()
        wrap.append((t1 - t0) * 1e6)
        unwrap.append((t2 - t1) * 1e6)
    results["3DES READ BINARY 18 B"] = (statistics.median(wrap), statistics.median(unwrap))
    # AES-128: a 223-byte READ BINARY (the largest short protected answer).
    k_enc, k_mac = bytes(range(16)), bytes(range(16, 32))
    sm = SecureMessaging.from_keys("AES-128", k_enc, k_mac, 0)
    cmd = CommandAPDU(0x00, 0xB0, 0x00, 0x00, ne=223)
    resp = _aes_response(k_enc, k_mac, 2, bytes(223))
    wrap, unwrap = [], []
    for _ in range(repeats):
        sm._ssc = 0
        t0 = time.perf_counter()
        sm.wrap(cmd)
        t1 = time.perf_counter()
        sm.unwrap(resp)
        t2 = time.perf_counter()
        wrap.append((t1 - t0) * 1e6)
        unwrap.append((t2 - t1) * 1e6)
    results["AES-128 READ BINARY 223 B"] = (statistics.median(wrap), statistics.median(unwrap))
    return results


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    v = json.loads(VECTORS.read_text())
    pace_ms = bench_pace(v, repeats)
    print(
        f"PACE ECDH-GM brainpoolP256r1 AES-128 (terminal CPU, {repeats} runs): "
        f"median {statistics.median(pace_ms):.2f} ms, min {min(pace_ms):.2f} ms, max "
        f"{max(pace_ms):.2f} ms"
    )
    for name, (w, u) in bench_sm(v, repeats * 20).items():
        print(f"SM {name}: wrap {w:.1f} µs, unwrap {u:.1f} µs per APDU (median)")


if __name__ == "__main__":
    main()
