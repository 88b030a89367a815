"""The platform's published field lengths (数电 spec): reference data, not a rule.

Shared by the product's intake limits (``invoicing.rules.limits``) and the sandbox, which
enforces them again with its own checks (docs/tax-platform.md §6.3): both parties read the same
published figures, as they read the same tax-code table. Pure constants, no imports, so the
sandbox takes nothing else of the product with them.

Lengths are counted in characters (a Chinese character counts 1), as the platform counts ``bz``.
The figures follow the public 数电 integration specs (诺诺 / 数票通 open APIs).
"""

BUYER_NAME_MAX = 100  # gmfmc
BUYER_ADDRESS_PHONE_MAX = 100  # gmfdz + gmfdh, printed as one "地址、电话" field
BUYER_BANK_ACCOUNT_MAX = 100  # gmfkhh + gmfzh, printed as one "开户行及账号" field
REMARK_BLUE_MAX = 450  # bz on a blue invoice
REMARK_RED_MAX = 382  # bz on a red invoice (the platform adds the reversal text)
ITEM_NAME_MAX = 90  # xmmc: the name without the "*简称*" prefix the platform adds
SPEC_MAX = 40  # ggxh
UNIT_MAX = 20  # dw
