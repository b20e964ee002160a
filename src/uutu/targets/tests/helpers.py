"""Shared helpers of the targets tests: periods relative to today (pipeline events
cannot be dated in the future) and introductions recorded through the pipeline."""

import datetime

from uutu.pipeline.models import Step
from uutu.pipeline.tests.test_services import ago, member, walk
from uutu.targets.models import Period

__all__ = ["ago", "introduce", "member", "past_period", "period_2024"]


def past_period(start_days=240, end_days=60, name="Kỳ thử nghiệm") -> Period:
    """A half-year-like period that ended ``end_days`` ago."""
    return Period.objects.create(
        kind=Period.Kind.HALF, name=name, start=ago(start_days), end=ago(end_days)
    )


def period_2024() -> Period:
    return Period.year(2024)


def introduce(w, person, on: datetime.date):
    """Record her introduction to the Party on ``on`` (actor None, as a command)."""
    return walk(w, person, Step.INTRODUCED, on=on, anonymous=True)
