"""The product's periodic jobs: `manage.py runcron config.cron`.

django-rq's rqcron loop, but one that outlives Redis outages (config.resilience.run_cron)."""

import logging

from django.core.management.base import BaseCommand
from django_rq.cron import DjangoCronScheduler

from config.resilience import run_cron


class Command(BaseCommand):
    help = "Run RQ's cron scheduler; it waits out Redis outages instead of dying."

    def add_arguments(self, parser):
        parser.add_argument("config_path")

    def handle(self, *args, config_path, verbosity, **options):
        scheduler = DjangoCronScheduler(logging_level=logging.DEBUG if verbosity >= 2 else logging.INFO)
        scheduler.load_config_from_file(config_path)
        self.stdout.write(f"定时任务：{len(scheduler.get_jobs())} 项（{config_path}）")
        run_cron(scheduler)
