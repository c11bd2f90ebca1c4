"""BHYT insurance-check benchmarks against the local gateway simulator (figures, no asserts).

The simulator runs in its own process (``python -m simulators.bhyt_gateway``), as a gateway would.

1. Our own time per check, excluding the gateway's latency: the CPU time the checking thread
   spends in the client, the answer's reading and the result (``InsuranceCheck.claims`` on a
   verified report: request, JSON, mismatches, FHIR Coverage). Target <= 30 ms.
2. Token calls: one per token lifetime (many checks on one token; a short lifetime renewed).
3. Checks per second through one shared client from several threads (kept-alive connections).
   Target >= 200 checks/s.

    .venv/bin/python benchmarks/insurance_bench.py [--checks 500] [--threads 8] [--seconds 4]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.bhyt import GatewayProcess  # noqa: E402  (after the path is set)


def _report():
    """A verified report of synthetic citizen 0: only the parts the check reads."""
    from crypto.report import Status
    from simulators.citizens import citizen

    c = citizen(0)
    person = SimpleNamespace(
        to_dict=lambda: {
            "id_number": c.id_number,
            "full_name": c.full_name,
            "birth_date": c.birth_date.isoformat(),
            "sex": c.sex,
            "residence": c.residence,
        }
    )
    return SimpleNamespace(
        person=person, verification=SimpleNamespace(passive_authentication=Status.VALID)
    )


def _check(settings: dict):
    from edge.insurance import InsuranceCheck
    from edge.insurance.settings import InsuranceSettings

    return InsuranceCheck(InsuranceSettings(**settings))


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))]


def own_time(sim: GatewayProcess, checks: int) -> None:
    check, report = _check(sim.settings()), _report()
    check.claims(report, "hospital")  # token and connection
    for mode in ("correct", "wrong_name"):
        sim.set_mode(mode)
        cpu, wall = [], []
        for _ in range(checks):
            t0, c0 = time.perf_counter(), time.thread_time()
            claims = check.claims(report, "hospital")
            cpu.append((time.thread_time() - c0) * 1000)
            wall.append((time.perf_counter() - t0) * 1000)
        print(
            f"own time per check ({mode}, {claims['insurance']['status']}, {checks} checks): "
            f"CPU median {statistics.median(cpu):.3f} ms, p95 {pct(cpu, 95):.3f} ms, "
            f"max {max(cpu):.3f} ms; wall incl. gateway median {statistics.median(wall):.3f} ms, "
            f"p95 {pct(wall, 95):.3f} ms  (target own <= 30 ms)"
        )
    check.close()


def tokens(sim: GatewayProcess, checks: int) -> None:
    before = sim.state()
    check, report = _check(sim.settings()), _report()
    for _ in range(checks):
        check.claims(report, "hospital")
    after = sim.state()
    print(
        f"token calls for {checks} checks on one 3600 s token: "
        f"{after['token_calls'] - before['token_calls']} "
        f"(check calls {after['check_calls'] - before['check_calls']})"
    )
    check.close()
    short = GatewayProcess(token_lifetime=2)
    try:
        check = _check(short.settings())
        started = time.monotonic()
        n = 0
        while time.monotonic() - started < 5.0:
            check.claims(report, "hospital")
            n += 1
            time.sleep(0.01)
        state = short.state()
        print(
            f"token lifetime 2 s, checks for 5.0 s: {state['token_calls']} token calls for "
            f"{n} checks (renewed at 90 % of the lifetime: expected 3)"
        )
        check.close()
    finally:
        short.stop()


def throughput(sim: GatewayProcess, threads: int, seconds: float) -> None:
    sim.set_mode("correct")
    check, report = _check(sim.settings()), _report()
    check.claims(report, "hospital")
    counts = [0] * threads
    bad = [0] * threads
    stop = time.monotonic() + seconds

    def worker(i: int) -> None:
        while time.monotonic() < stop:
            status = check.claims(report, "hospital")["insurance"]["status"]
            counts[i] += 1
            bad[i] += status != "eligible"

    started = time.perf_counter()
    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - started
    total = sum(counts)
    print(
        f"throughput, {threads} threads, one client, {elapsed:.1f} s: {total / elapsed:.0f} "
        f"checks/s ({total} checks, {sum(bad)} not eligible; token calls "
        f"{check.client.token_calls})  (target >= 200 checks/s)"
    )
    check.close()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--checks", type=int, default=500)
    p.add_argument("--threads", type=int, default=8)
    p.add_argument("--seconds", type=float, default=4.0)
    args = p.parse_args()
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    sim = GatewayProcess()
    try:
        own_time(sim, args.checks)
        tokens(sim, args.checks)
        throughput(sim, args.threads, args.seconds)
    finally:
        sim.stop()
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
