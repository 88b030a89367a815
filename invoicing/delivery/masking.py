"""Masked receivers for delivery records and logs (a record must not become a contact list)."""


def mask_mobile(mobile: str) -> str:
    """13812341234 → 138****1234; short values keep only their last two characters."""
    digits = mobile.strip()
    if len(digits) >= 7:
        return f"{digits[:3]}****{digits[-4:]}"
    return "*" * max(len(digits) - 2, 0) + digits[-2:]


def mask_email(email: str) -> str:
    """zhangsan@example.com → zh***@example.com."""
    local, _, domain = email.strip().partition("@")
    if not domain:
        return mask_mobile(email)
    return f"{local[:2]}***@{domain}"


def mask_target(channel: str, target: str) -> str:
    return mask_email(target) if channel == "email" else mask_mobile(target)
