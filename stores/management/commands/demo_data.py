import importlib.util

from django.core.management.base import BaseCommand

from stores.demo import connect_demo_to_sandbox, demo_password, seed_demo


class Command(BaseCommand):
    help = "Load the demo company, stores, users (and, when the invoicing app provides it, a catalogue). Idempotent."

    def handle(self, *args, **options):
        company, logins = seed_demo()
        extra = [connect_demo_to_sandbox(company)]
        # The catalogue comes from the invoicing app (its module may not exist in a partial checkout).
        if importlib.util.find_spec("invoicing.demo") is not None:
            from invoicing.demo import seed_invoicing_demo

            extra += seed_invoicing_demo(company) or []
        self.stdout.write(f"演示数据就绪：{company.name}（{company.tax_id}）")
        for line in extra:
            self.stdout.write(line)
        self.stdout.write(f"演示账号（密码均为 {demo_password()}）：")
        for login in logins:
            self.stdout.write(f"  {login.username:<16} {login.role:<8} {login.where}")
