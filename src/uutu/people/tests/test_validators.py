"""The CCCD check's constant table of place-of-birth codes is the reference data's."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from uutu.people import validators


def test_birth_place_codes_are_the_63_provinces_of_vietnam_provinces():
    from vietnam_provinces.legacy import Province

    package = frozenset(int(p.code) for p in Province.iter_all())
    assert package == validators.BIRTH_PLACE_CODES
    assert len(validators.BIRTH_PLACE_CODES) == 63
    assert validators._birth_place_codes() is validators.BIRTH_PLACE_CODES


@pytest.mark.parametrize(
    ("value", "birth", "code"),
    [
        ("12345", None, "cccd_format"),
        ("00419212345a", None, "cccd_format"),
        ("003192123456", None, "cccd_place"),  # 003 is no province's code
        ("999192123456", None, "cccd_place"),
        ("004092123456", None, "cccd_sex"),
        ("004185123456", datetime.date(1992, 1, 1), "cccd_year"),
    ],
)
def test_cccd_errors(value, birth, code):
    with pytest.raises(ValidationError) as err:
        validators.validate_cccd(value, birth)
    assert err.value.code == code


@pytest.mark.parametrize("value", ["", None, "001192000000", "096301000001", "004185123456"])
def test_valid_cccds(value):
    validators.validate_cccd(value, datetime.date(1985, 1, 1) if value == "004185123456" else None)
