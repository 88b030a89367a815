"""Manual invoices a clerk saved half-done (草稿), to finish and issue later."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from stores.models import Company, Store
from stores.scoping import StoreScopedQuerySet


class IssueDraft(models.Model):
    """The issue form as typed (field name → values), nothing checked: it may be incomplete.

    Not an invoice: no number, no figures, nothing the platform sees. Issuing it goes through
    the form's checks like any manual invoice, and removes the draft.
    """

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="issue_drafts")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    buyer_name = models.CharField(_("购买方名称"), max_length=200, blank=True)
    line_count = models.PositiveSmallIntegerField(default=0)
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = StoreScopedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = _("开票草稿")
        ordering = ["-updated_at", "-id"]
        indexes = [models.Index(fields=["store", "updated_at"])]

    def __str__(self) -> str:
        return f"draft {self.pk} {self.buyer_name}"
