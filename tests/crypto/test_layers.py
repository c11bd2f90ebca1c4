"""crypto/ sits below cardreader/: it imports neither the reader, the service nor the simulators."""

from __future__ import annotations

import ast
from pathlib import Path

CRYPTO = Path(__file__).resolve().parents[2] / "crypto"
FORBIDDEN = ("cardreader", "edge", "simulators", "kiosk_ui")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module.split(".")[0])
    return out


def test_crypto_imports_no_upper_layer():
    offenders = {p.name: sorted(_imports(p) & set(FORBIDDEN)) for p in sorted(CRYPTO.glob("*.py"))}
    assert {k: v for k, v in offenders.items() if v} == {}
    assert len(offenders) > 10  # the walk saw the package


def test_old_import_paths_still_work():
    from cardreader.errors import CardError, ParseError
    from cardreader.lds.sod import EFSOD
    from cardreader.result import ActiveAuthOutcome, ChipAuthOutcome
    from crypto import outcomes, sod
    from crypto.errors import DecodeError

    assert ChipAuthOutcome is outcomes.ChipAuthOutcome
    assert ActiveAuthOutcome is outcomes.ActiveAuthOutcome
    assert issubclass(EFSOD, sod.EFSOD)
    assert issubclass(ParseError, CardError) and issubclass(ParseError, DecodeError)
