"""Passive-authentication timings: prints figures, asserts nothing.

    .venv/bin/python benchmarks/pa_bench.py

1. PA of one document with the store loaded (median of many runs; the DSC->CSCA
   signature is cached by the store after the first run, as on a kiosk);
   with and without parsing EF.SOD (parsing is the LDS stage's cost).
2. Importing the German master list with its signature checked.
3. Opening the persisted store at start.
Targets: PA <= 2 ms, import <= 2 s, start <= 200 ms.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cardreader.lds.sod import EFSOD  # noqa: E402
from crypto import passive_auth  # noqa: E402
from crypto.certs import Certificate  # noqa: E402
from crypto.truststore import TrustStore  # noqa: E402

SHARED = ROOT.parent / "shared" / "pki"
AT = datetime(2024, 1, 1, tzinfo=UTC)


def median_ms(fn, runs: int) -> float:
    fn()  # warm-up (and the store's signature cache)
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main() -> None:
    ml = next((SHARED / "master-lists").glob("DE_ML_*.ml")).read_bytes()
    root = Certificate.from_bytes((SHARED / "master-lists" / "DE_ROOT_CA_CSCA07.cer").read_bytes())
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "trust.sqlite"
        t = time.perf_counter()
        with TrustStore.open(path) as store:
            added = store.import_master_list(ml, roots=[root]).added
        print(
            f"import German master list ({added} CSCAs, signature checked, persisted): "
            f"{(time.perf_counter() - t) * 1000:.0f} ms  (target <= 2000 ms)"
        )
        starts = []
        for _ in range(5):
            t = time.perf_counter()
            store = TrustStore.open(path)
            n = len(store)
            starts.append((time.perf_counter() - t) * 1000)
            store.close()
        print(
            f"open persisted store ({n} certificates): median {statistics.median(starts):.1f} ms"
            f"  (target <= 200 ms)"
        )
        store = TrustStore.open(path)
        for country in ("DE", "AT", "AU", "FR", "MY", "NZ"):
            folder = SHARED / "documents" / country
            raw = (folder / "EF_SOD.bin").read_bytes()
            dgs = {int(f.stem[2:]): f.read_bytes() for f in folder.glob("DG*.bin")}
            sod = EFSOD.from_bytes(raw)
            assert passive_auth.verify(sod, dgs, store, at=AT).status.value == "valid"
            parsed = median_ms(
                lambda sod=sod, dgs=dgs: passive_auth.verify(sod, dgs, store, at=AT), 200
            )
            full = median_ms(
                lambda raw=raw, dgs=dgs: passive_auth.verify(raw, dgs, store, at=AT), 200
            )
            parse = median_ms(lambda raw=raw: EFSOD.from_bytes(raw), 200)
            print(
                f"PA {country}: {parsed:.2f} ms on a parsed EF.SOD, {full:.2f} ms with parsing "
                f"(EFSOD.from_bytes alone {parse:.2f} ms)  (target <= 2 ms)"
            )
        store.close()


if __name__ == "__main__":
    main()
