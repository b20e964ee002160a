"""Working days (weekends, Vietnamese holidays, Tết, make-up Saturdays) and
calendar months."""

import datetime

import holidays
import pytest

from uutu.pipeline.workdays import (
    add_months,
    add_working_days,
    is_working_day,
    months_between,
    working_days_between,
)

D = datetime.date


def _vn(year):
    return holidays.country_holidays("VN", years=[year])


def test_tet_2026_days_are_not_working_days():
    tet = [day for day, name in _vn(2026).items() if "Tết Nguyên Đán" in name]
    assert tet  # the package knows the lunar new year
    for day in tet:
        assert not is_working_day(day), day
    assert is_working_day(D(2026, 2, 13)) and is_working_day(D(2026, 2, 23))


def test_weekends_are_not_working_days_except_make_up_saturdays():
    worked = sorted(d for d in _vn(2025).weekend_workdays if d.year == 2025)
    assert worked, "the package lists the Saturdays worked in exchange for a bridge day"
    for day in worked:
        assert day.weekday() == 5 and is_working_day(day)
    assert not is_working_day(D(2025, 4, 19)) and not is_working_day(D(2025, 4, 20))


@pytest.mark.parametrize("start", [D(2026, 2, 13), D(2025, 4, 25), D(2025, 12, 31), D(2024, 8, 30)])
@pytest.mark.parametrize("count", [1, 5, 30, 60])
def test_add_working_days_matches_a_day_by_day_walk(start, count):
    vn = holidays.country_holidays("VN", years=range(start.year, start.year + 2))
    off, worked = set(vn), set(vn.weekend_workdays)
    day, left = start, count
    while left:
        day += datetime.timedelta(days=1)
        if day in worked or (day.weekday() < 5 and day not in off):
            left -= 1
    assert add_working_days(start, count) == day
    assert working_days_between(start, day) == count
    assert working_days_between(day, start) == -count
    assert add_working_days(start, 0) == start


def test_working_days_between_the_same_day_is_zero():
    assert working_days_between(D(2026, 2, 17), D(2026, 2, 17)) == 0
    # over Tết: Friday 13 to Monday 23 February 2026 is one working day
    assert working_days_between(D(2026, 2, 13), D(2026, 2, 23)) == 1


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (D(2025, 1, 31), 1, D(2025, 2, 28)),
        (D(2024, 1, 31), 1, D(2024, 2, 29)),
        (D(2025, 3, 15), -3, D(2024, 12, 15)),
        (D(2025, 7, 1), 12, D(2026, 7, 1)),
        (D(2024, 2, 29), 12, D(2025, 2, 28)),
        (D(2025, 12, 10), 1, D(2026, 1, 10)),
    ],
)
def test_add_months(day, months, expected):
    assert add_months(day, months) == expected


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        (D(2007, 11, 22), D(2025, 11, 22), 216),  # exactly 18 years
        (D(2007, 11, 23), D(2025, 11, 22), 215),  # one day short
        (D(2025, 1, 31), D(2025, 2, 28), 1),
        (D(2025, 1, 31), D(2025, 2, 27), 0),
        (D(2020, 5, 5), D(2025, 5, 5), 60),
        (D(2020, 5, 5), D(2025, 6, 4), 60),
        (D(2020, 5, 5), D(2025, 6, 5), 61),
    ],
)
def test_months_between(start, end, months):
    assert months_between(start, end) == months
