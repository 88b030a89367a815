"""The invoices' time zone: the tax platform, the printed dates and the day figures are in Shanghai time."""

from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
