"""The invoicing app's models, one module per sub-domain."""

from invoicing.models.catalogue import Product
from invoicing.models.dashboard import CategoryDayStats
from invoicing.models.delivery import DeliveryAttempt, InvoiceDelivery, InvoiceFile, StoreDeliveryDefaults
from invoicing.models.drafts import IssueDraft
from invoicing.models.invoices import Invoice, InvoiceEvent, InvoiceLine, StoreDayStats, UploadBatch
from invoicing.models.numbers import NumberBlock, PlatformState
from invoicing.models.orders import ApiKey, Order, Refund, WebhookDelivery, WebhookEndpoint
from invoicing.models.redletter import (
    BatchReversal,
    BatchReversalItem,
    RedLetterForm,
    RedLetterFormLine,
    RedLetterPolicy,
)
from invoicing.models.summary import MonthlySummary, MonthlySummaryUpload
from invoicing.models.taxcodes import TaxCode, TaxCodeMatchMemory

__all__ = [
    "ApiKey", "BatchReversal", "BatchReversalItem", "CategoryDayStats", "DeliveryAttempt", "Invoice",
    "InvoiceDelivery", "InvoiceEvent", "InvoiceFile", "InvoiceLine", "IssueDraft", "MonthlySummary",
    "MonthlySummaryUpload", "NumberBlock", "Order", "PlatformState",
    "Product", "RedLetterForm", "RedLetterFormLine", "RedLetterPolicy", "Refund", "StoreDayStats",
    "StoreDeliveryDefaults", "TaxCode", "TaxCodeMatchMemory", "UploadBatch", "WebhookDelivery", "WebhookEndpoint",
]
