import pytest

from edge.compare import compare_record

CHIP = {
    "id_number": "001093047064",
    "full_name": "Nguyễn Văn An",
    "birth_date": "1993-01-05",
    "sex": "Nam",
    "residence": "Số 12, Phường Bến Nghé, Quận 1, Thành phố Hồ Chí Minh",
}


@pytest.mark.parametrize(
    "field,record,status,how,equivalent",
    [
        ("full_name", "Nguyễn Văn An", "same", [], None),
        ("full_name", "NGUYEN VAN AN", "differs", ["case", "diacritics"], True),
        ("full_name", "nguyễn văn an", "differs", ["case"], True),
        ("full_name", "Nguyễn   Văn An", "differs", ["spacing"], True),
        ("full_name", "Văn An Nguyễn", "differs", ["word_order"], True),
        ("full_name", "Nguyen Van An", "differs", ["diacritics"], True),
        ("full_name", "Nguyễn Văn Anh", "differs", ["other"], False),
        ("birth_date", "1993-01-05", "same", [], None),
        ("birth_date", "05/01/1993", "differs", ["format"], True),
        ("birth_date", "19930105", "differs", ["format"], True),
        ("birth_date", "01/05/1993", "differs", ["day_month_swap"], True),
        ("birth_date", "1993", "differs", ["year_only"], True),
        ("birth_date", "05/01/1994", "differs", ["year", "other"], False),
        ("birth_date", "yesterday", "differs", ["unparseable"], False),
        (
            "residence",
            "so 12 p. Ben Nghe, Q. 1, TP. Ho Chi Minh",
            "differs",
            ["punctuation", "case", "diacritics", "abbreviation"],
            True,
        ),
        (
            "residence",
            "Phường Bến Nghé, Quận 1, Thành phố Hồ Chí Minh",
            "differs",
            ["partial"],
            False,
        ),
        (
            "residence",
            "Số 9, Phường Đa Kao, Quận 1, Thành phố Hồ Chí Minh",
            "differs",
            ["other"],
            False,
        ),
        ("id_number", "001 093 047 064", "differs", ["formatting"], True),
        ("id_number", "093047064", "differs", ["document_number_given"], False),
        ("id_number", "001093040764", "differs", ["transposed_digits"], False),
        ("id_number", "001093047065", "differs", ["one_digit"], False),
        ("sex", "M", "differs", ["coding"], True),
        ("sex", "Nữ", "differs", ["other"], False),
    ],
)
def test_field_comparison(field, record, status, how, equivalent):
    out = compare_record(CHIP, {field: record})[field]
    assert out["status"] == status
    assert out["how"] == how
    assert out.get("equivalent") == equivalent
    assert out["chip"] == CHIP[field] and out["record"] == record


def test_missing_both_ways():
    out = compare_record({**CHIP, "residence": None}, {"full_name": "", "residence": "Hà Nội"})
    assert out["full_name"] == {
        "status": "missing",
        "chip": "Nguyễn Văn An",
        "record": "",
        "how": ["not_in_record"],
    }
    assert out["residence"]["how"] == ["not_on_chip"]
    # Fields the record does not mention at all are reported as not in the record.
    assert out["id_number"]["status"] == "missing"


def test_only_profile_fields_are_compared():
    out = compare_record(CHIP, {"full_name": "Nguyễn Văn An", "sex": "Nam"}, fields=("full_name",))
    assert set(out) == {"full_name"}
