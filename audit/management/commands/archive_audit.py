from datetime import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from audit.chain import ArchiveError, archive_before


class Command(BaseCommand):
    help = "Export audit and exchange-log rows older than a date (>= 5 years) to files, verify, then remove them."

    def add_arguments(self, parser):
        parser.add_argument("--before", required=True, help="YYYY-MM-DD; rows created before this date")
        parser.add_argument("--out", required=True, help="directory for the .jsonl.gz files")

    def handle(self, *args, before, out, **options):
        try:
            cutoff = timezone.make_aware(datetime.strptime(before, "%Y-%m-%d"))
        except ValueError:
            raise CommandError("--before 应为 YYYY-MM-DD 格式的日期") from None
        try:
            summary = archive_before(cutoff=cutoff, out_dir=Path(out))
        except ArchiveError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"已归档审计记录 {summary['events']} 条、平台交互 {summary['exchanges']} 条：")
        for path in summary["files"]:
            self.stdout.write(f"  {path}")
