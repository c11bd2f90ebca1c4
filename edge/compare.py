"""Field-by-field comparison of the chip's verified values with a caller's record.

Insurance and hospital records often fail to match because of a wrong name,
birth date or residence. For each field the result says ``same``, ``differs``
or ``missing`` and *how* it differs, so a reception desk can tell a typing
convention (no diacritics, upper case, day and month swapped) from a
different person. ``equivalent`` is true when only such conventions differ.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import date

FIELDS = ("id_number", "full_name", "birth_date", "sex", "residence")

# Vietnamese address abbreviations, compared without diacritics.
_ABBREVIATIONS = {
    "tp": "thanh pho",
    "p": "phuong",
    "q": "quan",
    "tx": "thi xa",
    "tt": "thi tran",
    "h": "huyen",
    "x": "xa",
    "kp": "khu pho",
    "to": "to",
}
_SEX = {
    "nam": "male",
    "m": "male",
    "male": "male",
    "nữ": "female",
    "nu": "female",
    "f": "female",
    "female": "female",
}


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip()


def _spaces(text: str) -> str:
    return " ".join(text.split())


def strip_diacritics(text: str) -> str:
    # đ/Đ is a letter of its own, not d plus a mark: NFD does not split it.
    text = text.replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def _result(
    status: str, chip, record, how: list[str] | None = None, equivalent: bool | None = None
) -> dict:
    out = {"status": status, "chip": chip, "record": record, "how": how or []}
    if status == "differs":
        out["equivalent"] = bool(equivalent)
    return out


def _explain(a: str, b: str, steps: list[tuple[str, Callable[[str], str]]]) -> list[str] | None:
    """Which normalisation steps are needed to make ``a`` and ``b`` equal, or None when none
    suffice.

    Steps are applied in order; a step is named only when leaving it out (keeping
    the others) breaks the equality, so the answer lists what really differs.
    """

    def apply(text: str, chosen: list[int]) -> str:
        for i in chosen:
            text = steps[i][1](text)
        return text

    for k in range(1, len(steps) + 1):
        chosen = list(range(k))
        if apply(a, chosen) == apply(b, chosen):
            return [
                steps[i][0]
                for i in chosen
                if apply(a, [j for j in chosen if j != i])
                != apply(b, [j for j in chosen if j != i])
            ]
    return None


_NAME_STEPS = [
    ("spacing", _spaces),
    ("case", str.casefold),
    ("diacritics", strip_diacritics),
    ("word_order", lambda t: " ".join(sorted(t.split()))),
]


def compare_name(chip: str, record: str) -> dict:
    a, b = _nfc(chip), _nfc(record)
    if a == b:
        return _result("same", chip, record)
    how = _explain(a, b, _NAME_STEPS)
    if how is None:
        return _result("differs", chip, record, ["other"], False)
    return _result("differs", chip, record, how, True)


_DATE_FORMATS = (
    (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"), ("y", "m", "d")),
    (re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"), ("y", "m", "d")),
    (re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$"), ("d", "m", "y")),
    (re.compile(r"^(\d{4})(\d{2})(\d{2})$"), ("y", "m", "d")),
    (re.compile(r"^(\d{2})(\d{2})(\d{4})$"), ("d", "m", "y")),
)


def _parse_date(text: str) -> tuple[int, int, int] | None:
    for pattern, order in _DATE_FORMATS:
        m = pattern.match(text.strip())
        if m:
            parts = dict(zip(order, (int(g) for g in m.groups()), strict=True))
            return parts["y"], parts["m"], parts["d"]
    return None


def _valid(y: int, m: int, d: int) -> bool:
    try:
        date(y, m, d)
        return True
    except ValueError:
        return False


def compare_birth_date(chip: str, record: str) -> dict:
    """``chip`` is ISO 8601; the record may use dd/mm/yyyy, yyyymmdd, ... or hold only the year."""
    if chip == record.strip():
        return _result("same", chip, record)
    c = _parse_date(chip)
    if c is None:
        return _result("differs", chip, record, ["chip_value_not_a_date"], False)
    rec = record.strip()
    if re.fullmatch(r"\d{4}", rec):
        # Some insurance records keep only the year of birth.
        same_year = int(rec) == c[0]
        return _result(
            "differs",
            chip,
            record,
            ["year_only"] if same_year else ["year_only", "other"],
            same_year,
        )
    r = _parse_date(rec)
    if r is None:
        return _result("differs", chip, record, ["unparseable"], False)
    if r == c:
        return _result("differs", chip, record, ["format"], True)
    if (r[0], r[2], r[1]) == c:
        # Read as the other convention (mm/dd) the record gives the chip's date.
        return _result("differs", chip, record, ["day_month_swap"], True)
    how = [name for name, i in (("year", 0), ("month", 1), ("day", 2)) if r[i] != c[i]]
    if not _valid(*r):
        how.append("invalid_date")
    return _result("differs", chip, record, [*how, "other"], False)


def _expand_abbreviations(text: str) -> str:
    return " ".join(_ABBREVIATIONS.get(t, t) for t in text.split())


_RESIDENCE_STEPS = [
    ("spacing", _spaces),
    ("punctuation", lambda t: _spaces(re.sub(r"[,.;:/\\-]+", " ", t))),
    ("case", str.casefold),
    ("diacritics", strip_diacritics),
    ("abbreviation", _expand_abbreviations),
]


def compare_residence(chip: str, record: str) -> dict:
    a, b = _nfc(chip), _nfc(record)
    if a == b:
        return _result("same", chip, record)
    how = _explain(a, b, _RESIDENCE_STEPS)
    if how is not None:
        return _result("differs", chip, record, how, True)
    ta = [_ for _ in _normal_address(a).split()]
    tb = [_ for _ in _normal_address(b).split()]
    if ta and tb and (ta[-len(tb) :] == tb or tb[-len(ta) :] == ta):
        # One is the other with its first parts (house number, street) left out.
        return _result("differs", chip, record, ["partial"], False)
    return _result("differs", chip, record, ["other"], False)


def _normal_address(text: str) -> str:
    for _, step in _RESIDENCE_STEPS:
        text = step(text)
    return text


def compare_id_number(chip: str, record: str) -> dict:
    if chip == record.strip():
        return _result("same", chip, record)
    digits = re.sub(r"\D", "", record)
    if digits == chip:
        return _result("differs", chip, record, ["formatting"], True)
    if len(digits) == 9 and chip.endswith(digits):
        # The 9-digit document number of the MRZ is the last 9 digits of the ID.
        return _result("differs", chip, record, ["document_number_given"], False)
    if len(digits) == len(chip):
        diff = [i for i in range(len(chip)) if chip[i] != digits[i]]
        if (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and chip[diff[0]] == digits[diff[1]]
            and chip[diff[1]] == digits[diff[0]]
        ):
            return _result("differs", chip, record, ["transposed_digits"], False)
        if len(diff) == 1:
            return _result("differs", chip, record, ["one_digit"], False)
    return _result("differs", chip, record, ["other"], False)


def compare_sex(chip: str, record: str) -> dict:
    if chip == record.strip():
        return _result("same", chip, record)
    a, b = _SEX.get(chip.strip().casefold()), _SEX.get(record.strip().casefold())
    if a and a == b:
        return _result("differs", chip, record, ["coding"], True)
    return _result("differs", chip, record, ["other"], False)


_COMPARERS = {
    "id_number": compare_id_number,
    "full_name": compare_name,
    "birth_date": compare_birth_date,
    "sex": compare_sex,
    "residence": compare_residence,
}


def compare_record(verified: dict, record: dict, fields: tuple[str, ...] | None = None) -> dict:
    """Compare ``record`` with ``verified`` for each field (only ``fields``: the profile's
    attributes)."""
    out: dict[str, dict] = {}
    for name in fields or FIELDS:
        if name not in _COMPARERS:
            continue
        chip, rec = verified.get(name), record.get(name)
        if rec is None or (isinstance(rec, str) and not rec.strip()):
            if name in record or chip is not None:
                out[name] = {
                    "status": "missing",
                    "chip": chip,
                    "record": rec,
                    "how": ["not_in_record"],
                }
            continue
        if chip is None:
            out[name] = {"status": "missing", "chip": None, "record": rec, "how": ["not_on_chip"]}
            continue
        out[name] = _COMPARERS[name](str(chip), str(rec))
    return out
