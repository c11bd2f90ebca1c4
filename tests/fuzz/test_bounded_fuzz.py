"""A bounded coverage-guided run of every harness (a few seconds each): no crash, no hang.

The long run is documented in docs/fuzzing.md. Each harness runs in its own
interpreter (atheris instruments imports), starting from its synthetic seeds
and the regression corpus; a crash makes libFuzzer exit non-zero and write the
input under the test's temporary folder.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from fuzz.targets import TARGETS

ROOT = Path(__file__).resolve().parents[2]
SECONDS = 2
# A fixed seed: the same mutations on every machine, so this run cannot fail by luck on one CI
# run and pass on the next; a slower machine only stops earlier along the same sequence. The
# long run (docs/fuzzing.md) uses fresh seeds to find new inputs.
SEED = 1


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_harness_runs_without_a_crash(name, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "fuzz.harness",
            name,
            f"-max_total_time={SECONDS}",
            f"-seed={SEED}",
            "-timeout=20",
            "-rss_limit_mb=2048",
            f"-artifact_prefix={tmp_path}/",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    crashes = [p.name for p in tmp_path.iterdir() if p.name.startswith(("crash-", "timeout-"))]
    assert done.returncode == 0 and not crashes, done.stderr[-3000:]
    assert "Done " in done.stderr  # libFuzzer ran and finished by itself
