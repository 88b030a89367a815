"""Settings for ``python -m bench.pipeline``: the product's settings with the pipeline's knobs set for a run."""

from config.settings import *  # noqa: F403

TAX_POLL_DELAY = 1  # ask for the upload result 1 s after the upload (the sandbox answers at once)
TAX_NUMBER_BLOCK_SIZE = 5000
TAX_NUMBER_LOW_WATER = 1000
TAX_QUOTA_DOWNLOAD_CHUNK = "5000000"
SANDBOX_PROCESSING_DELAY_S = 0
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
# The bench measures orders → issued invoices. Delivery (a PDF render per invoice) runs on its own
# queue and, in production, its own workers; bench.reports measures rendering.
INVOICE_AUTO_DELIVERY = False
