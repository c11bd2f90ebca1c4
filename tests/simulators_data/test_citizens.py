from datetime import date

import pytest

from simulators.citizens import CITIZENS, NO_EXPIRY_TEXT, Citizen, citizen


def test_at_least_eight_people_and_wrapping():
    assert len(CITIZENS) >= 8
    assert citizen(len(CITIZENS)) is citizen(0)
    assert citizen(-1) is CITIZENS[-1]
    assert len({c.id_number for c in CITIZENS}) == len(CITIZENS)


@pytest.mark.parametrize("person", CITIZENS, ids=lambda c: c.id_number)
def test_id_number_layout(person):
    digit = int(person.id_number[3])
    assert digit in (0, 1, 2, 3)
    assert (digit % 2 == 1) == (person.sex == "Nữ")
    assert 1900 + 100 * (digit // 2) + int(person.id_number[4:6]) == person.birth_date.year
    assert person.can == person.id_number[-6:] and person.document_number == person.id_number[-9:]
    assert (
        person.nationality == "Việt Nam"
        and person.ethnicity == "Kinh"
        and person.religion == "Không"
    )
    assert len(person.field16) == 16


def test_the_data_covers_the_hard_cases():
    assert any(len(c.residence.encode("utf-8")) > 200 for c in CITIZENS)
    old = [c for c in CITIZENS if c.expiry_date is None]
    assert old and all(date(2026, 1, 1).year - c.birth_date.year > 60 for c in old)
    assert old[0].dg13_fields()[12] == NO_EXPIRY_TEXT and old[0].expiry_yymmdd == "991231"
    assert any(c.spouse_name == "" for c in CITIZENS) and any(c.spouse_name for c in CITIZENS)
    assert any(c.old_id_number == "" for c in CITIZENS)
    assert all(len(c.old_id_number) == 9 for c in CITIZENS if c.old_id_number)
    card2024 = [c for c in CITIZENS if c.extra_fields]
    assert card2024 and min(card2024[0].dg13_fields()) == 1 and max(card2024[0].dg13_fields()) >= 18
    assert any("Đ" in c.full_name or "đ" in c.full_name for c in CITIZENS)


def test_inconsistent_people_are_refused():
    with pytest.raises(ValueError, match="birth year"):
        Citizen(
            "001193047064",
            "Nguyễn Văn An",
            date(1993, 1, 5),
            "Nam",
            "x",
            "y",
            "",
            date(2021, 1, 1),
            None,
            "a",
            "b",
        )
    with pytest.raises(ValueError, match="12 digits"):
        Citizen(
            "0010930470",
            "Nguyễn Văn An",
            date(1993, 1, 5),
            "Nam",
            "x",
            "y",
            "",
            date(2021, 1, 1),
            None,
            "a",
            "b",
        )
