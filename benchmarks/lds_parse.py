"""Parse time of each LDS file type (real and reference files from ../shared), and the 10 MB random
reject.

Run: .venv/bin/python benchmarks/lds_parse.py
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cardreader.errors import ParseError
from cardreader.lds import DG1, DG2, DG14, DG15, EFCOM, EFSOD, parse_document

SHARED = Path(__file__).resolve().parents[2] / "shared" / "pki"


def per_call_ms(fn, repeat: int) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) * 1000 / repeat


def main() -> None:
    bsi = SHARED / "bsi-tr03105-5"
    cases = [
        ("EF.COM (BSI)", EFCOM, bsi / "EF_COM.bin"),
        ("DG1 (BSI, TD3)", DG1, bsi / "Datagroup1.bin"),
        ("DG2 (BSI, 15 kB JP2)", DG2, bsi / "Datagroup2.bin"),
        ("DG14 (AT, explicit brainpoolP256r1)", DG14, SHARED / "documents/AT/DG14.bin"),
        ("DG15 (NZ, RSA)", DG15, SHARED / "documents/NZ/DG15.bin"),
        ("EF.SOD (AT, DER)", EFSOD, SHARED / "documents/AT/EF_SOD.bin"),
        ("EF.SOD (NZ, BER indefinite)", EFSOD, SHARED / "documents/NZ/EF_SOD.bin"),
    ]
    for label, cls, path in cases:
        raw = path.read_bytes()
        ms = per_call_ms(lambda cls=cls, raw=raw: cls.from_bytes(raw), 200)
        print(f"{label:40s} {len(raw):6d} B  {ms:7.3f} ms")
    files = {
        "EF.COM": (bsi / "EF_COM.bin").read_bytes(),
        "EF.SOD": (bsi / "EF_SOD.bin").read_bytes(),
        "DG1": (bsi / "Datagroup1.bin").read_bytes(),
        "DG2": (bsi / "Datagroup2.bin").read_bytes(),
        "DG14": (bsi / "Datagroup14.bin").read_bytes(),
        "DG15": (bsi / "Datagroup15.bin").read_bytes(),
    }
    print(
        f"{'parse_document (BSI, 6 files)':40s} {'':8s}  "
        f"{per_call_ms(lambda: parse_document(files), 100):7.3f} ms"
    )
    noise = b"\x77\x84\x00\xa0\x00\x00" + os.urandom(10 * 1024 * 1024)

    def reject() -> None:
        try:
            EFSOD.from_bytes(noise)
        except ParseError:
            pass

    print(
        f"{'EF.SOD 10 MB random (rejected)':40s} {len(noise):8d}  {per_call_ms(reject, 5):7.3f} ms"
    )


if __name__ == "__main__":
    main()
