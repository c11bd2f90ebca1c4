"""The card side shares no code with the terminal side (ARCHITECTURE.md)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MINE = [
    *sorted((ROOT / "simulators" / "card").glob("*.py")),
    ROOT / "simulators" / "faults.py",
    ROOT / "simulators" / "vpcd.py",
]


def test_no_terminal_side_imports():
    assert len(MINE) > 10
    for path in MINE:
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                assert top not in ("cardreader", "crypto", "edge"), f"{path.name} imports {name}"
