"""Working days: Monday to Friday, less Vietnamese public holidays (including the
lunar Tết days and substitute days off), plus the Saturdays worked in exchange for
a bridge day off (e.g. Saturday 26/04/2025 for Friday 02/05/2025), all from the
``holidays`` package."""

import calendar
import datetime
from functools import cache

import holidays


@cache
def _calendar_of(year: int) -> tuple[frozenset[datetime.date], frozenset[datetime.date]]:
    """The days off (holidays) and the weekend days worked in ``year``."""
    vn = holidays.country_holidays("VN", years=[year])
    worked = getattr(vn, "weekend_workdays", set())
    return frozenset(vn.keys()), frozenset(d for d in worked if d.year == year)


def _holidays_of(year: int) -> frozenset[datetime.date]:
    return _calendar_of(year)[0]


def is_working_day(day: datetime.date) -> bool:
    days_off, weekend_worked = _calendar_of(day.year)
    if day in weekend_worked:
        return True
    return day.weekday() < 5 and day not in days_off


def add_working_days(start: datetime.date, days: int) -> datetime.date:
    """The date ``days`` working days after ``start`` (``start`` itself not counted)."""
    day = start
    remaining = days
    while remaining > 0:
        day += datetime.timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day


def working_days_between(start: datetime.date, end: datetime.date) -> int:
    """Working days after ``start`` up to and including ``end`` (negative if before)."""
    if end < start:
        return -working_days_between(end, start)
    count, day = 0, start
    while day < end:
        day += datetime.timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count


def add_months(day: datetime.date, months: int) -> datetime.date:
    """Same day ``months`` later, clamped to the month's last day (31/1 + 1 → 28/2)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def months_between(start: datetime.date, end: datetime.date) -> int:
    """Whole months from ``start`` to ``end`` (age in months, a certificate's age…)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    if add_months(start, months) > end:
        months -= 1
    return months
