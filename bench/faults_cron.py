"""bench.faults' periodic jobs: the product's (config.cron_jobs), the pipeline's sweepers every
few seconds instead of every minute, so that a short run shows what a long outage would."""

from rq import cron

from config.cron_jobs import PERIODIC_JOBS

FAST = {"invoicing.issuing.jobs.pipeline_sweep": 3, "invoicing.redletter.jobs.refunds_reverse_pending": 3,
        "invoicing.redletter.jobs.red_letter_forms_sync_all": 5}

for func_path, queue_name, interval in PERIODIC_JOBS:
    module_name, _, func_name = func_path.rpartition(".")
    module = __import__(module_name, fromlist=[func_name])
    cron.register(getattr(module, func_name), queue_name=queue_name, interval=FAST.get(func_path, interval))
