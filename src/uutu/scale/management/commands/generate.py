"""``manage.py generate --scale commune|province|national --seed N``: fill an
empty, migrated database with realistic synthetic data (see docs/generator.md)."""

import argparse
import datetime

from django.core.management.base import BaseCommand, CommandError

from uutu.scale.generator import DEFAULT_PROVINCE, SCALES, TODAY, Generator


class Command(BaseCommand):
    help = (
        "Sinh dữ liệu tổng hợp (hội viên, chi hội, hồ sơ phát triển đảng viên, chỉ tiêu, "
        "báo cáo) ở quy mô một xã, một tỉnh hoặc toàn quốc, vào cơ sở dữ liệu trống."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=sorted(SCALES), required=True)
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument(
            "--province",
            default=None,
            help=f"Tỉnh (mã hoặc tên mã) cho quy mô xã và tỉnh; mặc định {DEFAULT_PROVINCE}.",
        )
        parser.add_argument("--members", type=int, default=None, help="Tổng số hội viên.")
        parser.add_argument(
            "--communes", type=int, default=None, help="Số xã, phường có dữ liệu mỗi tỉnh."
        )
        parser.add_argument(
            "--drop-indexes",
            action=argparse.BooleanOptionalAction,
            default=None,
            help="PostgreSQL: bỏ chỉ mục phụ của các bảng lớn khi nạp rồi tạo lại "
            "(mặc định: có ở quy mô toàn quốc).",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help="Số tiến trình sinh dữ liệu song song (PostgreSQL; mặc định 2 ở quy mô "
            "toàn quốc, 1 ở quy mô khác).",
        )
        parser.add_argument(
            "--today",
            default=TODAY.isoformat(),
            help="Ngày 'hôm nay' của dữ liệu (YYYY-MM-DD), mặc định 2026-11-21.",
        )

    def handle(self, *args, scale, seed, province, members, communes, today, **options):
        drop_indexes, workers = options["drop_indexes"], options["workers"]
        try:
            today = datetime.date.fromisoformat(today)
        except ValueError as exc:
            raise CommandError("Ngày --today phải có dạng YYYY-MM-DD.") from exc
        if scale == "national" and province:
            raise CommandError("Quy mô toàn quốc sinh dữ liệu cho mọi tỉnh: bỏ --province.")
        self.stdout.write(f"Sinh dữ liệu quy mô {scale}, seed {seed}, ngày {today:%d/%m/%Y}…")
        result = Generator(
            scale,
            seed=seed,
            province=province,
            members=members,
            communes=communes,
            today=today,
            stdout=self.stdout,
            drop_indexes=drop_indexes,
            workers=workers,
        ).run()
        self.stdout.write(
            f"Xong: {result.provinces} tỉnh, {result.communes} xã có dữ liệu, "
            f"{result.seconds:.1f} giây."
        )
        for name, seconds in result.phases.items():
            self.stdout.write(f"  {name}: {seconds:.1f} giây")
        width = max(len(t) for t in result.counts)
        for table, n in sorted(result.counts.items()):
            self.stdout.write(f"  {table:<{width}}  {n:>12,}")
