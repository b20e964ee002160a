"""QuickDisplay gives the same labels as Django's get_<field>_display."""

from django.db import models
from django.utils import translation

from uutu.people.models import Person
from uutu.pipeline.models import Case, CaseEvent


def test_every_choice_label_is_djangos():
    checked = 0
    for model in (Case, CaseEvent, Person):
        for field in model._meta.concrete_fields:
            if not field.choices:
                continue
            values = [value for value, _label in field.flatchoices] + ["khong-co-gia-tri"]
            for value in values:
                obj = model(**{field.attname: value})
                for language in ("vi", "en"):
                    with translation.override(language):
                        ours = getattr(obj, f"get_{field.name}_display")()
                        assert ours == models.Model._get_FIELD_display(obj, field)
                        assert isinstance(ours, str)
                checked += 1
    assert checked > 50  # the steps, statuses, organisations, ethnicities…
    assert Case(step="introduced").get_step_display() == "Giới thiệu cho chi bộ"
