"""The layer contract (issue 9): imports run one way, as pyproject.toml's import-linter
contracts say. Runs `lint-imports` on the tree, and on a copy with one forbidden import
added, to show the contract can break."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("cardreader", "crypto", "simulators", "edge", "kiosk_ui")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    # PYTHONPATH: the packages under `root`, not whichever tree the venv's editable install names.
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_tree_keeps_every_layer_contract() -> None:
    run = lint_imports(ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 broken" in run.stdout


def copy_of_tree(dest: Path) -> Path:
    for name in PACKAGES:
        shutil.copytree(
            ROOT / name, dest / name, ignore=shutil.ignore_patterns("__pycache__", "static")
        )
    shutil.copy(ROOT / "pyproject.toml", dest / "pyproject.toml")
    return dest


def test_a_forbidden_import_breaks_the_contract(tmp_path: Path) -> None:
    tree = copy_of_tree(tmp_path)
    assert lint_imports(tree).returncode == 0  # the copy itself is clean
    keys = tree / "crypto" / "keys.py"
    keys.write_text(keys.read_text() + "\nimport edge.sessions  # crypto reaching up\n")
    run = lint_imports(tree)
    assert run.returncode != 0
    assert "crypto sits below the card reader and the service BROKEN" in run.stdout
    assert "crypto.keys -> edge.sessions" in run.stdout


def test_the_kiosk_screen_may_not_reach_into_edge(tmp_path: Path) -> None:
    tree = copy_of_tree(tmp_path)
    views = tree / "kiosk_ui" / "views.py"
    views.write_text(
        views.read_text() + "\nfrom edge import sessions  # past the kiosk interface\n"
    )
    run = lint_imports(tree)
    assert run.returncode != 0
    assert "kiosk_ui imports nothing from edge BROKEN" in run.stdout
