"""Writes of the invoicing app: one module per sub-domain (see STYLE.md)."""
