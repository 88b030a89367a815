from django.core.management.base import BaseCommand

from audit.chain import verify_all


class Command(BaseCommand):
    help = "Recompute every company's audit hash chain and report the first broken link."

    def handle(self, *args, **options):
        breaks = verify_all()
        if not breaks:
            self.stdout.write("审计链完整：所有记录校验通过。")
            return
        for b in breaks:
            self.stdout.write(f"公司 {b.company_id}：第 {b.seq} 条（id {b.event_id}）断链：{b.reason}")
        raise SystemExit(1)
