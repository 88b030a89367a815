"""The auto-coding threshold a new company starts with, in one place without Django.

``stores.models.Company.auto_code_threshold`` takes its default from here, and
``bench.calibrate --labels`` reports coverage and precision at it, so the bench always measures
the setting customers actually get.
"""

DEFAULT_AUTO_CODE_THRESHOLD = 0.80
