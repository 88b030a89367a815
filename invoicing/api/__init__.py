"""The integration API for shop/POS systems (docs/api.md)."""
