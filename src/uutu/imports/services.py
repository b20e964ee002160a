"""Bulk import of members and of cases from .xlsx / .csv files.

The flow (pretix ``modelimport``):

1. :func:`start_import` stores the uploaded file and creates an :class:`Import`.
2. :func:`run_validation` (the preview) reads the whole file, streamed, and for
   every row works out whether it would create, update or leave a record
   unchanged, or which cells are wrong ("Dòng 17, cột Ngày sinh: …"). Nothing is
   written.
3. :func:`run_commit` goes through the file again inside **one** transaction, under
   ``context.acting(source="import")`` so every audit row carries the import as
   its source and ``import-<id>`` as its request id. Any error rolls the whole
   file back. Members are written in bulk per chunk of rows
   (:meth:`PeopleImporter.apply_bulk`), with the registry's own field rules and
   history builders from ``people.services`` and one audit row per changed
   member; cases go step by step through the pipeline's service functions, so
   every rule of the pipeline applies (the preview of a case file tries each row
   in a savepoint and rolls it back, to report those rule failures too). The
   preview of a member file keeps what it worked out from each row alone (parsed
   values, name columns, the new member's checked values) beside the upload; the
   commit replays that and redoes every check that depends on the database (chi
   hội, scope, matching, CCCD clash, twins, the rules of an update), with the
   same messages (:meth:`PeopleImporter.replay`).

Rows match existing members on the CCCD first, then on name + date of birth +
chi hội, so importing the same file twice changes nothing the second time. Units
are named as users write them ("Chi hội Thôn Đông", "thôn đông", "Thon Dong") and
matched without diacritics or case, within the importer's scope only; a name that
matches no unit, or several, is an error, never a guess.

Small files run in the request; larger ones run as background tasks
(``uutu.imports.tasks``) that report their progress in a small file beside the
upload, so the page can show a progress bar while the transaction is open.
"""

import contextlib
import copy
import datetime
import io
import json
import logging
import re
import sys
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connections, router, transaction
from django.db.models import BooleanField, Q, signals
from django.db.models.base import ModelState
from django.db.models.expressions import RawSQL
from django.utils import timezone
from openpyxl import Workbook

from uutu.accounts import permissions
from uutu.core import audit, context
from uutu.core import text as text_utils
from uutu.core.exports import add_sheet, save
from uutu.core.models import AuditEntry
from uutu.core.text import fold, normalize_name
from uutu.orgs.models import Tree, Unit
from uutu.people import services as people_services
from uutu.people.models import Membership, Party, PartyStatusPeriod, Person
from uutu.people.reference import EDUCATION_CHOICES, ETHNIC_GROUPS, RELIGION_CHOICES
from uutu.pipeline import services as pipeline_services
from uutu.pipeline.models import STEP_ORDER, AwarenessClass, Case, Enrolment, Status, Step

from .models import Import, Kind
from .models import Status as ImportStatus
from .readers import (
    CellError,
    ReadError,
    RecordWriter,
    cache_rows,
    cached_records,
    cached_table,
    decode_value,
    encode_value,
    is_blank,
    open_table,
    parse_bool,
    parse_cccd,
    parse_count,
    parse_date,
    parse_phone,
    text,
)

logger = logging.getLogger(__name__)

ERROR_LIMIT = 5000  # errors kept for display and for the error workbook
PROGRESS_EVERY = 200
PROGRESS_SECONDS = 0.5
CREATE, UPDATE, UNCHANGED = "create", "update", "unchanged"
KIND_ACTION = {Kind.PEOPLE: "people.add", Kind.CASES: "pipeline.hoi"}


def import_dir() -> Path:
    path = Path(getattr(settings, "IMPORT_DIR", None) or settings.VAR_DIR / "imports")
    path.mkdir(parents=True, exist_ok=True)
    return path


def inline_max_rows() -> int:
    """Files up to this many rows are checked and committed within the request."""
    return int(getattr(settings, "IMPORT_INLINE_MAX_ROWS", 2000))


def max_bytes() -> int:
    return int(getattr(settings, "IMPORT_MAX_BYTES", 100 * 1024 * 1024))


def file_path(imp: Import) -> Path:
    return import_dir() / imp.stored_name


def may_import(user, kind: str) -> bool:
    return permissions.has_any(user, KIND_ACTION[kind])


# --- columns ----------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    required: bool = False
    aliases: tuple = ()
    example: object = None
    help: str = ""


IDENTITY_COLUMNS = [
    Column("full_name", "Họ và tên", True, ("Họ tên", "Tên hội viên"), "Nguyễn Thị Mẫu"),
    Column(
        "birth_date",
        "Ngày sinh",
        True,
        ("Ngày tháng năm sinh",),
        datetime.date(1990, 5, 17),
        "Ô kiểu ngày của Excel, hoặc chữ dạng ngày/tháng/năm (17/05/1990).",
    ),
    Column(
        "cccd",
        "Số CCCD",
        False,
        ("CCCD", "Căn cước công dân", "Số căn cước", "Số căn cước công dân", "Số định danh"),
        "001190012345",
        "12 chữ số. Nên ghi: hội viên được nhận ra theo số CCCD trước tiên.",
    ),
    Column(
        "branch",
        "Chi hội",
        True,
        ("Tên chi hội",),
        "Chi hội Thôn Ví Dụ",
        "Tên chi hội như thường ghi, có dấu hay không dấu đều được (“Chi hội Thôn Đông”, "
        "“thôn đông”, “Thon Dong”).",
    ),
    Column(
        "commune",
        "Hội LHPN xã",
        False,
        ("Xã", "Xã/phường", "Xã, phường", "Hội LHPN xã/phường", "Phường"),
        "",
        "Chỉ cần khi trong phạm vi của bạn có nhiều chi hội cùng tên.",
    ),
]

PEOPLE_COLUMNS = [
    *IDENTITY_COLUMNS,
    Column("ethnicity", "Dân tộc", False, (), "Kinh"),
    Column("religion", "Tôn giáo", False, (), "Không"),
    Column(
        "education",
        "Trình độ học vấn",
        False,
        ("Học vấn", "Trình độ văn hóa"),
        "Trung học phổ thông",
    ),
    Column("occupation", "Nghề nghiệp", False, (), "Làm ruộng"),
    Column("phone", "Điện thoại", False, ("Số điện thoại", "SĐT", "ĐT"), "0912345678"),
    Column("residence", "Nơi ở hiện nay", False, ("Nơi ở", "Địa chỉ"), "Thôn Đông"),
    Column("joined_hoi_on", "Ngày vào Hội", False, (), datetime.date(2010, 3, 8)),
    Column("working_away", "Đi làm ăn xa", False, (), "Không", "Có / Không."),
    Column("is_core_member", "Hội viên nòng cốt", False, (), "Có", "Có / Không."),
    Column("is_exemplar", "Gương điển hình", False, (), "Không", "Có / Không."),
    Column("exemplar_citation", "Thành tích điển hình", False, (), ""),
]

CASE_COLUMNS = [
    *IDENTITY_COLUMNS,
    Column(
        "step",
        "Bước hiện tại",
        True,
        ("Bước",),
        str(Step.DECISION.label),
        "Một trong: "
        + "; ".join(str(s.label) for s in Step)
        + ". Ghi ngày (và số văn bản) của bước này và của mọi bước trước nó; các cột của "
        "bước sau bị bỏ qua.",
    ),
    Column("source_on", "Ngày tạo nguồn", False, (), datetime.date(2024, 1, 15)),
    Column(
        "cultivation_on",
        "Ngày bắt đầu bồi dưỡng",
        False,
        ("Ngày bồi dưỡng",),
        datetime.date(2024, 2, 1),
    ),
    Column(
        "introduced_on",
        "Ngày giới thiệu cho chi bộ",
        False,
        ("Ngày giới thiệu",),
        datetime.date(2024, 6, 3),
    ),
    Column(
        "cell",
        "Chi bộ",
        False,
        ("Chi bộ được giới thiệu",),
        "Chi bộ Thôn Ví Dụ",
        "Để trống: chi bộ cùng thôn với chi hội.",
    ),
    Column("intro_doc", "Số văn bản giới thiệu", False, (), "12/GT-PN"),
    Column(
        "sympathiser_on",
        "Ngày vào danh sách cảm tình Đảng",
        False,
        ("Ngày cảm tình Đảng",),
        datetime.date(2024, 7, 1),
    ),
    Column(
        "helper",
        "Đảng viên được phân công giúp đỡ",
        False,
        ("Đảng viên giúp đỡ",),
        "Lý Văn Giúp",
    ),
    Column(
        "certificate_no",
        "Số giấy chứng nhận",
        False,
        ("Số GCN", "Số giấy chứng nhận lớp bồi dưỡng"),
        "125/GCN-TTCT",
        "Giấy chứng nhận lớp bồi dưỡng nhận thức về Đảng (có giá trị 60 tháng).",
    ),
    Column(
        "certificate_on",
        "Ngày cấp giấy chứng nhận",
        False,
        ("Ngày cấp GCN",),
        datetime.date(2024, 8, 20),
    ),
    Column(
        "class_title",
        "Lớp bồi dưỡng nhận thức về Đảng",
        False,
        ("Tên lớp", "Lớp bồi dưỡng", "Tên lớp bồi dưỡng"),
        "Lớp bồi dưỡng nhận thức về Đảng khóa 2/2024",
        "Tên lớp. Để trống: “Lớp bồi dưỡng nhận thức về Đảng năm <năm cấp giấy>”.",
    ),
    Column(
        "class_organiser",
        "Đơn vị tổ chức lớp",
        False,
        ("Đơn vị mở lớp",),
        "Đảng ủy Xã Ví Dụ",
        "Để trống: Đảng ủy xã của hội viên (nếu tài khoản của bạn ghi nhận được lớp của "
        "Đảng ủy), nếu không thì Hội LHPN xã.",
    ),
    Column("dossier_on", "Ngày hoàn thiện hồ sơ", False, (), datetime.date(2024, 9, 10)),
    Column(
        "application_on",
        "Ngày đơn xin vào Đảng (1-KNĐ)",
        False,
        ("Ngày đơn xin vào Đảng",),
        None,
        "Để trống: lấy ngày hoàn thiện hồ sơ. Tương tự cho 2-KNĐ, thẩm tra và 5-KNĐ.",
    ),
    Column("history_on", "Ngày lý lịch (2-KNĐ)", False, ("Ngày lý lịch",), None),
    Column("verification_on", "Ngày thẩm tra lý lịch xong", False, (), None),
    Column(
        "residence_comment_on",
        "Ngày chi bộ nơi cư trú nhận xét (5-KNĐ)",
        False,
        ("Ngày chi bộ nơi cư trú nhận xét",),
        None,
    ),
    Column(
        "hoi_comment",
        "Nhận xét của Hội LHPN (5-KNĐ)",
        False,
        ("Nhận xét của Hội",),
        "Gương mẫu, nhiệt tình trong công tác Hội.",
        "Bắt buộc khi hồ sơ chưa có nhận xét của Hội.",
    ),
    *(
        column
        for n, (name, unit, since) in enumerate(
            [
                ("Hoàng Văn Một", "Chi bộ Thôn Ví Dụ", datetime.date(2020, 1, 1)),
                ("Đàm Thị Hai", "Chi bộ Thôn Ví Dụ", datetime.date(2021, 3, 1)),
            ],
            start=1,
        )
        for column in (
            Column(f"introducer{n}_name", f"Người giới thiệu {n}", False, (), name),
            Column(
                f"introducer{n}_unit",
                f"Chi bộ của người giới thiệu {n}",
                False,
                (f"Nơi sinh hoạt của người giới thiệu {n}",),
                unit,
            ),
            Column(
                f"introducer{n}_since",
                f"Người giới thiệu {n} cùng công tác từ ngày",
                False,
                (f"Ngày cùng công tác của người giới thiệu {n}",),
                since,
                "Đảng viên chính thức, đã cùng công tác, sinh hoạt với người vào Đảng ít nhất "
                "12 tháng.",
            ),
        )
    ),
    Column(
        "cell_resolution_on",
        "Ngày nghị quyết chi bộ (6-KNĐ)",
        False,
        ("Ngày chi bộ đề nghị kết nạp",),
        datetime.date(2024, 9, 20),
    ),
    Column("cell_resolution_no", "Số nghị quyết chi bộ", False, (), "05-NQ/CB"),
    Column(
        "votes_for",
        "Số phiếu tán thành",
        False,
        ("Số đảng viên tán thành",),
        14,
        "Cần ít nhất 2/3 số đảng viên chính thức của chi bộ.",
    ),
    Column(
        "members",
        "Số đảng viên chính thức",
        False,
        ("Số đảng viên chính thức của chi bộ", "Số đảng viên dự họp"),
        18,
    ),
    Column(
        "committee_resolution_on",
        "Ngày nghị quyết Đảng ủy (8-KNĐ)",
        False,
        ("Ngày Đảng ủy xét",),
        datetime.date(2024, 10, 15),
    ),
    Column("committee_resolution_no", "Số nghị quyết Đảng ủy", False, (), "31-NQ/ĐU"),
    Column(
        "decision_on",
        "Ngày quyết định kết nạp (9-KNĐ)",
        False,
        ("Ngày quyết định kết nạp",),
        datetime.date(2024, 10, 25),
    ),
    Column("decision_no", "Số quyết định kết nạp", False, (), "112-QĐ/ĐU"),
    Column("ceremony_on", "Ngày lễ kết nạp", False, (), None),
    Column("official_on", "Ngày công nhận đảng viên chính thức", False, (), None),
    Column(
        "official_no",
        "Số quyết định công nhận chính thức",
        False,
        ("Số nghị quyết công nhận chính thức",),
        None,
    ),
]

COLUMNS = {Kind.PEOPLE: PEOPLE_COLUMNS, Kind.CASES: CASE_COLUMNS}
PERSON_FIELD_COLUMN = {c.key: c.label for c in PEOPLE_COLUMNS}


def _header_key(label) -> str:
    return re.sub(r"[^a-z0-9]+", " ", fold(str(label or ""))).strip()


def map_header(header: list[str], columns: list[Column]) -> tuple[dict[str, int], list[dict]]:
    """Which file column holds which field. Unknown columns (such as the “Dòng” and
    “Lỗi” columns of an error report) are ignored."""
    lookup = {}
    for column in columns:
        for name in (column.label, *column.aliases):
            lookup.setdefault(_header_key(name), column)
    index: dict[str, int] = {}
    errors = []
    for i, label in enumerate(header):
        column = lookup.get(_header_key(label))
        if column is None:
            continue
        if column.key in index:
            errors.append(_error(1, column.label, f"cột “{column.label}” có hai lần."))
            continue
        index[column.key] = i
    for column in columns:
        if column.required and column.key not in index:
            errors.append(_error(1, column.label, f"thiếu cột “{column.label}”."))
    return index, errors


def _error(row: int, column: str, message: str) -> dict:
    return {"row": row, "column": column, "message": message}


def format_error(error: dict) -> str:
    if error.get("column"):
        return f"Dòng {error['row']}, cột {error['column']}: {error['message']}"
    return f"Dòng {error['row']}: {error['message']}"


# --- matching names ---------------------------------------------------------------

_UNIT_PREFIXES = (
    "chi hoi phu nu ",
    "chi hoi ",
    "chi bo ",
    "hoi lien hiep phu nu ",
    "hoi lhpn ",
    "hoi phu nu ",
    "dang bo ",
    "dang uy ",
    "xa ",
    "phuong ",
    "thi tran ",
    "dac khu ",
)


def name_keys(name: str) -> set[str]:
    """The folded forms a unit's name may be written in: "Chi hội Thôn Đông" gives
    {"chi hoi thon dong", "thon dong"}."""
    key = re.sub(r"[^a-z0-9]+", " ", fold(name)).strip()
    keys = {key}
    changed = True
    while changed:
        changed = False
        for prefix in _UNIT_PREFIXES:
            if key.startswith(prefix) and len(key) > len(prefix):
                key = key[len(prefix) :]
                keys.add(key)
                changed = True
    return keys


def _index(units: Iterable) -> dict[str, list]:
    out: dict[str, list] = {}
    for unit in units:
        for key in name_keys(unit.name):
            out.setdefault(key, []).append(unit)
    return out


def _lookup(index: dict[str, list], name: str) -> list:
    found = {}
    for key in name_keys(name):
        for unit in index.get(key, ()):
            found[unit.pk] = unit
    return list(found.values())


class UnitResolver:
    """Find a chi hội by the name a user wrote, within her scope for ``action``."""

    def __init__(self, user, action: str):
        units = (
            Unit.objects.restrict(user, action)
            .active()
            .filter(tree=Tree.HOI, level__code__in=people_services.BRANCH_LEVEL_CODES)
            .select_related("parent", "parent__counterpart", "level")
        )
        self.units = list(units)
        self.index = _index(self.units)
        self._outside = None
        self._cache: dict = {}

    def _outside_index(self):
        if self._outside is None:
            mine = {u.pk for u in self.units}
            others = (
                Unit.objects.active()
                .filter(tree=Tree.HOI, level__code__in=people_services.BRANCH_LEVEL_CODES)
                .exclude(pk__in=mine)
                .only("pk", "name")
            )
            self._outside = _index(others)
        return self._outside

    def resolve(self, name: str, commune: str = ""):
        key = (name, commune)
        if key not in self._cache:
            try:
                self._cache[key] = self._resolve(name, commune)
            except CellError as exc:
                self._cache[key] = exc
        result = self._cache[key]
        if isinstance(result, CellError):
            raise result
        return result

    def _resolve(self, name: str, commune: str):
        found = _lookup(self.index, name)
        if commune:
            wanted = name_keys(commune)
            found = [u for u in found if u.parent and name_keys(u.parent.name) & wanted]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            names = "; ".join(f"{u.name} ({u.parent.name if u.parent else ''})" for u in found[:5])
            raise CellError(
                f"“{name}” khớp với nhiều chi hội: {names}. Hãy ghi thêm cột “Hội LHPN xã” "
                "hoặc ghi đúng tên chi hội."
            )
        if _lookup(self._outside_index(), name):
            raise CellError(f"Chi hội “{name}” nằm ngoài phạm vi quản lý của bạn.")
        where = f" thuộc “{commune}”" if commune else ""
        raise CellError(f"Không tìm thấy chi hội “{name}”{where} trong phạm vi của bạn.")


def _choice_index(choices, extra=None) -> dict[str, str]:
    out = {}
    for code, label in choices:
        out[_header_key(code)] = code
        out[_header_key(str(label))] = code
    for alias, code in (extra or {}).items():
        out[_header_key(alias)] = code
    return out


ETHNICITY_INDEX = {re.sub(r"[^a-z0-9]", "", fold(n)): n for n in ETHNIC_GROUPS}
RELIGION_INDEX = _choice_index(RELIGION_CHOICES, {"": "none", "khong co": "none"})
EDUCATION_INDEX = _choice_index(
    EDUCATION_CHOICES,
    {
        "THCS": "lower_secondary",
        "9/12": "lower_secondary",
        "THPT": "upper_secondary",
        "12/12": "upper_secondary",
        "Cấp 2": "lower_secondary",
        "Cấp 3": "upper_secondary",
        "Cấp 1": "primary",
        "5/12": "primary",
        "Thạc sĩ": "postgraduate",
        "Tiến sĩ": "postgraduate",
    },
)


def _step_index() -> dict[str, str]:
    out = {}
    for step in Step:
        label = str(step.label)
        out[_header_key(label)] = step.value
        out[_header_key(re.sub(r"\(.*?\)", "", label))] = step.value
        out[_header_key(step.value)] = step.value
    return out


STEP_INDEX = _step_index()
IMPORTABLE_STEPS = tuple(Step.values)
STEP_DATE_COLUMN = {
    Step.SOURCE: "source_on",
    Step.CULTIVATION: "cultivation_on",
    Step.INTRODUCED: "introduced_on",
    Step.SYMPATHISER: "sympathiser_on",
    Step.CLASS: "certificate_on",
    Step.DOSSIER: "dossier_on",
    Step.CELL_RESOLUTION: "cell_resolution_on",
    Step.COMMITTEE_RESOLUTION: "committee_resolution_on",
    Step.DECISION: "decision_on",
    Step.CEREMONY: "ceremony_on",
    Step.OFFICIAL: "official_on",
}
# The column of a step's document number, where it has one.
STEP_DOC_COLUMN = {
    Step.INTRODUCED: "intro_doc",
    Step.CLASS: "certificate_no",
    Step.CELL_RESOLUTION: "cell_resolution_no",
    Step.COMMITTEE_RESOLUTION: "committee_resolution_no",
    Step.DECISION: "decision_no",
    Step.OFFICIAL: "official_no",
}
DOSSIER_DATE_COLUMNS = ("application_on", "history_on", "verification_on", "residence_comment_on")


# --- one row ----------------------------------------------------------------------


@dataclass
class RowPlan:
    number: int
    action: str = UNCHANGED
    errors: list = field(default_factory=list)
    data: dict = field(default_factory=dict)

    def error(self, column: str, message: str):
        self.errors.append(_error(self.number, column, message))


class RowFailure(Exception):
    """A row could not be applied during the commit: the transaction is rolled back."""

    def __init__(self, errors: list[dict]):
        super().__init__("; ".join(format_error(e) for e in errors))
        self.errors = errors


def _validation_messages(exc: ValidationError, field_columns: dict) -> list[tuple[str, str]]:
    out = []
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            column = field_columns.get(name, "")
            out.extend((column, message) for message in errors)
    else:
        out.extend(("", message) for message in exc.messages)
    return out


_PARSED = "\0parsed"  # where a row's cells keep its parsed name and CCCD


def _among(column: str, values) -> RawSQL:
    """``<column> IN values`` for Person, with the values as one parameter (an array
    on PostgreSQL, a JSON list on SQLite): Django's ``__in`` handles each of a
    chunk's thousand values one by one, which costs more than the query."""
    values = sorted(values)
    conn = connections[router.db_for_read(Person)]
    qn = conn.ops.quote_name
    ref = f"{qn(Person._meta.db_table)}.{qn(Person._meta.get_field(column).column)}"
    if conn.vendor == "postgresql":
        return RawSQL(f"{ref} = ANY(%s)", (values,), output_field=BooleanField())
    if conn.vendor == "sqlite":
        return RawSQL(
            f"{ref} IN (SELECT value FROM json_each(%s))",
            (json.dumps(values),),
            output_field=BooleanField(),
        )
    return Q(**{f"{column}__in": values})


class BaseImporter:
    kind: str
    columns: list[Column]

    def __init__(self, user, *, check: bool = True):
        self.user = user
        self.check = check  # False while applying: the services check every row again
        self.units = UnitResolver(user, KIND_ACTION[self.kind])
        self.seen: dict = {}
        self._cccd_cache: dict | None = None
        self._name_cache: dict | None = None
        self._folded: dict[str, str] = {}  # name → fold(name), for the current chunk
        self._labels = {c.key: c.label for c in self.columns}
        self.lock = False  # while committing: lock the matched members' rows

    def _people(self, *conditions, **filters) -> list:
        """The members matching, each with her chi hội, in two queries: a plain
        query on people_person (so the planner answers it from the CCCD or name
        index, whatever its estimates of the units table) and the chi hội by id."""
        qs = Person.objects.filter(*conditions, **filters).order_by()
        if self.lock:
            qs = qs.select_for_update()
        people = list(qs)
        units = Unit.objects.in_bulk({p.branch_id for p in people})
        cache = Person.branch.field.set_cached_value
        for person in people:
            cache(person, units[person.branch_id])
        return people

    def fold_name(self, name: str) -> str:
        """``fold(name)``, computed once per row (the duplicate check, the match and
        the twin check all need it)."""
        folded = self._folded.get(name)
        if folded is None:
            folded = self._folded[name] = fold(name)
        return folded

    def prefetch(self, chunk: list[dict]) -> None:
        """Load the members a chunk of rows may be about in two queries instead of
        two per row: by CCCD, and by folded name within the chi hội the rows name
        (a name + birth date match is always within the row's chi hội, so members
        of the same name elsewhere are not loaded). Rows in one file never refer to
        the same member (duplicates are errors), so what the chunk writes cannot
        change another row's match."""
        cccds, names, branches = set(), set(), set()
        self._folded = {}
        for cells in chunk:
            name, cccd, _error = self._name_and_cccd(cells)
            if cccd:
                cccds.add(cccd)
            if name:
                names.add(self.fold_name(name))
            branch_name = text(cells.get("branch"))
            if branch_name:
                with contextlib.suppress(CellError):
                    branches.add(self.units.resolve(branch_name, text(cells.get("commune"))).pk)
        self._load(cccds, names, branches)

    def _load(self, cccds: set, names: set, branches: set) -> None:
        """The members with one of ``cccds``, and those of ``branches`` with one of the
        folded ``names`` (see :meth:`prefetch`)."""
        self._cccd_cache = {p.cccd: p for p in self._people(_among("cccd", cccds))} if cccds else {}
        self._name_cache = {}
        if names and branches:
            found = self._people(
                _among("search_name", names), branch_id__in=branches, archived_at__isnull=True
            )
            for p in found:
                key = (p.search_name, p.birth_date, p.branch_id)
                self._name_cache.setdefault(key, []).append(p)

    def _person_by_cccd(self, cccd):
        if self._cccd_cache is not None:
            return self._cccd_cache.get(cccd)
        return Person.objects.filter(cccd=cccd).select_related("branch").first()

    def _people_by_name(self, search_name, birth, branch) -> list:
        if self._name_cache is not None:
            return self._name_cache.get((search_name, birth, branch.pk), [])[:2]
        return list(
            Person.objects.filter(
                search_name=search_name, birth_date=birth, branch=branch, archived_at__isnull=True
            ).select_related("branch")[:2]
        )

    def label(self, key):
        return self._labels[key]

    def _date(self, plan, cells, key, required=False):
        label = self.label(key)
        try:
            value = parse_date(cells.get(key), label)
        except CellError as exc:
            plan.error(label, str(exc))
            return None
        if value is None and required:
            plan.error(label, f"vui lòng ghi {label.lower()}.")
        return value

    @staticmethod
    def _name_and_cccd(cells) -> tuple[str, str, str | None]:
        """The row's name and CCCD as parsed (and the CCCD cell's error), worked out
        once: the prefetch needs them before the row is planned."""
        parsed = cells.get(_PARSED)
        if parsed is None:
            try:
                cccd, error = parse_cccd(cells.get("cccd")), None
            except CellError as exc:
                cccd, error = "", str(exc)
            parsed = cells[_PARSED] = (normalize_name(text(cells.get("full_name"))), cccd, error)
        return parsed

    def _identity(self, plan, cells):
        """Name, birth date, CCCD and chi hội of the row, or None on an error."""
        name, cccd, cccd_error = self._name_and_cccd(cells)
        if not name:
            plan.error(self.label("full_name"), "vui lòng ghi họ và tên.")
        birth = self._date(plan, cells, "birth_date", required=True)
        if cccd_error:
            plan.error(self.label("cccd"), cccd_error)
        if cccd and (not cccd.isdigit() or len(cccd) != 12):
            plan.error(self.label("cccd"), f"“{cccd}”: số CCCD phải gồm đúng 12 chữ số.")
        branch = None
        branch_name = text(cells.get("branch"))
        if not branch_name:
            plan.error(self.label("branch"), "vui lòng ghi tên chi hội.")
        else:
            try:
                branch = self.units.resolve(branch_name, text(cells.get("commune")))
            except CellError as exc:
                plan.error(self.label("branch"), str(exc))
        return name, birth, cccd, branch

    def _duplicate(self, plan, name, birth, cccd, branch) -> bool:
        keys = []
        if cccd:
            keys.append((("cccd", cccd), "cùng số CCCD"))
        if name and birth and branch:
            keys.append(
                (
                    ("nb", self.fold_name(name), birth, branch.pk),
                    "cùng họ tên, ngày sinh và chi hội",
                )
            )
        for key, why in keys:
            first = self.seen.get(key)
            if first is not None:
                plan.error("", f"trùng với dòng {first} ({why}).")
                return True
        for key, _why in keys:
            self.seen[key] = plan.number
        return False

    def _match(self, plan, name, birth, cccd, branch, action: str):
        """The existing member this row is about, or None. Errors are added to
        ``plan``. CCCD first, then name + date of birth + chi hội."""
        cccd_label, branch_label = self.label("cccd"), self.label("branch")
        if cccd:
            person = self._person_by_cccd(cccd)
            if person is not None:
                if not permissions.can(self.user, action, person.branch):
                    plan.error(
                        cccd_label,
                        f"số CCCD {cccd} đã có trong hệ thống (thuộc một hội viên khác).",
                    )
                    return None
                if person.is_archived:
                    plan.error(cccd_label, f"hội viên có số CCCD {cccd} đã được lưu trữ.")
                    return None
                if person.branch_id != branch.pk:
                    plan.error(
                        branch_label,
                        f"hội viên có số CCCD {cccd} ({person.full_name}) đang sinh hoạt ở "
                        f"{person.branch.name}; muốn chuyển chi hội hãy dùng chức năng "
                        "chuyển sinh hoạt.",
                    )
                    return None
                return person
        twins = self._people_by_name(self.fold_name(name), birth, branch)
        if len(twins) > 1:
            plan.error(
                "",
                "chi hội có nhiều hội viên cùng họ tên và ngày sinh này; hãy ghi số CCCD để "
                "phân biệt.",
            )
            return None
        if twins:
            twin = twins[0]
            if cccd and twin.cccd and twin.cccd != cccd:
                plan.error(
                    cccd_label,
                    f"chi hội đã có hội viên {twin.full_name} cùng ngày sinh nhưng số CCCD khác "
                    f"({twin.cccd}); hãy kiểm tra lại.",
                )
                return None
            return twin
        return None


# --- writing rows in bulk ---------------------------------------------------------


class RowWriter:
    """Plain rows (values by attname, in the order of ``attnames``) into one
    model's table, inside the caller's transaction, without model instances or the
    ORM's SQL compiler (which cost more than the database itself here).

    On PostgreSQL the rows go through ``COPY … FROM STDIN`` (psycopg 3), and new ids
    are taken from the table's sequence first when the caller needs them; on other
    databases (SQLite) through multi-row INSERTs with each field's
    ``get_db_prep_save``, ids by RETURNING. The values are the model's: the caller
    gives every column that has no plain default (``defaults`` fills the rest
    from the fields' own defaults). No signals are sent, as with ``bulk_create``."""

    def __init__(self, model, attnames: list[str], pipe: "CopyPipe | None" = None):
        self.model = model
        self.pipe = pipe  # COPYs go through it (sent later, run in its thread)
        self.conn = connections[router.db_for_write(model)]
        by_attname = {f.attname: f for f in model._meta.concrete_fields}
        self.fields = [by_attname[a] for a in attnames]
        self.pk = model._meta.pk
        self.copy = self.conn.vendor == "postgresql"
        self.json = [i for i, f in enumerate(self.fields) if f.get_internal_type() == "JSONField"]

    def _log(self, sql: str, started: float) -> None:
        if self.conn.queries_logged:  # keeps query counts (tests, debug toolbar) honest
            self.conn.queries_log.append({"sql": sql, "time": f"{time.monotonic() - started:.3f}"})

    def new_ids(self, n: int) -> list[int]:
        """``n`` ids from the table's own sequence (PostgreSQL)."""
        qn = self.conn.ops.quote_name
        with self.conn.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [qn(self.model._meta.db_table), self.pk.column, n],
            )
            return [i for (i,) in cursor.fetchall()]

    def write(
        self, rows: list[list], *, returning_pk: bool = False, ids: list[int] | None = None
    ) -> list[int] | None:
        """Insert ``rows``; with ``returning_pk`` return their new ids, in order
        (on PostgreSQL, ``ids``: ids already taken from the sequence, at least one a
        row, else they are taken now)."""
        if not rows:
            return [] if returning_pk else None
        if self.copy:
            return self._copy(rows, returning_pk, ids)
        return self._insert(rows, returning_pk)

    def _copy(self, rows, returning_pk, ids=None):
        qn = self.conn.ops.quote_name
        fields = self.fields
        if returning_pk:
            if ids is None or len(ids) < len(rows):
                ids = [*(ids or ()), *self.new_ids(len(rows) - len(ids or ()))]
            ids = ids[: len(rows)]  # those left over stay unused, like a rolled-back insert's
            fields = [self.pk, *fields]
        else:
            ids = None
        sql = (
            f"COPY {qn(self.model._meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "
            "FROM STDIN"
        )
        data = self._copy_data(rows, ids)

        def run(connection) -> None:
            with connection.cursor() as cursor, cursor.copy(sql) as copy:
                copy.write(data)

        started = time.monotonic()
        if self.pipe is not None:
            self.pipe.add(run)
        else:
            with self.conn.cursor() as cursor:
                run(cursor.cursor.connection)
        self._log(sql, started)
        return ids

    def _copy_data(self, rows, ids) -> bytes:
        """The rows in COPY's text format, as psycopg writes them (its ``Copy`` with
        a ``FileWriter``: no query), so the thread that sends them
        (:class:`CopyPipe`) has only the sending to do."""
        from psycopg import Copy
        from psycopg.copy import FileWriter

        buffer = io.BytesIO()
        json_columns = self.json
        with (
            self.conn.connection.cursor() as cursor,
            Copy(cursor, writer=FileWriter(buffer)) as copy,
        ):
            write_row = copy.write_row
            for n, row in enumerate(rows):
                if json_columns:
                    row = list(row)
                    for i in json_columns:
                        if row[i] is not None:
                            row[i] = json.dumps(row[i])
                write_row((ids[n], *row) if ids is not None else row)
        return buffer.getvalue()

    def _insert(self, rows, returning_pk):
        conn, qn = self.conn, self.conn.ops.quote_name
        fields = self.fields
        columns = ", ".join(qn(f.column) for f in fields)
        one = "(" + ", ".join(["%s"] * len(fields)) + ")"
        limit = 999 if conn.vendor == "sqlite" else 65535  # bound parameters per statement
        size = max(1, limit // len(fields))
        returning = f" RETURNING {qn(self.pk.column)}" if returning_pk else ""
        ids = [] if returning_pk else None
        # get_db_prep_save, except where it gives the value back as it is: text,
        # whole numbers, yes/no and NULL in fields of those kinds
        preps = [(f.get_db_prep_save, _PLAIN_TYPES.get(f.get_internal_type(), ())) for f in fields]
        with conn.cursor() as cursor:
            for start in range(0, len(rows), size):
                batch = rows[start : start + size]
                params = []
                append = params.append
                for row in batch:
                    for (prep, plain), v in zip(preps, row, strict=True):
                        append(v if type(v) in plain else prep(v, conn))
                sql = (
                    f"INSERT INTO {qn(self.model._meta.db_table)} ({columns}) VALUES "
                    + ", ".join([one] * len(batch))
                    + returning
                )
                cursor.execute(sql, params)
                if returning_pk:
                    ids.extend(i for (i,) in cursor.fetchall())
        return ids


class CopyPipe:
    """The commit's COPYs (PostgreSQL), run in a thread of their own, in order, on the
    transaction's connection, so the server inserts a chunk of rows while this
    process works out the next chunk (the client and the server on two cores).

    :meth:`add` holds a COPY; :meth:`send` starts the held ones (after the next
    chunk's members were loaded, so those queries do not wait behind them); psycopg
    runs one operation at a time on a connection, so any other query of the commit
    simply waits for the COPY in progress. :meth:`wait` waits for every COPY and
    raises the first one's error; :meth:`close` (always called) waits for the one
    in progress and drops the others, so the transaction's rollback never races a
    COPY.

    While a pipe is open the interpreter hands the GIL over every
    ``SWITCH_INTERVAL`` seconds rather than every 5 ms: the COPY thread wakes on its
    socket a few times per COPY (the server asks for the data, takes it as it
    inserts, answers), and each time it waited for this process's busy thread to let
    go of the GIL the server had nothing to do."""

    SWITCH_INTERVAL = 0.0005
    _switch_lock = threading.Lock()
    _switch_users = 0
    _switch_saved: float | None = None

    def __init__(self, connection):
        from concurrent.futures import ThreadPoolExecutor

        self.connection = connection  # the psycopg connection
        self.held: list = []
        self.running: list = []
        self.constraints: list[str] = []  # checked as each COPY ends (check_now)
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="uutu-copy")
        self._closed = False
        cls = type(self)
        with cls._switch_lock:
            if cls._switch_users == 0:
                saved = sys.getswitchinterval()
                if saved > cls.SWITCH_INTERVAL:
                    cls._switch_saved = saved
                    sys.setswitchinterval(cls.SWITCH_INTERVAL)
            cls._switch_users += 1

    @classmethod
    def open(cls, model) -> "CopyPipe | None":
        """A pipe on ``model``'s connection when it is PostgreSQL's, else None."""
        conn = connections[router.db_for_write(model)]
        if conn.vendor != "postgresql":
            return None
        conn.ensure_connection()
        return cls(conn.connection)

    def check_now(self, models) -> None:
        """Check the (deferred) foreign keys of ``models``' tables at the end of each
        statement, so in the COPY's time, alongside this process's work on the next
        chunk, rather than all at once at COMMIT while this process waits. The same
        checks, made earlier: a row that breaks one fails its COPY, and so the import,
        and the one transaction rolls back. :meth:`check_at_commit` defers them
        again; a rollback (of the transaction or of a savepoint around it) undoes
        it too. Call it before the first COPY is sent."""
        conn = connections[router.db_for_write(models[0])]
        qn = conn.ops.quote_name
        with conn.cursor() as cursor:
            cursor.execute(
                "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.conname) "
                "FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
                "WHERE c.contype = 'f' AND c.condeferrable AND c.condeferred "
                "AND c.conrelid = ANY(%s::regclass[])",
                [[qn(m._meta.db_table) for m in models]],
            )
            names = sorted(name for (name,) in cursor.fetchall())
            if names:
                cursor.execute(f"SET CONSTRAINTS {', '.join(names)} IMMEDIATE")
        self.constraints = names
        self.alias = conn.alias

    def check_at_commit(self) -> None:
        """Defer again the foreign keys :meth:`check_now` made immediate (they are
        declared INITIALLY DEFERRED), once every COPY is done (:meth:`wait`)."""
        if self.constraints:
            with connections[self.alias].cursor() as cursor:
                cursor.execute(f"SET CONSTRAINTS {', '.join(self.constraints)} DEFERRED")
            self.constraints = []

    def add(self, job) -> None:
        self.held.append(job)

    def send(self) -> None:
        for job in self.held:
            self.running.append(self.executor.submit(job, self.connection))
        self.held = []
        if self.running and self.running[0].done():
            self.running = [f for f in self.running if not f.done() or f.exception()]

    def wait(self) -> None:
        self.send()
        running, self.running = self.running, []
        for future in running:
            future.result()

    def close(self) -> None:
        self.held = []
        self.executor.shutdown(wait=True, cancel_futures=True)
        if self._closed:
            return
        self._closed = True
        cls = type(self)
        with cls._switch_lock:
            cls._switch_users -= 1
            if cls._switch_users == 0 and cls._switch_saved is not None:
                sys.setswitchinterval(cls._switch_saved)
                cls._switch_saved = None


_NUMBER = (int, type(None))
_PLAIN_TYPES = {
    "CharField": (str, type(None)),
    "TextField": (str, type(None)),
    "BooleanField": (bool, type(None)),
    "ForeignKey": _NUMBER,
    "IntegerField": _NUMBER,
    "BigIntegerField": _NUMBER,
    "SmallIntegerField": _NUMBER,
    "PositiveIntegerField": _NUMBER,
    "PositiveSmallIntegerField": _NUMBER,
    "AutoField": _NUMBER,
    "BigAutoField": _NUMBER,
}


def _defaults(model, given) -> dict:
    """The model's default for every concrete column not in ``given`` (not the pk)."""
    return {
        f.attname: f.get_default()
        for f in model._meta.concrete_fields
        if not f.primary_key and f.attname not in given
    }


_NAME_WORDS: dict[str, tuple[str, str]] = {}  # word → (fold(word), its sort code)


def _name_word(word: str) -> tuple[str, str]:
    hit = _NAME_WORDS.get(word)
    if hit is None:
        if len(_NAME_WORDS) > 20_000:
            _NAME_WORDS.clear()
        if word.isascii():
            hit = _ascii_word(word)
        else:
            primary, tones = text_utils._word_key(word)
            hit = (fold(word), f"{primary}{text_utils._WORD_SEP}{tones}")
        _NAME_WORDS[word] = hit
    return hit


_ASCII_CODE = {
    chr(c): text_utils._LETTER_CODE.get(chr(c)) or text_utils._DIGIT_CODE.get(chr(c)) or ""
    for c in range(128)
}


def _ascii_word(word: str) -> tuple[str, str]:
    """``(fold(word), its sort code)`` of a word of ASCII characters without
    whitespace (a word of a name: "Nguyen", "000123"), as :func:`_name_word` gives
    them through ``core.text``: such a word decomposes into itself, lower-cased,
    with no marks, so each letter or digit gives its code and a tone of 0, and
    anything else nothing (``tests/test_bulk_import.py`` compares the two)."""
    lower = word.lower()
    codes = [_ASCII_CODE[c] for c in lower]
    primary = "".join(codes)
    kept = len(codes) - codes.count("")
    return lower, f"{primary}{text_utils._WORD_SEP}{'0' * kept}"


def name_fields(full_name: str) -> tuple[str, str, str, str, str, str]:
    """``core.text.name_fields`` with each word's folded form and sort code
    remembered: an import repeats the same family, middle and given names thousands
    of times. The same values (``tests/test_bulk_import.py`` compares them)."""
    full = normalize_name(full_name)
    if not full or full != full_name:
        return text_utils.name_fields(full_name)
    # full_name is normalised already (the import's names are): normalize_name(full)
    # is full, so split_full_name(full) splits full itself, and fold works word by
    # word (a space decomposes to nothing and is no combining mark)
    words = full.split(" ")
    if len(words) == 1:
        family, middle, given = "", "", words[0]
        order = [given]
    else:
        family, middle, given = words[0], " ".join(words[1:-1]), words[-1]
        order = [given, *words[1:-1], family]
    folded, codes = [], []
    for word in words:
        folded.append(_name_word(word)[0])
    for word in order:
        codes.append(_name_word(word)[1])
    if "" in folded:  # a word of marks only: fold's spaces are collapsed
        return text_utils.name_fields(full)
    return full, family, middle, given, " ".join(folded), "".join(codes)[:250]


_new_object = object.__new__


class PeopleImporter(BaseImporter):
    kind = Kind.PEOPLE
    columns = PEOPLE_COLUMNS
    _plain_init = None  # whether Person(*values) is only _state and the values

    def __init__(self, user, **kwargs):
        super().__init__(user, **kwargs)
        self._may_add: dict = {}
        self._clean_cache: dict = {}  # (field, value) → result, emptied past 20,000
        self._codes: dict = {}  # (column, type, cell) → (value, error) of coded columns
        self._name_columns: dict = {}  # name → name_fields(name), for the current chunk
        fields = Person._meta.concrete_fields
        self._slot = {f.attname: i for i, f in enumerate(fields)}
        self._slot["branch"] = self._slot["branch_id"]
        # Person(*values) is several times cheaper than Person(**fields); the defaults
        # are those Person(**fields) would use (constants; see new_person()).
        self._blank = (
            None
            if any(f.has_default() and callable(f.default) for f in fields)
            else [f.get_default() for f in fields]
        )
        self._person_columns = [f.attname for f in fields if not f.primary_key]
        self._attnames = [f.attname for f in fields]
        self.recorder = None  # the preview's RecordWriter, for the commit (see _record)
        self._records: list = []
        self.pipe: CopyPipe | None = None  # the replayed commit's COPYs (PostgreSQL)
        self._spare_ids: list[int] = []  # ids taken for the chunk's new members

    def prefetch(self, chunk: list[dict]) -> None:
        if len(self._clean_cache) > 20_000:
            self._clean_cache.clear()
        self._name_columns = {}
        if len(self._codes) > 10_000:
            self._codes.clear()
        super().prefetch(chunk)

    def fold_name(self, name: str) -> str:
        """While committing, the name columns of a new member are needed too:
        ``name_fields`` gives them and the folded name at once."""
        if not self.lock and self.recorder is None:
            return super().fold_name(name)
        folded = self._folded.get(name)
        if folded is None:
            columns = self._name_columns[name] = name_fields(name)
            folded = columns[4] if columns[0] == name else fold(name)
            self._folded[name] = folded
        return folded

    def _coded(self, key, raw, parse):
        """``parse(raw)`` → (value, error message), remembered: the coded columns
        (ethnic group, religion, education, yes/no) repeat a few values."""
        memo = (key, type(raw), raw)
        result = self._codes.get(memo)
        if result is None:
            try:
                result = (parse(raw), None)
            except CellError as exc:
                result = (None, str(exc))
            self._codes[memo] = result
        return result

    def _ethnicity(self, raw):
        code = ETHNICITY_INDEX.get(re.sub(r"[^a-z0-9]", "", fold(text(raw))))
        if code is None:
            raise CellError(f"“{text(raw)}” không có trong danh mục 54 dân tộc Việt Nam.")
        return code

    def _optional_fields(self, plan, cells) -> dict:
        """The optional fields given in the row (a blank cell leaves a value as it is)."""
        out = {}
        raw = cells.get("ethnicity")
        if not is_blank(raw):
            value, error = self._coded("ethnicity", raw, self._ethnicity)
            if error:
                plan.error(self.label("ethnicity"), error)
            else:
                out["ethnicity"] = value
        for key, index, what in (
            ("religion", RELIGION_INDEX, "tôn giáo"),
            ("education", EDUCATION_INDEX, "trình độ học vấn"),
        ):
            raw = cells.get(key)
            if not is_blank(raw):
                code, _error = self._coded(key, raw, lambda r, i=index: i.get(_header_key(text(r))))
                if code is None:
                    plan.error(self.label(key), f"“{text(raw)}” không phải là {what} hợp lệ.")
                else:
                    out[key] = code
        for key in ("occupation", "residence", "exemplar_citation"):
            if not is_blank(cells.get(key)):
                out[key] = text(cells.get(key))
        if not is_blank(cells.get("phone")):
            out["phone"] = parse_phone(cells.get("phone"))
        joined = self._date(plan, cells, "joined_hoi_on")
        if joined:
            out["joined_hoi_on"] = joined
        for key in ("working_away", "is_core_member", "is_exemplar"):
            raw = cells.get(key)
            if raw is None:
                continue
            label = self.label(key)
            value, error = self._coded(key, raw, lambda r, label=label: parse_bool(r, label))
            if error:
                plan.error(label, error)
            elif value is not None:
                out[key] = value
        return out

    def _new_person(self, branch, fields: dict) -> Person:
        """``people.services.new_person(branch, **fields)``, built positionally."""
        if self._blank is None:
            return people_services.new_person(branch, **fields)
        values = self._blank.copy()
        slot = self._slot
        for key, value in fields.items():
            values[slot[key]] = value
        values[slot["branch_id"]] = branch.pk
        person = self._instance(values)
        Person.branch.field.set_cached_value(person, branch)
        person.full_name = (person.full_name or "").strip()
        return person

    def _instance(self, values: list) -> Person:
        """``Person(*values)``: without its (unheard) init signals, what ``Model.__init__``
        does with a value for every field: a fresh ``_state``, then each value under
        its attname (no Person field has a descriptor that stores a value otherwise;
        ``tests/test_bulk_import.py`` compares the two)."""
        if self._plain_init is None:
            type(self)._plain_init = (
                type(Person).__init__ is type.__init__
                and "__init__" not in Person.__dict__
                and not signals.pre_init.has_listeners(Person)
                and not signals.post_init.has_listeners(Person)
            )
        if not self._plain_init:
            return Person(*values)
        person = _new_object(Person)
        person._state = ModelState()
        person.__dict__.update(zip(self._attnames, values, strict=True))
        return person

    def plan(self, number: int, cells: dict) -> RowPlan:
        plan = RowPlan(number)
        name, birth, cccd, branch = self._identity(plan, cells)
        fields = self._optional_fields(plan, cells)
        if plan.errors or self._duplicate(plan, name, birth, cccd, branch):
            return plan
        fields.update(full_name=name, birth_date=birth)
        if cccd:
            fields["cccd"] = cccd
        plan = self._decide(plan, name, birth, cccd, branch, fields)
        if self.recorder is not None and not plan.errors:
            self._record(plan, cells, name, fields)
        return plan

    def _decide(self, plan, name, birth, cccd, branch, fields, values=None) -> RowPlan:
        """The row's match, action and checks, from its parsed values. ``values``:
        those of the new member the preview built from them and found free of field
        errors (:meth:`replay`): if the row still creates a member, only the checks
        against the database are made again."""
        person = self._match(plan, name, birth, cccd, branch, "people.change")
        if plan.errors:
            return plan
        checked = False
        if person is None:
            if values is None:
                candidate = self._new_person(branch, fields)
            else:
                checked = True
                candidate = self._person_from(values, branch)
            plan.action = CREATE
            plan.data = {"branch": branch, "fields": fields, "candidate": candidate}
        else:
            changes = {k: v for k, v in fields.items() if getattr(person, k) != v}
            if not changes:
                return plan
            if not permissions.can(self.user, "people.change", person.branch):
                plan.error("", "bạn không có quyền sửa thông tin hội viên này.")
                return plan
            candidate = copy.copy(person)
            for k, v in changes.items():
                setattr(candidate, k, v)
            plan.action = UPDATE
            plan.data = {"person": person, "fields": changes}
        if not self.check:
            return plan
        errors = self._validate(candidate, checked=checked)
        if errors:
            for column, message in _validation_messages(
                ValidationError(errors), PERSON_FIELD_COLUMN
            ):
                plan.error(column, message)
            plan.action = UNCHANGED
        return plan

    def _person_from(self, values: list, branch) -> Person:
        """The new member of :meth:`_decide` from the values the preview kept (those
        of ``_new_person`` once checked), in ``branch``."""
        values[self._slot["branch_id"]] = branch.pk
        person = self._instance(values)
        Person.branch.field.set_cached_value(person, branch)
        return person

    # --- the preview's work kept for the commit -----------------------------------
    #
    # While the preview plans a row it records what it worked out from the row alone
    # (the values parsed from its cells, the folded name and name columns, and for a
    # new member her values once the field rules passed), with the cells naming its
    # chi hội. The commit then replays each record: it resolves the chi hội, checks
    # duplicates, matches existing members, checks permissions and the CCCD clash
    # and twin rules against the database as it is then, exactly as ``plan`` does;
    # the field rules are checked again only when the row's member is not the one
    # the preview built (an update, or a member that now matches nobody).

    def _record(self, plan: RowPlan, cells: dict, name: str, fields: dict) -> None:
        try:
            values = None
            if plan.action == CREATE:
                # her values, those that are not the field's default (as in _new_person)
                candidate, blank = plan.data["candidate"], self._blank
                if blank is None:  # callable defaults: built by people.services
                    raise TypeError
                values = {}
                for i, attname in enumerate(self._attnames):
                    value = getattr(candidate, attname)
                    if value is not blank[i]:
                        values[i] = encode_value(value)
            record = (
                plan.number,
                text(cells.get("branch")),
                text(cells.get("commune")),
                self._folded[name],
                self._name_columns.get(name),
                {k: encode_value(v) for k, v in fields.items()},
                values,
            )
        except (TypeError, KeyError):  # a value marshal cannot keep: no records
            self.recorder.abandon()
            self.recorder = None
            return
        self._records.append(record)

    def flush_records(self) -> None:
        if self.recorder is not None:
            self.recorder.add(self._records)
        self._records = []

    def prefetch_records(self, records: list) -> None:
        """:meth:`prefetch` for a chunk of kept records."""
        if len(self._clean_cache) > 20_000:
            self._clean_cache.clear()
        if len(self._codes) > 10_000:
            self._codes.clear()
        self._folded, self._name_columns = {}, {}
        cccds, names, branches = set(), set(), set()
        for _number, branch_name, commune, folded, columns, fields, _values in records:
            name = fields["full_name"]
            self._folded[name] = folded
            if columns is not None:
                self._name_columns[name] = columns
            cccd = fields.get("cccd")
            if cccd:
                cccds.add(cccd)
            if name:
                names.add(folded)
            if branch_name:
                with contextlib.suppress(CellError):
                    branches.add(self.units.resolve(branch_name, commune).pk)
        self._load(cccds, names, branches)
        if self.pipe is not None:
            # the ids of the chunk's new members, now rather than while the COPYs of
            # the chunk before run (see _replay); more are taken if rows became new
            n = sum(1 for record in records if record[6] is not None)
            self._spare_ids = RowWriter(Person, []).new_ids(n) if n else []

    def replay(self, record) -> RowPlan:
        """``plan`` of the row from its kept record (see above)."""
        number, branch_name, commune, _folded, _columns, fields, values = record
        plan = RowPlan(number)
        fields = {k: decode_value(v) for k, v in fields.items()}
        name, birth, cccd = fields["full_name"], fields["birth_date"], fields.get("cccd", "")
        try:
            branch = self.units.resolve(branch_name, commune)
        except CellError as exc:
            plan.error(self.label("branch"), str(exc))
            return plan
        if self._duplicate(plan, name, birth, cccd, branch):
            return plan
        if values is not None:
            kept, values = values, self._blank.copy()
            for i, value in kept.items():
                values[i] = decode_value(value)
        return self._decide(plan, name, birth, cccd, branch, fields, values)

    def _validate(self, candidate, *, checked: bool = False) -> dict:
        """``people.services.validate_person`` without a query per row: the field
        rules, then the CCCD clash and the twin check against the members the chunk
        prefetched (every member with one of the chunk's CCCDs, and every member of
        the chunk's chi hội with one of its names). ``checked``: the field rules,
        which depend on the member's values only, passed at the preview for these
        very values (``people.services.field_errors``): only the checks against the
        database are made again."""
        if self._cccd_cache is None or self._name_cache is None:
            try:
                people_services.validate_person(candidate)
            except ValidationError as exc:
                return exc.message_dict
            return {}
        errors = {} if checked else people_services.field_errors(candidate, self._clean_cache)
        if candidate.cccd and "cccd" not in errors:
            other = self._cccd_cache.get(candidate.cccd)
            if other is not None and other.pk != candidate.pk:
                errors.setdefault("cccd", []).append(
                    people_services.cccd_clash_message(candidate.cccd)
                )
        if candidate.full_name and candidate.birth_date and candidate.branch_id:
            key = (self.fold_name(candidate.full_name), candidate.birth_date, candidate.branch_id)
            if any(p.pk != candidate.pk for p in self._name_cache.get(key, ())):
                errors.setdefault("full_name", []).append(people_services.TWIN_MESSAGE)
        return errors

    def _check_may_add(self, creates) -> None:
        for plan in creates:
            branch = plan.data["branch"]
            if branch.pk not in self._may_add:
                self._may_add[branch.pk] = permissions.can(self.user, "people.add", branch)
            if not self._may_add[branch.pk]:
                raise RowFailure(
                    [
                        _error(
                            plan.number,
                            "",
                            "Không thể lưu: bản ghi sẽ nằm ngoài phạm vi quản lý của bạn.",
                        )
                    ]
                )

    def apply_bulk(self, plans: list[RowPlan]) -> None:
        """Write a chunk of checked rows in a few statements (COPY on PostgreSQL): the
        same rows, history and audit entries as ``create_person`` / ``update_person``
        row by row."""
        creates = [p for p in plans if p.action == CREATE]
        updates = [p for p in plans if p.action == UPDATE]
        now = timezone.now()
        audits = AuditRows(self.user, now, self.pipe)
        if creates:
            self._check_may_add(creates)
            people = [p.data["candidate"] for p in creates]
            rows = []
            columns = self._person_columns
            for person in people:
                # Person.derive_fields(), with the sort codes remembered (name_fields)
                (
                    person.full_name,
                    person.family_name,
                    person.middle_name,
                    person.given_name,
                    person.search_name,
                    person.sort_key,
                ) = self._name_columns.get(person.full_name) or name_fields(person.full_name)
                if person.cccd == "":
                    person.cccd = None
                person.created_at = person.updated_at = now  # auto_now_add, auto_now
                rows.append([getattr(person, a) for a in columns])
            ids = RowWriter(Person, columns, self.pipe).write(
                rows, returning_pk=True, ids=self._spare_ids or None
            )
            self._spare_ids = []
            alias = router.db_for_write(Person)
            for person, pk in zip(people, ids, strict=True):
                person.id = pk
                person._state.adding, person._state.db = False, alias
            self._write_history(people)
            audits.created(people)
        if updates:
            changed, renamed, names = [], [], {"updated_at"}
            for plan in updates:
                person = plan.data["person"]
                before = audit.snapshot(person)
                people_services.set_fields(person, plan.data["fields"])
                person.derive_fields()
                person.updated_at = now
                names.update(plan.data["fields"])
                if "full_name" in plan.data["fields"]:
                    names.update(Person.NAME_FIELDS)
                    renamed.append(person.pk)
                changed.append(person)
                after = audit.snapshot(person)
                if before != after:
                    audits.add(
                        audit.entry(
                            "people.person.updated",
                            person,
                            before=before,
                            after=after,
                            user=self.user,
                        )
                    )
            Person.objects.bulk_update(changed, sorted(names))
            if renamed:
                pipeline_services.refresh_search_names(renamed)
        audits.write()

    def _write_history(self, people) -> None:
        """Each new member's first Membership and PartyStatusPeriod
        (``people.services.initial_history_values``)."""
        memberships, periods = [], []
        for person in people:
            membership, period = people_services.initial_history_values(person)
            memberships.append((person.pk, membership))
            periods.append((person.pk, period))
        for model, values in ((Membership, memberships), (PartyStatusPeriod, periods)):
            given = list(values[0][1])
            defaults = _defaults(model, ["person_id", *given])
            attnames = ["person_id", *given, *defaults]
            rest = tuple(defaults.values())
            RowWriter(model, attnames, self.pipe).write(
                [(pk, *v.values(), *rest) for pk, v in values]
            )

    def apply(self, plan: RowPlan):
        if plan.action == CREATE:
            people_services.create_person(
                actor=self.user, branch=plan.data["branch"], **plan.data["fields"]
            )
        elif plan.action == UPDATE:
            people_services.update_person(
                plan.data["person"], actor=self.user, **plan.data["fields"]
            )


_AUDIT_OBJECT_FIELDS = ("content_type_id", "object_id", "object_repr", "unit_id")


class AuditRows:
    """The audit rows of a chunk, written at once (``core.audit.entry`` as the
    model). A new member's row is ``audit.entry("people.person.created", person,
    after=audit.snapshot(person))``; rather than an AuditEntry per member, the
    first one is built by ``audit.entry`` and the others from it, changing only what
    depends on the member (its id, name, chi hội, snapshot). Should ``audit.entry``
    ever differ from that for the first member, every row is built by it."""

    def __init__(self, user, now, pipe: CopyPipe | None = None):
        self.user = user
        self.now = now
        self.pipe = pipe
        self.attnames = [f.attname for f in AuditEntry._meta.concrete_fields if not f.primary_key]
        self.rows: list[list] = []

    def add(self, entry) -> None:
        entry.created_at = self.now  # auto_now_add
        self.rows.append([getattr(entry, a) for a in self.attnames])

    def created(self, people) -> None:
        action = "people.person.created"
        first = people[0]
        sample = audit.entry(action, first, after=_snapshot(first), user=self.user)
        ct = ContentType.objects.get_for_model(Person)
        expected = (ct.pk, str(first.pk), str(first)[:255], first.branch_id)
        if tuple(getattr(sample, a) for a in _AUDIT_OBJECT_FIELDS) != expected or sample.before:
            for person in people:
                self.add(audit.entry(action, person, after=_snapshot(person), user=self.user))
            return
        self.add(sample)
        template = self.rows[-1]
        slot = {a: i for i, a in enumerate(self.attnames)}
        i_ct, i_id, i_repr, i_unit, i_after = (slot[a] for a in (*_AUDIT_OBJECT_FIELDS, "after"))
        for person in people[1:]:
            row = template.copy()
            row[i_ct], row[i_id], row[i_repr], row[i_unit] = (
                ct.pk,
                str(person.pk),
                str(person)[:255],
                person.branch_id,
            )
            row[i_after] = _snapshot(person)
            self.rows.append(row)

    def write(self) -> None:
        RowWriter(AuditEntry, self.attnames, self.pipe).write(self.rows)
        self.rows = []


_SNAPSHOT_FIELDS: list | None = None


def _snapshot(person: Person) -> dict:
    """``audit.snapshot(person)`` with its field list worked out once."""
    global _SNAPSHOT_FIELDS
    if _SNAPSHOT_FIELDS is None:
        exclude = getattr(Person, "audit_exclude", ())
        _SNAPSHOT_FIELDS = [
            f.attname for f in Person._meta.concrete_fields if f.name not in exclude
        ]
    jsonable, plain, values = audit._jsonable, _JSON_PLAIN, person.__dict__
    out = {}
    for a in _SNAPSHOT_FIELDS:
        value = values[a]
        out[a] = value if type(value) in plain else jsonable(value)
    return out


_JSON_PLAIN = frozenset({str, int, bool, float, type(None)})


class CasesImporter(BaseImporter):
    """Cases at their current step. Every missing step up to the row's step is
    recorded through the pipeline services, in order, so each rule is checked
    there; a step the importer may not record is an error of the row."""

    kind = Kind.CASES
    columns = CASE_COLUMNS

    def __init__(self, user, **kwargs):
        super().__init__(user, **kwargs)
        self._cells: dict = {}
        self._organisers = None

    def _cell_index(self, branch):
        committee = branch.parent.counterpart if branch.parent else None
        if committee is None:
            return {}
        if committee.pk not in self._cells:
            cells = Unit.objects.filter(
                tree=Tree.DANG,
                level__code="dang_cell",
                is_active=True,
                path__startswith=committee.path,
            ).select_related("level", "parent")
            self._cells[committee.pk] = _index(cells)
        return self._cells[committee.pk]

    def _party_unit(self, branch, case, cell):
        if cell is not None:
            return cell
        if case is not None and case.party_unit is not None:
            return case.party_unit
        return branch.counterpart or (branch.parent.counterpart if branch.parent else None)

    def _existing_case(self, plan, person):
        """(case, step dates) of her open, paused or completed case; (None, {}) when
        a new case is to be opened; None after an error."""
        case = (
            Case.objects.filter(person=person, status__in=(Status.OPEN, Status.PAUSED))
            .select_related("party_unit", "branch")
            .first()
        )
        if case is None:
            # An official member's case is done: a re-import finds every step there.
            case = Case.objects.filter(person=person, status=Status.DONE).order_by("-pk").first()
        if case is not None:
            return case, pipeline_services.step_dates(case)
        if person.party_status in (Party.PROBATIONARY, Party.OFFICIAL):
            plan.error("", f"{person.full_name} đã là đảng viên.")
            return None
        closed = Case.objects.filter(person=person).exclude(status=Status.DONE).first()
        if closed is not None:
            plan.error(
                "",
                f"{person.full_name} có hồ sơ đã dừng ({closed.get_status_display()}); "
                "hãy mở lại trên trang hồ sơ.",
            )
            return None
        return None, {}

    def plan(self, number: int, cells: dict) -> RowPlan:
        plan = RowPlan(number)
        name, birth, cccd, branch = self._identity(plan, cells)
        step_label = self.label("step")
        raw_step = text(cells.get("step"))
        target = STEP_INDEX.get(_header_key(raw_step)) if raw_step else None
        if not raw_step:
            plan.error(step_label, "vui lòng ghi bước hiện tại.")
        elif target is None:
            plan.error(
                step_label,
                f"“{raw_step}” không phải là một bước; hãy ghi một trong: "
                + "; ".join(str(s.label) for s in Step)
                + ".",
            )
        if plan.errors or self._duplicate(plan, name, birth, cccd, branch):
            return plan
        person = self._match(plan, name, birth, cccd, branch, "pipeline.hoi")
        if plan.errors:
            return plan
        if person is None:
            plan.error(
                "",
                f"không tìm thấy hội viên {name} (sinh {birth:%d/%m/%Y}) ở {branch.name}; "
                "hãy nhập danh sách hội viên trước.",
            )
            return plan
        found = self._existing_case(plan, person)
        if found is None:
            return plan
        case, recorded = found
        path = [s for s in Step.values if STEP_ORDER[s] <= STEP_ORDER[target]]
        # A step already recorded is left as it is; a different date in the file is
        # an error (never overwritten silently).
        for step in path:
            if step not in recorded:
                continue
            label = self.label(STEP_DATE_COLUMN[step])
            given = self._date(plan, cells, STEP_DATE_COLUMN[step])
            if given is not None and given != recorded[step]:
                plan.error(
                    label,
                    f"hồ sơ đã ghi bước “{Step(step).label}” ngày {recorded[step]:%d/%m/%Y}, "
                    f"khác với ngày trong tệp ({given:%d/%m/%Y}); hãy kiểm tra lại hoặc sửa "
                    "trên trang hồ sơ.",
                )
        needed = [s for s in path if s not in recorded]
        if plan.errors or not needed:
            return plan  # already there: nothing to do
        if case is not None and case.status != Status.OPEN:
            plan.error("", f"hồ sơ của {person.full_name} đang “{case.get_status_display()}”.")
            return plan
        cell = None
        if Step.INTRODUCED in needed:
            cell = self._resolve_cell(plan, cells, branch)
            if cell is None:
                return plan
        party_unit = self._party_unit(branch, case, cell)
        organiser = None
        if Step.CLASS in needed:
            organiser = self._resolve_organiser(plan, cells, branch, party_unit)
            if organiser is None:
                return plan
        for step in needed:
            action = pipeline_services.STEP_ACTION[step]
            if step == Step.CLASS:
                unit, side = organiser, "đơn vị tổ chức lớp"
            elif step in pipeline_services.PARTY_STEPS:
                unit, side = party_unit, "tổ chức Đảng"
            else:
                unit, side = branch, "Hội LHPN"
            if unit is None or not permissions.can(self.user, action, unit):
                plan.error(
                    step_label,
                    f"bước “{Step(step).label}” do {side} ghi nhận; tài khoản của bạn không "
                    "có quyền này.",
                )
                return plan
        dates = dict(recorded)
        steps = []
        for step in path:
            if step in recorded:
                continue
            key = STEP_DATE_COLUMN[step]
            on = self._date(plan, cells, key, required=True)
            if on is None:
                return plan
            for before in pipeline_services.PREREQUISITES.get(step, ()):
                if before in dates and on < dates[before]:
                    plan.error(
                        self.label(key),
                        f"ngày {on:%d/%m/%Y} không được trước ngày của bước "
                        f"“{Step(before).label}” ({dates[before]:%d/%m/%Y}).",
                    )
                    return plan
            dates[step] = on
            steps.append((step, on))
        data = {
            "person": person,
            "case": case,
            "steps": steps,
            "cell": cell,
            "organiser": organiser,
            "docs": {
                s: text(cells.get(STEP_DOC_COLUMN[s])) for s in needed if s in STEP_DOC_COLUMN
            },
        }
        self._step_data(plan, cells, needed, dates, data)
        if plan.errors:
            return plan
        plan.action = CREATE if case is None else UPDATE
        plan.data = data
        return plan

    def _step_data(self, plan, cells, needed, dates, data) -> None:
        """The other cells the missing steps need (helper, certificate, dossier,
        votes), checked for their form; the rules are the services' to check."""
        if Step.SYMPATHISER in needed:
            data["helper"] = text(cells.get("helper"))
            if not data["helper"]:
                plan.error(self.label("helper"), "vui lòng ghi đảng viên được phân công giúp đỡ.")
        if Step.CLASS in needed:
            if not data["docs"].get(Step.CLASS):
                plan.error(self.label("certificate_no"), "vui lòng ghi số giấy chứng nhận.")
            on = dates[Step.CLASS]
            data["class_title"] = (
                text(cells.get("class_title")) or f"Lớp bồi dưỡng nhận thức về Đảng năm {on.year}"
            )
        if Step.DOSSIER in needed:
            on = dates[Step.DOSSIER]
            data["dossier"] = {
                key: self._date(plan, cells, key) or on for key in DOSSIER_DATE_COLUMNS
            }
            data["hoi_comment"] = text(cells.get("hoi_comment"))
            introducers = []
            for n in (1, 2):
                name = normalize_name(text(cells.get(f"introducer{n}_name")))
                since = self._date(plan, cells, f"introducer{n}_since")
                if not name:
                    if since is not None:
                        plan.error(
                            self.label(f"introducer{n}_name"),
                            f"vui lòng ghi họ tên người giới thiệu {n}.",
                        )
                    continue
                if since is None:
                    plan.error(
                        self.label(f"introducer{n}_since"),
                        f"vui lòng ghi ngày người giới thiệu {n} bắt đầu cùng công tác, sinh hoạt.",
                    )
                    continue
                introducers.append(
                    {
                        "full_name": name,
                        "party_unit_name": text(cells.get(f"introducer{n}_unit")),
                        "known_since": since,
                        "is_official": True,
                    }
                )
            data["introducers"] = introducers
        if Step.CELL_RESOLUTION in needed:
            for key in ("votes_for", "members"):
                try:
                    data[key] = parse_count(cells.get(key))
                except CellError as exc:
                    plan.error(self.label(key), str(exc))
                    continue
                if data[key] is None:
                    plan.error(self.label(key), f"vui lòng ghi {self.label(key).lower()}.")

    def _resolve_cell(self, plan, cells, branch):
        label = self.label("cell")
        raw = text(cells.get("cell"))
        index = self._cell_index(branch)
        if not raw:
            candidates = [branch.counterpart] if branch.counterpart_id else []
            if len(candidates) == 1 and candidates[0].is_active:
                return candidates[0]
            plan.error(label, "vui lòng ghi chi bộ được giới thiệu.")
            return None
        found = _lookup(index, raw)
        if len(found) == 1:
            return found[0]
        if found:
            plan.error(label, f"“{raw}” khớp với nhiều chi bộ; hãy ghi đúng tên chi bộ.")
        else:
            plan.error(label, f"không tìm thấy chi bộ “{raw}” thuộc Đảng bộ xã của hội viên.")
        return None

    def _resolve_organiser(self, plan, cells, branch, party_unit):
        """The unit that held the class: the one named in the row (among the units
        where the importer records classes), else the commune party committee, else
        the commune Hội."""
        raw = text(cells.get("class_organiser"))
        if not raw:
            committee = party_unit.parent if party_unit and party_unit.parent_id else None
            commune = branch.parent
            choices = [u for u in (committee, commune) if u is not None]
            for unit in choices:
                if permissions.can(self.user, "pipeline.class", unit):
                    return unit
            return choices[0] if choices else None  # refused by the rights check
        if self._organisers is None:
            self._organisers = _index(
                Unit.objects.restrict(self.user, "pipeline.class").active().only("pk", "name")
            )
        found = _lookup(self._organisers, raw)
        if len(found) == 1:
            return Unit.objects.select_related("level").get(pk=found[0].pk)
        label = self.label("class_organiser")
        if found:
            plan.error(label, f"“{raw}” khớp với nhiều đơn vị; hãy ghi đúng tên đơn vị.")
        else:
            plan.error(label, f"không tìm thấy đơn vị tổ chức lớp “{raw}” trong phạm vi của bạn.")
        return None

    def apply(self, plan: RowPlan):
        data = plan.data
        case = data["case"]
        for step, on in data["steps"]:
            date_label = self.label(STEP_DATE_COLUMN[step])
            columns = {
                "doc_no": self.label(STEP_DOC_COLUMN.get(step, STEP_DATE_COLUMN[step])),
                "cell": self.label("cell"),
                "helper_name": self.label("helper"),
                "text": self.label("hoi_comment"),
            }
            try:
                case = self._apply_step(case, step, on, data)
            except ValidationError as exc:
                raise RowFailure(
                    [
                        _error(plan.number, column or date_label, message)
                        for column, message in _validation_messages(exc, columns)
                    ]
                ) from exc

    def _apply_step(self, case, step, on, data):
        actor, doc_no = self.user, data["docs"].get(step, "")
        if step == Step.SOURCE:
            return pipeline_services.open_case(data["person"], on=on, actor=actor)
        if step == Step.CULTIVATION:
            return pipeline_services.start_cultivation(case, on=on, actor=actor)
        if step == Step.INTRODUCED:
            return pipeline_services.introduce(
                case, cell=data["cell"], on=on, doc_no=doc_no, actor=actor
            )
        if step == Step.SYMPATHISER:
            return pipeline_services.add_sympathiser(
                case, on=on, helper_name=data["helper"], actor=actor
            )
        if step == Step.CLASS:
            organiser, title = data["organiser"], data["class_title"]
            klass = (
                AwarenessClass.objects.filter(
                    organiser=organiser, title__iexact=title, start__lte=on
                )
                .order_by("-start", "-pk")
                .first()
            )
            if klass is None:
                klass = pipeline_services.create_class(
                    organiser=organiser, title=title, start=on, end=on, actor=actor
                )
            enrolment = Enrolment.objects.filter(klass=klass, case=case).first()
            if enrolment is None:
                enrolment = pipeline_services.enrol(case, klass=klass, actor=actor)
            pipeline_services.record_result(
                enrolment,
                result=Enrolment.Result.PASSED,
                certificate_no=doc_no,
                certificate_on=on,
                actor=actor,
            )
            return case
        if step == Step.DOSSIER:
            if data["hoi_comment"]:
                pipeline_services.record_hoi_comment(
                    case, text=data["hoi_comment"], on=on, actor=actor
                )
            return pipeline_services.complete_dossier(
                case, on=on, introducers=data["introducers"], actor=actor, **data["dossier"]
            )
        if step == Step.CELL_RESOLUTION:
            return pipeline_services.cell_resolution(
                case,
                on=on,
                doc_no=doc_no,
                votes_for=data["votes_for"],
                members=data["members"],
                actor=actor,
            )
        if step in (Step.COMMITTEE_RESOLUTION, Step.DECISION):
            return pipeline_services.committee_step(
                case, step=step, on=on, doc_no=doc_no, actor=actor
            )
        if step == Step.CEREMONY:
            return pipeline_services.ceremony(case, on=on, actor=actor)
        if step == Step.OFFICIAL:
            return pipeline_services.recognise(case, on=on, doc_no=doc_no, actor=actor)
        raise ValueError(step)


IMPORTERS = {Kind.PEOPLE: PeopleImporter, Kind.CASES: CasesImporter}


# --- progress ---------------------------------------------------------------------


def _progress_path(imp: Import) -> Path:
    return import_dir() / f"{imp.pk}.progress"


def write_progress(imp: Import, done: int, total: int) -> None:
    """Progress lives in a small file, not in the database: the commit's transaction
    is still open while it runs, so its own writes are not visible to the page."""
    with contextlib.suppress(OSError):  # progress is a nicety; never fail an import for it
        _progress_path(imp).write_text(f"{done} {total}", encoding="ascii")


def progress_writer(imp: Import):
    """:func:`write_progress` for a running import, at most every
    ``PROGRESS_SECONDS``: the page polls every 2 s, and each write of the file costs
    a few ms on a busy disk (ext4 flushes a truncated file when it is closed; 60
    writes took a tenth of a 10,000-row preview)."""
    last = -PROGRESS_SECONDS

    def update(done: int, total: int) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last >= PROGRESS_SECONDS:
            last = now
            write_progress(imp, done, total)

    return update


def read_progress(imp: Import) -> tuple[int, int]:
    try:
        done, total = _progress_path(imp).read_text(encoding="ascii").split()
        return int(done), int(total)
    except (OSError, ValueError):
        return 0, imp.total_rows


def clear_progress(imp: Import) -> None:
    _progress_path(imp).unlink(missing_ok=True)


def rows_cache_path(imp: Import) -> Path:
    """Where the preview keeps the rows it read, for the commit."""
    return import_dir() / f"{imp.stored_name}.rows"


def plans_cache_path(imp: Import) -> Path:
    """Where the preview of a member file keeps what it worked out from each row
    (``PeopleImporter.replay``), for the commit."""
    return import_dir() / f"{imp.stored_name}.plans"


def clear_rows_cache(imp: Import) -> None:
    for path in (rows_cache_path(imp), plans_cache_path(imp)):
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)


def percent(imp: Import) -> int:
    if imp.status in (ImportStatus.DONE, ImportStatus.READY, ImportStatus.INVALID):
        return 100
    done, total = read_progress(imp)
    return min(99, int(done * 100 / total)) if total else 0


# --- running a file ---------------------------------------------------------------


@dataclass
class Outcome:
    total: int = 0
    counts: dict = field(default_factory=lambda: {CREATE: 0, UPDATE: 0, UNCHANGED: 0})
    errors: list = field(default_factory=list)
    error_count: int = 0

    def add_errors(self, errors):
        self.error_count += len(errors)
        room = ERROR_LIMIT - len(self.errors)
        if room > 0:
            self.errors.extend(errors[:room])


CHUNK_ROWS = 1000


def use_bulk() -> bool:
    """Whether the member import commits a chunk of rows in a few statements
    (``IMPORT_BULK``, default on) rather than a service call per row."""
    return bool(getattr(settings, "IMPORT_BULK", True))


def _chunks(rows, index: dict[str, int]):
    """Lists of (row number, cells by field) for the non-blank rows, ``CHUNK_ROWS``
    at a time: the importer prefetches the members a chunk may be about, and the
    bulk path writes a chunk at once. Only one chunk is in memory."""
    chunk = []
    for number, values in rows:
        cells = {key: values[i] if i < len(values) else None for key, i in index.items()}
        if all(is_blank(v) for v in cells.values()):
            continue
        chunk.append((number, cells))
        if len(chunk) >= CHUNK_ROWS:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def process(imp: Import, *, apply: bool, trial: bool = False, bulk: bool | None = None) -> Outcome:
    """Read the file and plan every row; with ``apply``, also apply each row (the
    caller holds the transaction) and raise :class:`RowFailure` at the first error.

    With ``trial`` (the preview of a case import), each row is applied in its own
    savepoint and a refused row is reported rather than raised, so the preview shows
    the services' own rule checks; the caller rolls the whole transaction back.

    The member import commits in bulk (see :func:`use_bulk`): each chunk of rows is
    checked like the preview, with the same rules and messages, then written in a
    few statements (COPY on PostgreSQL, see :class:`RowWriter`), its history and
    audit rows included. The commit reads the rows the preview kept
    (:func:`readers.cache_rows`) when they are there."""
    importer_class = IMPORTERS[imp.kind]
    bulk = use_bulk() if bulk is None else bulk
    bulk = bulk and apply and not trial and hasattr(importer_class, "apply_bulk")
    outcome = Outcome()
    importer = importer_class(imp.user, check=not apply or bulk)
    importer.lock = apply and not trial
    source, kept = file_path(imp), rows_cache_path(imp)
    replayable = hasattr(importer, "replay")
    if bulk and replayable:
        records = cached_records(source, plans_cache_path(imp))
        if records is not None:
            return _replay(imp, importer, records, outcome)
    # The preview keeps the rows it reads for the commit (readers.cache_rows); the
    # commit reads those rather than parsing the file again, and checks every row.
    table = cached_table(source, kept) if apply and not trial else None
    if table is None:
        try:
            table = open_table(source, imp.file_format)
        except ReadError as exc:
            outcome.add_errors([_error(1, "", str(exc))])
            return outcome
        if not apply or trial:
            table = cache_rows(table, source, kept)
    try:
        index, header_errors = map_header(table.header, importer.columns)
        if header_errors:
            outcome.add_errors(header_errors)
            return outcome
        total = table.total
        progress = progress_writer(imp)
        if not apply and replayable:
            importer.recorder = RecordWriter(source, plans_cache_path(imp), total)
        for chunk in _chunks(table.rows, index):
            importer.prefetch([cells for _n, cells in chunk])
            ready = []
            for number, cells in chunk:
                outcome.total += 1
                plan = importer.plan(number, cells)
                if plan.errors:
                    if apply and not trial:
                        raise RowFailure(plan.errors)
                    outcome.add_errors(plan.errors)
                    continue
                if apply and plan.action != UNCHANGED:
                    if bulk:
                        ready.append(plan)
                    else:
                        try:
                            with transaction.atomic() if trial else contextlib.nullcontext():
                                _apply(importer, plan, imp.kind)
                        except RowFailure as exc:
                            if not trial:
                                raise
                            outcome.add_errors(exc.errors)
                            continue
                outcome.counts[plan.action] += 1
                if not bulk and outcome.total % PROGRESS_EVERY == 0:
                    progress(outcome.total, max(total, outcome.total))
            if ready:
                importer.apply_bulk(ready)
            if replayable:
                importer.flush_records()
            if bulk or len(chunk) >= PROGRESS_EVERY:
                progress(outcome.total, max(total, outcome.total))
        if replayable and importer.recorder is not None and not outcome.error_count:
            importer.recorder.finish()
    except ReadError as exc:
        outcome.add_errors([_error(1, "", str(exc))])
    finally:
        table.close()
        if replayable and importer.recorder is not None:
            importer.recorder.abandon()  # (nothing left to do once finished)
    return outcome


PACE_ROWS = 200


def _paced(chunks, edge: int | None = None):
    """The kept chunks, with ``edge`` rows cut off the start of the first one and the
    end of the last one as chunks of their own: the first COPYs start after a few
    rows rather than a whole chunk, and the server has only a few rows left to write
    once this process is done (see :func:`_replay`). The same rows, in order."""
    edge = PACE_ROWS if edge is None else edge
    chunks = iter(chunks)
    chunk, first = next(chunks, None), True
    while chunk is not None:
        following = next(chunks, None)
        start, end = 0, len(chunk)
        if first and end - start > edge:
            yield chunk[:edge]
            start = edge
        tail = None
        if following is None and end - start > edge:
            tail, end = chunk[end - edge :], end - edge
        yield chunk[start:end]
        if tail is not None:
            yield tail
        chunk, first = following, False


def _replay(imp: Import, importer, records, outcome: Outcome) -> Outcome:
    """The bulk commit of a member file from what its preview kept
    (:meth:`PeopleImporter.replay`): every row is matched and checked against the
    database again, as by ``plan``, and the first row in error fails the commit.

    On PostgreSQL a chunk's COPYs run (:class:`CopyPipe`) while the next chunk is
    replayed: its members are loaded (and locked) first, then the chunk's COPYs are
    sent. Rows of one file never refer to the same member (duplicates are errors),
    so what a chunk writes cannot change the next chunk's matches or checks. The
    foreign keys of the rows written are checked as each COPY ends
    (:meth:`CopyPipe.check_now`), in the pipe's time rather than at COMMIT."""
    total = records.meta
    progress = progress_writer(imp)
    pipe = importer.pipe = CopyPipe.open(Person)
    chunks = _paced(records.chunks) if pipe is not None else iter(records.chunks)
    try:
        if pipe is not None:
            pipe.check_now([Person, Membership, PartyStatusPeriod, AuditEntry])
        chunk = next(chunks, None)
        if chunk is not None:
            importer.prefetch_records(chunk)
        while chunk is not None:
            ready = []
            for record in chunk:
                outcome.total += 1
                plan = importer.replay(record)
                if plan.errors:
                    raise RowFailure(plan.errors)
                if plan.action != UNCHANGED:
                    ready.append(plan)
                outcome.counts[plan.action] += 1
            if ready:
                importer.apply_bulk(ready)
            chunk = next(chunks, None)
            if chunk is not None:
                importer.prefetch_records(chunk)
            if pipe is not None:
                pipe.send()
            progress(outcome.total, max(total, outcome.total))
        if pipe is not None:
            pipe.wait()
            pipe.check_at_commit()
    except ReadError as exc:
        outcome.add_errors([_error(1, "", str(exc))])
    except Exception:
        if pipe is not None:  # a COPY that failed came first (and aborted the rest)
            pipe.held = []
            for future in pipe.running:
                if future.exception() is not None:
                    raise future.exception() from None
        raise
    finally:
        if pipe is not None:
            pipe.close()
            importer.pipe = None
        records.close()
    return outcome


def _apply(importer, plan: RowPlan, kind: str) -> None:
    try:
        importer.apply(plan)
    except ValidationError as exc:
        columns = PERSON_FIELD_COLUMN if kind == Kind.PEOPLE else {}
        raise RowFailure(
            [_error(plan.number, c, m) for c, m in _validation_messages(exc, columns)]
        ) from exc


def start_import(*, user, kind: str, uploaded) -> Import:
    """Store an uploaded file and create its :class:`Import` (status: checking)."""
    name = Path(uploaded.name or "").name[:255]
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in ("xlsx", "csv", "txt"):
        raise ValidationError({"file": "Chỉ nhận tệp Excel (.xlsx) hoặc CSV (.csv)."})
    if uploaded.size > max_bytes():
        raise ValidationError({"file": f"Tệp quá lớn (tối đa {max_bytes() // (1024 * 1024)} MB)."})
    stored = f"{uuid.uuid4().hex}.{ext}"
    with open(import_dir() / stored, "wb") as fh:
        for chunk in uploaded.chunks():
            fh.write(chunk)
    imp = Import(
        kind=kind,
        user=user,
        file_name=name,
        file_format="xlsx" if ext == "xlsx" else "csv",
        stored_name=stored,
    )
    try:
        table = open_table(import_dir() / stored, imp.file_format)
    except ReadError:
        pass  # reported by the check
    else:
        imp.total_rows, imp.encoding = table.total, table.encoding
        table.close()
    imp.save()
    return imp


def run_validation(import_id: int) -> Import:
    """The preview: count what the file would do and list every error."""
    imp = Import.objects.select_related("user").get(pk=import_id)
    if imp.status != ImportStatus.VALIDATING:
        return imp
    try:
        if imp.kind == Kind.CASES:
            # Cases are tried for real and rolled back, so the preview reports the
            # pipeline's rule checks (age, certificate, introducers, votes…) too.
            with (
                context.acting(source="import", user_id=imp.user_id, request_id=imp.request_id),
                transaction.atomic(),
            ):
                outcome = process(imp, apply=True, trial=True)
                transaction.set_rollback(True)
        else:
            outcome = process(imp, apply=False)
    except Exception:
        logger.exception("import %s: check failed", imp.pk)
        imp.status = ImportStatus.FAILED
        imp.failure = "Lỗi hệ thống khi kiểm tra tệp. Hãy thử lại hoặc báo quản trị viên."
        imp.save()
        clear_progress(imp)
        clear_rows_cache(imp)
        return imp
    imp.total_rows = outcome.total
    imp.to_create = outcome.counts[CREATE]
    imp.to_update = outcome.counts[UPDATE]
    imp.unchanged = outcome.counts[UNCHANGED]
    imp.errors, imp.error_count = outcome.errors, outcome.error_count
    imp.status = ImportStatus.INVALID if outcome.error_count else ImportStatus.READY
    imp.save()
    clear_progress(imp)
    if imp.status != ImportStatus.READY:
        clear_rows_cache(imp)
    return imp


def queue_commit(imp: Import) -> bool:
    """Mark a checked import as waiting to be applied; False if it is not ready
    (or was already queued by a double click)."""
    if not imp.can_commit:
        return False
    return bool(
        Import.objects.filter(pk=imp.pk, status=ImportStatus.READY).update(
            status=ImportStatus.QUEUED
        )
    )


def run_commit(import_id: int) -> Import:
    """Apply the whole file in one transaction, or nothing."""
    imp = Import.objects.select_related("user").get(pk=import_id)
    if imp.status != ImportStatus.QUEUED:
        return imp
    imp.status, imp.started_at = ImportStatus.RUNNING, timezone.now()
    imp.save(update_fields=["status", "started_at"])
    write_progress(imp, 0, imp.total_rows)
    try:
        with (
            context.acting(source="import", user_id=imp.user_id, request_id=imp.request_id),
            transaction.atomic(),
        ):
            outcome = process(imp, apply=True)
            if outcome.error_count:  # the file became unreadable
                raise RowFailure(outcome.errors)
            audit.record(
                "imports.import.committed",
                imp,
                after={
                    "import": imp.pk,
                    "file": imp.file_name,
                    "kind": imp.kind,
                    "created": outcome.counts[CREATE],
                    "updated": outcome.counts[UPDATE],
                    "unchanged": outcome.counts[UNCHANGED],
                },
                user=imp.user,
            )
    except RowFailure as exc:
        imp.status = ImportStatus.FAILED
        imp.errors, imp.error_count = exc.errors[:ERROR_LIMIT], len(exc.errors)
        imp.failure = (
            "Dữ liệu đã thay đổi từ lúc kiểm tra: "
            + "; ".join(format_error(e) for e in exc.errors[:5])
            + ". Không có dòng nào được nhập."
        )
    except Exception as exc:
        logger.exception("import %s: commit failed", imp.pk)
        imp.status = ImportStatus.FAILED
        imp.failure = (
            f"Lỗi khi nhập ({exc.__class__.__name__}). Không có dòng nào được nhập; "
            "hãy thử lại hoặc báo quản trị viên."
        )
    else:
        imp.status = ImportStatus.DONE
        imp.created, imp.updated = outcome.counts[CREATE], outcome.counts[UPDATE]
        imp.unchanged = outcome.counts[UNCHANGED]
    imp.finished_at = timezone.now()
    imp.save()
    clear_progress(imp)
    clear_rows_cache(imp)
    return imp


def schedule(imp: Import, phase: str) -> None:
    """Run ``phase`` ("validate" or "commit") now for a small file, else as a task."""
    from . import tasks

    runner = run_validation if phase == "validate" else run_commit
    task = tasks.validate_import if phase == "validate" else tasks.commit_import
    if imp.total_rows <= inline_max_rows():
        runner(imp.pk)
        return
    write_progress(imp, 0, imp.total_rows)
    try:
        task.enqueue(imp.pk)
    except Exception:  # no task backend available: do it now rather than never
        logger.exception("import %s: could not enqueue, running inline", imp.pk)
        runner(imp.pk)


# --- workbooks --------------------------------------------------------------------


def template_workbook(kind: str) -> bytes:
    """The downloadable template: the data sheet (Vietnamese headers and one
    example row) and a sheet explaining each column."""
    columns = COLUMNS[kind]
    wb = Workbook(write_only=True)
    title = "Hội viên" if kind == Kind.PEOPLE else "Hồ sơ"
    add_sheet(
        wb,
        [c.label for c in columns],
        [[c.example for c in columns]],
        title,
        widths=[max(14, len(c.label) + 4) for c in columns],
    )
    guide = [[c.label, "Bắt buộc" if c.required else "", c.help] for c in columns] + [
        ["", "", ""],
        [
            "Lưu ý",
            "",
            "Dòng 2 là dòng ví dụ: hãy xóa hoặc ghi đè trước khi nhập. Ô để trống khi cập "
            "nhật thì giữ nguyên giá trị cũ. Nhập lại cùng một tệp không tạo bản ghi trùng.",
        ],
    ]
    add_sheet(wb, ["Cột", "", "Cách ghi"], guide, "Hướng dẫn", widths=[30, 10, 90])
    return save(wb)


def error_workbook(imp: Import) -> bytes:
    """The rows with errors, each with its errors beside it, then the list of errors."""
    by_row: dict[int, list[str]] = {}
    for error in imp.errors:
        by_row.setdefault(error["row"], []).append(
            f"{error['column']}: {error['message']}" if error.get("column") else error["message"]
        )
    wb = Workbook(write_only=True)
    header, rows = ["Dòng", "Lỗi"], []
    try:
        table = open_table(file_path(imp), imp.file_format)
    except (ReadError, OSError):
        table = None
    if table is not None:
        try:
            header += table.header
            rows = [
                [number, "\n".join(by_row[number]), *values]
                for number, values in table.rows
                if number in by_row
            ]
        except ReadError:
            pass
        finally:
            table.close()
    if 1 in by_row:
        rows.insert(0, [1, "\n".join(by_row[1])])
    add_sheet(wb, header, rows, "Dòng có lỗi", widths=[8, 60], highlight={1: "FCE4D6"})
    add_sheet(
        wb,
        ["Dòng", "Cột", "Lỗi"],
        ([e["row"], e.get("column", ""), e["message"]] for e in imp.errors),
        "Danh sách lỗi",
        widths=[8, 24, 100],
    )
    return save(wb)
