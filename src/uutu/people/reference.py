"""Reference lists for the member registry."""

from django.utils.translation import gettext_lazy as _

# The 54 ethnic groups officially recognised in Việt Nam (Danh mục các dân tộc Việt Nam,
# Quyết định 121-TCTK/PPCĐ), in the official order.
ETHNIC_GROUPS = [
    "Kinh",
    "Tày",
    "Thái",
    "Hoa",
    "Khmer",
    "Mường",
    "Nùng",
    "H'Mông",
    "Dao",
    "Gia Rai",
    "Ngái",
    "Ê Đê",
    "Ba Na",
    "Xơ Đăng",
    "Sán Chay",
    "Cơ Ho",
    "Chăm",
    "Sán Dìu",
    "Hrê",
    "Mnông",
    "Raglai",
    "Xtiêng",
    "Bru-Vân Kiều",
    "Thổ",
    "Giáy",
    "Cơ Tu",
    "Gié Triêng",
    "Mạ",
    "Khơ Mú",
    "Co",
    "Tà Ôi",
    "Chơ Ro",
    "Kháng",
    "Xinh Mun",
    "Hà Nhì",
    "Chu Ru",
    "Lào",
    "La Chí",
    "La Ha",
    "Phù Lá",
    "La Hủ",
    "Lự",
    "Lô Lô",
    "Chứt",
    "Mảng",
    "Pà Thẻn",
    "Cơ Lao",
    "Cống",
    "Bố Y",
    "Si La",
    "Pu Péo",
    "Brâu",
    "Ơ Đu",
    "Rơ Măm",
]
assert len(ETHNIC_GROUPS) == 54
ETHNICITY_CHOICES = [(name, name) for name in ETHNIC_GROUPS]

RELIGION_CHOICES = [
    ("none", _("Không")),
    ("buddhism", _("Phật giáo")),
    ("catholic", _("Công giáo")),
    ("protestant", _("Tin lành")),
    ("caodai", _("Cao Đài")),
    ("hoahao", _("Phật giáo Hòa Hảo")),
    ("islam", _("Hồi giáo")),
    ("other", _("Tôn giáo khác")),
]

# General education, from lowest to highest. The Party requires lower secondary
# (THCS) or above, or primary in mountain, border, island and minority areas.
EDUCATION_CHOICES = [
    ("none", _("Chưa qua đào tạo")),
    ("primary", _("Tiểu học")),
    ("lower_secondary", _("Trung học cơ sở")),
    ("upper_secondary", _("Trung học phổ thông")),
    ("vocational", _("Trung cấp")),
    ("college", _("Cao đẳng")),
    ("university", _("Đại học")),
    ("postgraduate", _("Sau đại học")),
]
EDUCATION_ORDER = {code: i for i, (code, _label) in enumerate(EDUCATION_CHOICES)}

AGE_BANDS = [
    ("u30", _("Dưới 30"), 0, 29),
    ("30_45", _("30–45"), 30, 45),
    ("46_60", _("46–60"), 46, 60),
    ("o60", _("Trên 60"), 61, 200),
]
