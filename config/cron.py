"""Periodic jobs, run by `manage.py rqcron config.cron` (RQ's cron scheduler).

Each entry names a job function that is safe to run twice (jobs load by id and re-check state).
"""

from rq import cron

from config.cron_jobs import PERIODIC_JOBS

for func_path, queue_name, interval in PERIODIC_JOBS:
    module_name, _, func_name = func_path.rpartition(".")
    module = __import__(module_name, fromlist=[func_name])
    cron.register(getattr(module, func_name), queue_name=queue_name, interval=interval)
