"""The home page: each role's figures for today and what is waiting for them (issue 14, item 17)."""
