"""The pipeline: one excellent woman's path from being spotted by the Hội to
becoming an official party member (hồ sơ phát triển đảng viên).

A :class:`Case` is that path; every step is a dated :class:`CaseEvent`, kept where
it happened (the unit stays attached even if she moves or the unit is merged). The
rules that apply at each step come from the :class:`RuleSet` in force on the
step's date, so a new regulation is a new row, not new code.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from uutu.core.fields import PathField
from uutu.core.models import QuickDisplay
from uutu.core.scoping import ScopedQuerySet
from uutu.core.text import fold
from uutu.people.reference import EDUCATION_CHOICES, ETHNICITY_CHOICES


class RuleSet(models.Model):
    """The numbers of the admission rules, with the date they take effect.

    Seeded with Quy định 294-QĐ/TW and Hướng dẫn 06-HD/TW (in force 1 July 2025).
    An event is checked against the rule set whose ``effective_from`` is the latest
    one on or before the event's date."""

    code = models.SlugField(_("mã"), max_length=40, unique=True)
    name = models.CharField(_("văn bản"), max_length=255)
    effective_from = models.DateField(_("hiệu lực từ ngày"), unique=True)
    min_age_years = models.PositiveSmallIntegerField(_("tuổi tối thiểu"), default=18)
    max_age_years = models.PositiveSmallIntegerField(
        _("tuổi tối đa (trên tuổi này cần đồng ý đặc biệt)"), default=60
    )
    certificate_valid_months = models.PositiveSmallIntegerField(
        _("giá trị giấy chứng nhận lớp bồi dưỡng (tháng)"), default=60
    )
    min_education = models.CharField(
        _("học vấn tối thiểu"),
        max_length=30,
        choices=EDUCATION_CHOICES,
        default="lower_secondary",
    )
    min_education_exception = models.CharField(
        _("học vấn tối thiểu ở vùng đặc biệt"),
        max_length=30,
        choices=EDUCATION_CHOICES,
        default="primary",
    )
    introducers_required = models.PositiveSmallIntegerField(_("số người giới thiệu"), default=2)
    introducer_known_months = models.PositiveSmallIntegerField(
        _("người giới thiệu cùng công tác ít nhất (tháng)"), default=12
    )
    readmission_wait_months = models.PositiveSmallIntegerField(
        _("kết nạp lại sau khi ra khỏi Đảng ít nhất (tháng)"), default=36
    )
    probation_months = models.PositiveSmallIntegerField(_("thời gian dự bị (tháng)"), default=12)
    decision_working_days = models.PositiveSmallIntegerField(
        _("cấp ủy quyết định trong (ngày làm việc)"), default=60
    )
    ceremony_working_days = models.PositiveSmallIntegerField(
        _("tổ chức lễ kết nạp trong (ngày làm việc)"), default=30
    )
    recognition_working_days = models.PositiveSmallIntegerField(
        _("xét công nhận chính thức trong (ngày làm việc)"), default=30
    )
    due_soon_working_days = models.PositiveSmallIntegerField(
        _("báo sắp đến hạn trước (ngày làm việc)"), default=10
    )

    class Meta:
        verbose_name = _("bộ quy định")
        verbose_name_plural = _("bộ quy định")
        ordering = ["-effective_from"]

    def __str__(self):
        return f"{self.name} (từ {self.effective_from:%d/%m/%Y})"


class Organisation(models.TextChoices):
    """The mass organisation that introduces a candidate to the party cell."""

    HOI = "hoi", _("Hội Liên hiệp Phụ nữ")
    DOAN = "doan", _("Đoàn Thanh niên")
    NONG_DAN = "nong_dan", _("Hội Nông dân")
    CCB = "ccb", _("Hội Cựu chiến binh")
    CONG_DOAN = "cong_doan", _("Công đoàn")
    MTTQ = "mttq", _("Mặt trận Tổ quốc")


class Step(models.TextChoices):
    """The steps of a case, in order. ``order`` below gives their rank."""

    SOURCE = "source", _("Tạo nguồn")
    CULTIVATION = "cultivation", _("Bồi dưỡng")
    INTRODUCED = "introduced", _("Giới thiệu cho chi bộ")
    SYMPATHISER = "sympathiser", _("Cảm tình Đảng")
    CLASS = "class", _("Hoàn thành lớp bồi dưỡng nhận thức về Đảng")
    DOSSIER = "dossier", _("Hoàn thiện hồ sơ")
    CELL_RESOLUTION = "cell_resolution", _("Chi bộ đề nghị kết nạp (6-KNĐ)")
    COMMITTEE_RESOLUTION = "committee_resolution", _("Đảng ủy xét (8-KNĐ)")
    DECISION = "decision", _("Quyết định kết nạp (9-KNĐ)")
    CEREMONY = "ceremony", _("Lễ kết nạp – đảng viên dự bị")
    OFFICIAL = "official", _("Công nhận đảng viên chính thức")


STEP_ORDER = {step: i for i, step in enumerate(Step.values)}


class Status(models.TextChoices):
    OPEN = "open", _("Đang theo dõi")
    PAUSED = "paused", _("Tạm dừng")
    WITHDRAWN = "withdrawn", _("Rút khỏi danh sách")
    NOT_ELIGIBLE = "not_eligible", _("Không đủ điều kiện")
    NOT_ADMITTED = "not_admitted", _("Không được kết nạp")
    DONE = "done", _("Đã là đảng viên chính thức")


EXIT_STATUSES = (Status.PAUSED, Status.WITHDRAWN, Status.NOT_ELIGIBLE, Status.NOT_ADMITTED)


def search_name_for(full_name: str, member_search_name: str = "") -> str:
    """A case's folded search text: its own name (the name the case was opened or
    last checked with), and her member record's current folded name when that
    differs (she was renamed since). A typed word has no space, so it occurs in one
    of the two names exactly when it occurs in this text: the case search reads one
    table, with no join to the 20 million members."""
    own = fold(full_name or "")
    if member_search_name and member_search_name != own:
        return f"{own} {member_search_name}"
    return own


class CaseQuerySet(ScopedQuerySet):
    def open(self):
        return self.filter(status=Status.OPEN)


class Case(QuickDisplay, models.Model):
    """One candidate's path to the Party (hồ sơ phát triển đảng viên).

    For a Hội member ``person`` is set and ``branch`` follows her current chi hội.
    A candidate introduced by another mass organisation (Đoàn, Hội Nông dân…) is
    entered by the party side with her own name and birth date and no ``person``.
    ``cell`` is the party cell she was introduced to. The Hội side reaches the case
    through ``branch``, the party side through ``cell`` or ``party_unit`` (the
    commune party committee).
    ``step`` is the furthest step reached; ``due_on`` / ``due_step`` hold the next
    legal deadline, kept up to date by the services so lists can filter on it."""

    scope_path = ("branch__path", "party_unit__path")
    audit_exclude = ("search_name",)  # derived from the names (search_name_for)

    person = models.ForeignKey(
        "people.Person",
        verbose_name=_("hội viên"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    organisation = models.CharField(
        _("tổ chức giới thiệu"),
        max_length=20,
        choices=Organisation.choices,
        default=Organisation.HOI,
    )
    full_name = models.CharField(_("họ và tên"), max_length=150)
    # What the case list's search reads (see search_name_for): kept by save(), by
    # the services when a member is renamed, and checked by ``manage.py verify``.
    search_name = models.CharField(max_length=301, editable=False, default="")
    birth_date = models.DateField(_("ngày sinh"))
    education = models.CharField(
        _("trình độ học vấn"), max_length=30, choices=EDUCATION_CHOICES, default="upper_secondary"
    )
    ethnicity = models.CharField(
        _("dân tộc"), max_length=30, choices=ETHNICITY_CHOICES, default="Kinh"
    )
    left_party_on = models.DateField(
        _("ngày ra khỏi Đảng (nếu kết nạp lại)"), null=True, blank=True
    )
    branch = models.ForeignKey(
        "orgs.Unit",
        verbose_name=_("chi hội"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    party_unit = models.ForeignKey(
        "orgs.Unit",
        verbose_name=_("tổ chức Đảng"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Chi bộ nơi cư trú; trước khi giới thiệu là Đảng ủy xã."),
    )
    step = models.CharField(
        _("bước hiện tại"), max_length=30, choices=Step.choices, default=Step.SOURCE
    )
    status = models.CharField(
        _("trạng thái"), max_length=20, choices=Status.choices, default=Status.OPEN
    )
    status_reason = models.CharField(_("lý do"), max_length=255, blank=True, default="")
    mentor = models.ForeignKey(
        "people.Person",
        verbose_name=_("đảng viên nữ kèm cặp (1+1)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="mentored_cases",
    )
    helper_name = models.CharField(
        _("đảng viên được phân công giúp đỡ"), max_length=150, blank=True, default=""
    )
    plan = models.TextField(_("kế hoạch bồi dưỡng"), blank=True, default="")
    education_exception = models.CharField(
        _("ngoại lệ học vấn"),
        max_length=255,
        blank=True,
        default="",
        help_text=_("Ghi rõ: miền núi, biên giới, hải đảo, vùng đồng bào dân tộc thiểu số."),
    )
    age_approval = models.CharField(
        _("văn bản đồng ý kết nạp người trên 60 tuổi"), max_length=255, blank=True, default=""
    )
    sympathiser_review_on = models.DateField(
        _("ngày xem xét danh sách cảm tình Đảng gần nhất"), null=True, blank=True
    )
    due_step = models.CharField(
        _("việc đến hạn"), max_length=30, choices=Step.choices, blank=True, default=""
    )
    due_on = models.DateField(_("hạn"), null=True, blank=True, db_index=True)
    opened_on = models.DateField(_("ngày tạo nguồn"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("hồ sơ phát triển đảng viên")
        verbose_name_plural = _("hồ sơ phát triển đảng viên")
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(status__in=["open", "paused"]),
                name="one_open_case_per_person",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "step"]),
            # The case lists' order: without it every page sorts a million cases.
            models.Index(fields=["-updated_at", "-id"], name="case_recent"),
            models.Index(fields=["branch", "status"]),
            models.Index(fields=["party_unit", "status"]),
            # Deadlines: open cases by due date (the dashboard's overdue count, the
            # deadlines page) without reading every open case; it covers the columns
            # the scope filters join on, so PostgreSQL answers from the index alone.
            models.Index(
                fields=["due_on", "id"],
                include=["branch", "party_unit"],
                condition=Q(status="open"),
                name="case_open_due",
            ),
            # The candidates page's totals by organisation: the country's 256,000
            # open or paused candidates of the cells, counted from the index alone
            # (from the table: 750,000 buffers, 345 ms).
            models.Index(
                fields=["party_unit", "organisation"],
                condition=Q(status__in=["open", "paused"], party_unit__isnull=False),
                name="case_cell_candidates",
            ),
        ]

    def __str__(self):
        return f"{self.full_name} – {self.get_step_display()}"

    def save(self, *args, **kwargs):
        own = fold(self.full_name)
        if self.search_name != own and not self.search_name.startswith(own + " "):
            self.derive_search_name()  # new, or its own name changed: no query otherwise
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "full_name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "search_name"}
        super().save(*args, **kwargs)

    def derive_search_name(self) -> "Case":
        """Set ``search_name`` from the case's own name and her member record's."""
        member = self.person.search_name if self.person_id else ""
        self.search_name = search_name_for(self.full_name, member)
        return self

    @property
    def scope_units(self):
        return [self.branch, self.party_unit]

    @property
    def scope_unit(self):
        return self.branch or self.party_unit

    @property
    def is_open(self) -> bool:
        return self.status == Status.OPEN

    def reached(self, step: str) -> bool:
        return STEP_ORDER[self.step] >= STEP_ORDER[step]


class CaseEvent(QuickDisplay, models.Model):
    """One dated step or exit of a case: what happened, on which date, under which
    document number, by whom, and in which unit. The unit is kept as it was, so
    the event stays counted for that unit after a move or a merge."""

    class Kind(models.TextChoices):
        STEP = "step", _("Bước")
        EXIT = "exit", _("Dừng / rút")
        REOPEN = "reopen", _("Mở lại")
        NOTE = "note", _("Ghi chú bồi dưỡng")
        MENTOR = "mentor", _("Phân công kèm cặp")
        REVIEW = "review", _("Xem xét danh sách cảm tình Đảng")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.STEP)
    step = models.CharField(_("bước"), max_length=30, choices=Step.choices, blank=True, default="")
    status = models.CharField(
        _("trạng thái"), max_length=20, choices=Status.choices, blank=True, default=""
    )
    date = models.DateField(_("ngày"), db_index=True)
    doc_no = models.CharField(_("số văn bản"), max_length=100, blank=True, default="")
    note = models.TextField(_("ghi chú"), blank=True, default="")
    unit = models.ForeignKey(
        "orgs.Unit", verbose_name=_("đơn vị"), on_delete=models.PROTECT, related_name="+"
    )
    hoi_unit = models.ForeignKey(
        "orgs.Unit",
        verbose_name=_("chi hội lúc đó"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Chi hội của hội viên vào ngày của sự kiện: nơi Hội tính kết quả."),
    )
    position = models.CharField(
        _("chức vụ lúc đó"),
        max_length=20,
        blank=True,
        default="",
        help_text=_("Chi hội trưởng, chi hội phó… vào ngày của sự kiện; trống là hội viên."),
    )
    organisation = models.CharField(
        max_length=20, choices=Organisation.choices, default=Organisation.HOI
    )
    actor = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("sự kiện hồ sơ")
        verbose_name_plural = _("sự kiện hồ sơ")
        ordering = ["date", "id"]
        indexes = [
            models.Index(fields=["step", "date"]),
            models.Index(fields=["unit", "step", "date"]),
            models.Index(fields=["hoi_unit", "step", "date"]),
        ]

    def __str__(self):
        label = self.get_step_display() if self.step else self.get_kind_display()
        return f"{self.date:%d/%m/%Y} {label}"


class Introducer(models.Model):
    """A party member who introduces the candidate (3-KNĐ). Two official members
    who have worked with her for at least 12 months are required."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="introducers")
    full_name = models.CharField(_("họ và tên"), max_length=150)
    is_official = models.BooleanField(_("là đảng viên chính thức"), default=True)
    party_unit_name = models.CharField(
        _("sinh hoạt tại chi bộ"), max_length=200, blank=True, default=""
    )
    known_since = models.DateField(_("cùng công tác, sinh hoạt từ ngày"))

    class Meta:
        verbose_name = _("người giới thiệu")
        verbose_name_plural = _("người giới thiệu")

    def __str__(self):
        return self.full_name


class Dossier(models.Model):
    """The admission dossier of a case: the 1-KNĐ application, the 2-KNĐ personal
    history and its background verification, and the 5-KNĐ comments of the Hội
    (the mass organisation where she is active) and of the cell where she lives."""

    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="dossier")
    application_on = models.DateField(_("đơn xin vào Đảng (1-KNĐ)"), null=True, blank=True)
    history_on = models.DateField(_("lý lịch người xin vào Đảng (2-KNĐ)"), null=True, blank=True)
    verification_on = models.DateField(_("thẩm tra lý lịch xong ngày"), null=True, blank=True)
    hoi_comment = models.TextField(_("nhận xét của Hội LHPN (5-KNĐ)"), blank=True, default="")
    hoi_comment_on = models.DateField(_("ngày Hội nhận xét"), null=True, blank=True)
    residence_comment_on = models.DateField(
        _("ngày chi bộ nơi cư trú nhận xét"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("hồ sơ kết nạp")
        verbose_name_plural = _("hồ sơ kết nạp")

    def __str__(self):
        return f"Hồ sơ {self.case.full_name}"


class ClassQuerySet(ScopedQuerySet):
    pass


class AwarenessClass(models.Model):
    """A Party awareness class (lớp bồi dưỡng nhận thức về Đảng), organised by a
    unit (usually the commune party committee's political centre)."""

    scope_path = "organiser__path"

    organiser = models.ForeignKey(
        "orgs.Unit", verbose_name=_("đơn vị tổ chức"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("tên lớp"), max_length=200)
    start = models.DateField(_("từ ngày"))
    end = models.DateField(_("đến ngày"))
    place = models.CharField(_("địa điểm"), max_length=255, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ClassQuerySet.as_manager()

    class Meta:
        verbose_name = _("lớp bồi dưỡng nhận thức về Đảng")
        verbose_name_plural = _("lớp bồi dưỡng nhận thức về Đảng")
        ordering = ["-start", "-id"]
        # The newest classes first (the class list, the bulk page's 100 newest):
        # without it the country's 170,000 classes were sorted each time (100 ms).
        indexes = [models.Index(fields=["-start", "-id"], name="class_newest")]

    def __str__(self):
        return f"{self.title} ({self.start:%d/%m/%Y})"

    @property
    def scope_unit(self):
        return self.organiser


class Enrolment(models.Model):
    """A candidate in a class, with her result and, once she passes, the
    certificate (giấy chứng nhận) number and date."""

    class Result(models.TextChoices):
        PENDING = "pending", _("Đang học")
        PASSED = "passed", _("Hoàn thành")
        FAILED = "failed", _("Không hoàn thành")

    klass = models.ForeignKey(AwarenessClass, on_delete=models.PROTECT, related_name="enrolments")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="enrolments")
    result = models.CharField(
        _("kết quả"), max_length=10, choices=Result.choices, default=Result.PENDING
    )
    certificate_no = models.CharField(
        _("số giấy chứng nhận"), max_length=50, blank=True, default=""
    )
    certificate_on = models.DateField(_("ngày cấp"), null=True, blank=True)

    class Meta:
        verbose_name = _("học viên")
        verbose_name_plural = _("học viên")
        constraints = [
            models.UniqueConstraint(fields=["klass", "case"], name="one_enrolment_per_class"),
        ]

    def __str__(self):
        return f"{self.case.full_name} – {self.klass}"


class FigureCount(models.Model):
    """A running count of step events for one unit, one month and one step: the
    pipeline figures read these rows instead of scanning the events of a subtree
    (see :mod:`uutu.pipeline.counters` and docs/figures.md).

    A Hội unit's rows count the Hội's step events whose ``hoi_unit`` lies under it
    in the current tree, split by ``head`` (she was chi hội trưởng then). A Party
    unit's rows count the introductions and admission decisions of cases whose
    ``party_unit`` lies under it, split by ``organisation``. Every ancestor of the
    event's unit has its own row, so a unit's figures never need its subtree.
    Kept up to date by the services in the event's transaction; ``manage.py
    verify`` recounts them from the events."""

    unit = models.ForeignKey(
        "orgs.Unit", verbose_name=_("đơn vị"), on_delete=models.CASCADE, related_name="+"
    )
    month = models.DateField(_("tháng (ngày đầu tháng)"))
    step = models.CharField(_("bước"), max_length=30, choices=Step.choices)
    head = models.BooleanField(_("chi hội trưởng"), default=False)
    organisation = models.CharField(
        max_length=20, choices=Organisation.choices, default=Organisation.HOI
    )
    n = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("số đếm kết quả")
        verbose_name_plural = _("số đếm kết quả")
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "month", "step", "head", "organisation"],
                name="figure_count_unique",
            ),
        ]

    def __str__(self):
        return f"{self.unit_id} {self.month:%m/%Y} {self.step}: {self.n}"


class BranchHeadFact(models.Model):
    """One branch-head position (chi hội trưởng of a chi hội) with everything the
    branch-head figures ask about her, so the national figures read one narrow row
    per head instead of probing the party-status history and the case events of
    100,000 heads (see docs/figures.md).

    Copies of the position (``unit``, its current ``path``, ``start``, ``end``), the
    dates she was a party member — her probationary/official periods merged into at
    most two spells ``[party1_start, party1_end)`` and ``[party2_start, party2_end)``
    (``more_party`` when there are more: the figures then read her periods) — and
    the date of her first cultivation or introduction event (``cultivated_on``).

    Kept up to date in the writer's transaction (position started or ended, member
    archived, party status changed, cultivation or introduction recorded, unit
    moved); ``manage.py verify`` recounts them like the counters."""

    position = models.OneToOneField(
        "people.Position", primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey("orgs.Unit", on_delete=models.CASCADE, related_name="+")
    path = PathField(max_length=255)
    start = models.DateField()
    end = models.DateField(null=True, blank=True)
    party1_start = models.DateField(null=True, blank=True)
    party1_end = models.DateField(null=True, blank=True)
    party2_start = models.DateField(null=True, blank=True)
    party2_end = models.DateField(null=True, blank=True)
    more_party = models.BooleanField(default=False)
    cultivated_on = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = _("chi hội trưởng (số liệu)")
        verbose_name_plural = _("chi hội trưởng (số liệu)")
        indexes = [
            models.Index(fields=["path"], name="head_fact_path", opclasses=["varchar_pattern_ops"]),
        ]

    def __str__(self):
        return f"{self.position_id} {self.path}"


class CounterStamp(models.Model):
    """A token that changes whenever a family of counter rows changes, in the
    writer's transaction: ``heads`` for :class:`BranchHeadFact`. Figures computed
    from those rows may be kept in the cache under the token they were read with;
    a committed change gives a new token, so a reader never gets a stale figure
    (see docs/figures.md, "Bộ nhớ đệm số liệu chi hội trưởng")."""

    name = models.CharField(max_length=32, primary_key=True)
    token = models.CharField(max_length=32)

    class Meta:
        verbose_name = _("dấu phiên bản số liệu")
        verbose_name_plural = _("dấu phiên bản số liệu")

    def __str__(self):
        return f"{self.name}: {self.token}"
