"""The company's product catalogue."""
