"""Who must approve a clerk's red-letter request: the company's policy, per store where set.
"""

from __future__ import annotations

from django.db import transaction

from audit.services import Actor, audit_record
from invoicing.models import (
    RedLetterPolicy,
)


def red_letter_policy_requires_approval(*, store) -> bool:
    """The store's own setting, else the company's, else yes (a clerk's request waits for a manager)."""
    policy = (RedLetterPolicy.objects.filter(store=store).first()
              or RedLetterPolicy.objects.filter(company_id=store.company_id, store__isnull=True).first())
    return True if policy is None else policy.clerk_requests_need_approval


@transaction.atomic
def red_letter_policy_set(*, company, actor: Actor, clerk_requests_need_approval: bool, store=None) -> RedLetterPolicy:
    policy, _ = RedLetterPolicy.objects.select_for_update().get_or_create(
        company=company, store=store, defaults={"clerk_requests_need_approval": clerk_requests_need_approval})
    before = {"clerk_requests_need_approval": policy.clerk_requests_need_approval}
    policy.clerk_requests_need_approval = clerk_requests_need_approval
    policy.save()
    audit_record(actor=actor, action="red_policy.set", obj=policy, company=company, store=store, before=before,
                 after={"clerk_requests_need_approval": clerk_requests_need_approval})
    return policy
