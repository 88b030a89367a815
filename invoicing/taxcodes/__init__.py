"""Tax classification codes (税收分类编码): the official table, allowed rates, matching product names."""
