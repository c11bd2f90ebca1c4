"""Synthetic Vietnamese citizens for the virtual CCCD.

Every person here is invented: names are common Vietnamese names put together
at random, addresses are plausible but made up, and the serial parts of the ID
numbers are arbitrary. Citizen 0 and 1 carry the ID numbers, dates and MRZ of
the *public mock samples* quoted in cccd-chip.md so the MRZ builder can be
checked against them. Nothing here is a real person's data.

12-digit ID (Decree 137/2015 layout): 3-digit province code, a century/sex
digit (0 male / 1 female born 1900-1999, 2 / 3 for 2000-2099), the last two
digits of the birth year, then 6 serial digits.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date

from .lds.mrz import td1_lines

NO_EXPIRY_TEXT = "Không thời hạn"  # DG13 field 12 on cards of people over 60
FAR_MRZ_EXPIRY = "991231"  # what such a card prints as MRZ expiry


@dataclass(frozen=True)
class Citizen:
    id_number: str
    full_name: str
    birth_date: date
    sex: str  # "Nam" / "Nữ"
    place_of_origin: str
    residence: str
    identifying_marks: str
    issue_date: date
    expiry_date: date | None  # None: no expiry ("Không thời hạn")
    father_name: str
    mother_name: str
    spouse_name: str = ""
    old_id_number: str = ""  # 9-digit CMND, empty when the person never had one
    nationality: str = "Việt Nam"
    ethnicity: str = "Kinh"
    religion: str = "Không"
    extra_fields: dict[int, str] = field(default_factory=dict)  # 2024 card: DG13 fields 17+
    mrz_expiry_override: str | None = None  # e.g. '<<<<<<'

    def __post_init__(self) -> None:
        if len(self.id_number) != 12 or not self.id_number.isdigit():
            raise ValueError("an ID number has 12 digits")
        if self.sex not in ("Nam", "Nữ"):
            raise ValueError("sex is 'Nam' or 'Nữ'")
        century_sex = int(self.id_number[3])
        expected = (self.birth_date.year // 100 - 19) * 2 + (1 if self.sex == "Nữ" else 0)
        if century_sex != expected or self.id_number[4:6] != f"{self.birth_date.year % 100:02d}":
            raise ValueError(f"ID {self.id_number} does not match the birth year and sex")

    # --- what the chip and the MRZ derive from the person -----------------------------
    @property
    def can(self) -> str:
        return self.id_number[-6:]

    @property
    def document_number(self) -> str:
        return self.id_number[-9:]

    @property
    def sex_mrz(self) -> str:
        return "M" if self.sex == "Nam" else "F"

    @property
    def birth_yymmdd(self) -> str:
        return self.birth_date.strftime("%y%m%d")

    @property
    def expiry_yymmdd(self) -> str:
        if self.mrz_expiry_override is not None:
            return self.mrz_expiry_override
        return self.expiry_date.strftime("%y%m%d") if self.expiry_date else FAR_MRZ_EXPIRY

    @property
    def expiry_text(self) -> str:
        """DG13 field 12: a date, or the words of a card without expiry."""
        return self.expiry_date.strftime("%d/%m/%Y") if self.expiry_date else NO_EXPIRY_TEXT

    @property
    def field16(self) -> str:
        """16 printable characters of unconfirmed meaning; derived, so stable per person."""
        return hashlib.sha256(("field16:" + self.id_number).encode()).hexdigest()[:16].upper()

    def mrz_lines(self) -> tuple[str, str, str]:
        return td1_lines(
            document_number=self.document_number,
            id_number=self.id_number,
            birth_date=self.birth_yymmdd,
            sex=self.sex_mrz,
            expiry_date=self.expiry_yymmdd,
            full_name=self.full_name,
        )

    def dg13_fields(self) -> dict[int, object]:
        """DG13 field number -> value (str, or a pair for field 13, or None for 'no spouse')."""
        fields: dict[int, object] = {
            1: self.id_number,
            2: self.full_name,
            3: self.birth_date.strftime("%d/%m/%Y"),
            4: self.sex,
            5: self.nationality,
            6: self.ethnicity,
            7: self.religion,
            8: self.place_of_origin,
            9: self.residence,
            10: self.identifying_marks,
            11: self.issue_date.strftime("%d/%m/%Y"),
            12: self.expiry_text,
            13: (self.father_name, self.mother_name),
            14: self.spouse_name or None,
            15: self.old_id_number,
            16: self.field16,
        }
        fields.update(self.extra_fields)
        return fields


# Over 200 bytes of UTF-8, so DG13 and its entry need long-form lengths.
_LONG_RESIDENCE = (
    "Căn hộ số 1208, Tầng 12, Tòa nhà Chung cư Thử Nghiệm Khánh Hội, Số 360C "
    "Đường Bến Vân Đồn, Khu phố 4, Phường Mười Bốn, Quận Tư, Thành phố Hồ Chí Minh, "
    "Việt Nam (địa chỉ giả lập)"
)

CITIZENS: tuple[Citizen, ...] = (
    Citizen(
        "001093047064",
        "Nguyễn Văn An",
        date(1993, 1, 5),
        "Nam",
        "Xã Phú Thượng, Huyện Thử Nghiệm, Hà Nội",
        "Số 12 Ngõ 34 Phố Giả Lập, Phường Láng Hạ, Quận Đống Đa, Hà Nội",
        "Nốt ruồi C:2cm dưới sau đuôi mắt trái",
        date(2021, 4, 12),
        date(2033, 1, 5),
        "Nguyễn Văn Bình",
        "Trần Thị Cúc",
        "Lê Thị Dung",
        "013456789",
    ),
    Citizen(
        "051091005513",
        "Trần Minh Khôi",
        date(1991, 1, 1),
        "Nam",
        "Xã Tịnh Thử, Huyện Sơn Tịnh, Quảng Ngãi",
        "Thôn Giả Định, Xã Bình Thử, Huyện Bình Sơn, Quảng Ngãi",
        "Sẹo chấm C:1cm trên trước đầu mày phải",
        date(2021, 6, 30),
        date(2031, 1, 1),
        "Trần Văn Lực",
        "Phạm Thị Mai",
        "",
        "212345678",
    ),
    Citizen(
        "079195001234",
        "Lê Thị Hồng Nhung",
        date(1995, 7, 21),
        "Nữ",
        "Phường Thử Nghiệm, Quận Năm, Thành phố Hồ Chí Minh",
        _LONG_RESIDENCE,
        "Nốt ruồi C:1cm trên trước cánh mũi phải",
        date(2022, 3, 15),
        date(2035, 7, 21),
        "Lê Văn Hải",
        "Võ Thị Lan",
        "Đặng Quốc Việt",
        "025987654",
    ),
    Citizen(
        "048052000777",
        "Phạm Đức Thọ",
        date(1952, 11, 2),
        "Nam",
        "Xã Hòa Thử, Huyện Hòa Vang, Đà Nẵng",
        "Tổ 5, Phường Giả Lập, Quận Hải Châu, Đà Nẵng",
        "Sẹo dài 3cm ở cằm",
        date(2021, 2, 1),
        None,
        "Phạm Văn Tường",
        "Hoàng Thị Nụ",
        "Ngô Thị Xuân",
        "201111222",
    ),
    Citizen(
        "031304009876",
        "Vũ Ngọc Ánh",
        date(2004, 9, 9),
        "Nữ",
        "Xã An Thử, Huyện An Dương, Hải Phòng",
        "Số 8 Đường Mẫu, Phường Cầu Đất, Quận Ngô Quyền, Hải Phòng",
        "Không",
        date(2022, 10, 10),
        date(2029, 9, 9),
        "Vũ Văn Hùng",
        "Đỗ Thị Hạnh",
        "",
        "",
    ),
    Citizen(
        "038187123456",
        "Hoàng Thị Thu Hà",
        date(1987, 3, 8),
        "Nữ",
        "Xã Quảng Thử, Huyện Quảng Xương, Thanh Hóa",
        "Thôn Mẫu Một, Xã Quảng Thử, Huyện Quảng Xương, Thanh Hóa",
        "Nốt ruồi C:0,5cm dưới trước mép trái",
        date(2021, 8, 20),
        date(2027, 3, 8),
        "Hoàng Văn Sơn",
        "Bùi Thị Tâm",
        "Trịnh Văn Quang",
        "172345678",
    ),
    Citizen(
        "040080246810",
        "Đặng Quang Huy",
        date(1980, 12, 31),
        "Nam",
        "Xã Nghi Thử, Huyện Nghi Lộc, Nghệ An",
        "Khối Giả Lập 3, Phường Hưng Bình, Thành phố Vinh, Nghệ An",
        "Sẹo chấm C:1cm dưới sau tai trái",
        date(2021, 5, 5),
        date(2040, 12, 31),
        "Đặng Văn Minh",
        "Lê Thị Oanh",
        "Hồ Thị Phương",
        "186543210",
    ),
    Citizen(
        "092198135790",
        "Huỳnh Gia Bảo Trân",
        date(1998, 2, 14),
        "Nữ",  # a "2024 card"
        "Phường Thử, Quận Ninh Kiều, Cần Thơ",
        "Số 21 Hẻm Mẫu, Phường An Khánh, Quận Ninh Kiều, Cần Thơ",
        "Nốt ruồi C:1cm trên sau mắt phải",
        date(2024, 7, 1),
        date(2038, 2, 14),
        "Huỳnh Văn Phúc",
        "Lâm Thị Ngọc",
        "",
        "",
        extra_fields={
            17: "Bé Trân",
            18: "Ủy ban nhân dân Phường An Khánh, Quận Ninh Kiều, Cần Thơ",
            19: "O+",
        },
    ),
    Citizen(
        "046325000123",
        "Ngô Minh Thư",
        date(2025, 1, 20),
        "Nữ",
        "Phường Thử, Thành phố Huế, Thừa Thiên Huế",
        "Số 3 Kiệt Mẫu, Phường Vĩnh Ninh, Thành phố Huế",
        "",
        date(2025, 3, 3),
        date(2039, 1, 20),
        "Ngô Văn Tài",
        "Phan Thị Yến",
        "",
        "",
    ),
)


def citizen(n: int) -> Citizen:
    """Person ``n``, wrapping around the list so any index is valid."""
    return CITIZENS[n % len(CITIZENS)]
