"""Typed answers: ambiguous request bodies are 400s, a read that lost the card is never valid."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cardreader.errors import CardRemovedError
from cardreader.result import ReadResult
from crypto.certs import Certificate
from crypto.report import Status
from crypto.truststore import TrustStore
from edge.pipeline import report_from_read
from simulators import pki
from simulators.carddata import FID_SOD, fid_of_dg
from simulators.dataset import build_dataset
from tests.edge.conftest import auth
from tests.edge.openapi_check import check

LATER = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    "body",
    [
        {"ask_on_kiosk": True, "document_number": "0"},
        {"ask_on_kiosk": True, "birth_date": "930105"},
        {"can": "123456", "expiry_date": "300101"},
        {"mrz": ["A" * 30, "B" * 30, "C" * 30], "document_number": "093047064"},
    ],
)
def test_fields_of_another_alternative_are_400(client, body):
    r = client.post("/v1/verifications", json=body, headers=auth("hospital"))
    assert r.status_code == 400
    assert "exactly one access key" in check(r, "/v1/verifications", "post")["error"]["message"]


def _read(complete: bool) -> ReadResult:
    ds = build_dataset(0)
    files = {"EF.SOD": ds.files[FID_SOD]}
    files.update({f"DG{n}": ds.files[fid_of_dg(n)] for n in (1, 13, 14, 15)})
    result = ReadResult(files=files, access_protocol="PACE-CAN", complete=complete)
    if not complete:  # the card left during DG2: listed in the SOD, never read
        err = CardRemovedError(step="read_files", file="DG2")
        result.error = err
        result.file_errors["DG2"] = err
    return result


def test_a_read_that_lost_the_card_is_never_valid():
    csca, _ = pki.default_pki("ecdsa")
    store = TrustStore()
    store.add_certificate(Certificate.from_bytes(csca.der))
    complete = report_from_read(_read(True), store, at=LATER).verification
    lost = report_from_read(_read(False), store, at=LATER).verification
    # DG2 is not read in either case; only the read that stopped early may not be valid.
    assert complete.get("dg_hash.DG2").status is Status.NOT_PERFORMED
    assert complete.passive_authentication is Status.VALID
    assert lost.passive_authentication is Status.UNKNOWN
    check = lost.get("read.complete")
    assert (check.status, check.code) == (Status.UNKNOWN, "read_incomplete")
    assert check.details["error"] == "card_removed"
