"""``InsuranceCheck.start``: the gateway is asked while the face is captured, once per result."""

from __future__ import annotations

import gc

from crypto.report import Status, VerificationReport
from edge.insurance import InsuranceCheck
from edge.insurance.settings import InsuranceSettings
from edge.report import DocumentReport, Person
from simulators.citizens import citizen


def _report(pa: Status = Status.VALID) -> DocumentReport:
    c = citizen(0)
    person = Person(
        source="DG13",
        id_number=c.id_number,
        full_name=c.full_name,
        birth_date=c.birth_date.isoformat(),
        sex=c.sex,
        residence=c.residence,
    )
    return DocumentReport(person=person, verification=VerificationReport(passive_authentication=pa))


def test_started_early_answered_once(sim):
    sim.set_mode("slow", delay=0.3)
    check = InsuranceCheck(InsuranceSettings(**sim.settings()))
    try:
        report = _report()
        before = sim.state()["check_calls"]
        check.start(report, "hospital")
        # While the face is captured the gateway is already being asked, before claims().
        future = check._pending[id(report)][1]
        assert future.result(timeout=5)["status"] == "eligible"
        assert sim.state()["check_calls"] - before == 1
        claims = check.claims(report, "hospital", verification_id="v-1")
        assert claims["insurance"]["status"] == "eligible"
        assert claims["fhir_coverage"]["status"] == "active"
        assert sim.state()["check_calls"] - before == 1  # the early answer was used
        # One report: the same insurance object is the report's part, shown with the person.
        assert report.insurance is not None
        assert report.to_dict()["insurance"] == claims["insurance"]
        assert "insurance" not in report.to_dict(include_personal=False)
    finally:
        check.close()


def test_not_started_for_other_profiles_or_unverified_chips(sim):
    check = InsuranceCheck(InsuranceSettings(**sim.settings()))
    try:
        before = sim.state()["check_calls"]
        check.start(_report(), "school")
        unverified = _report(Status.INVALID)
        check.start(unverified, "hospital")
        assert check.claims(unverified, "hospital")["insurance"]["status"] == "not_checked"
        assert check.claims(_report(), "school") == {}
        assert sim.state()["check_calls"] == before
    finally:
        check.close()


def test_an_abandoned_early_check_is_dropped(sim):
    check = InsuranceCheck(InsuranceSettings(**sim.settings()))
    try:
        abandoned = _report()
        check.start(abandoned, "hospital")  # the session is cancelled: no result is built
        check._pending[id(abandoned)][1].result()
        del abandoned
        gc.collect()
        kept = _report()
        check.start(kept, "hospital")
        assert len(check._pending) == 1
        assert check.claims(kept, "hospital")["insurance"]["status"] == "eligible"
        assert check._pending == {}
    finally:
        check.close()
