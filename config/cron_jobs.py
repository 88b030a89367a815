"""The periodic jobs: (dotted function path, queue, interval in seconds).

Kept as data so tests can check that every path imports and every job is idempotent.
"""

PERIODIC_JOBS: list[tuple[str, str, int]] = [
    ("audit.jobs.verify_audit_chains", "default", 24 * 3600),
]

# Issuing pipeline (invoicing): lost jobs re-enqueued, issued invoices' platform state refreshed,
# tax codes and rates kept current from the platform (CXSSFLBM).
PERIODIC_JOBS += [
    ("invoicing.taxcodes.jobs.tax_codes_sync", "tax", 24 * 3600),
    ("invoicing.issuing.jobs.pipeline_sweep", "tax", 60),
    ("invoicing.issuing.jobs.invoice_status_sync", "tax", 600),
]

# Red-letter reversal (invoicing.redletter): form states and buyer forms mirrored, 作废提醒 mails,
# refunds that arrived after issue reversed.
PERIODIC_JOBS += [
    ("invoicing.redletter.jobs.red_letter_forms_sync_all", "tax", 300),
    ("invoicing.redletter.jobs.red_letter_reminders", "default", 900),
    ("invoicing.redletter.jobs.refunds_reverse_pending", "tax", 60),
]

# HQ dashboard: mail HQ when a store passes its failure-rate or backlog threshold (once per store, kind and day).
PERIODIC_JOBS += [
    ("invoicing.dashboard.selectors.dashboard_alerts_mail", "default", 300),
]

# Delivery and reports: deliveries whose job was lost are re-sent; expired report files removed.
PERIODIC_JOBS += [
    ("invoicing.delivery.jobs.delivery_sweep", "delivery", 600),
    ("audit.report_jobs.report_jobs_expire", "reports", 24 * 3600),
]

# Monthly summary confirmation (汇总确认): the previous month's figures per company, stored from the
# first run on the 1st (hourly, so a month is ready within the hour; confirmed months stay as they were).
PERIODIC_JOBS += [
    ("invoicing.summary.jobs.monthly_summaries_compute", "default", 3600),
]
