"""Delivering issued invoices: e-mail with PDF and XML attached, SMS through a pluggable
backend, and a signed, expiring download link (docs/delivery.md)."""
