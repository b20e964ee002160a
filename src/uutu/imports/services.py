"""Bulk import of members and of cases from .xlsx / .csv files.

The flow (pretix ``modelimport``):

1. :func:`start_import` stores the uploaded file and creates an :class:`Import`.
2. :func:`run_validation` (the preview) reads the whole file, streamed, and for
   every row works out whether it would create, update or leave a record
   unchanged, or which cells are wrong ("Dòng 17, cột Ngày sinh: …"). Nothing is
   written.
3. :func:`run_commit` reads the file again inside **one** transaction and applies
   each row through the registry's and the pipeline's service functions (the only
   write path), under ``context.acting(source="import")`` so every audit row
   carries the import as its source and ``import-<id>`` as its request id. Any
   error rolls the whole file back.

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
import logging
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from openpyxl import Workbook

from uutu.accounts import permissions
from uutu.core import audit, context
from uutu.core.exports import add_sheet, save
from uutu.core.text import fold, normalize_name
from uutu.orgs.models import Tree, Unit
from uutu.people import services as people_services
from uutu.people.models import Party, Person
from uutu.people.reference import EDUCATION_CHOICES, ETHNIC_GROUPS, RELIGION_CHOICES
from uutu.pipeline import services as pipeline_services
from uutu.pipeline.models import STEP_ORDER, Case, Status, Step

from .models import Import, Kind
from .models import Status as ImportStatus
from .readers import (
    CellError,
    ReadError,
    is_blank,
    open_table,
    parse_bool,
    parse_cccd,
    parse_date,
    parse_phone,
    text,
)

logger = logging.getLogger(__name__)

ERROR_LIMIT = 5000  # errors kept for display and for the error workbook
PROGRESS_EVERY = 200
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
        str(Step.INTRODUCED.label),
        "Một trong: " + "; ".join(str(s.label) for s in Step) + ".",
    ),
    Column("source_on", "Ngày tạo nguồn", False, (), datetime.date(2025, 3, 1)),
    Column(
        "cultivation_on",
        "Ngày bắt đầu bồi dưỡng",
        False,
        ("Ngày bồi dưỡng",),
        datetime.date(2025, 4, 1),
    ),
    Column(
        "introduced_on",
        "Ngày giới thiệu cho chi bộ",
        False,
        ("Ngày giới thiệu",),
        datetime.date(2025, 9, 1),
    ),
    Column("cell", "Chi bộ", False, ("Chi bộ được giới thiệu",), "Chi bộ Thôn Ví Dụ"),
    Column("intro_doc", "Số văn bản giới thiệu", False, (), "12/GT-PN"),
    Column(
        "sympathiser_on",
        "Ngày vào danh sách cảm tình Đảng",
        False,
        ("Ngày cảm tình Đảng",),
        None,
    ),
    Column("helper", "Đảng viên được phân công giúp đỡ", False, ("Đảng viên giúp đỡ",), None),
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
IMPORTABLE_STEPS = (Step.SOURCE, Step.CULTIVATION, Step.INTRODUCED, Step.SYMPATHISER)
STEP_DATE_COLUMN = {
    Step.SOURCE: "source_on",
    Step.CULTIVATION: "cultivation_on",
    Step.INTRODUCED: "introduced_on",
    Step.SYMPATHISER: "sympathiser_on",
}


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

    def prefetch(self, chunk: list[dict]) -> None:
        """Load the members a chunk of rows may be about in two queries instead of
        two per row. Rows in one file never refer to the same member (duplicates
        are errors), so what the chunk writes cannot change another row's match."""
        cccds, names = set(), set()
        for cells in chunk:
            try:
                cccd = parse_cccd(cells.get("cccd"))
            except CellError:
                cccd = ""
            if cccd:
                cccds.add(cccd)
            name = fold(normalize_name(text(cells.get("full_name"))))
            if name:
                names.add(name)
        self._cccd_cache = {
            p.cccd: p for p in Person.objects.filter(cccd__in=cccds).select_related("branch")
        }
        self._name_cache = {}
        for p in Person.objects.filter(
            search_name__in=names, archived_at__isnull=True
        ).select_related("branch"):
            self._name_cache.setdefault((p.search_name, p.birth_date, p.branch_id), []).append(p)

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
        return next(c.label for c in self.columns if c.key == key)

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

    def _identity(self, plan, cells):
        """Name, birth date, CCCD and chi hội of the row, or None on an error."""
        name = normalize_name(text(cells.get("full_name")))
        if not name:
            plan.error(self.label("full_name"), "vui lòng ghi họ và tên.")
        birth = self._date(plan, cells, "birth_date", required=True)
        try:
            cccd = parse_cccd(cells.get("cccd"))
        except CellError as exc:
            plan.error(self.label("cccd"), str(exc))
            cccd = ""
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
            keys.append((("nb", fold(name), birth, branch.pk), "cùng họ tên, ngày sinh và chi hội"))
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
        twins = self._people_by_name(fold(name), birth, branch)
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


class PeopleImporter(BaseImporter):
    kind = Kind.PEOPLE
    columns = PEOPLE_COLUMNS

    def _optional_fields(self, plan, cells) -> dict:
        """The optional fields given in the row (a blank cell leaves a value as it is)."""
        out = {}
        raw = cells.get("ethnicity")
        if not is_blank(raw):
            key = re.sub(r"[^a-z0-9]", "", fold(text(raw)))
            if key in ETHNICITY_INDEX:
                out["ethnicity"] = ETHNICITY_INDEX[key]
            else:
                plan.error(
                    self.label("ethnicity"),
                    f"“{text(raw)}” không có trong danh mục 54 dân tộc Việt Nam.",
                )
        for key, index, what in (
            ("religion", RELIGION_INDEX, "tôn giáo"),
            ("education", EDUCATION_INDEX, "trình độ học vấn"),
        ):
            raw = cells.get(key)
            if not is_blank(raw):
                code = index.get(_header_key(text(raw)))
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
            try:
                value = parse_bool(cells.get(key), self.label(key))
            except CellError as exc:
                plan.error(self.label(key), str(exc))
            else:
                if value is not None:
                    out[key] = value
        return out

    def plan(self, number: int, cells: dict) -> RowPlan:
        plan = RowPlan(number)
        name, birth, cccd, branch = self._identity(plan, cells)
        fields = self._optional_fields(plan, cells)
        if plan.errors or self._duplicate(plan, name, birth, cccd, branch):
            return plan
        person = self._match(plan, name, birth, cccd, branch, "people.change")
        if plan.errors:
            return plan
        fields.update(full_name=name, birth_date=birth)
        if cccd:
            fields["cccd"] = cccd
        if person is None:
            candidate = Person(branch=branch, **fields)
            plan.action = CREATE
            plan.data = {"branch": branch, "fields": fields}
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
        try:
            people_services.validate_person(candidate)
        except ValidationError as exc:
            for column, message in _validation_messages(exc, PERSON_FIELD_COLUMN):
                plan.error(column, message)
            plan.action = UNCHANGED
        return plan

    def apply(self, plan: RowPlan):
        if plan.action == CREATE:
            people_services.create_person(
                actor=self.user, branch=plan.data["branch"], **plan.data["fields"]
            )
        elif plan.action == UPDATE:
            people_services.update_person(
                plan.data["person"], actor=self.user, **plan.data["fields"]
            )


class CasesImporter(BaseImporter):
    kind = Kind.CASES
    columns = CASE_COLUMNS

    def __init__(self, user, **kwargs):
        super().__init__(user, **kwargs)
        self._cells: dict = {}

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
        case = Case.objects.filter(person=person, status__in=(Status.OPEN, Status.PAUSED)).first()
        if case is None:
            if person.party_status in (Party.PROBATIONARY, Party.OFFICIAL):
                plan.error("", f"{person.full_name} đã là đảng viên.")
                return plan
            closed = Case.objects.filter(person=person).exclude(status=Status.DONE).first()
            if closed is not None:
                plan.error(
                    "",
                    f"{person.full_name} có hồ sơ đã dừng ({closed.get_status_display()}); "
                    "hãy mở lại trên trang hồ sơ.",
                )
                return plan
            recorded = {}
        else:
            if STEP_ORDER[case.step] >= STEP_ORDER[target]:
                return plan  # already there: nothing to do
            if case.status != Status.OPEN:
                plan.error("", f"hồ sơ của {person.full_name} đang “{case.get_status_display()}”.")
                return plan
            recorded = pipeline_services.step_dates(case)
        path = [s for s in Step.values if STEP_ORDER[s] <= STEP_ORDER[target]]
        needed = [s for s in path if s not in recorded and s != Step.CLASS]
        cell = None
        if Step.INTRODUCED in needed:
            cell = self._resolve_cell(plan, cells, branch)
        party_unit = self._party_unit(branch, case, cell)
        for step in needed:
            action = pipeline_services.STEP_ACTION[step]
            unit = party_unit if step in pipeline_services.PARTY_STEPS else branch
            if unit is None or not permissions.can(self.user, action, unit):
                side = "tổ chức Đảng" if step in pipeline_services.PARTY_STEPS else "Hội LHPN"
                plan.error(
                    step_label,
                    f"bước “{Step(step).label}” do {side} ghi nhận; tài khoản của bạn không "
                    "có quyền này.",
                )
                return plan
        unsupported = [s for s in needed if s not in IMPORTABLE_STEPS]
        if target == Step.CLASS or unsupported:
            plan.error(
                step_label,
                f"chưa nhập được bước “{Step(target).label}” từ tệp; hãy ghi các bước sau "
                "“Cảm tình Đảng” trên trang hồ sơ.",
            )
            return plan
        dates = dict(recorded)
        steps = []
        previous = None
        for step in path:
            if step in recorded:
                previous = step
                continue
            key = STEP_DATE_COLUMN[step]
            on = self._date(plan, cells, key, required=True)
            if on is None:
                return plan
            if previous and on < dates[previous]:
                plan.error(
                    self.label(key),
                    f"ngày {on:%d/%m/%Y} không được trước ngày của bước "
                    f"“{Step(previous).label}” ({dates[previous]:%d/%m/%Y}).",
                )
                return plan
            dates[step] = on
            previous = step
            steps.append((step, on))
        helper = text(cells.get("helper"))
        if Step.SYMPATHISER in needed and not helper:
            plan.error(self.label("helper"), "vui lòng ghi đảng viên được phân công giúp đỡ.")
            return plan
        plan.action = CREATE if case is None else UPDATE
        plan.data = {
            "person": person,
            "case": case,
            "steps": steps,
            "cell": cell,
            "doc_no": text(cells.get("intro_doc")),
            "helper": helper,
        }
        return plan

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

    def apply(self, plan: RowPlan):
        data = plan.data
        case = data["case"]
        for step, on in data["steps"]:
            if step == Step.SOURCE:
                case = pipeline_services.open_case(data["person"], on=on, actor=self.user)
            elif step == Step.CULTIVATION:
                case = pipeline_services.start_cultivation(case, on=on, actor=self.user)
            elif step == Step.INTRODUCED:
                case = pipeline_services.introduce(
                    case, cell=data["cell"], on=on, doc_no=data["doc_no"], actor=self.user
                )
            elif step == Step.SYMPATHISER:
                case = pipeline_services.add_sympathiser(
                    case, on=on, helper_name=data["helper"], actor=self.user
                )


IMPORTERS = {Kind.PEOPLE: PeopleImporter, Kind.CASES: CasesImporter}


# --- progress ---------------------------------------------------------------------


def _progress_path(imp: Import) -> Path:
    return import_dir() / f"{imp.pk}.progress"


def write_progress(imp: Import, done: int, total: int) -> None:
    """Progress lives in a small file, not in the database: the commit's transaction
    is still open while it runs, so its own writes are not visible to the page."""
    with contextlib.suppress(OSError):  # progress is a nicety; never fail an import for it
        _progress_path(imp).write_text(f"{done} {total}", encoding="ascii")


def read_progress(imp: Import) -> tuple[int, int]:
    try:
        done, total = _progress_path(imp).read_text(encoding="ascii").split()
        return int(done), int(total)
    except (OSError, ValueError):
        return 0, imp.total_rows


def clear_progress(imp: Import) -> None:
    _progress_path(imp).unlink(missing_ok=True)


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


CHUNK_ROWS = 500


def _chunked(rows, index: dict[str, int], importer):
    """(row number, cells by field) for the non-blank rows, read ``CHUNK_ROWS`` at a
    time so the importer can prefetch the members they may be about."""
    chunk = []

    def flush():
        importer.prefetch([cells for _n, cells in chunk])
        yield from chunk
        chunk.clear()

    for number, values in rows:
        cells = {key: values[i] if i < len(values) else None for key, i in index.items()}
        if all(is_blank(v) for v in cells.values()):
            continue
        chunk.append((number, cells))
        if len(chunk) >= CHUNK_ROWS:
            yield from flush()
    if chunk:
        yield from flush()


def process(imp: Import, *, apply: bool) -> Outcome:
    """Read the file and plan every row; with ``apply``, also apply each row (the
    caller holds the transaction) and raise :class:`RowFailure` at the first error."""
    outcome = Outcome()
    importer = IMPORTERS[imp.kind](imp.user, check=not apply)
    try:
        table = open_table(file_path(imp), imp.file_format)
    except ReadError as exc:
        outcome.add_errors([_error(1, "", str(exc))])
        return outcome
    try:
        index, header_errors = map_header(table.header, importer.columns)
        if header_errors:
            outcome.add_errors(header_errors)
            return outcome
        total = table.total
        for number, cells in _chunked(table.rows, index, importer):
            outcome.total += 1
            plan = importer.plan(number, cells)
            if plan.errors:
                if apply:
                    raise RowFailure(plan.errors)
                outcome.add_errors(plan.errors)
                continue
            outcome.counts[plan.action] += 1
            if apply and plan.action != UNCHANGED:
                try:
                    importer.apply(plan)
                except ValidationError as exc:
                    columns = PERSON_FIELD_COLUMN if imp.kind == Kind.PEOPLE else {}
                    raise RowFailure(
                        [_error(number, c, m) for c, m in _validation_messages(exc, columns)]
                    ) from exc
            if outcome.total % PROGRESS_EVERY == 0:
                write_progress(imp, outcome.total, max(total, outcome.total))
    except ReadError as exc:
        outcome.add_errors([_error(1, "", str(exc))])
    finally:
        table.close()
    return outcome


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
        outcome = process(imp, apply=False)
    except Exception:
        logger.exception("import %s: check failed", imp.pk)
        imp.status = ImportStatus.FAILED
        imp.failure = "Lỗi hệ thống khi kiểm tra tệp. Hãy thử lại hoặc báo quản trị viên."
        imp.save()
        clear_progress(imp)
        return imp
    imp.total_rows = outcome.total
    imp.to_create = outcome.counts[CREATE]
    imp.to_update = outcome.counts[UPDATE]
    imp.unchanged = outcome.counts[UNCHANGED]
    imp.errors, imp.error_count = outcome.errors, outcome.error_count
    imp.status = ImportStatus.INVALID if outcome.error_count else ImportStatus.READY
    imp.save()
    clear_progress(imp)
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
