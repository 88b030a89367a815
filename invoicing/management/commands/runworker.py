"""The product's RQ worker: `manage.py runworker tax delivery reports default --with-scheduler`.

Like django-rq's rqworker, but it outlives Redis and PostgreSQL outages (config.resilience)."""

from django.core.management.base import BaseCommand
from django_rq import get_queue
from django_rq.utils import reset_db_connections
from rq.logutils import setup_loghandlers

from config.resilience import ResilientWorker, run_worker


class Command(BaseCommand):
    help = "Run an RQ worker that waits out Redis and PostgreSQL outages instead of quitting."

    def add_arguments(self, parser):
        parser.add_argument("queues", nargs="+")
        parser.add_argument("--with-scheduler", action="store_true")
        parser.add_argument("--burst", action="store_true")

    def handle(self, *args, queues, with_scheduler, burst, verbosity, **options):
        level = "DEBUG" if verbosity >= 2 else "WARNING" if verbosity == 0 else "INFO"
        setup_loghandlers(level)

        def make_worker():
            rq_queues = [get_queue(name) for name in queues]
            return ResilientWorker(rq_queues, connection=rq_queues[0].connection)

        reset_db_connections()  # the worker forks per job: no connection may be shared with a child
        run_worker(make_worker=make_worker, connection=get_queue(queues[0]).connection, burst=burst,
                   with_scheduler=with_scheduler, logging_level=level)
