"""PACE-CAM and PACE-IM end to end through the real PC/SC stack: pyscard -> private pcscd ->
vpcd -> a virtual CCCD process that offers only that mapping; then the report."""

from __future__ import annotations

import pytest

from cardreader.accesskey import CanKey
from cardreader.reader import Reader
from cardreader.transport.pcsc import PcscTransport
from crypto.report import Status
from crypto.truststore import TrustStore
from edge.pipeline import report_from_read
from simulators.dataset import build_dataset
from simulators.pki import default_pki

pytestmark = pytest.mark.pcsc


@pytest.fixture(scope="module")
def store() -> TrustStore:
    s = TrustStore()
    s.import_bytes(default_pki("ecdsa")[0].der, source="test PKI")
    return s


def read_through_pcsc(pcscd, key):
    transport = PcscTransport.connect(pcscd.reader_name, wait_s=5, apdu_timeout_s=5)
    try:
        return Reader(transport, key).read()
    finally:
        transport.close()


def test_pace_cam_through_pcscd_and_vpcd(pcscd, insert_card, store):
    ds = build_dataset(3, pace_offer="CAM")
    insert_card(citizen=3, dataset={"pace_offer": "CAM"})
    res = read_through_pcsc(pcscd, CanKey(ds.can))
    assert res.complete, res.error
    assert res.pace_oid == "0.4.0.127.0.7.2.2.4.6.2"
    assert res.files["EF.CardSecurity"] == ds.card_security
    assert res.files["DG13"] == ds.files[0x010D]
    v = report_from_read(res, store).verification
    assert v.get("chip_authentication_mapping").status is Status.VALID
    assert (v.passive_authentication, v.chip_authenticity) == (Status.VALID, Status.VALID)


def test_pace_im_through_pcscd_and_vpcd(pcscd, insert_card, store):
    ds = build_dataset(3, pace_offer="IM")
    insert_card(citizen=3, dataset={"pace_offer": "IM"})
    res = read_through_pcsc(pcscd, CanKey(ds.can))
    assert res.complete, res.error
    assert res.pace_oid == "0.4.0.127.0.7.2.2.4.4.2"
    assert res.files["DG1"] == ds.files[0x0101]
    v = report_from_read(res, store).verification
    assert (v.passive_authentication, v.chip_authenticity) == (Status.VALID, Status.VALID)


def test_wrong_cam_proof_through_pcscd_is_invalid_with_a_plain_reason(pcscd, insert_card, store):
    ds = build_dataset(3, pace_offer="CAM")
    insert_card(citizen=3, dataset={"pace_offer": "CAM"}, faults=["cam-wrong"])
    res = read_through_pcsc(pcscd, CanKey(ds.can))
    assert res.complete, res.error
    v = report_from_read(res, store).verification
    cam = v.get("chip_authentication_mapping")
    assert (cam.status, cam.code) == (Status.INVALID, "cam_proof_invalid")
    assert "may be a copy" in cam.message
    assert v.chip_authenticity is Status.INVALID
