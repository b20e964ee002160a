"""The admission rules, checked at the step where they apply.

Each check takes the case, the date of the step and the :class:`RuleSet` in force
on that date, and returns an error message in Vietnamese that names the rule, or
``None``. The numbers come from the rule set, never from the code.
"""

import datetime

from django.core.exceptions import ValidationError

from uutu.people.reference import EDUCATION_CHOICES, EDUCATION_ORDER

from .models import RuleSet
from .workdays import add_months, months_between

SEED_RULE_SETS = [
    {
        "code": "qd294-hd06-2025",
        "name": "Quy định 294-QĐ/TW và Hướng dẫn 06-HD/TW",
        "effective_from": datetime.date(2025, 7, 1),
    },
]

_EDU_LABEL = dict(EDUCATION_CHOICES)


def ensure_rule_sets() -> None:
    for row in SEED_RULE_SETS:
        RuleSet.objects.get_or_create(code=row["code"], defaults=row)


def rules_on(day: datetime.date) -> RuleSet:
    """The rule set in force on ``day`` (the earliest one for older dates)."""
    rules = RuleSet.objects.filter(effective_from__lte=day).order_by("-effective_from").first()
    if rules is None:
        rules = RuleSet.objects.order_by("effective_from").first()
    if rules is None:
        ensure_rule_sets()
        rules = RuleSet.objects.order_by("effective_from").first()
    return rules


def _age_text(months: int) -> str:
    years, rest = divmod(months, 12)
    return f"{years} tuổi {rest} tháng" if rest else f"{years} tuổi"


def check_age(case, on: datetime.date, rules: RuleSet) -> str | None:
    months = months_between(case.birth_date, on)
    if months < rules.min_age_years * 12:
        return (
            f"{rules.name}: người vào Đảng phải đủ {rules.min_age_years} tuổi (tính theo "
            f"tháng). Ngày {on:%d/%m/%Y} chị {case.full_name} mới {_age_text(months)}."
        )
    if months > rules.max_age_years * 12 and not case.age_approval.strip():
        return (
            f"{rules.name}: người trên {rules.max_age_years} tuổi ({_age_text(months)} vào ngày "
            f"{on:%d/%m/%Y}) chỉ được kết nạp khi có văn bản đồng ý của cấp có thẩm quyền. "
            "Hãy ghi số văn bản đồng ý."
        )
    return None


def latest_certificate(case, on: datetime.date | None = None):
    """The most recent certificate of ``case`` (issued on or before ``on`` if given)."""
    qs = case.enrolments.filter(result="passed", certificate_on__isnull=False)
    if on is not None:
        qs = qs.filter(certificate_on__lte=on)
    return qs.order_by("-certificate_on", "-id").first()


def certificate_expires_on(certificate_on: datetime.date, rules: RuleSet) -> datetime.date:
    return add_months(certificate_on, rules.certificate_valid_months)


def certificate_expired(enrolment, on: datetime.date | None = None) -> bool:
    """Whether the certificate of a passed ``enrolment`` is no longer valid on ``on``
    (default: today), under the rules in force on that day. No certificate: False."""
    if enrolment is None or enrolment.certificate_on is None:
        return False
    on = on or datetime.date.today()
    return on > certificate_expires_on(enrolment.certificate_on, rules_on(on))


def check_certificate(case, on: datetime.date, rules: RuleSet) -> str | None:
    enrolment = latest_certificate(case, on)
    if enrolment is None:
        return f"{rules.name}: chưa có giấy chứng nhận hoàn thành lớp bồi dưỡng nhận thức về Đảng."
    if on > certificate_expires_on(enrolment.certificate_on, rules):
        age = months_between(enrolment.certificate_on, on)
        return (
            f"{rules.name}: giấy chứng nhận lớp bồi dưỡng nhận thức về Đảng chỉ có giá trị "
            f"{rules.certificate_valid_months} tháng. Giấy số {enrolment.certificate_no} cấp ngày "
            f"{enrolment.certificate_on:%d/%m/%Y} đã {age} tháng: cần học lại."
        )
    return None


def education_exception_applies(case) -> bool:
    if case.education_exception.strip():
        return True
    # Her chi hội or its commune; for a candidate of another organisation, the cell
    # or its commune party committee.
    units = [
        u
        for unit in (case.branch, case.party_unit)
        if unit is not None
        for u in (unit, unit.parent)
        if u is not None
    ]
    return any(u.remote_area for u in units)


def check_education(case, on: datetime.date, rules: RuleSet) -> str | None:
    exception = education_exception_applies(case)
    required = rules.min_education_exception if exception else rules.min_education
    if EDUCATION_ORDER.get(case.education, -1) >= EDUCATION_ORDER[required]:
        return None
    text = (
        f"{rules.name}: người vào Đảng phải có trình độ học vấn từ "
        f"{_EDU_LABEL[required].lower()} trở lên"
    )
    if not exception:
        text += (
            f" (ở miền núi, biên giới, hải đảo, vùng đồng bào dân tộc thiểu số: từ "
            f"{_EDU_LABEL[rules.min_education_exception].lower()}; hãy ghi ngoại lệ nếu áp dụng)"
        )
    return f"{text}. Chị {case.full_name}: {_EDU_LABEL.get(case.education, '?').lower()}."


def check_introducers(case, on: datetime.date, rules: RuleSet) -> str | None:
    limit = add_months(on, -rules.introducer_known_months)
    good = [i for i in case.introducers.all() if i.is_official and i.known_since <= limit]
    if len(good) >= rules.introducers_required:
        return None
    return (
        f"{rules.name}: cần {rules.introducers_required} đảng viên chính thức giới thiệu, đã "
        f"cùng công tác, sinh hoạt với người vào Đảng ít nhất {rules.introducer_known_months} "
        f"tháng (từ {limit:%d/%m/%Y} trở về trước). Hiện có {len(good)} người đủ điều kiện."
    )


def check_readmission(case, on: datetime.date, rules: RuleSet) -> str | None:
    left = case.left_party_on
    if left is None and case.person_id:
        period = case.person.party_periods.filter(status="left").order_by("-start").first()
        left = period.start if period else None
    if left is None:
        return None
    allowed = add_months(left, rules.readmission_wait_months)
    if on < allowed:
        return (
            f"{rules.name}: người đã ra khỏi Đảng chỉ được xem xét kết nạp lại sau ít nhất "
            f"{rules.readmission_wait_months} tháng (ra khỏi Đảng ngày {left:%d/%m/%Y}, "
            f"sớm nhất từ {allowed:%d/%m/%Y})."
        )
    return None


def check_probation(
    case, ceremony_on: datetime.date, on: datetime.date, rules: RuleSet
) -> str | None:
    ends = add_months(ceremony_on, rules.probation_months)
    if on < ends:
        return (
            f"{rules.name}: thời gian dự bị là {rules.probation_months} tháng kể từ ngày kết "
            f"nạp ({ceremony_on:%d/%m/%Y}); chỉ xét công nhận chính thức từ {ends:%d/%m/%Y}."
        )
    return None


def check_votes(votes_for: int, members: int, rules: RuleSet) -> str | None:
    """The cell's resolution needs at least two thirds of its official members."""
    if votes_for * 3 < members * 2:
        return (
            f"{rules.name}: nghị quyết chi bộ đề nghị kết nạp cần ít nhất 2/3 đảng viên chính "
            f"thức tán thành ({votes_for}/{members} chưa đủ)."
        )
    return None


CELL_RESOLUTION_CHECKS = (
    check_age,
    check_certificate,
    check_education,
    check_introducers,
    check_readmission,
)


def enforce(case, on: datetime.date, checks) -> RuleSet:
    """Run ``checks``; raise one ValidationError listing every rule that fails."""
    rules = rules_on(on)
    errors = [msg for check in checks if (msg := check(case, on, rules))]
    if errors:
        raise ValidationError(errors)
    return rules
