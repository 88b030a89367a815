"""Issuing: one owner for an invoice's life — drafts, creation, status transitions, the pipeline."""
