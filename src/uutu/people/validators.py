"""Checks on a member's personal data, with messages in Vietnamese."""

import datetime

from django.core.exceptions import ValidationError

# Third to sixth digit of a CCCD: the century-and-sex code, then the year of birth
# (Thông tư 07/2016/TT-BCA, art. 7). Even codes are men, odd codes women.
_CENTURY = {
    0: 1900,
    1: 1900,
    2: 2000,
    3: 2000,
    4: 2100,
    5: 2100,
    6: 2200,
    7: 2200,
    8: 2300,
    9: 2300,
}


# The place-of-birth codes: the 63 pre-2025 province codes, as the vietnam-provinces
# package lists them (``vietnam_provinces.legacy.Province``; a test checks that this
# table is that list). A constant: loading the package costs 0.5-1 s in a fresh
# process, and the codes of 2016-2025 CCCDs will not change.
BIRTH_PLACE_CODES = frozenset(
    {
        1, 2, 4, 6, 8, 10, 11, 12, 14, 15, 17, 19, 20, 22, 24, 25, 26, 27, 30, 31, 33,
        34, 35, 36, 37, 38, 40, 42, 44, 45, 46, 48, 49, 51, 52, 54, 56, 58, 60, 62, 64,
        66, 67, 68, 70, 72, 74, 75, 77, 79, 80, 82, 83, 84, 86, 87, 89, 91, 92, 93, 94,
        95, 96,
    }
)  # fmt: skip


def _birth_place_codes() -> frozenset[int]:
    """The place-of-birth codes (:data:`BIRTH_PLACE_CODES`)."""
    return BIRTH_PLACE_CODES


def validate_cccd(value: str, birth_date: datetime.date | None = None) -> None:
    """Raise ValidationError unless ``value`` is a plausible CCCD for a woman born
    on ``birth_date``."""
    if value is None or value == "":
        return
    if not value.isdigit() or len(value) != 12:
        raise ValidationError("Số CCCD phải gồm đúng 12 chữ số.", code="cccd_format")
    place = int(value[:3])
    if place not in _birth_place_codes():
        raise ValidationError(
            f"Số CCCD không hợp lệ: mã tỉnh nơi đăng ký khai sinh “{value[:3]}” không tồn tại.",
            code="cccd_place",
        )
    sex_century = int(value[3])
    if sex_century % 2 == 0:
        raise ValidationError(
            "Số CCCD không hợp lệ: chữ số thứ 4 là mã giới tính nam, hội viên phải là nữ.",
            code="cccd_sex",
        )
    year = _CENTURY[sex_century] + int(value[4:6])
    if birth_date is not None and birth_date.year != year:
        raise ValidationError(
            f"Số CCCD không khớp ngày sinh: CCCD ghi năm sinh {year}, "
            f"còn ngày sinh là năm {birth_date.year}.",
            code="cccd_year",
        )


def validate_past_date(value: datetime.date | None, label: str) -> None:
    if value and value > datetime.date.today():
        raise ValidationError(f"{label} không được ở tương lai.", code="future_date")
