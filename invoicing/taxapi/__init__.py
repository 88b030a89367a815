"""The tax-platform client: ``get_provider(company)`` and the provider-neutral types in ``base``.

Callers never name a provider class: they ask for the company's provider and talk to the
``TaxPlatformProvider`` interface, so adding Nuonuo is one entry in ``PROVIDERS``.
"""

from __future__ import annotations

from .base import TaxPlatformProvider
from .errors import BusinessError, PermanentError, RetryableError, TaxPlatformError, UnknownOutcomeError
from .leqi import LeqiProvider

PROVIDERS: dict[str, type[TaxPlatformProvider]] = {"leqi": LeqiProvider}
DEFAULT_PROVIDER = "leqi"

__all__ = [
    "PROVIDERS",
    "BusinessError",
    "LeqiProvider",
    "PermanentError",
    "RetryableError",
    "TaxPlatformError",
    "TaxPlatformProvider",
    "UnknownOutcomeError",
    "get_provider",
]


def get_provider(company, *, store=None) -> TaxPlatformProvider:
    """The provider the company is configured for (``company.platform_provider``, default 乐企)."""
    key = getattr(company, "platform_provider", "") or DEFAULT_PROVIDER
    try:
        provider_class = PROVIDERS[key]
    except KeyError:
        raise PermanentError(code="CLIENT_CONFIG", message=f"税务平台接入配置有误：未知的服务商 {key}") from None
    return provider_class.for_company(company, store=store)
