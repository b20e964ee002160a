"""The member registry: women members of the Hội, their branch history, positions
and party status."""

import datetime

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from uutu.core.fields import PathField
from uutu.core.models import QuickDisplay
from uutu.core.scoping import ScopedQuerySet
from uutu.core.text import fold, name_fields

from .reference import EDUCATION_CHOICES, ETHNICITY_CHOICES, RELIGION_CHOICES

cccd_validator = RegexValidator(
    r"^\d{12}$", _("Số CCCD phải gồm đúng 12 chữ số."), code="cccd_format"
)
phone_validator = RegexValidator(
    r"^(\+?84|0)\d{9,10}$",
    _("Số điện thoại không hợp lệ (ví dụ 0912345678)."),
    code="phone_format",
)


class PersonQuerySet(ScopedQuerySet):
    def current(self):
        return self.filter(archived_at__isnull=True)

    def search(self, text: str, scope=None):
        """Accent- and case-insensitive search on the name: every word must occur in
        the folded name (``search_name LIKE '%word%'``, one condition per word, which
        a trigram index answers on PostgreSQL, or the same matches from the index of
        the names' words: :func:`search_condition`). Digits search the start of the
        CCCD or of the phone number (from 3 digits; an index range scan)."""
        return self.searched(text, scope)[0]

    def searched(self, text: str, scope=None):
        """:meth:`search`, and whether a list should take its first matches in any
        order rather than in the list's (see :func:`search_condition`)."""
        text = (text or "").strip()
        if not text:
            return self, False
        digits = text.replace(" ", "").replace(".", "")
        if digits.startswith("+") and digits[1:].isdigit():
            return self.filter(phone__startswith=digits), False
        if digits.isdigit():
            if len(digits) < 3:
                return self.none(), False
            return self.filter(_prefix_q("cccd", digits) | _prefix_q("phone", digits)), False
        condition, any_order = search_condition(text, scope)
        return self.filter(condition), any_order


def search_condition(text: str, scope=None) -> tuple[Q, bool]:
    """The condition :meth:`PersonQuerySet.search` applies to a name ``text``, and
    whether a list takes its first matches in any order (the word index's, or the
    whole country's table's: any 1,000 of them when more match) rather than in the
    list's order (a scope's chi hội one by one), as :mod:`uutu.people.namewords`
    plans it.

    ``scope`` (a :class:`~uutu.people.namewords.Scope`, or a function that gives
    one; None: the whole country) weighs the ways, and limits the word index's
    matches to the scope's chi hội (the scope's own filter is still the caller's)."""
    from . import namewords

    plan = namewords.plan(fold(text).split(" "), scope)
    return plan.condition(), plan.any_order


def _prefix_q(field: str, digits: str) -> Q:
    """``field`` starts with ``digits``, written as a range (``>= '0011'`` and
    ``< '0012'``) so that a plain b-tree index serves it under any collation: for
    strings of digits the collation order is the code order."""
    upper = str(int(digits) + 1).zfill(len(digits))
    if len(upper) > len(digits):  # "999" → everything from "999" on
        return Q(**{f"{field}__gte": digits})
    return Q(**{f"{field}__gte": digits, f"{field}__lt": upper})


class Party(models.TextChoices):
    NONE = "none", _("Chưa là đảng viên")
    PROBATIONARY = "probationary", _("Đảng viên dự bị")
    OFFICIAL = "official", _("Đảng viên chính thức")
    LEFT = "left", _("Đã ra khỏi Đảng")


class Person(QuickDisplay, models.Model):
    """A woman member of the Hội (hội viên), in her current chi hội.

    ``search_name`` (the name without diacritics) and ``sort_key`` (digits that
    sort by given name the Vietnamese way) are kept in step with ``full_name`` on
    every save. ``party_status`` mirrors the current :class:`PartyStatusPeriod`.
    A member is archived, never deleted.
    """

    scope_path = "branch__path"
    audit_exclude = (
        "search_name",
        "sort_key",
        "family_name",
        "middle_name",
        "given_name",
        "created_at",
        "updated_at",
    )

    full_name = models.CharField(_("họ và tên"), max_length=150)
    family_name = models.CharField(max_length=50, editable=False, default="")
    middle_name = models.CharField(max_length=80, editable=False, default="")
    given_name = models.CharField(max_length=50, editable=False, default="")
    search_name = models.CharField(max_length=150, editable=False, default="")
    sort_key = models.CharField(max_length=255, editable=False, default="")
    birth_date = models.DateField(_("ngày sinh"))
    cccd = models.CharField(
        _("số CCCD"),
        max_length=12,
        null=True,
        blank=True,
        validators=[cccd_validator],
        help_text=_("Căn cước công dân: 12 chữ số."),
    )
    ethnicity = models.CharField(
        _("dân tộc"), max_length=30, choices=ETHNICITY_CHOICES, default="Kinh"
    )
    religion = models.CharField(
        _("tôn giáo"), max_length=30, choices=RELIGION_CHOICES, default="none"
    )
    education = models.CharField(
        _("trình độ học vấn"), max_length=30, choices=EDUCATION_CHOICES, default="upper_secondary"
    )
    occupation = models.CharField(_("nghề nghiệp"), max_length=100, blank=True, default="")
    phone = models.CharField(
        _("điện thoại"), max_length=15, blank=True, default="", validators=[phone_validator]
    )
    residence = models.CharField(_("nơi ở hiện nay"), max_length=255, blank=True, default="")
    joined_hoi_on = models.DateField(_("ngày vào Hội"), null=True, blank=True)
    working_away = models.BooleanField(_("đi làm ăn xa"), default=False)
    is_core_member = models.BooleanField(_("hội viên nòng cốt"), default=False)
    is_exemplar = models.BooleanField(_("gương điển hình"), default=False)
    exemplar_citation = models.CharField(
        _("thành tích điển hình"), max_length=300, blank=True, default=""
    )
    branch = models.ForeignKey(
        "orgs.Unit",
        verbose_name=_("chi hội"),
        on_delete=models.PROTECT,
        related_name="members",
        db_index=False,  # person_branch_sort (branch, sort_key) serves it
    )
    party_status = models.CharField(
        _("đảng viên"), max_length=20, choices=Party.choices, default=Party.NONE, editable=False
    )
    archived_at = models.DateTimeField(_("ngày lưu trữ"), null=True, blank=True, editable=False)
    archive_reason = models.CharField(
        _("lý do lưu trữ"), max_length=255, blank=True, default="", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PersonQuerySet.as_manager()

    class Meta:
        verbose_name = _("hội viên")
        verbose_name_plural = _("hội viên")
        ordering = ["sort_key", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["cccd"], condition=Q(cccd__isnull=False), name="person_cccd_unique"
            ),
        ]
        indexes = [
            # Every index is written by each import (COPY of thousands of rows):
            # no two of them share a leading column, and the search's "%word%"
            # goes through the trigram index (migration 0003), so search_name has
            # a plain index for the import's exact matching only.
            models.Index(fields=["branch", "sort_key"], name="person_branch_sort"),
            models.Index(fields=["search_name"], name="person_search_name"),
            models.Index(fields=["sort_key"], name="person_sort"),
            models.Index(fields=["birth_date"], name="person_birth"),
            models.Index(fields=["phone"], name="person_phone"),
        ]

    def __str__(self):
        return self.full_name

    # The columns derived from ``full_name`` (see :meth:`derive_fields`).
    NAME_FIELDS = ("family_name", "middle_name", "given_name", "search_name", "sort_key")

    def save(self, *args, **kwargs):
        self.derive_fields()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "full_name" in update_fields:
            kwargs["update_fields"] = {*update_fields, *self.NAME_FIELDS}
        super().save(*args, **kwargs)

    def derive_fields(self) -> "Person":
        """Set what is derived from the name (the normalised name, its parts, the
        folded search form, the sort key) and store an empty CCCD as NULL. ``save()``
        calls it; bulk writers, which skip ``save()``, call it themselves."""
        (
            self.full_name,
            self.family_name,
            self.middle_name,
            self.given_name,
            self.search_name,
            self.sort_key,
        ) = name_fields(self.full_name)
        if self.cccd == "":
            self.cccd = None
        return self

    @property
    def scope_unit(self):
        return self.branch

    def age_on(self, on: datetime.date) -> int:
        b = self.birth_date
        return on.year - b.year - ((on.month, on.day) < (b.month, b.day))

    @property
    def age(self) -> int:
        return self.age_on(datetime.date.today())

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class Membership(models.Model):
    """A stay of a member in one chi hội, from ``start`` to ``end`` (empty while
    current). Moving her closes one row and opens the next, so the history stays."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="memberships")
    branch = models.ForeignKey(
        "orgs.Unit",
        verbose_name=_("chi hội"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # the (branch, start) index serves it
    )
    start = models.DateField(_("từ ngày"))
    end = models.DateField(_("đến ngày"), null=True, blank=True)
    reason = models.CharField(_("lý do"), max_length=255, blank=True, default="")

    class Meta:
        verbose_name = _("quá trình sinh hoạt")
        verbose_name_plural = _("quá trình sinh hoạt")
        ordering = ["person", "-start", "-id"]
        indexes = [models.Index(fields=["branch", "start"])]

    def __str__(self):
        return f"{self.person} – {self.branch}"


class PositionKind(models.TextChoices):
    BRANCH_HEAD = "branch_head", _("Chi hội trưởng")
    BRANCH_DEPUTY = "branch_deputy", _("Chi hội phó")
    GROUP_HEAD = "group_head", _("Tổ trưởng tổ phụ nữ")
    GROUP_DEPUTY = "group_deputy", _("Tổ phó tổ phụ nữ")
    CHAIR = "chair", _("Chủ tịch Hội LHPN")
    VICE_CHAIR = "vice_chair", _("Phó Chủ tịch Hội LHPN")
    STANDING = "standing", _("Ủy viên Ban Thường vụ")
    EXECUTIVE = "executive", _("Ủy viên Ban Chấp hành")


class PositionQuerySet(ScopedQuerySet):
    def current(self, on: datetime.date | None = None):
        on = on or datetime.date.today()
        return self.filter(Q(end__isnull=True) | Q(end__gte=on), start__lte=on)


class Position(models.Model):
    """A position a member held in a unit (chi hội trưởng of a branch, chủ tịch of a
    commune Hội…) between two dates. It is in scope where the member is."""

    scope_path = "person__branch__path"

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="positions")
    unit = models.ForeignKey(
        "orgs.Unit", verbose_name=_("đơn vị"), on_delete=models.PROTECT, related_name="positions"
    )
    kind = models.CharField(_("chức vụ"), max_length=20, choices=PositionKind.choices)
    start = models.DateField(_("từ ngày"))
    end = models.DateField(_("đến ngày"), null=True, blank=True)

    objects = PositionQuerySet.as_manager()

    class Meta:
        verbose_name = _("chức vụ")
        verbose_name_plural = _("chức vụ")
        ordering = ["person", "-start"]
        indexes = [models.Index(fields=["kind", "end"]), models.Index(fields=["unit", "kind"])]

    def __str__(self):
        return f"{self.get_kind_display()} – {self.unit}"

    @property
    def scope_unit(self):
        return self.person.branch


class PartyStatusPeriod(models.Model):
    """A member's party status between two dates (not a member, probationary,
    official, left), with the decision that set it."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="party_periods")
    status = models.CharField(_("tình trạng"), max_length=20, choices=Party.choices)
    start = models.DateField(_("từ ngày"))
    end = models.DateField(_("đến ngày"), null=True, blank=True)
    doc_no = models.CharField(_("số quyết định"), max_length=100, blank=True, default="")

    class Meta:
        verbose_name = _("tình trạng đảng viên")
        verbose_name_plural = _("tình trạng đảng viên")
        ordering = ["person", "-start", "-id"]

    def __str__(self):
        return f"{self.person}: {self.get_status_display()}"


class NameWord(models.Model):
    """A word that occurs in some member's folded name (``search_name``), once.

    PostgreSQL only (the table stays empty on SQLite): a statement trigger adds the
    new words of every insert and update of members, and the search maps a typed
    word to the name words that contain it, to look them up in the GIN index of the
    names' words (:mod:`uutu.people.namewords`). Words are never removed.
    """

    word = models.CharField(max_length=150, primary_key=True)

    class Meta:
        verbose_name = _("từ trong họ tên")
        verbose_name_plural = _("từ trong họ tên")

    def __str__(self):
        return self.word


class MemberCount(models.Model):
    """How many current members one chi hội has, and how many of them are party
    members (probationary or official), core members, exemplars and working away:
    the home page sums these rows over the user's scope instead of counting the
    members (20 million rows nationally).

    Kept exact by database triggers on ``people_person`` (insert, update, delete;
    the old and the new branch row), created by migration 0004 from the SQL in
    :mod:`uutu.people.counts`. A trigger is the one place that sees every write:
    the bulk import, ``QuerySet.update()``, ``bulk_create``, the demo loader and the
    generator's COPY all bypass ``Person.save()``, so no signal or service could
    keep these rows exact. ``counts.rebuild()`` recounts them from scratch and
    ``manage.py verify`` checks them. A row may hold zeros after its members left.
    Each row also holds its chi hội's ``path`` (triggers keep it when a unit moves),
    so a scope's rows are read without a join.
    """

    scope_path = "path"

    branch = models.OneToOneField(
        "orgs.Unit",
        verbose_name=_("chi hội"),
        on_delete=models.CASCADE,  # a derived row: it never keeps a unit alive
        related_name="+",
    )
    # The chi hội's path, kept by triggers (a new row; a unit that moves): a scope's
    # total reads a range of the (path, total) index, no join with the units.
    path = PathField(max_length=255, default="", editable=False)
    total = models.IntegerField(_("hội viên"), default=0)
    party = models.IntegerField(_("là đảng viên"), default=0)
    core = models.IntegerField(_("nòng cốt"), default=0)
    exemplar = models.IntegerField(_("gương điển hình"), default=0)
    away = models.IntegerField(_("đi làm ăn xa"), default=0)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("số hội viên của chi hội")
        verbose_name_plural = _("số hội viên của chi hội")
        indexes = [
            models.Index(
                fields=["path", "total"],
                name="membercount_path_total",
                # PostgreSQL: a prefix LIKE can use the index whatever the collation
                opclasses=["varchar_pattern_ops", "int4_ops"],
            )
        ]

    def __str__(self):
        return f"{self.branch_id}: {self.total}"
