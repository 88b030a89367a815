"""Red-letter reversal (红冲): confirmation forms, red invoices through the pipeline, refunds, batches, reminders."""
