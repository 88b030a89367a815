"""Orders and refunds received from shop and POS systems."""
