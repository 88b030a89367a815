from django.core.management.base import BaseCommand

from invoicing.demo import seed_invoicing_demo
from stores.demo import connect_demo_to_sandbox, demo_password, seed_demo


class Command(BaseCommand):
    help = "Load the demo company, stores, users and catalogue. Idempotent."

    def handle(self, *args, **options):
        company, logins = seed_demo()
        extra = [connect_demo_to_sandbox(company)]
        extra += seed_invoicing_demo(company) or []
        self.stdout.write(f"演示数据就绪：{company.name}（{company.tax_id}）")
        for line in extra:
            self.stdout.write(line)
        self.stdout.write(f"演示账号（密码均为 {demo_password()}）：")
        for login in logins:
            self.stdout.write(f"  {login.username:<16} {login.role:<8} {login.where}")
