"""How long the virtual CCCD's data take to build: first (keys, certificates, portrait) and cached.

Run: .venv/bin/python benchmarks/simdata_bench.py
"""

from __future__ import annotations

import statistics
import time

from simulators import pki
from simulators.dataset import build_dataset
from simulators.portrait import synthetic_portrait


def timed(fn, repeat: int = 1) -> list[float]:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def main() -> None:
    print(f"default PKI ecdsa (first):    {timed(lambda: pki.default_pki('ecdsa'))[0]:8.1f} ms")
    print(f"default PKI rsa (first):      {timed(lambda: pki.default_pki('rsa'))[0]:8.1f} ms")
    print(
        "RSA-2048 key (uncached):      "
        f"{statistics.median(timed(lambda: pki.rsa_key.__wrapped__('bench', 2048), 5)):8.1f} "
        "ms median"
    )
    print(
        "synthetic portrait JPEG:      "
        f"{statistics.median(timed(lambda: synthetic_portrait('bench'), 5)):8.1f} ms median"
    )
    print(
        "synthetic portrait JP2:       "
        f"{statistics.median(timed(lambda: synthetic_portrait('bench', 'jp2'), 5)):8.1f} ms median"
    )
    for signer in ("ecdsa", "rsa"):
        first = timed(lambda signer=signer: build_dataset(1, signer=signer))[0]
        again = statistics.median(timed(lambda signer=signer: build_dataset(1, signer=signer), 20))
        print(f"build_dataset({signer:5}) first: {first:8.1f} ms, then median {again:6.1f} ms")


if __name__ == "__main__":
    main()
