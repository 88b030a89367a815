"""API keys for shop/POS systems: one store each, secret shown once, kept encrypted at rest."""

from __future__ import annotations

import secrets

from django.db import transaction
from django.utils import timezone

from audit.services import Actor, audit_record
from invoicing.models import ApiKey
from stores.credentials import decrypt_secret, encrypt_secret, secret_hint


def _bound(key_id: str) -> str:
    return f"apikey:{key_id}"


@transaction.atomic
def api_key_create(*, store, actor: Actor, label: str) -> tuple[ApiKey, str]:
    """A new key for ``store``; returns the row and the plaintext secret, which is never shown again."""
    key_id = "kp_" + secrets.token_hex(12)
    secret = secrets.token_hex(32)  # 256 bits
    key = ApiKey.objects.create(
        store=store, label=label.strip()[:100] or "API", key_id=key_id,
        secret_encrypted=encrypt_secret(secret, bound_to=_bound(key_id)), secret_hint=secret_hint(secret),
    )
    audit_record(actor=actor, action="api_key.create", obj=key, company=store.company, store=store,
                 after={"label": key.label, "key_id": key_id})
    return key, secret


@transaction.atomic
def api_key_revoke(*, api_key: ApiKey, actor: Actor) -> ApiKey:
    key = ApiKey.objects.select_for_update().select_related("store__company").get(pk=api_key.pk)
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action="api_key.revoke", obj=key, company=key.store.company, store=key.store,
                     before={"revoked_at": None}, after={"revoked_at": key.revoked_at})
    return key


def api_key_secret(api_key: ApiKey) -> str:
    """The plaintext secret, for verifying a request's HMAC (never shown to anyone)."""
    return decrypt_secret(api_key.secret_encrypted, bound_to=_bound(api_key.key_id))
