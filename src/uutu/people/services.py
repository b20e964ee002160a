"""Service functions for the member registry: every create, edit, move, archive,
position and party-status change goes through here, inside a transaction, with
the rules checked and an audit row written. Views, imports and commands call
these functions; none of them saves a Person directly."""

import datetime
import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from uutu.core import audit
from uutu.core.scoping import require_in_scope
from uutu.core.text import fold
from uutu.orgs.models import Tree

from .models import Membership, Party, PartyStatusPeriod, Person, Position, PositionKind
from .validators import validate_cccd, validate_past_date

BRANCH_LEVEL_CODES = ("hoi_branch",)
CONTACT_FIELDS = ("phone", "residence", "occupation", "working_away")


def _check_branch(branch) -> None:
    if branch is None:
        raise ValidationError({"branch": "Chưa chọn chi hội."})
    if branch.tree != Tree.HOI or branch.level.code not in BRANCH_LEVEL_CODES:
        raise ValidationError({"branch": f"“{branch.name}” không phải là một chi hội."})
    if not branch.is_active:
        raise ValidationError({"branch": f"Chi hội “{branch.name}” đã giải thể hoặc sáp nhập."})


TWIN_MESSAGE = "Chi hội đã có hội viên cùng họ tên và ngày sinh này (có thể bạn đã lưu rồi)."


def cccd_clash_message(cccd: str) -> str:
    return f"Số CCCD {cccd} đã có trong hệ thống (thuộc một hội viên khác)."


_CLEAN_PLAN: dict = {}


def _clean_plan(model) -> list:
    """(field, attname, name, blank, empty values, quick check) of the fields
    ``clean_fields`` checks, worked out once per model (see :func:`_quick_check`)."""
    plan = _CLEAN_PLAN.get(model)
    if plan is None:
        plan = _CLEAN_PLAN[model] = [
            (f, f.attname, f.name, f.blank, f.empty_values, _quick_check(f))
            for f in model._meta.fields
            if f.name != "branch" and not getattr(f, "generated", False)
        ]
    return plan


def _quick_check(field):
    """For a text or date field whose ``clean`` is Django's own (no choices; only
    length and regular-expression validators), a function ``value → bool`` that is
    True only when ``field.clean(value, person)`` returns ``value`` itself without an
    error: a non-empty string within the length that each regular expression
    accepts, or a date. False means "not sure": ``field.clean`` decides, with its
    own messages. None for the other fields (their values repeat: the cache of
    :func:`_clean_fields` serves them)."""
    from django.core.validators import MaxLengthValidator, RegexValidator
    from django.db.models import CharField, DateField, DateTimeField
    from django.db.models.fields import Field

    cls = type(field)
    if field.choices is not None or not (
        cls.clean is Field.clean
        and cls.validate is Field.validate
        and cls.run_validators is Field.run_validators
    ):
        return None
    if isinstance(field, DateField) and not isinstance(field, DateTimeField):
        if cls.to_python is not DateField.to_python or field.validators:
            return None
        date = datetime.date
        return lambda value: type(value) is date
    if not isinstance(field, CharField) or cls.to_python is not CharField.to_python:
        return None
    limit, patterns = None, []
    for validator in field.validators:
        kind = type(validator)
        if kind is MaxLengthValidator and type(validator.limit_value) is int and limit is None:
            limit = validator.limit_value
        elif kind is RegexValidator:
            regex = re.compile(validator.regex.pattern, validator.regex.flags)
            patterns.append((regex.search, bool(validator.inverse_match)))
        else:
            return None
    if limit is None:
        return None

    def check(value) -> bool:
        if type(value) is not str or not value or len(value) > limit:
            return False
        for search, inverse in patterns:  # noqa: SIM110 - a loop costs less than all()
            if (search(value) is not None) == inverse:
                return False
        return True

    return check


def _clean_fields(person: Person, cache: dict) -> dict[str, list]:
    """``Model.clean_fields`` (what ``full_clean`` runs for a member, who has no
    ``clean()``), remembering each (field, value) result in ``cache``: a field's
    check depends on its value only, and an import repeats the same ethnic group,
    education or yes/no thousands of times. A value the field's quick check
    accepts (:func:`_quick_check`: a name, a CCCD, a phone number, a date, each
    usually different) is not checked again nor remembered."""
    errors: dict[str, list] = {}
    values = person.__dict__
    for field, attname, name, blank, empty, quick in _clean_plan(type(person)):
        raw = values[attname]
        if blank and raw in empty:
            continue
        if quick is not None and quick(raw):
            continue
        key = (attname, raw)
        try:
            hit = cache.get(key)
        except TypeError:  # an unhashable value: check it without the cache
            key, hit = None, None
        if hit is None:
            try:
                hit = (True, field.clean(raw, person))
            except ValidationError as exc:
                hit = (False, exc.error_list)
            if key is not None:
                cache[key] = hit
        ok, result = hit
        if ok:
            if result is not raw:
                setattr(person, attname, result)
        else:
            errors[name] = ValidationError(result).messages
    return errors


def field_errors(person: Person, cache: dict | None = None) -> dict[str, list]:
    """The rules that need no query, keyed by field (the bulk import checks the
    others, CCCD clash and twin, for a whole chunk at once). With ``cache`` the
    field checks remember their results (see :func:`_clean_fields`)."""
    errors: dict[str, list] = {}

    def add(field, exc):
        errors.setdefault(field, []).extend(exc.messages)

    if cache is not None:
        errors.update(_clean_fields(person, cache))
    else:
        try:
            person.full_clean(exclude=["branch"], validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            for field, msgs in exc.message_dict.items():
                errors.setdefault(field, []).extend(msgs)
    if person.full_name and len(person.full_name.split()) < 2:
        errors.setdefault("full_name", []).append("Vui lòng nhập đầy đủ họ và tên.")
    for field, label in (("birth_date", "Ngày sinh"), ("joined_hoi_on", "Ngày vào Hội")):
        try:
            validate_past_date(getattr(person, field), label)
        except ValidationError as exc:
            add(field, exc)
    if person.birth_date and person.birth_date.year < 1900:
        errors.setdefault("birth_date", []).append("Ngày sinh không hợp lệ.")
    if person.birth_date and person.joined_hoi_on and person.joined_hoi_on < person.birth_date:
        errors.setdefault("joined_hoi_on", []).append("Ngày vào Hội phải sau ngày sinh.")
    if person.cccd and "cccd" not in errors:
        try:
            validate_cccd(person.cccd, person.birth_date)
        except ValidationError as exc:
            add("cccd", exc)
    if person.is_exemplar and not person.exemplar_citation.strip():
        errors.setdefault("exemplar_citation", []).append(
            "Gương điển hình cần ghi tóm tắt thành tích."
        )
    return errors


def validate_person(person: Person) -> None:
    """Every field rule, collected into one ValidationError keyed by field."""
    errors = field_errors(person)
    if person.cccd and "cccd" not in errors:
        clash = Person.objects.filter(cccd=person.cccd).exclude(pk=person.pk).exists()
        if clash:
            errors.setdefault("cccd", []).append(cccd_clash_message(person.cccd))
    if person.full_name and person.birth_date and person.branch_id:
        twin = (
            Person.objects.filter(
                search_name=fold(person.full_name),
                birth_date=person.birth_date,
                branch_id=person.branch_id,
                archived_at__isnull=True,
            )
            .exclude(pk=person.pk)
            .exists()
        )
        if twin:
            errors.setdefault("full_name", []).append(TWIN_MESSAGE)
    if errors:
        raise ValidationError(errors)


def new_person(branch, **fields) -> Person:
    """An unsaved member of ``branch`` with ``fields`` (the name trimmed)."""
    person = Person(branch=branch, **fields)
    person.full_name = (person.full_name or "").strip()
    return person


def initial_history_values(person: Person, on: datetime.date | None = None):
    """The field values (besides ``person``) of a new member's first
    :class:`Membership` and :class:`PartyStatusPeriod`, from ``on`` (default: the
    day she joined the Hội, else today). Bulk writers (the member import) insert
    these as plain rows."""
    start = on or person.joined_hoi_on or datetime.date.today()
    return (
        {"branch_id": person.branch_id, "start": start, "reason": "Đăng ký"},
        {"status": person.party_status, "start": start},
    )


def initial_history(person: Person, on: datetime.date | None = None):
    """The unsaved first :class:`Membership` and :class:`PartyStatusPeriod` of a new
    member (:func:`initial_history_values`)."""
    membership, period = initial_history_values(person, on)
    return Membership(person=person, **membership), PartyStatusPeriod(person=person, **period)


def set_fields(person: Person, fields: dict, *, contact_only: bool = False) -> Person:
    """Apply an edit to ``person`` in memory, refusing the fields that have their
    own service (branch, party status, archive) and, for ``contact_only``, any
    field a branch head may not edit."""
    allowed = CONTACT_FIELDS if contact_only else None
    for name, value in fields.items():
        if name in ("branch", "branch_id", "party_status", "archived_at"):
            raise ValidationError("Dùng chức năng chuyển sinh hoạt / lưu trữ cho thay đổi này.")
        if allowed is not None and name not in allowed:
            raise ValidationError(f"Bạn không được sửa trường “{name}”.")
        setattr(person, name, value)
    return person


@transaction.atomic
def create_person(*, actor, branch, on: datetime.date | None = None, **fields) -> Person:
    """Register a member in ``branch`` from ``on`` (default: the day she joined the
    Hội, else today)."""
    _check_branch(branch)
    person = new_person(branch, **fields)
    validate_person(person)
    person.save()
    membership, party = initial_history(person, on)
    membership.save()
    party.save()
    if actor is not None:
        require_in_scope(actor, person, "people.add")
    audit.record("people.person.created", person, after=audit.snapshot(person), user=actor)
    return person


@transaction.atomic
def update_person(person: Person, *, actor, contact_only: bool = False, **fields) -> Person:
    """Edit a member's data. ``contact_only`` limits the change to the fields a
    branch head may edit (phone, residence, occupation, working away)."""
    person = Person.objects.select_for_update().get(pk=person.pk)
    before = audit.snapshot(person)
    set_fields(person, fields, contact_only=contact_only)
    validate_person(person)
    person.save()
    after = audit.snapshot(person)
    if before != after:
        audit.record("people.person.updated", person, before=before, after=after, user=actor)
    if before.get("full_name") != after.get("full_name"):
        from uutu.pipeline.services import refresh_search_names  # her cases' search text

        refresh_search_names([person.pk])
    return person


@transaction.atomic
def move_person(
    person: Person,
    *,
    to_branch,
    on: datetime.date,
    reason: str = "",
    actor=None,
    check_scope: bool = True,
) -> Person:
    """Move a member to another chi hội from ``on``; her membership history keeps
    the old branch."""
    person = Person.objects.select_for_update().get(pk=person.pk)
    _check_branch(to_branch)
    if person.is_archived:
        raise ValidationError("Hội viên đã được lưu trữ, không thể chuyển sinh hoạt.")
    if to_branch.pk == person.branch_id:
        raise ValidationError({"branch": "Hội viên đang sinh hoạt ở chi hội này."})
    validate_past_date(on, "Ngày chuyển")
    current = person.memberships.filter(end__isnull=True).first()
    if current and on < current.start:
        raise ValidationError(
            f"Ngày chuyển phải từ ngày {current.start:%d/%m/%Y} (ngày bắt đầu sinh hoạt ở "
            "chi hội hiện tại) trở về sau."
        )
    before = audit.snapshot(person)
    if current:
        current.end = on
        current.save(update_fields=["end"])
    Membership.objects.create(person=person, branch=to_branch, start=on, reason=reason)
    old_branch = person.branch
    person.branch = to_branch
    person.save(update_fields=["branch", "updated_at"])
    from uutu.pipeline import counters
    from uutu.pipeline.models import Case  # the case follows her to the new branch

    if Case.objects.filter(person=person, status__in=["open", "paused"]).update(branch=to_branch):
        counters.figures_changed([old_branch.path, to_branch.path])  # both overdue lists
    if check_scope and actor is not None:
        require_in_scope(actor, person, "people.move")
    audit.record(
        "people.person.moved", person, before=before, after=audit.snapshot(person), user=actor
    )
    return person


@transaction.atomic
def archive_person(person: Person, *, reason: str, actor) -> Person:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Vui lòng ghi lý do lưu trữ."})
    person = Person.objects.select_for_update().get(pk=person.pk)
    if person.is_archived:
        raise ValidationError("Hội viên đã được lưu trữ trước đó.")
    before = audit.snapshot(person)
    person.archived_at = timezone.now()
    person.archive_reason = reason
    person.save(update_fields=["archived_at", "archive_reason", "updated_at"])
    today = timezone.localdate()
    person.memberships.filter(end__isnull=True).update(end=today)
    person.positions.filter(end__isnull=True).update(end=today)
    _heads_changed(person.pk)
    audit.record(
        "people.person.archived", person, before=before, after=audit.snapshot(person), user=actor
    )
    return person


@transaction.atomic
def restore_person(person: Person, *, actor) -> Person:
    person = Person.objects.select_for_update().get(pk=person.pk)
    if not person.is_archived:
        raise ValidationError("Hội viên không ở trạng thái lưu trữ.")
    _check_branch(person.branch)
    before = audit.snapshot(person)
    person.archived_at = None
    person.archive_reason = ""
    person.save(update_fields=["archived_at", "archive_reason", "updated_at"])
    Membership.objects.create(
        person=person, branch=person.branch, start=timezone.localdate(), reason="Khôi phục"
    )
    audit.record(
        "people.person.restored", person, before=before, after=audit.snapshot(person), user=actor
    )
    return person


def _heads_changed(person_id: int) -> None:
    """Keep the branch-head figures' rows (uutu.pipeline.counters) exact, in this
    transaction."""
    from uutu.pipeline import counters

    counters.heads_changed([person_id])


_UNIT_LEVEL_FOR_POSITION = {
    PositionKind.BRANCH_HEAD: ("hoi_branch",),
    PositionKind.BRANCH_DEPUTY: ("hoi_branch",),
    PositionKind.GROUP_HEAD: ("hoi_group",),
    PositionKind.GROUP_DEPUTY: ("hoi_group",),
}
SINGLE_HOLDER = (PositionKind.BRANCH_HEAD, PositionKind.GROUP_HEAD, PositionKind.CHAIR)


@transaction.atomic
def start_position(person: Person, *, kind: str, unit, start: datetime.date, actor) -> Position:
    """Record that ``person`` holds ``kind`` in ``unit`` from ``start``."""
    if kind not in PositionKind.values:
        raise ValidationError({"kind": "Chức vụ không hợp lệ."})
    if person.is_archived:
        raise ValidationError("Hội viên đã được lưu trữ.")
    validate_past_date(start, "Ngày bắt đầu")
    levels = _UNIT_LEVEL_FOR_POSITION.get(kind)
    if unit.tree != Tree.HOI or (levels and unit.level.code not in levels):
        raise ValidationError({"unit": f"Chức vụ này không thuộc “{unit.name}”."})
    if not person.branch.is_within(unit) and not unit.is_within(person.branch):
        raise ValidationError({"unit": "Hội viên không sinh hoạt trong đơn vị này."})
    if person.positions.filter(kind=kind, unit=unit, end__isnull=True).exists():
        raise ValidationError("Hội viên đang giữ chức vụ này.")
    if kind in SINGLE_HOLDER:
        holder = Position.objects.filter(kind=kind, unit=unit, end__isnull=True).first()
        if holder is not None:
            raise ValidationError(
                f"{unit.name} đang có {PositionKind(kind).label.lower()} là "
                f"{holder.person.full_name}. Hãy kết thúc chức vụ đó trước."
            )
    position = Position.objects.create(person=person, kind=kind, unit=unit, start=start)
    _heads_changed(person.pk)
    if actor is not None:
        require_in_scope(actor, person, "people.change")
    audit.record(
        "people.position.started",
        position,
        after=audit.snapshot(position),
        unit=unit,
        user=actor,
        repr_text=f"{person.full_name}: {position}",
    )
    return position


@transaction.atomic
def end_position(position: Position, *, end: datetime.date, actor) -> Position:
    if position.end is not None:
        raise ValidationError("Chức vụ đã kết thúc.")
    if end < position.start:
        raise ValidationError({"end": "Ngày kết thúc phải sau ngày bắt đầu."})
    validate_past_date(end, "Ngày kết thúc")
    before = audit.snapshot(position)
    position.end = end
    position.save(update_fields=["end"])
    _heads_changed(position.person_id)
    audit.record(
        "people.position.ended",
        position,
        before=before,
        after=audit.snapshot(position),
        unit=position.unit,
        user=actor,
        repr_text=f"{position.person.full_name}: {position}",
    )
    return position


@transaction.atomic
def set_party_status(
    person: Person, *, status: str, on: datetime.date, doc_no: str = "", actor
) -> Person:
    """Record a change of party status from ``on``."""
    if status not in Party.values:
        raise ValidationError({"status": "Tình trạng không hợp lệ."})
    validate_past_date(on, "Ngày")
    person = Person.objects.select_for_update().get(pk=person.pk)
    if status == person.party_status:
        raise ValidationError("Tình trạng đảng viên không thay đổi.")
    current = person.party_periods.filter(end__isnull=True).first()
    if current and on < current.start:
        raise ValidationError(f"Ngày phải từ {current.start:%d/%m/%Y} trở về sau.")
    before = audit.snapshot(person)
    if current:
        current.end = on
        current.save(update_fields=["end"])
    PartyStatusPeriod.objects.create(person=person, status=status, start=on, doc_no=doc_no)
    person.party_status = status
    person.save(update_fields=["party_status", "updated_at"])
    _heads_changed(person.pk)
    audit.record(
        "people.party_status.changed",
        person,
        before=before,
        after=audit.snapshot(person),
        user=actor,
    )
    return person
