import pytest

from edge.fhir import CCCD_SYSTEM, fhir_gender, patient_from_person
from edge.profiles import KNOWN_ATTRIBUTES, PROFILES, UnknownProfile, get_profile

PERSON = {
    "id_number": "001093047064",
    "full_name": "Nguyễn Thị Minh Khai",
    "birth_date": "1993-01-05",
    "sex": "Nữ",
    "nationality": "Việt Nam",
    "ethnicity": "Kinh",
    "religion": "Không",
    "residence": "Số 1, Phường Bến Nghé, Quận 1, TP Hồ Chí Minh",
    "father_name": "Nguyễn Văn B",
}


@pytest.mark.parametrize(
    "name,expected",
    [
        ("hospital", {"id_number", "full_name", "birth_date", "sex", "residence"}),
        ("airport", {"full_name", "id_number", "birth_date", "nationality"}),
        ("school", {"full_name", "id_number"}),
    ],
)
def test_minimise_keeps_only_profile_attributes(name, expected):
    out = get_profile(name).minimise(PERSON)
    assert set(out) == expected
    assert all(out[k] == PERSON[k] for k in expected)
    assert "father_name" not in out and "religion" not in out


def test_profiles_name_only_known_attributes():
    for profile in PROFILES.values():
        assert set(profile.attributes) <= KNOWN_ATTRIBUTES


def test_absent_attribute_is_none_not_guessed():
    assert get_profile("airport").minimise({"full_name": "A B"})["nationality"] is None


def test_unknown_profile():
    with pytest.raises(UnknownProfile, match="bank"):
        get_profile("bank")


def test_fhir_patient():
    attrs = get_profile("hospital").minimise(PERSON)
    p = patient_from_person(attrs, verified_at="2026-11-22T10:00:00Z")
    assert p["resourceType"] == "Patient"
    assert (
        p["identifier"][0]["system"] == CCCD_SYSTEM
        and p["identifier"][0]["value"] == "001093047064"
    )
    assert p["name"][0] == {
        "use": "official",
        "text": "Nguyễn Thị Minh Khai",
        "family": "Nguyễn",
        "given": ["Thị", "Minh", "Khai"],
    }
    assert p["gender"] == "female" and p["birthDate"] == "1993-01-05"
    assert p["address"][0]["text"].startswith("Số 1")
    assert "nationality" not in str(p) and "Kinh" not in str(p)


@pytest.mark.parametrize(
    "sex,gender",
    [
        ("Nam", "male"),
        ("Nữ", "female"),
        ("F", "female"),
        ("M", "male"),
        (None, "unknown"),
        ("<", "unknown"),
        ("Khác", "other"),
    ],
)
def test_gender_mapping(sex, gender):
    assert fhir_gender(sex) == gender
