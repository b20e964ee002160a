"""The indicators a quota can be set on, and how each is measured.

``source`` says where the achieved figure comes from:

- ``event``: a count of pipeline events in the period (``uutu.pipeline.figures``);
- ``branch_heads``: a share of branch heads on the period's end date;
- ``per_cell``: a per-chi-bộ target (the achieved figure is the number of cells
  that reached it);
- ``manual``: a figure the unit enters itself for the period (propaganda sessions,
  models, activities, exemplars), summed up the tree;
- ``manual_flag``: a yes/no entered by each commune; rolled up as a share of communes.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Indicator:
    code: str
    name: str
    source: str
    figure: str = ""  # the key in the figures dict
    percent: bool = False


INDICATORS = [
    Indicator(
        "introduced",
        _("Giới thiệu hội viên ưu tú cho Đảng xem xét, kết nạp"),
        "event",
        "introduced",
    ),
    Indicator(
        "introduced_branch_heads",
        _("– trong đó chi hội trưởng"),
        "event",
        "introduced_branch_heads",
    ),
    Indicator(
        "introduced_others", _("– trong đó chi hội phó và hội viên"), "event", "introduced_others"
    ),
    Indicator("admitted", _("Hội viên được giới thiệu đã được kết nạp"), "event", "admitted"),
    Indicator("sources", _("Hội viên được tạo nguồn"), "event", "sources"),
    Indicator(
        "class_completed",
        _("Hội viên học lớp bồi dưỡng nhận thức về Đảng"),
        "event",
        "class_completed",
    ),
    Indicator("proposed", _("Hội viên được chi bộ đề nghị kết nạp"), "event", "proposed"),
    Indicator(
        "branch_heads_party_pct",
        _("Tỷ lệ chi hội trưởng là đảng viên (%)"),
        "branch_heads",
        "branch_heads_party",
        percent=True,
    ),
    Indicator(
        "nonparty_heads_cultivated_pct",
        _("Tỷ lệ chi hội trưởng chưa là đảng viên được bồi dưỡng, giới thiệu (%)"),
        "branch_heads",
        "branch_heads_nonparty_cultivated",
        percent=True,
    ),
    Indicator("new_members_per_cell", _("Đảng viên mới mỗi chi bộ"), "per_cell", "admitted"),
    Indicator(
        "candidates_per_org_per_cell",
        _("Quần chúng ưu tú mỗi đoàn thể giới thiệu cho mỗi chi bộ"),
        "per_cell",
        "introduced",
    ),
    Indicator("propaganda_sessions", _("Buổi tuyên truyền về Đảng"), "manual"),
    Indicator("propaganda_attendance", _("Lượt người tham dự tuyên truyền"), "manual"),
    Indicator("exemplars", _("Gương điển hình được phát hiện, tuyên truyền"), "manual"),
    Indicator("activities_8_3_20_10", _("Hoạt động dịp 8/3 và 20/10"), "manual"),
    Indicator(
        "model_1plus1_pct", _("Tỷ lệ cơ sở Hội có mô hình “1+1” (%)"), "manual_flag", percent=True
    ),
    Indicator(
        "model_3co3biet_pct",
        _("Tỷ lệ cơ sở Hội có mô hình “3 có, 3 biết” (%)"),
        "manual_flag",
        percent=True,
    ),
]
BY_CODE = {i.code: i for i in INDICATORS}
CHOICES = [(i.code, i.name) for i in INDICATORS]
MANUAL_CHOICES = [(i.code, i.name) for i in INDICATORS if i.source.startswith("manual")]
