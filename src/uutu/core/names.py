"""Data for generating realistic Vietnamese demo records: women's names by ethnic
group, village names, occupations and exemplar citations.

Family names carry weights that follow their real frequency (nationally Nguyễn is
about 38 %, then Trần, Lê, Phạm, Hoàng / Huỳnh…). Minority groups of the northern
mountains have their own common family names: Tày and Nùng (Nông, Hoàng, Lương,
Đàm, Bế, Lục, Triệu, La, Mã, Hà…), H'Mông (Giàng, Sùng, Thào, Vàng, Lý…) and Dao
(Triệu, Bàn, Đặng, Lý…). Weights are relative, not percentages.
"""

# Kinh family names, weights in per mille of the population (approximate).
KINH_FAMILY = [
    ("Nguyễn", 380), ("Trần", 110), ("Lê", 95), ("Phạm", 70), ("Hoàng", 51), ("Huỳnh", 20),
    ("Phan", 45), ("Vũ", 39), ("Võ", 20), ("Đặng", 21), ("Bùi", 20), ("Đỗ", 14), ("Hồ", 13),
    ("Ngô", 13), ("Dương", 10), ("Lý", 5), ("Đinh", 6), ("Đào", 5), ("Trương", 5),
    ("Lương", 4), ("Mai", 4), ("Trịnh", 4), ("Tạ", 3), ("Cao", 3), ("Lâm", 3), ("Hà", 3),
    ("Tô", 2), ("Chu", 2), ("Kiều", 1), ("Quách", 1),
]

# Tày and Nùng family names (Cao Bằng, Lạng Sơn, Bắc Kạn, Tuyên Quang…).
TAY_NUNG_FAMILY = [
    ("Nông", 150), ("Hoàng", 140), ("Lương", 70), ("Đàm", 60), ("Bế", 60), ("Lục", 45),
    ("Triệu", 45), ("La", 40), ("Mã", 35), ("Hà", 35), ("Lý", 35), ("Nguyễn", 50),
    ("Đinh", 20), ("Vi", 20), ("Lô", 15), ("Hứa", 15), ("Sầm", 10), ("Lâm", 15),
    ("Dương", 15), ("Phùng", 10), ("Chu", 10), ("Ngôn", 8), ("Mông", 10), ("Lăng", 8),
    ("Hầu", 5), ("Bùi", 10), ("Trần", 15),
]

HMONG_FAMILY = [
    ("Giàng", 25), ("Sùng", 20), ("Thào", 20), ("Vàng", 18), ("Lý", 18), ("Lầu", 10),
    ("Hầu", 8), ("Mùa", 8), ("Vừ", 8), ("Ma", 6), ("Chảo", 5), ("Hoàng", 5),
]

DAO_FAMILY = [
    ("Triệu", 35), ("Bàn", 25), ("Đặng", 20), ("Lý", 20), ("Phùng", 8), ("Chu", 6),
    ("Hoàng", 6), ("Dương", 4),
]

FAMILY_BY_ETHNICITY = {
    "Tày": TAY_NUNG_FAMILY,
    "Nùng": TAY_NUNG_FAMILY,
    "Sán Chay": TAY_NUNG_FAMILY,
    "H'Mông": HMONG_FAMILY,
    "Dao": DAO_FAMILY,
    "Lô Lô": HMONG_FAMILY,
}

# Middle names of women: overwhelmingly "Thị" (older generations, minority groups),
# otherwise a second given-name element.
MIDDLE_NAMES = [
    ("Thị", 78), ("Thu", 3), ("Ngọc", 3), ("Thanh", 3), ("Minh", 2), ("Hồng", 2), ("Kim", 2),
    ("Thúy", 1), ("Bích", 1), ("Phương", 1), ("Thị Thu", 2), ("Thị Minh", 1), ("Diệu", 1),
]

GIVEN_NAMES = [
    ("Hoa", 30), ("Lan", 28), ("Mai", 28), ("Hằng", 26), ("Thu", 22), ("Hương", 30),
    ("Hạnh", 20), ("Nga", 20), ("Nhung", 18), ("Thảo", 22), ("Trang", 24), ("Huyền", 22),
    ("Linh", 22), ("Phương", 18), ("Hà", 16), ("Hiền", 18), ("Dung", 14), ("Tuyết", 12),
    ("Yến", 14), ("Vân", 14), ("Ngọc", 12), ("Thủy", 16), ("Oanh", 8), ("Liên", 12),
    ("Loan", 10), ("Duyên", 12), ("Thơm", 8), ("Xuân", 10), ("Thắm", 8), ("Hậu", 8),
    ("Quyên", 8), ("Nhàn", 8), ("Ánh", 10), ("Chi", 8), ("Diệp", 5), ("Giang", 10),
    ("Hòa", 10), ("Hồng", 12), ("Lụa", 5), ("Luyến", 6), ("My", 6), ("Nguyệt", 8),
    ("Nhi", 6), ("Quỳnh", 8), ("Sen", 5), ("Tâm", 8), ("Thêu", 4), ("Thoa", 8), ("Uyên", 5),
    ("Vui", 5), ("Xoan", 4), ("Dịu", 5), ("Đào", 6), ("Điệp", 4), ("Gấm", 4), ("Lệ", 6),
    ("Mến", 5), ("Minh", 6), ("Ngân", 8), ("Tươi", 5), ("Châm", 4),
]

# Names more typical of H'Mông and Dao women.
HMONG_GIVEN = [
    ("Mỷ", 10), ("Say", 8), ("Pà", 8), ("Dua", 6), ("Sua", 6), ("Chá", 5), ("Mai", 5),
    ("Dở", 5), ("Súa", 4), ("Xá", 4), ("Lan", 4), ("Sinh", 4),
]
DAO_GIVEN = [
    ("Mùi", 8), ("Nhất", 5), ("Xuân", 6), ("Phấy", 4), ("Chòi", 4), ("Kiều", 4),
    ("Hoa", 4), ("Liên", 4), ("Hương", 4), ("Sinh", 4),
]
GIVEN_BY_ETHNICITY = {"H'Mông": HMONG_GIVEN, "Dao": DAO_GIVEN, "Lô Lô": HMONG_GIVEN}

# Men's names for the few demo accounts held by men (party cadres).
MALE_MIDDLE = [("Văn", 70), ("Đức", 10), ("Minh", 8), ("Quang", 6), ("Hữu", 6)]
MALE_GIVEN = [
    ("Hùng", 10), ("Tài", 8), ("Dũng", 8), ("Thắng", 8), ("Cường", 6), ("Sơn", 6),
    ("Tuấn", 6), ("Hải", 6), ("Bình", 6), ("Quân", 4), ("Toàn", 4), ("Khánh", 4),
]

# Ethnic make-up, as weights. Cao Bằng (census 2019): Tày ~41 %, Nùng ~31 %,
# H'Mông ~10 %, Dao ~10 %, Kinh ~5 %, Sán Chay, Lô Lô and others the rest.
ETHNICITY_WEIGHTS = {
    4: [("Tày", 400), ("Nùng", 300), ("H'Mông", 100), ("Dao", 100), ("Kinh", 55),
        ("Sán Chay", 25), ("Lô Lô", 8), ("Hoa", 5), ("Sán Dìu", 4), ("Ngái", 3)],
}
DEFAULT_ETHNICITY_WEIGHTS = [
    ("Kinh", 850), ("Tày", 30), ("Thái", 25), ("Mường", 25), ("Nùng", 15), ("Hoa", 10),
    ("Khmer", 10), ("H'Mông", 10), ("Dao", 8), ("Sán Dìu", 5),
]

RELIGION_WEIGHTS = {
    4: [("none", 960), ("buddhism", 25), ("catholic", 8), ("protestant", 7)],
}
DEFAULT_RELIGION_WEIGHTS = [
    ("none", 820), ("buddhism", 110), ("catholic", 60), ("protestant", 6), ("caodai", 4),
]

EDUCATION_WEIGHTS = [
    ("none", 2), ("primary", 12), ("lower_secondary", 34), ("upper_secondary", 30),
    ("vocational", 7), ("college", 6), ("university", 8), ("postgraduate", 1),
]

# Villages in the Tày–Nùng uplands are named with syllables like Nà (field),
# Bản (village), Khuổi (stream), Pác (mouth), Lũng (valley), Phja (mountain)…
VILLAGE_HEADS = [
    "Nà", "Bản", "Khuổi", "Pác", "Lũng", "Phja", "Cốc", "Nặm", "Khau", "Pò", "Bó", "Tổng",
    "Slam", "Keng", "Thin", "Vò", "Cò", "Phiêng",
]
VILLAGE_TAILS = [
    "Rẻo", "Mạ", "Slưa", "Giàng", "Lùng", "Pàn", "Vài", "Khiêng", "Hoáng", "Mò", "Chang",
    "Lung", "Lỏng", "Mây", "Ngần", "Quang", "Tấu", "Pảng", "Sao", "Đoỏng", "Cáy", "Piàn",
    "Lẹng", "Thuộc", "Sliến", "Hấu", "Nưa", "Kéo", "Thin", "Pài", "Rạ", "Mu", "Rầy", "Báng",
]
# Lowland villages and street blocks take Sino-Vietnamese names.
LOWLAND_VILLAGES = [
    "Đông", "Tây", "Nam", "Bắc", "Trung", "Thượng", "Hạ", "An Lạc", "Phú Thọ", "Yên Bình",
    "Tân Lập", "Hòa Bình", "Thống Nhất", "Quyết Tiến", "Đoàn Kết", "Tiền Phong", "Minh Khai",
    "Hồng Phong", "Tân Tiến", "Đồng Tâm", "Phúc Lộc", "Vĩnh An", "Thanh Xuân", "Bình Minh",
]

OCCUPATIONS_RURAL = [
    ("Làm ruộng", 45), ("Chăn nuôi", 10), ("Trồng rừng", 5), ("Buôn bán nhỏ", 8),
    ("Nội trợ", 8), ("Lao động tự do", 8), ("Giáo viên", 4), ("Công nhân", 5),
    ("Cán bộ, công chức", 3), ("Y tế thôn bản", 1), ("Học sinh, sinh viên", 3),
]
OCCUPATIONS_URBAN = [
    ("Buôn bán", 25), ("Kinh doanh", 10), ("Cán bộ, công chức", 12), ("Viên chức", 10),
    ("Giáo viên", 8), ("Công nhân", 10), ("Nội trợ", 8), ("Lao động tự do", 10),
    ("Hưu trí", 5), ("Học sinh, sinh viên", 2),
]
WORK_AWAY_PLACES = [
    "Bắc Ninh", "Thái Nguyên", "Hà Nội", "Bình Dương", "Thành phố Hồ Chí Minh", "Hải Phòng",
    "Đồng Nai", "Trung Quốc (lao động thời vụ)",
]

EXEMPLAR_CITATIONS = [
    "Mô hình nuôi bò vỗ béo, thu nhập trên 150 triệu đồng mỗi năm",
    "Sản xuất miến dong, tạo việc làm cho 6 lao động nữ trong xóm",
    "Trồng và chế biến thạch đen, giúp 4 hội viên thoát nghèo",
    "Chăm sóc và kinh doanh hạt dẻ Trùng Khánh, thu nhập ổn định",
    "Đi đầu xây dựng gia đình “5 không, 3 sạch”",
    "Tổ trưởng tổ tiết kiệm và vay vốn, quản lý nguồn vốn không có nợ quá hạn",
    "Phụ nữ làm kinh tế giỏi cấp tỉnh năm 2024",
    "Gương điển hình “Giỏi việc nước, đảm việc nhà” năm 2025",
    "Hiến 300 m² đất làm đường giao thông nông thôn",
    "Vận động 15 hội viên tham gia bảo hiểm xã hội tự nguyện",
    "Mô hình homestay cộng đồng, giữ gìn nghề dệt thổ cẩm",
    "Nuôi ong lấy mật và trồng hồi, hỗ trợ giống cho hội viên nghèo",
    "Tham gia tích cực phong trào phòng, chống bạo lực gia đình",
    "Giữ gìn làn điệu hát then, đàn tính của dân tộc",
]

# Birthplace codes (the first three digits of a CCCD: the pre-2025 province codes)
# of provinces that border the demo province, for the few members born elsewhere.
NEIGHBOUR_BIRTHPLACES = {4: [2, 6, 20, 19, 1]}
