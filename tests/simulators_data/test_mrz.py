import pytest

from simulators.citizens import CITIZENS, citizen
from simulators.lds.mrz import check_digit, mrz_information, name_field, td1_lines, transliterate


def test_check_digits_match_the_icao_vectors(icao_vectors):
    cases = icao_vectors["mrz_check_digit"]
    assert len(cases) >= 5
    for case in cases:
        assert check_digit(case["input"]) == str(case["check"]), case["input"]


def test_public_mock_sample_is_reproduced():
    lines = td1_lines(
        document_number="093047064",
        id_number="001093047064",
        birth_date="930105",
        sex="M",
        expiry_date="330105",
        full_name="Nguyễn Văn An",
    )
    assert lines[0] == "IDVNM0930470641001093047064<<2"
    assert lines[1] == "9301054M3301052VNM<<<<<<<<<<<8"


def test_every_public_mock_sample_in_the_vectors_is_reproduced(icao_vectors):
    for line1, line2 in icao_vectors["cccd"]["mrz_samples_public_mock"]:
        id_number = line1[15:27]
        lines = td1_lines(
            document_number=line1[5:14],
            id_number=id_number,
            birth_date=line2[0:6],
            sex=line2[7],
            expiry_date=line2[8:14],
            full_name="Trần Minh Khôi",
        )
        assert (lines[0], lines[1]) == (line1, line2)


def test_citizen_zero_carries_the_mock_sample():
    assert citizen(0).mrz_lines()[:2] == (
        "IDVNM0930470641001093047064<<2",
        "9301054M3301052VNM<<<<<<<<<<<8",
    )


@pytest.mark.parametrize("person", CITIZENS, ids=lambda c: c.id_number)
def test_each_citizens_mrz_is_a_consistent_td1(person):
    l1, l2, l3 = person.mrz_lines()
    assert all(len(line) == 30 for line in (l1, l2, l3))
    assert l1[:5] == "IDVNM" and l1[5:14] == person.id_number[-9:]
    assert l1[14] == check_digit(l1[5:14])
    assert l1[15:27] == person.id_number and l1[29] == check_digit(person.id_number)
    assert l2[6] == check_digit(l2[0:6]) and l2[14] == check_digit(l2[8:14])
    assert l2[15:18] == "VNM"
    assert l2[29] == check_digit(l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29])
    assert set(l3) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ<")


def test_names_lose_diacritics_and_d_stroke():
    assert transliterate("Đặng Ngọc Ánh") == "DANG<NGOC<ANH"
    assert name_field("Lê Thị Hồng Nhung") == "LE<<THI<HONG<NHUNG".ljust(30, "<")
    long = name_field("Huỳnh Nguyễn Thị Phương Thảo Nguyên Trang")
    assert len(long) == 30 and long.startswith("HUYNH<<NGUYEN<THI<")


def test_mrz_information_is_the_bac_key_input():
    # ICAO 9303-11 App. D.2: document L898902C<, birth 690806, expiry 940623
    assert mrz_information("L898902C<", "690806", "940623") == "L898902C<369080619406236"


def test_bad_characters_are_refused():
    with pytest.raises(ValueError):
        check_digit("ab")
