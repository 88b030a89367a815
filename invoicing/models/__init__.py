"""The invoicing app's models, one module per sub-domain."""

from invoicing.models.taxcodes import TaxCode, TaxCodeMatchMemory

__all__ = ["TaxCode", "TaxCodeMatchMemory"]
