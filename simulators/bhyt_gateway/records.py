"""Synthetic insurance records for the synthetic citizens, and how each mode bends them."""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass, replace
from datetime import date

from simulators.citizens import CITIZENS, Citizen

# Every switch of the simulator. The first group answers with a result code of the table; the
# second breaks the transport or the answer itself.
MODES: tuple[str, ...] = (
    "correct",  # 000
    "defence",  # 001
    "police",  # 002
    "replaced_expired",  # 003: old card expired, new card issued
    "replaced_valid",  # 004: old card still valid, new card issued
    "expired",  # 010
    "not_found",  # 050
    "card_number_wrong",  # 051
    "wrong_name",  # 060: the record's name typed without diacritics
    "wrong_name_first_letter",  # 061: another middle name on record
    "wrong_birth_date",  # 070: day and month swapped on record
    "wrong_sex",  # 080
    "wrong_facility",  # 090
    "register_error",  # 100
    "server_error",  # 101
    "withdrawn",  # 110
    "moved",  # 120
    "child",  # 130
    "format_error",  # 205
    "wrong_address",  # 000, with an abbreviated address on record
    "bad_credentials",  # the token call refuses the account
    "slow",  # answers correctly after ``delay`` seconds
    "stall",  # accepts the connection and says nothing for ``delay`` seconds
    "http_error",  # HTTP 500 with an HTML page
    "non_json",  # HTTP 200, text that is not JSON
    "huge",  # HTTP 200, a JSON answer of several megabytes
    "missing_fields",  # 000 without the validity dates
    "unknown_code",  # a result code outside the table
    "odd_dates",  # 000 with dates in a format the contract does not use
    "drop",  # closes the connection without an answer
)

_FIRST_CONTACT = {
    "00": ("01013", "Bệnh viện Thử Nghiệm Hà Nội"),
    "05": ("51001", "Trung tâm Y tế Thử Nghiệm Quảng Ngãi"),
    "07": ("79024", "Bệnh viện Quận Thử Nghiệm"),
    "04": ("48007", "Bệnh viện Thử Nghiệm Đà Nẵng"),
    "03": ("31012", "Trạm Y tế Thử Nghiệm Hải Phòng"),
}


@dataclass(frozen=True)
class InsuranceRecord:
    """One card as the insurance database holds it (synthetic)."""

    id_number: str
    card_number: str  # 15 characters: object code (2), benefit level (1), province (2), BHXH (10)
    social_insurance_number: str
    full_name: str
    birth_date: date
    sex: str  # "Nam" / "Nữ"
    address: str
    facility_code: str
    facility_name: str
    office: str
    area_code: str
    valid_from: date
    valid_to: date
    five_years_since: date


def _digits(seed: str, n: int) -> str:
    value = int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8], "big")
    return str(value % 10**n).zfill(n)


def record_for(citizen: Citizen, today: date) -> InsuranceRecord:
    """The correct record: the chip's data, a card valid for this calendar year."""
    province = citizen.id_number[1:3]
    bhxh = _digits("bhxh:" + citizen.id_number, 10)
    code, name = _FIRST_CONTACT.get(province, ("01013", "Bệnh viện Thử Nghiệm Hà Nội"))
    return InsuranceRecord(
        id_number=citizen.id_number,
        card_number=f"GD4{province}{bhxh}",
        social_insurance_number=bhxh,
        full_name=citizen.full_name,
        birth_date=citizen.birth_date,
        sex=citizen.sex,
        address=citizen.residence,
        facility_code=code,
        facility_name=name,
        office=f"{province}01",
        area_code="",
        valid_from=date(today.year, 1, 1),
        valid_to=date(today.year, 12, 31),
        five_years_since=date(max(citizen.birth_date.year + 1, today.year - 6), 1, 1),
    )


def records_for_citizens(today: date) -> dict[str, InsuranceRecord]:
    """Every synthetic citizen's record, by ID number and by card number."""
    out: dict[str, InsuranceRecord] = {}
    for citizen in CITIZENS:
        record = record_for(citizen, today)
        out[record.id_number] = record
        out[record.card_number] = record
    return out


def _without_diacritics(text: str) -> str:
    text = text.replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def _swap_day_month(day: date) -> date:
    try:
        return date(day.year, day.day, day.month)
    except ValueError:  # a day past 12 cannot be a month: another day of the same month
        return day.replace(day=1 if day.day != 1 else 2)


_ABBREVIATED = (
    ("Thành phố ", "TP. "),
    ("Phường ", "P. "),
    ("Quận ", "Q. "),
    ("Huyện ", "H. "),
    ("Xã ", "X. "),
)


def bent(record: InsuranceRecord, mode: str, today: date) -> InsuranceRecord:
    """The record as the insurance database holds it in ``mode`` (a wrong name, an old card ...)."""
    if mode == "wrong_name":
        return replace(record, full_name=_without_diacritics(record.full_name))
    if mode == "wrong_name_first_letter":
        words = record.full_name.split()
        middle = "Thử" if len(words) < 3 or words[1] != "Thử" else "Mẫu"
        return replace(record, full_name=" ".join([words[0], middle, *words[2:]]))
    if mode == "wrong_birth_date":
        return replace(record, birth_date=_swap_day_month(record.birth_date))
    if mode == "wrong_sex":
        return replace(record, sex="Nữ" if record.sex == "Nam" else "Nam")
    if mode == "wrong_address":
        address = record.address
        for long, short in _ABBREVIATED:
            address = address.replace(long, short)
        return replace(record, address=address)
    if mode in ("expired", "replaced_expired"):
        return replace(
            record,
            valid_from=date(today.year - 1, 1, 1),
            valid_to=date(today.year - 1, 12, 31),
        )
    return record
