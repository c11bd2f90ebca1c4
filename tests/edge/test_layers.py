"""The layers run one way: who may import whom, the demo card only in demo mode, one date check.

The rules (docs/ARCHITECTURE.md, "Layer rules"): ``kiosk_ui`` imports nothing
from ``edge`` and ``edge`` never imports ``kiosk_ui`` (the app factory registers
the configured screen through ``edge.screen.ScreenHost``); inside ``edge`` only
``edge/demo.py`` and the demo command ``edge/commands/simulate.py`` import
``simulators``, and a production service (a PC/SC reader) never loads it.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cardreader.accesskey import AccessKeyError, MrzKey
from edge.app import create_app
from tests.edge.conftest import auth, rp_config

ROOT = Path(__file__).resolve().parents[2]
DEMO_MODULES = {"edge/demo.py", "edge/commands/simulate.py"}


def imports_of(path: Path) -> set[str]:
    """Every module a file imports, at any depth (lazy imports inside functions included)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def sources(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def top(name: str) -> str:
    return name.split(".", 1)[0]


def test_kiosk_ui_imports_nothing_from_edge():
    offenders = {
        str(p.relative_to(ROOT)): sorted(n for n in imports_of(p) if top(n) == "edge")
        for p in sources("kiosk_ui")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_edge_never_imports_kiosk_ui():
    offenders = [
        str(p.relative_to(ROOT)) for p in sources("edge") if "kiosk_ui" in map(top, imports_of(p))
    ]
    assert offenders == []


def test_only_the_demo_modules_of_edge_import_simulators():
    importers = {
        str(p.relative_to(ROOT)) for p in sources("edge") if "simulators" in map(top, imports_of(p))
    }
    assert importers == DEMO_MODULES


_PROBE = """
import json, sys
from pathlib import Path
from edge.app import create_app
from edge.cli import build_parser

folder, reader = Path(sys.argv[1]), sys.argv[2]
build_parser()  # every CLI command registered, as `cccd-edge serve` does
demo = reader == "simulator"
app = create_app({
    "instance_dir": str(folder / "instance"),
    "trust_store": "" if demo else str(folder / "trust.sqlite"),
    "reader": reader,
    "relying_parties": {"h": {"profile": "hospital", "api_keys": ["probe-key-0123456789"]}},
})
service = app.extensions["cccd_edge"]
client = app.test_client()
out = {"health": client.get("/v1/health").status_code}
files = json.loads((folder / "files.json").read_text())
r = client.post("/v1/documents/verify", json={"files": files},
                headers={"Authorization": "Bearer probe-key-0123456789"})
out["upload"] = r.status_code
out["kiosk_page"] = client.get("/kiosk").status_code
service.trust_store()
if demo:
    service.open_transport().close()
out["simulators"] = sorted(m for m in sys.modules if m.split(".")[0] == "simulators")
service.close()
print(json.dumps(out))
"""


def _probe(tmp_path: Path, reader: str) -> dict:
    import base64

    from simulators.dataset import build_dataset

    ds = build_dataset(0)
    files = {
        "EF_SOD": base64.b64encode(ds.files[0x011D]).decode(),
        "DG1": base64.b64encode(ds.files[0x0101]).decode(),
    }
    (tmp_path / "files.json").write_text(json.dumps(files))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("CCCD_EDGE_CONFIG", None)
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(tmp_path), reader],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_production_service_never_loads_the_card_side(tmp_path):
    out = _probe(tmp_path, "ACS ACR1252 00 00")  # a PC/SC reader's name: production mode
    assert out["health"] == 200 and out["upload"] == 200 and out["kiosk_page"] == 200
    assert out["simulators"] == []


def test_demo_mode_loads_it_only_through_edge_demo(tmp_path):
    out = _probe(tmp_path, "simulator")
    # The check above can fail: in demo mode the card and its trust come from the simulator.
    assert {"simulators.pki", "simulators.card"} <= set(out["simulators"])


def test_no_screen_configured_means_no_kiosk_routes(tmp_path):
    app = create_app(rp_config(tmp_path, screen=""))
    try:
        client = app.test_client()
        assert client.get("/kiosk").status_code == 404
        assert client.get("/v1/health").status_code == 200
    finally:
        app.extensions["cccd_edge"].close()


def test_a_screen_registers_through_the_host_alone(tmp_path):
    app = create_app(rp_config(tmp_path, screen="tests.edge.screen_probe:register"))
    try:
        host = app.extensions["screen_probe.host"]
        assert app.extensions["screen_probe.options"]["allowed_addresses"] is not None
        client = app.test_client()
        # Without the kiosk token the host's check refuses, in the API's own JSON shape.
        r = client.post("/probe/walk-up")
        assert r.status_code == 401 and r.get_json()["error"]["code"] == "unauthorized"
        r = client.post("/probe/walk-up", headers={"X-Kiosk-Token": host.kiosk_token()})
        assert r.status_code == 200, r.get_json()
        body = r.get_json()
        assert body["state"] == "waiting_for_card" and body["attributes"][0] == "id_number"
        # A werkzeug error raised by a screen keeps its sentence and gets the API's codes.
        r = client.get("/probe/conflict")
        assert r.status_code == 409
        assert r.get_json()["error"] == {"code": "conflict", "message": "Not now."}
        # The statistics-like page the screen marked as the operators' asks for the key.
        assert "probe.operators" in app.extensions["cccd_edge.operator_pages"]
    finally:
        app.extensions["cccd_edge"].close()


@pytest.mark.parametrize(
    ("birth", "expiry", "sentence"),
    [
        ("990231", "300101", "The date of birth is not a real calendar date (YYMMDD)."),
        ("991301", "300101", "The date of birth has an impossible month (YYMMDD)."),
        ("990101", "30013A", "The date of expiry has an impossible day (YYMMDD)."),
    ],
)
def test_one_date_check_for_the_reader_and_the_api(client, birth, expiry, sentence):
    with pytest.raises(AccessKeyError) as raised:
        MrzKey("C03000001", birth, expiry)
    assert raised.value.message == sentence
    body = {"document_number": "C03000001", "birth_date": birth, "expiry_date": expiry}
    r = client.post("/v1/verifications", json=body, headers=auth("hospital"))
    if r.status_code == 400 and r.get_json()["error"]["message"] != sentence:
        # The schema's own pattern may refuse it first (letters in a date): also a 400.
        assert r.get_json()["error"]["code"] == "invalid_request"
    else:
        assert r.status_code == 400 and r.get_json()["error"]["message"] == sentence


def test_the_yymmdd_check_is_defined_once():
    definers = []
    for package in ("cardreader", "crypto", "edge", "kiosk_ui"):
        for path in sources(package):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.FunctionDef) and "yymmdd" in node.name.lower():
                    definers.append(f"{path.relative_to(ROOT)}:{node.name}")
    # accesskey's _yymmdd normalises (dates, '<<<<<<') and then asks the one check.
    assert sorted(definers) == [
        "cardreader/accesskey.py:_yymmdd",
        "cardreader/mrz.py:yymmdd_problem",
    ]


def test_mrz_unknown_birth_day_is_accepted_only_from_mrz_lines():
    from cardreader.mrz import yymmdd_problem

    assert yymmdd_problem("8001<<", "date of birth", allow_unknown=True) is None
    assert yymmdd_problem("8001<<", "date of birth") is not None
    assert yymmdd_problem("<<<<<<", "date of expiry", allow_none=True) is None
    assert yymmdd_problem("000229", "date of birth") is None  # 2000 was a leap year
    assert yymmdd_problem("010229", "date of birth") is not None
