"""PACE-CAM and PACE-IM end to end in process: the reader against the virtual CCCD, then the
report (EF.CardSecurity verified like the SOD, the CAM proof bound to it)."""

from __future__ import annotations

import argparse

import pytest

from cardreader.accesskey import CanKey
from cardreader.reader import Reader
from cardreader.transport.inprocess import InProcessTransport
from crypto.report import Status
from crypto.truststore import TrustStore
from edge.commands.read import print_summary
from edge.commands.simulate import build_card_and_printed
from edge.pipeline import report_from_read
from simulators.card import VirtualCCCD
from simulators.dataset import build_dataset
from simulators.pki import default_pki

CAM_OID = "0.4.0.127.0.7.2.2.4.6.2"
IM_OID = "0.4.0.127.0.7.2.2.4.4.2"
GM_OID = "0.4.0.127.0.7.2.2.4.2.2"


@pytest.fixture(scope="module")
def store() -> TrustStore:
    s = TrustStore()
    s.import_bytes(default_pki("ecdsa")[0].der, source="test PKI")
    return s


def read(dataset, faults=()):
    reader = Reader(
        InProcessTransport(VirtualCCCD(dataset, faults=list(faults))),
        CanKey(dataset.can),
        keep_log=True,
    )
    return reader, reader.read()


def test_card_offering_only_cam_is_read_with_the_can(store):
    ds = build_dataset(1, pace_offer="CAM")
    reader, res = read(ds)
    assert res.complete, res.error
    assert (res.access_protocol, res.pace_oid) == ("PACE-CAN", CAM_OID)
    assert res.files["EF.CardSecurity"] == ds.card_security
    assert res.files["DG1"] == ds.files[0x0101]
    cam = res.chip_auth_mapping
    assert cam.performed and cam.error is None and cam.chip_authentication_data
    assert not res.chip_auth.performed  # CAM replaces Chip Authentication
    order = [e.description for e in reader.session.log]
    assert order.index("SELECT EF.CardSecurity") < order.index("SELECT eMRTD application")
    v = report_from_read(res, store).verification
    assert v.get("chip_authentication_mapping").status is Status.VALID
    assert v.get("chip_authentication").code == "ca_replaced_by_cam"
    assert (v.passive_authentication, v.chip_authenticity) == (Status.VALID, Status.VALID)


def test_wrong_cam_proof_makes_chip_authenticity_invalid(store):
    ds = build_dataset(1, pace_offer="CAM")
    _, res = read(ds, ["cam-wrong"])
    assert res.complete  # the channel is fine: only the proof is wrong
    v = report_from_read(res, store).verification
    cam = v.get("chip_authentication_mapping")
    assert (cam.status, cam.code) == (Status.INVALID, "cam_proof_invalid")
    assert cam.message == (
        "The chip's PACE-CAM proof does not match its public key: it may be a copy."
    )
    assert v.chip_authenticity is Status.INVALID
    assert v.passive_authentication is Status.VALID


def test_cam_with_an_untrusted_signer_stays_unknown():
    ds = build_dataset(1, pace_offer="CAM")
    _, res = read(ds)
    v = report_from_read(res, TrustStore()).verification
    assert v.get("chip_authentication_mapping").code == "cam_key_not_authenticated"
    assert v.get("card_security.dsc.chain").code == "csca_unknown"
    # A signer nobody trusts vouches for no key: the correct proof proves nothing.
    assert v.chip_authenticity is Status.UNKNOWN


def test_card_offering_only_im_is_read_with_the_can(store):
    ds = build_dataset(2, pace_offer="IM")
    _, res = read(ds)
    assert res.complete, res.error
    assert (res.access_protocol, res.pace_oid) == ("PACE-CAN", IM_OID)
    assert "EF.CardSecurity" not in res.files and not res.chip_auth_mapping.performed
    assert res.chip_auth.established  # with IM, chip authenticity still comes from CA
    v = report_from_read(res, store).verification
    assert v.get("chip_authentication_mapping") is None
    assert (v.passive_authentication, v.chip_authenticity) == (Status.VALID, Status.VALID)


def test_cam_is_preferred_and_gm_stays_the_cccd_default():
    both = build_dataset(0, pace=[(GM_OID, 13), (CAM_OID, 13)])
    _, res = read(both)
    assert res.complete and res.pace_oid == CAM_OID
    cccd = build_dataset(0)  # the CCCD's own EF.CardAccess: GM only
    assert cccd.card_security is None
    _, res = read(cccd)
    assert res.complete and res.pace_oid == GM_OID and "EF.CardSecurity" not in res.files


def test_wrong_can_with_cam_is_access_denied():
    ds = build_dataset(1, pace_offer="CAM")
    reader = Reader(InProcessTransport(VirtualCCCD(ds)), CanKey("000000"))
    res = reader.read()
    assert not res.complete and res.error.code == "access_key_rejected"


def test_simulate_switch_and_cli_summary_show_cam(capsys):
    args = argparse.Namespace(citizen=1, photo=None, fault=[], pace_offer="CAM")
    card, printed = build_card_and_printed(args)
    assert card.dataset.card_security is not None
    assert bytes.fromhex("04007F00070202040602") in card.dataset.files[0x011C]  # CAM PACEInfo
    res = Reader(InProcessTransport(card), CanKey(printed.can)).read()
    print_summary(report_from_read(res, TrustStore()).to_dict())
    out = capsys.readouterr().out
    assert "PACE-CAM:          proof received (verdict below)" in out
    assert "0.4.0.127.0.7.2.2.4.6.2" in out


def test_channel_lost_on_card_security_is_reopened_and_cam_stays_unchecked(store):
    ds = build_dataset(1, pace_offer="CAM")
    _, res = read(ds, ["bad-response-mac:1"])  # the answer to SELECT EF.CardSecurity
    assert res.complete, res.error
    assert "EF.CardSecurity" in res.file_errors and "EF.CardSecurity" not in res.files
    assert [i.file for i in res.incidents] == ["EF.CardSecurity"]
    assert res.files["EF.SOD"] == ds.files[0x011D]  # 011D after re-opening is the SOD again
    v = report_from_read(res, store).verification
    assert v.get("chip_authentication_mapping").code == "cam_key_missing"
    assert v.chip_authenticity is Status.VALID  # AA still answers for the chip
