"""The gateway client against the simulator (its own process) over real HTTP."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from datetime import date

import pytest

from edge.audit import JsonLinesFormatter
from edge.insurance.check import insurance_result
from edge.insurance.gateway import GatewayClient
from edge.insurance.settings import InsuranceSettings
from simulators.bhyt_gateway import GatewaySimulator
from simulators.citizens import citizen
from tests.support.bhyt import PASSWORD, STAFF_ID, STAFF_NAME, USERNAME, GatewayProcess

CITIZEN = citizen(0)
PERSON = {
    "id_number": CITIZEN.id_number,
    "full_name": CITIZEN.full_name,
    "birth_date": CITIZEN.birth_date.isoformat(),
    "sex": CITIZEN.sex,
    "residence": CITIZEN.residence,
}
TODAY = date.today()


def client_for(sim, **overrides) -> GatewayClient:
    settings = {
        "url": sim.url,
        "username": USERNAME,
        "password": PASSWORD,
        "staff_name": STAFF_NAME,
        "staff_id": STAFF_ID,
        **overrides,
    }
    return GatewayClient(InsuranceSettings(**settings))


def ask(client: GatewayClient, person: dict = PERSON, pa: str = "valid") -> dict:
    return insurance_result(client, person, pa, TODAY)


# mode -> (status, code, reason)
CASES = {
    "correct": ("eligible", "000", "card_valid"),
    "defence": ("eligible", "001", "card_defence_ministry"),
    "police": ("eligible", "002", "card_public_security"),
    "replaced_expired": ("eligible", "003", "card_replaced_old_expired"),
    "replaced_valid": ("eligible", "004", "card_replaced_old_valid"),
    "wrong_address": ("eligible", "000", "card_valid"),
    "slow": ("eligible", "000", "card_valid"),
    "expired": ("not_eligible", "010", "card_expired"),
    "not_found": ("not_eligible", "050", "card_not_found"),
    "card_number_wrong": ("not_eligible", "051", "card_number_wrong"),
    "withdrawn": ("not_eligible", "110", "card_withdrawn"),
    "moved": ("not_eligible", "120", "card_reduced_other_province"),
    "child": ("not_eligible", "130", "child_without_card"),
    "wrong_name": ("record_mismatch", "060", "name_wrong_on_record"),
    "wrong_name_first_letter": ("record_mismatch", "061", "name_wrong_on_record_first_letter"),
    "wrong_birth_date": ("record_mismatch", "070", "birth_date_wrong_on_record"),
    "wrong_sex": ("record_mismatch", "080", "sex_wrong_on_record"),
    "wrong_facility": ("record_mismatch", "090", "facility_wrong_on_record"),
    "register_error": ("unavailable", "100", "card_register_error"),
    "server_error": ("unavailable", "101", "gateway_server_error"),
    "format_error": ("unavailable", "205", "request_format_rejected"),
    "bad_credentials": ("unavailable", None, "gateway_auth_failed"),
    "http_error": ("unavailable", None, "gateway_http_error"),
    "non_json": ("unavailable", None, "answer_not_json"),
    "huge": ("unavailable", None, "answer_too_large"),
    "missing_fields": ("unavailable", "000", "answer_incomplete"),
    "unknown_code": ("unavailable", "999", "unknown_result_code"),
    "odd_dates": ("unavailable", "000", "answer_bad_date"),
    "drop": ("unavailable", None, "gateway_unreachable"),
    "stall": ("unavailable", None, "gateway_timeout"),
}


def test_every_simulator_mode_has_a_case():
    from simulators.bhyt_gateway import MODES

    assert set(MODES) == set(CASES)


@pytest.mark.parametrize("mode", sorted(CASES))
def test_each_case_over_http(sim, mode):
    sim.set_mode(mode, delay=0.2 if mode == "slow" else 3.0)
    client = client_for(sim, timeout=1.5)
    started = time.monotonic()
    result = ask(client)
    elapsed = time.monotonic() - started
    client.close()
    status, code, reason = CASES[mode]
    assert (result["status"], result["code"], result["reason"]) == (status, code, reason), result
    assert result["message"]["vi"] and result["message"]["en"]
    assert elapsed < 2.0  # bounded by the timeout, whatever the gateway does
    if status == "eligible":
        assert result["card_number"] and len(result["card_number"]) == 15
        assert result["valid_from"] <= TODAY.isoformat() <= result["valid_to"]
        assert result["first_contact_facility"]["code"]
    if status == "unavailable":
        assert result["card_number"] is None and result["mismatches"] == []


def test_eligible_fields(sim):
    result = ask(client_for(sim))
    assert result["valid_from"] == f"{TODAY.year}-01-01"
    assert result["valid_to"] == f"{TODAY.year}-12-31"
    assert result["first_contact_facility"] == {
        "code": "01013",
        "name": "Bệnh viện Thử Nghiệm Hà Nội",
    }
    assert result["five_years_since"] and result["new_card"] is None
    assert result["mismatches"] == []


def test_replaced_card_uses_the_new_one(sim):
    sim.set_mode("replaced_expired")
    result = ask(client_for(sim))
    assert result["card_number"].startswith("HC4")
    assert result["new_card"]["card_number"] == result["card_number"]
    assert result["valid_to"] == f"{TODAY.year}-12-31"


@pytest.mark.parametrize(
    "mode, field, how",
    [
        ("wrong_name", "full_name", "diacritics"),
        ("wrong_name_first_letter", "full_name", "other"),
        ("wrong_birth_date", "birth_date", "day_month_swapped"),
        ("wrong_sex", "sex", "other"),
        ("wrong_address", "residence", "abbreviation"),
    ],
)
def test_mismatches_say_which_field_and_how(sim, mode, field, how):
    sim.set_mode(mode)
    result = ask(client_for(sim))
    assert [(m["field"], m["how"]) for m in result["mismatches"]] == [(field, how)]
    entry = result["mismatches"][0]
    assert entry["chip"] == PERSON[field] and entry["insurance"] != PERSON[field]


def test_staff_pair_errors_are_configuration_problems(sim):
    result = ask(client_for(sim, staff_id="001190999999"))
    assert (result["status"], result["code"], result["reason"]) == (
        "unavailable",
        "054",
        "staff_not_registered",
    )
    result = ask(client_for(sim, staff_name="Trần Văn Khác"))
    assert (result["code"], result["reason"]) == ("055", "staff_name_mismatch")


def test_the_request_the_gateway_receives(sim):
    ask(client_for(sim))
    state = sim.state()
    body, query = state["last_request"]["body"], state["last_request"]["query"]
    assert body == {
        "maThe": CITIZEN.id_number,
        "hoTen": "Nguyễn Văn An",  # with diacritics, as on the chip
        "ngaySinh": "05/01/1993",  # dd/MM/yyyy
        "hoTenCb": STAFF_NAME,
        "cccdCb": STAFF_ID,
    }
    md5 = hashlib.md5(PASSWORD.encode()).hexdigest()
    assert query["password"] == md5 and query["username"] == USERNAME
    assert query["token"] and query["id_token"]
    assert state["last_token_request"] == {"username": USERNAME, "password": md5}


def test_token_reused_across_checks(sim):
    client = client_for(sim)
    before = sim.state()
    for _ in range(20):
        assert ask(client)["status"] == "eligible"
    after = sim.state()
    assert after["token_calls"] - before["token_calls"] == 1
    assert after["check_calls"] - before["check_calls"] == 20
    assert client.token_calls == 1


def test_token_renewed_once_after_401(sim):
    client = client_for(sim)
    assert ask(client)["status"] == "eligible"
    sim.revoke_tokens()  # the gateway forgot the token: the next check answers 401
    before = sim.state()
    assert ask(client)["status"] == "eligible"
    after = sim.state()
    assert after["token_calls"] - before["token_calls"] == 1
    assert after["check_calls"] - before["check_calls"] == 2  # refused, then with the new token
    assert ask(client)["status"] == "eligible"
    assert sim.state()["token_calls"] == after["token_calls"]  # the new one is kept


def test_token_renewed_when_its_lifetime_ends():
    short = GatewayProcess(token_lifetime=1)
    try:
        client = client_for(short)
        assert ask(client)["status"] == "eligible"
        assert ask(client)["status"] == "eligible"
        assert short.state()["token_calls"] == 1
        time.sleep(1.0)  # past 90 % of the lifetime: renewed before the gateway refuses it
        assert ask(client)["status"] == "eligible"
        state = short.state()
        assert state["token_calls"] == 2 and state["check_calls"] == 3
    finally:
        short.stop()


def test_timeout_then_circuit_breaker(sim):
    sim.set_mode("stall", delay=3.0)
    client = client_for(sim, timeout=0.5, breaker_seconds=1.5)
    started = time.monotonic()
    first = ask(client)
    assert first["reason"] == "gateway_timeout" and first["status"] == "unavailable"
    assert time.monotonic() - started < 1.0
    calls = sim.state()["check_calls"]
    started = time.monotonic()
    skipped = ask(client)
    assert time.monotonic() - started < 0.05  # not waiting: the breaker says so at once
    assert skipped["reason"] == "gateway_skipped" and 0 < skipped["retry_in"] <= 1.5
    assert "skipped" in skipped["message"]["en"]
    assert sim.state()["check_calls"] == calls  # the gateway was not asked
    sim.set_mode("correct")
    time.sleep(1.6)
    assert ask(client)["status"] == "eligible"  # tried again after the pause


def test_one_retry_on_a_network_error_then_the_breaker(sim):
    client = client_for(sim, breaker_seconds=30)
    assert ask(client)["status"] == "eligible"  # a token and a kept-alive connection
    sim.set_mode("drop")
    before = sim.state()["check_calls"]
    assert ask(client)["reason"] == "gateway_unreachable"
    assert sim.state()["check_calls"] - before == 2  # the first try and one retry, no more
    sim.set_mode("correct")
    assert ask(client)["reason"] == "gateway_skipped"
    assert sim.state()["check_calls"] - before == 2


def test_gateway_not_listening_is_unavailable_quickly():
    down = GatewaySimulator(password=PASSWORD)
    url = down.url
    down.httpd.server_close()  # the port is closed: connection refused
    client = GatewayClient(
        InsuranceSettings(
            url=url, username=USERNAME, password=PASSWORD, staff_name=STAFF_NAME, staff_id=STAFF_ID
        )
    )
    started = time.monotonic()
    result = ask(client)
    assert result["reason"] == "gateway_unreachable" and time.monotonic() - started < 1.0


def test_unverified_chip_is_not_looked_up(sim):
    client = client_for(sim)
    before = sim.state()
    for pa in ("invalid", "unknown", "not_performed"):
        result = ask(client, pa=pa)
        assert (result["status"], result["reason"], result["code"]) == (
            "not_checked",
            "chip_not_verified",
            None,
        )
    after = sim.state()
    assert (after["token_calls"], after["check_calls"]) == (
        before["token_calls"],
        before["check_calls"],
    )


def test_no_credential_or_personal_field_in_any_log_line(sim, caplog):
    caplog.set_level(logging.DEBUG)
    client = client_for(sim, timeout=0.5, breaker_seconds=0.2)
    for mode in ("correct", "wrong_name", "non_json", "huge", "http_error", "stall", "drop"):
        sim.set_mode(mode, delay=1.0)
        ask(client)
        time.sleep(0.25)
    sim.revoke_tokens()
    sim.set_mode("bad_credentials")
    ask(client)
    assert caplog.records, "the failures above are logged (as codes)"
    formatter = JsonLinesFormatter()
    text = "\n".join(
        formatter.format(r) + " " + r.getMessage() + " " + json.dumps(r.__dict__, default=str)
        for r in caplog.records
    )
    md5 = hashlib.md5(PASSWORD.encode()).hexdigest()
    forbidden = [
        PASSWORD,
        md5,
        sim.url,
        "token=",
        CITIZEN.id_number,
        CITIZEN.full_name,
        "Nguyen Van An",
        "05/01/1993",
        STAFF_ID,
        STAFF_NAME,
        "GD4",
    ]
    for value in forbidden:
        assert value not in text, value
    assert "gateway_timeout" in text and "answer_not_json" in text
