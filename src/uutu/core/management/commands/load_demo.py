"""``manage.py load_demo``: build the demo data set (see :mod:`uutu.core.demo`)."""

from django.core.management.base import BaseCommand, CommandError

from uutu.core.demo import DEFAULT_MEMBERS, build_demo


class Command(BaseCommand):
    help = (
        "Tạo dữ liệu mẫu: một tỉnh (mặc định Cao Bằng) với xã, phường, 8–20 chi hội và chi bộ "
        "mỗi xã, hội viên và một tài khoản cho mỗi vai trò. Chạy lại không tạo thêm dữ liệu."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--province", default="4", help="Mã tỉnh hoặc tên mã (mặc định 4: Cao Bằng)."
        )
        parser.add_argument(
            "--members",
            type=int,
            default=DEFAULT_MEMBERS,
            help=(
                f"Số hội viên mẫu (mặc định {DEFAULT_MEMBERS}); nếu ít hơn số chi hội trưởng "
                "và chi hội phó cần có thì dùng số tối thiểu đó."
            ),
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=2026,
            help="Hạt giống ngẫu nhiên: cùng hạt giống cho cùng dữ liệu.",
        )
        parser.add_argument(
            "--communes",
            type=int,
            default=None,
            help="Chỉ tạo chi hội, hội viên ở số xã, phường này (mặc định: tất cả).",
        )

    def handle(self, *args, province, members, seed, communes, **options):
        try:
            build_demo(
                province_code=province,
                members=members,
                seed=seed,
                communes=communes,
                stdout=self.stdout,
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
