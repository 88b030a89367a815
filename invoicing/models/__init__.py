"""The invoicing app's models, one module per sub-domain."""

from invoicing.models.taxcodes import TaxCode, TaxCodeMatchMemory

__all__ = ["TaxCode", "TaxCodeMatchMemory"]
from invoicing.models.catalogue import Product  # noqa: E402
from invoicing.models.numbers import NumberBlock, PlatformState  # noqa: E402
from invoicing.models.orders import ApiKey, Order, Refund, WebhookDelivery, WebhookEndpoint  # noqa: E402
from invoicing.models.invoices import (  # noqa: E402
    Invoice,
    InvoiceEvent,
    InvoiceLine,
    StoreDayStats,
    UploadBatch,
)

__all__ += [
    "ApiKey",
    "Invoice",
    "InvoiceEvent",
    "InvoiceLine",
    "NumberBlock",
    "Order",
    "PlatformState",
    "Product",
    "Refund",
    "StoreDayStats",
    "UploadBatch",
    "WebhookDelivery",
    "WebhookEndpoint",
]
from invoicing.models.dashboard import CategoryDayStats  # noqa: E402

__all__ += ["CategoryDayStats"]
from invoicing.models.redletter import (  # noqa: E402
    BatchReversal,
    BatchReversalItem,
    RedLetterForm,
    RedLetterFormLine,
    RedLetterPolicy,
)

__all__ += ["BatchReversal", "BatchReversalItem", "RedLetterForm", "RedLetterFormLine", "RedLetterPolicy"]
from invoicing.models.delivery import (  # noqa: E402
    DeliveryAttempt,
    InvoiceDelivery,
    InvoiceFile,
    StoreDeliveryDefaults,
)

__all__ += ["DeliveryAttempt", "InvoiceDelivery", "InvoiceFile", "StoreDeliveryDefaults"]
