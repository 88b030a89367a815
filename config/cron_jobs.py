"""The periodic jobs: (dotted function path, queue, interval in seconds).

Kept as data so tests can check that every path imports and every job is idempotent.
"""

PERIODIC_JOBS: list[tuple[str, str, int]] = [
    ("audit.jobs.verify_audit_chains", "default", 24 * 3600),
]

# Issuing pipeline (invoicing): lost jobs re-enqueued, issued invoices' platform state refreshed.
PERIODIC_JOBS += [
    ("invoicing.jobs.pipeline_sweep", "tax", 60),
    ("invoicing.jobs.invoice_status_sync", "tax", 600),
]
