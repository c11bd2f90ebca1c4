"""Fixtures of the crypto tests: the shared PKI data, read in place, and ready trust stores."""

from __future__ import annotations

from pathlib import Path

import pytest

from crypto.certs import Certificate
from crypto.masterlist import MasterList
from crypto.truststore import TrustStore

DOCUMENTS = ("AT", "AU", "DE", "FR", "MY", "NZ")


@pytest.fixture(scope="session")
def pki_dir(shared_dir) -> Path:
    return shared_dir / "pki"


@pytest.fixture(scope="session")
def de_root(pki_dir) -> Certificate:
    return Certificate.from_bytes((pki_dir / "master-lists" / "DE_ROOT_CA_CSCA07.cer").read_bytes())


@pytest.fixture(scope="session")
def de_ml_path(pki_dir) -> Path:
    return next((pki_dir / "master-lists").glob("DE_ML_*.ml"))


@pytest.fixture(scope="session")
def nl_ml_path(pki_dir) -> Path:
    return next((pki_dir / "master-lists").glob("NL_ML_*.ml"))


@pytest.fixture(scope="session")
def de_ml(de_ml_path) -> MasterList:
    """The German master list, parsed once (its signature is checked where it is used)."""
    return MasterList.from_bytes(de_ml_path.read_bytes())


@pytest.fixture(scope="session")
def de_store(de_ml, de_root) -> TrustStore:
    """The German master list, its signature checked against DE_ROOT_CA_CSCA07 (in memory).
    Tests must not add to it: use ``de_store.copy()`` for that."""
    store = TrustStore()
    store.import_master_list(de_ml, roots=[de_root])
    return store


def dg_files(folder: Path) -> dict[int, bytes]:
    """DG<n>.bin / Datagroup<n>.bin of a folder, by number."""
    out = {}
    for f in folder.iterdir():
        name = f.name
        for prefix in ("Datagroup", "DG"):
            if (
                name.startswith(prefix)
                and name.endswith(".bin")
                and name[len(prefix) : -4].isdigit()
            ):
                out[int(name[len(prefix) : -4])] = f.read_bytes()
    return out
