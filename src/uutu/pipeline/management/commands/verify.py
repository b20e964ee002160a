"""``manage.py verify``: recount the figures' counters from the events and list
every difference (unit, month, figure, stored, recounted), then the branch-head
rows from the positions, party periods and events, and the per-chi-hội member
counts (``uutu.people.counts``) from the members, and the cases' search text from
their names. Exits with status 1 when there is any; ``--fix`` then rebuilds what
differs."""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from uutu.orgs.models import Unit
from uutu.people import counts, namewords
from uutu.people.models import MemberCount
from uutu.pipeline import counters, services
from uutu.pipeline.models import Organisation, Step

SHOWN = 50


class Command(BaseCommand):
    help = (
        "Đối chiếu số đếm kết quả với các sự kiện hồ sơ và số hội viên của các chi hội "
        "với danh sách hội viên (đếm lại từ đầu)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--fix", action="store_true", help="Đếm lại và ghi đè số đếm nếu có khác biệt."
        )

    def handle(self, *args, fix=False, **options):
        differences = counters.verify()
        heads = counters.verify_heads()
        members = counts.verify()
        words = self._name_words(fix)
        stale = self._case_names(fix)
        if not differences and not heads and not members:
            if words and not fix:
                raise CommandError(f"Bảng từ trong họ tên thiếu {words} từ.")
            if stale and not fix:
                raise CommandError(f"{stale} hồ sơ có chữ tìm kiếm không khớp với họ tên.")
            self.stdout.write(self.style.SUCCESS("Số đếm khớp với sự kiện: 0 khác biệt."))
            self.stdout.write(
                self.style.SUCCESS("Số hội viên của các chi hội khớp với danh sách: 0 khác biệt.")
            )
            return
        self._members(members, fix)
        if not differences and not heads:
            raise CommandError(f"{len(members)} khác biệt về số hội viên của chi hội.")
        for d in heads[:SHOWN]:
            self.stdout.write(
                f"Chi hội trưởng (chức vụ #{d.position_id}): "
                f"đang lưu {self._head(d.stored)}, đếm lại {self._head(d.recounted)}"
            )
        if len(heads) > SHOWN:
            self.stdout.write(f"… và {len(heads) - SHOWN} khác biệt khác về chi hội trưởng.")
        if not differences:
            self._fix(fix)
            if members:
                total = len(heads) + len(members)
                raise CommandError(f"{total} khác biệt về chi hội trưởng và số hội viên.")
            raise CommandError(f"{len(heads)} khác biệt về số liệu chi hội trưởng.")
        names = dict(
            Unit.objects.filter(pk__in={d.unit_id for d in differences}).values_list("pk", "name")
        )
        steps, organisations = dict(Step.choices), dict(Organisation.choices)
        for d in differences[:SHOWN]:
            figure = str(steps.get(d.step, d.step))
            if d.organisation != Organisation.HOI:
                figure += f" – {organisations.get(d.organisation, d.organisation)}"
            if d.head:
                figure += " – chi hội trưởng"
            self.stdout.write(
                f"{names.get(d.unit_id, f'đơn vị #{d.unit_id}')} (#{d.unit_id}), "
                f"tháng {d.month:%m/%Y}, {figure}: đang lưu {d.stored}, đếm lại {d.recounted}"
            )
        if len(differences) > SHOWN:
            self.stdout.write(f"… và {len(differences) - SHOWN} khác biệt khác.")
        self._fix(fix)
        total = len(differences) + len(heads) + len(members)
        raise CommandError(f"{total} khác biệt giữa số đếm và sự kiện.")

    def _name_words(self, fix: bool) -> int:
        """PostgreSQL: the words of members' names that the search's table of name
        words lacks (uutu.people.namewords); ``--fix`` adds them. The number missing
        (0 after a fix)."""
        if connection.vendor != "postgresql":
            return 0
        with connection.cursor() as cursor:
            lacking = namewords.missing(cursor)
            if not lacking:
                self.stdout.write(
                    self.style.SUCCESS("Bảng từ trong họ tên (để tìm kiếm) đủ: 0 từ thiếu.")
                )
                return 0
            shown = ", ".join(lacking[:10]) + ("…" if len(lacking) > 10 else "")
            many = "ít nhất " if len(lacking) == namewords.MISSING_SHOWN else ""
            self.stdout.write(f"Bảng từ trong họ tên thiếu {many}{len(lacking)} từ: {shown}")
            if fix:
                added = namewords.rebuild(cursor)
                self.stdout.write(
                    self.style.WARNING(f"Đã thêm {added} từ vào bảng từ trong họ tên.")
                )
                return 0
        return len(lacking)

    def _case_names(self, fix: bool) -> int:
        """The cases whose search text (``Case.search_name``) differs from what
        their names give; ``--fix`` rewrites it. The number left (0 after a fix)."""
        changed = services.search_name_changes()
        if not changed:
            self.stdout.write(self.style.SUCCESS("Chữ tìm kiếm của các hồ sơ khớp với họ tên."))
            return 0
        shown = ", ".join(f"#{case.pk}" for case in changed[:10])
        self.stdout.write(f"{len(changed)} hồ sơ có chữ tìm kiếm không khớp với họ tên: {shown}")
        if fix:
            services.write_search_names(changed)
            self.stdout.write(
                self.style.WARNING(f"Đã ghi lại chữ tìm kiếm của {len(changed)} hồ sơ.")
            )
            return 0
        return len(changed)

    def _fix(self, fix: bool) -> None:
        if fix:
            rows = counters.rebuild()
            self.stdout.write(
                self.style.WARNING(f"Đã đếm lại toàn bộ: {rows} dòng số đếm được ghi lại.")
            )

    def _members(self, members: list, fix: bool) -> None:
        """List the branches whose stored member counts differ from a recount of the
        members; ``fix``: recount every branch."""
        if not members:
            return
        names = dict(
            Unit.objects.filter(pk__in={d.branch_id for d in members}).values_list("pk", "name")
        )
        labels = {f: MemberCount._meta.get_field(f).verbose_name for f in counts.FIELDS}
        for d in members[:SHOWN]:
            figures = "; ".join(
                f"{labels[f]}: đang lưu {stored}, đếm lại {recounted}"
                for f, stored, recounted in d.figures()
            )
            if d.path:
                figures += ("; " if figures else "") + (
                    f"đường dẫn: đang lưu {d.path[0]!r}, của chi hội {d.path[1]!r}"
                )
            self.stdout.write(
                f"Số hội viên – {names.get(d.branch_id, f'đơn vị #{d.branch_id}')} "
                f"(#{d.branch_id}): {figures}"
            )
        if len(members) > SHOWN:
            self.stdout.write(f"… và {len(members) - SHOWN} khác biệt khác về số hội viên.")
        if fix:
            rows = counts.rebuild()
            self.stdout.write(
                self.style.WARNING(f"Đã đếm lại số hội viên: {rows} chi hội được ghi lại.")
            )

    @staticmethod
    def _head(values) -> str:
        if values is None:
            return "không có"
        row = dict(zip(counters.HEAD_FIELDS, values, strict=True))
        keep = ("unit_id", "start", "end", "party1_start", "party1_end", "cultivated_on")
        return ", ".join(f"{k}={row[k]}" for k in keep)
