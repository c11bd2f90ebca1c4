import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OWN = [
    "simulators/citizens.py",
    "simulators/portrait.py",
    "simulators/pki.py",
    "simulators/dataset.py",
    "simulators/datafaults.py",
    *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "simulators/lds").glob("*.py")),
]


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_card_side_data_never_imports_the_terminal_side():
    assert len(OWN) >= 12
    for rel in OWN:
        found = _imports(ROOT / rel) & {"cardreader", "crypto", "edge"}
        assert not found, f"{rel} imports {found}"


def test_dg1_wrapper_matches_the_bsi_reference(shared_dir):
    from simulators.lds.files import encode_dg1

    bsi = (shared_dir / "pki" / "bsi-tr03105-5" / "Datagroup1.bin").read_bytes()
    mrz = bsi[5:].decode("ascii")
    assert len(mrz) == 88
    assert encode_dg1((mrz[:44], mrz[44:])) == bsi
