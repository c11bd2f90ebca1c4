"""The virtual CCCD in a subprocess, attached to a private pcscd through vpcd.

``VirtualCardProcess(pcscd, citizen=0, faults=[...], dataset={...})`` starts
``python -m tests.support.vicc`` (this file), which builds the data set, wraps
it in ``simulators.card.VirtualCCCD`` and serves it with
``simulators.vpcd.run_bridge`` until SIGTERM. ``start()`` returns once the
reader shows the card; ``remove()`` kills the process (the card leaves the
field); ``stop()`` ends it by pid.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from tests.support.pcscd import HarnessError, PrivatePcscd, die_with_parent, stop_process

ROOT = Path(__file__).resolve().parents[2]


class VirtualCardProcess:
    def __init__(
        self,
        pcscd: PrivatePcscd,
        *,
        citizen: int = 0,
        faults: list[str] | None = None,
        dataset: dict | None = None,
        command: list[str] | None = None,
    ) -> None:
        """``command`` replaces the runner (e.g. ``cccd-edge simulate --vpcd ...``) when given."""
        self.pcscd = pcscd
        self.citizen = citizen
        self.faults = list(faults or [])
        self.dataset = dict(dataset or {})
        self.command = command
        self.proc: subprocess.Popen | None = None

    def argv(self) -> list[str]:
        if self.command:
            return list(self.command)
        argv = [
            sys.executable,
            "-m",
            "tests.support.vicc",
            "--port",
            str(self.pcscd.port),
            "--citizen",
            str(self.citizen),
            "--dataset",
            json.dumps(self.dataset),
        ]
        for f in self.faults:
            argv += ["--fault", f]
        return argv

    def start(self, timeout: float = 20.0) -> VirtualCardProcess:
        self.proc = subprocess.Popen(
            self.argv(),
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            preexec_fn=die_with_parent,
        )
        try:
            self.pcscd.wait_card(True, timeout)
        except HarnessError:
            err = b""
            if self.proc.poll() is not None and self.proc.stderr:
                err = self.proc.stderr.read()[-600:]
            self.stop()
            raise HarnessError(
                f"the virtual card did not appear in the reader: {err.decode(errors='replace')}"
            ) from None
        return self

    def remove(self) -> None:
        """Take the card away: the bridge dies, vpcd sees the socket close."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=5)

    def stop(self) -> None:
        stop_process(self.proc)
        if self.proc is not None and self.proc.stderr:
            self.proc.stderr.close()
        self.proc = None

    def __enter__(self) -> VirtualCardProcess:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="serve a virtual CCCD to vpcd (tests only)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--citizen", type=int, default=0)
    p.add_argument("--fault", action="append", default=[])
    p.add_argument("--dataset", default="{}", help="JSON keyword arguments of build_dataset")
    args = p.parse_args(argv)
    from simulators.card import VirtualCCCD
    from simulators.dataset import build_dataset
    from simulators.vpcd import run_bridge

    options = json.loads(args.dataset)
    if "pace" in options and options["pace"] is not None:
        options["pace"] = [tuple(x) for x in options["pace"]]
    card = VirtualCCCD(build_dataset(args.citizen, **options), faults=args.fault)
    run_bridge(card, args.host, args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
