from django.core.management.base import BaseCommand

from audit.chain import verify_all
from audit.models import AuditChainHead


class Command(BaseCommand):
    help = "Recompute every company's audit hash chain, compare it with its chain head, report each break."

    def handle(self, *args, **options):
        breaks = verify_all()
        if not breaks:
            heads = AuditChainHead.objects.count()
            self.stdout.write(f"审计链完整：{heads} 条链的所有记录校验通过，且与链头记载的条数一致。")
            return
        for b in breaks:
            company = f"公司 {b.company_id}" if b.company_id is not None else "无公司的系统记录"
            where = f"第 {b.seq} 条" + (f"（id {b.event_id}）" if b.event_id else "")
            self.stdout.write(f"{company}：{where}断链：{b.reason}")
        self.stdout.write(f"审计链已损坏：{len(breaks)} 条链有问题。请从归档或备份中查明缺失或被改动的记录。")
        raise SystemExit(1)
