"""``manage.py verify``: recount the figures' counters from the events and list
every difference (unit, month, figure, stored, recounted), then the branch-head
rows from the positions, party periods and events. Exits with status 1 when there
is any; ``--fix`` then rebuilds them."""

from django.core.management.base import BaseCommand, CommandError

from uutu.orgs.models import Unit
from uutu.pipeline import counters
from uutu.pipeline.models import Organisation, Step

SHOWN = 50


class Command(BaseCommand):
    help = "Đối chiếu số đếm kết quả với các sự kiện hồ sơ (đếm lại từ đầu)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--fix", action="store_true", help="Đếm lại và ghi đè số đếm nếu có khác biệt."
        )

    def handle(self, *args, fix=False, **options):
        differences = counters.verify()
        heads = counters.verify_heads()
        if not differences and not heads:
            self.stdout.write(self.style.SUCCESS("Số đếm khớp với sự kiện: 0 khác biệt."))
            return
        for d in heads[:SHOWN]:
            self.stdout.write(
                f"Chi hội trưởng (chức vụ #{d.position_id}): "
                f"đang lưu {self._head(d.stored)}, đếm lại {self._head(d.recounted)}"
            )
        if len(heads) > SHOWN:
            self.stdout.write(f"… và {len(heads) - SHOWN} khác biệt khác về chi hội trưởng.")
        if not differences:
            self._fix(fix)
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
        total = len(differences) + len(heads)
        raise CommandError(f"{total} khác biệt giữa số đếm và sự kiện.")

    def _fix(self, fix: bool) -> None:
        if fix:
            rows = counters.rebuild()
            self.stdout.write(
                self.style.WARNING(f"Đã đếm lại toàn bộ: {rows} dòng số đếm được ghi lại.")
            )

    @staticmethod
    def _head(values) -> str:
        if values is None:
            return "không có"
        row = dict(zip(counters.HEAD_FIELDS, values, strict=True))
        keep = ("unit_id", "start", "end", "party1_start", "party1_end", "cultivated_on")
        return ", ".join(f"{k}={row[k]}" for k in keep)
