"""``manage.py load_demo``: build the demo data set (see :mod:`uutu.core.demo`)."""

from django.core.management.base import BaseCommand, CommandError

from uutu.core.demo import build_demo


class Command(BaseCommand):
    help = (
        "Tạo dữ liệu mẫu: một tỉnh (mặc định Cao Bằng) với xã, phường, chi hội, chi bộ, "
        "hội viên và một tài khoản cho mỗi vai trò. Chạy lại không tạo thêm dữ liệu."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--province", default="4", help="Mã tỉnh hoặc tên mã (mặc định 4: Cao Bằng)."
        )
        parser.add_argument(
            "--members", type=int, default=4000, help="Số hội viên mẫu (mặc định 4000)."
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
            help="Số xã, phường có chi hội và hội viên (mặc định: tự tính).",
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
