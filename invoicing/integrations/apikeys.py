"""API keys for shop/POS systems: one store each, secret shown once, kept encrypted at rest."""

from __future__ import annotations

import secrets

from django.db import transaction
from django.utils import timezone

from audit.services import Actor, audit_record
from invoicing.concurrency import create_once
from invoicing.models import ApiKey
from stores.credentials import decrypt_secret, encrypt_secret, secret_hint


def _bound(key_id: str) -> str:
    return f"apikey:{key_id}"


def api_key_create(*, store, actor: Actor, label: str, submission_key: str | None = None) -> tuple[ApiKey, str]:
    """A new key for ``store``; returns the row and the plaintext secret, which is never shown again.

    A submission key used before gives back that key with an empty secret: it was shown to the
    first submission only, and a double click must not make a second key.
    """
    made: dict[str, str] = {}

    @transaction.atomic
    def create() -> ApiKey:
        key_id = "kp_" + secrets.token_hex(12)
        secret = secrets.token_hex(32)  # 256 bits
        key = ApiKey.objects.create(
            store=store, label=label.strip()[:100] or "API", key_id=key_id, submission_key=submission_key,
            secret_encrypted=encrypt_secret(secret, bound_to=_bound(key_id)), secret_hint=secret_hint(secret),
        )
        audit_record(actor=actor, action="api_key.create", obj=key, company=store.company, store=store,
                     after={"label": key.label, "key_id": key_id})
        made["secret"] = secret
        return key

    key, created = create_once(
        key=submission_key, create=create, constraint="api_key_submission_once",
        find=lambda: ApiKey.objects.filter(store=store, submission_key=submission_key).first())
    return key, made["secret"] if created else ""


@transaction.atomic
def api_key_revoke(*, api_key: ApiKey, actor: Actor) -> ApiKey:
    key = ApiKey.objects.select_for_update(of=("self",)).select_related("store__company").get(pk=api_key.pk)
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action="api_key.revoke", obj=key, company=key.store.company, store=key.store,
                     before={"revoked_at": None}, after={"revoked_at": key.revoked_at})
    return key


def api_key_secret(api_key: ApiKey) -> str:
    """The plaintext secret, for verifying a request's HMAC (never shown to anyone)."""
    return decrypt_secret(api_key.secret_encrypted, bound_to=_bound(api_key.key_id))
