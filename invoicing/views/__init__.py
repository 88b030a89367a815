"""Store and HQ screens of the invoicing app (server-rendered; a little plain JS on top)."""
