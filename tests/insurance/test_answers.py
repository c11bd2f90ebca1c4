"""Odd gateway answers: `unavailable` with a reason, never a wrong `eligible`; the code table."""

from __future__ import annotations

import re
from datetime import date

import pytest

from edge.insurance.check import from_answer, insurance_result
from edge.insurance.codes import GATEWAY_CODES, OWN_REASONS, STATUSES
from edge.insurance.gateway import GatewayReply

TODAY = date(2026, 6, 15)
PERSON = {
    "id_number": "001093047064",
    "full_name": "Nguyễn Văn An",
    "birth_date": "1993-01-05",
    "sex": "Nam",
    "residence": "Số 12 Ngõ 34 Phố Giả Lập, Phường Láng Hạ, Quận Đống Đa, Hà Nội",
}
GOOD = {
    "maKetQua": "000",
    "ghiChu": "Thông tin thẻ chính xác.",
    "maThe": "GD4012134343056",
    "hoTen": "Nguyễn Văn An",
    "ngaySinh": "05/01/1993",
    "gioiTinh": "Nam",
    "diaChi": PERSON["residence"],
    "maDKBD": "01013",
    "gtTheTu": "01/01/2026",
    "gtTheDen": "31/12/2026",
    "ngayDu5Nam": "01/01/2020",
    "maKV": "",
}


def answer(**changes) -> dict:
    out = dict(GOOD)
    for key, value in changes.items():
        if value is ...:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def test_good_answer_is_eligible():
    result = from_answer(GOOD, PERSON, TODAY)
    assert (result["status"], result["code"], result["valid_to"]) == (
        "eligible",
        "000",
        "2026-12-31",
    )


@pytest.mark.parametrize(
    "changes, reason",
    [
        ({"maKetQua": ...}, "answer_incomplete"),
        ({"maKetQua": None}, "answer_incomplete"),
        ({"maKetQua": True}, "answer_incomplete"),
        ({"maKetQua": "OK"}, "answer_incomplete"),
        ({"maKetQua": ["000"]}, "answer_incomplete"),
        ({"maKetQua": "777"}, "unknown_result_code"),
        ({"maKetQua": "0001"}, "unknown_result_code"),
        ({"maThe": ...}, "answer_incomplete"),
        ({"maThe": 12345}, "answer_incomplete"),
        ({"gtTheDen": ...}, "answer_incomplete"),
        ({"gtTheTu": ""}, "answer_incomplete"),
        ({"gtTheDen": "2026-12-31"}, "answer_bad_date"),
        ({"gtTheDen": "31/12/26"}, "answer_bad_date"),
        ({"gtTheDen": "31-12-2026"}, "answer_bad_date"),
        ({"gtTheDen": "12/31/2026"}, "answer_bad_date"),
        ({"gtTheDen": "31/02/2026"}, "answer_bad_date"),
        ({"gtTheDen": 20261231}, "answer_bad_date"),
        ({"ngayDu5Nam": "2020"}, "answer_bad_date"),
        ({"gtTheDen": "31/12/2025"}, "answer_inconsistent"),  # "valid" but ended
        ({"gtTheTu": "01/01/2027"}, "answer_inconsistent"),  # "valid" but not begun
        ({"maKetQua": "003"}, "answer_incomplete"),  # a new card without its dates
    ],
)
def test_odd_answers_are_unavailable_never_eligible(changes, reason):
    result = from_answer(answer(**changes), PERSON, TODAY)
    assert result["status"] == "unavailable" and result["reason"] == reason, result
    assert result["card_number"] is None and result["mismatches"] == []


def test_numeric_code_is_read_as_three_digits():
    assert from_answer(answer(maKetQua=0), PERSON, TODAY)["code"] == "000"
    assert from_answer(answer(maKetQua="10"), PERSON, TODAY)["reason"] == "card_expired"


def test_name_on_record_taken_from_the_note_when_not_repeated():
    result = from_answer(
        answer(maKetQua="060", hoTen=..., ghiChu="Họ tên không đúng, họ tên đúng : NGUYEN VAN AN"),
        PERSON,
        TODAY,
    )
    assert result["status"] == "record_mismatch"
    assert result["mismatches"] == [
        {
            "field": "full_name",
            "chip": "Nguyễn Văn An",
            "insurance": "NGUYEN VAN AN",
            "how": "diacritics",
        }
    ]


def test_mismatch_code_without_a_value_still_names_the_field():
    result = from_answer(answer(maKetQua="070", ngaySinh=...), PERSON, TODAY)
    assert result["mismatches"] == [
        {"field": "birth_date", "chip": "1993-01-05", "insurance": None, "how": "other"}
    ]


def test_writing_conventions_are_not_mismatches():
    result = from_answer(answer(gioiTinh="nam", hoTen="Nguyễn  Văn An"), PERSON, TODAY)
    assert result["mismatches"] == []


def test_case_only_name_difference():
    result = from_answer(answer(maKetQua="060", hoTen="NGUYỄN VĂN AN"), PERSON, TODAY)
    assert [m["how"] for m in result["mismatches"]] == ["case"]


class Refusing:
    def check(self, card_id: str, full_name: str, birth_date: str) -> GatewayReply:
        raise AssertionError("the gateway must not be asked")


def test_missing_chip_data_is_not_checked():
    for missing in ("id_number", "full_name", "birth_date"):
        person = {**PERSON, missing: None}
        result = insurance_result(Refusing(), person, "valid", TODAY)
        assert (result["status"], result["reason"]) == ("not_checked", "chip_data_missing")
    odd = {**PERSON, "birth_date": "05/01/1993"}
    assert insurance_result(Refusing(), odd, "valid", TODAY)["status"] == "not_checked"


def test_forged_chip_is_not_checked():
    result = insurance_result(Refusing(), PERSON, "invalid", TODAY)
    assert result["status"] == "not_checked" and result["reason"] == "chip_not_verified"


def test_every_outcome_has_a_status_and_two_sentences():
    for outcome in [*GATEWAY_CODES.values(), *OWN_REASONS.values()]:
        assert outcome.status in STATUSES
        assert outcome.vi.strip() and outcome.en.strip()
    reasons = [o.reason for o in GATEWAY_CODES.values()]
    assert len(reasons) == len(set(reasons)), "reason codes are stable and distinct"


def test_every_code_of_the_shared_table_is_mapped(shared_dir):
    text = (shared_dir / "docs" / "bhyt-gateway.md").read_text(encoding="utf-8")
    table = text.split("## Result codes", 1)[1]
    codes: set[str] = set()
    for first, last in re.findall(r"^\| (\d{3})(?:-(\d{3}))? \|", table, re.MULTILINE):
        codes.update(f"{n:03d}" for n in range(int(first), int(last or first) + 1))
    assert len(codes) >= 28  # 000 … 401, with 120-124 as five
    assert codes <= set(GATEWAY_CODES), sorted(codes - set(GATEWAY_CODES))
    # What the table says about going ahead, as statuses.
    expected = {"000": "eligible", "003": "eligible", "010": "not_eligible", "050": "not_eligible"}
    expected |= {"060": "record_mismatch", "070": "record_mismatch", "101": "unavailable"}
    for code, status in expected.items():
        assert GATEWAY_CODES[code].status == status
