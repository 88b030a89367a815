from django.core.management.base import BaseCommand

from stores.demo import demo_password, seed_demo


class Command(BaseCommand):
    help = "Load the demo company, stores, users (and, when the invoicing app provides it, a catalogue). Idempotent."

    def handle(self, *args, **options):
        company, logins = seed_demo()
        extra = []
        try:  # the catalogue and the sandbox unit come from the invoicing app once it has them
            from invoicing.demo import seed_invoicing_demo
        except ImportError:
            seed_invoicing_demo = None
        if seed_invoicing_demo is not None:
            extra = seed_invoicing_demo(company) or []
        self.stdout.write(f"演示数据就绪：{company.name}（{company.tax_id}）")
        for line in extra:
            self.stdout.write(line)
        self.stdout.write(f"演示账号（密码均为 {demo_password()}）：")
        for login in logins:
            self.stdout.write(f"  {login.username:<16} {login.role:<8} {login.where}")
