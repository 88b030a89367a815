"""Writes for companies, stores and memberships; each writes its audit event in the same transaction."""

from __future__ import annotations

import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from audit.services import Actor, audit_record
from stores.credentials import encrypt_secret, secret_hint
from stores.db import unique_refused_as
from stores.models import Company, Membership, Store
from stores.roles import HQ_ROLES, STORE_ROLES

_HEX32 = re.compile(r"^[0-9a-fA-F]{32}$")
# Below 0.50 a first suggestion is wrong more often than right (bench.calibrate); 1.00 codes only
# the names the company remembered.
AUTO_CODE_MIN, AUTO_CODE_MAX = Decimal("0.50"), Decimal("1.00")


def _store_snapshot(store: Store) -> dict:
    return {"code": store.code, "name": store.name, "address": store.address, "is_active": store.is_active,
            "rollout_percent": store.rollout_percent, "manager_email": store.manager_email,
            "alert_failure_rate": store.alert_failure_rate, "alert_backlog": store.alert_backlog}


@transaction.atomic
def company_set_platform_credentials(*, company: Company, actor: Actor, unit_id: str, user_unit_id: str,
                                     secret: str, sign_type: str = "HMAC", sm2_private_key: str = "") -> Company:
    """Store the tax-platform unit ids and key; the key is encrypted and only its hint is kept."""
    errors = {}
    if not unit_id.strip():
        errors["unit_id"] = "请填写接入单位平台编号"
    if not _HEX32.match(secret or ""):
        errors["secret"] = "平台密钥应为32位十六进制字符"  # noqa: S105 - a message, not a password
    if sign_type not in ("HMAC", "SM2"):
        errors["sign_type"] = "签名方式只能是 HMAC 或 SM2"
    if sign_type == "SM2" and not re.fullmatch(r"[0-9a-fA-F]{64}", sm2_private_key or ""):
        errors["sm2_private_key"] = "SM2 私钥应为64位十六进制字符"
    if errors:
        raise ValidationError(errors)
    company = Company.objects.select_for_update().get(pk=company.pk)
    before = {"unit_id": company.platform_unit_id, "user_unit_id": company.platform_user_unit_id,
              "sign_type": company.platform_sign_type, "secret": company.platform_secret_hint or None}
    company.platform_unit_id = unit_id.strip()
    company.platform_user_unit_id = (user_unit_id or unit_id).strip()
    company.platform_sign_type = sign_type
    company.platform_secret_encrypted = encrypt_secret(secret.lower(), bound_to=company.tax_id)
    company.platform_secret_hint = secret_hint(secret)
    if sign_type == "SM2":
        company.platform_sm2_private_key_encrypted = encrypt_secret(
            sm2_private_key.lower(), bound_to=company.tax_id + ":sm2")
    company.save()
    # The audit trail records that the key changed and its hint, never the key.
    audit_record(actor=actor, action="company.credentials_set", obj=company, company=company, before=before,
                 after={"unit_id": company.platform_unit_id, "user_unit_id": company.platform_user_unit_id,
                        "sign_type": sign_type, "secret": company.platform_secret_hint})
    return company


@transaction.atomic
def company_set_tax_office_code(*, company: Company, actor: Actor, code: str) -> Company:
    """Set (or clear, to derive it from the tax id) the province tax office code sent to the platform."""
    company = Company.objects.select_for_update().get(pk=company.pk)
    before = company.tax_office_code
    company.tax_office_code = Company._meta.get_field("tax_office_code").clean((code or "").strip(), company)
    if company.tax_office_code == before:
        return company
    company.save(update_fields=["tax_office_code"])
    audit_record(actor=actor, action="company.tax_office_code", obj=company, company=company,
                 before={"tax_office_code": before}, after={"tax_office_code": company.tax_office_code})
    return company


@transaction.atomic
def store_create(*, company: Company, actor: Actor, code: str, name: str, address: str = "",
                 rollout_percent: int = 0, manager_email: str = "", is_active: bool = True,
                 alert_failure_rate: int = 5, alert_backlog: int = 50) -> Store:
    store = Store(company=company, code=code, name=name, address=address, rollout_percent=rollout_percent,
                  manager_email=manager_email, is_active=is_active, alert_failure_rate=alert_failure_rate,
                  alert_backlog=alert_backlog)
    taken = {"code": f"门店编码 {code} 已被本公司其他门店使用，请换一个编码"}
    if Store.objects.filter(company=company, code=code).exists():
        raise ValidationError(taken)
    # Uniqueness is the database's (below), with the same sentence: a model-level check here could
    # see a concurrent insert commit and answer in other words (timing-dependent, seen in CI).
    store.full_clean(validate_unique=False, validate_constraints=False)
    # The check above cannot see a store a concurrent submission (a double click) is inserting.
    with unique_refused_as("store_code_unique_per_company", taken):
        store.save()
    audit_record(actor=actor, action="store.created", obj=store, company=company, store=store,
                 after=_store_snapshot(store))
    return store


@transaction.atomic
def company_set_auto_code_threshold(*, company: Company, actor: Actor, threshold) -> Company:
    """How sure the matcher must be before an order line without a code is coded without a person."""
    threshold = Decimal(threshold)
    if not AUTO_CODE_MIN <= threshold <= AUTO_CODE_MAX:
        raise ValidationError(f"自动赋码置信度阈值应在 {AUTO_CODE_MIN} 到 {AUTO_CODE_MAX} 之间，当前为 {threshold}")
    company = Company.objects.select_for_update().get(pk=company.pk)
    before = company.auto_code_threshold
    company.auto_code_threshold = threshold
    if company.auto_code_threshold == before:
        return company
    company.save(update_fields=["auto_code_threshold"])
    audit_record(actor=actor, action="company.auto_code_threshold", obj=company, company=company,
                 before={"auto_code_threshold": before}, after={"auto_code_threshold": company.auto_code_threshold})
    return company


@transaction.atomic
def store_update(*, store: Store, actor: Actor, **changes) -> Store:
    """Change store fields (name, address, is_active, rollout, e-mail, alert thresholds) with an audit row."""
    allowed = {"name", "address", "is_active", "rollout_percent", "manager_email", "alert_failure_rate",
               "alert_backlog"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValueError(f"unknown store fields: {sorted(unknown)}")
    store = Store.objects.select_for_update().get(pk=store.pk)
    before = _store_snapshot(store)
    for field, value in changes.items():
        setattr(store, field, value)
    store.full_clean()
    after = _store_snapshot(store)
    if after == before:
        return store
    store.save()
    changed = {k for k in after if after[k] != before[k]}
    action = "store.rollout_changed" if changed == {"rollout_percent"} else "store.updated"
    audit_record(actor=actor, action=action, obj=store, company=store.company, store=store,
                 before=before, after=after)
    return store


@transaction.atomic
def membership_grant(*, actor: Actor, user, company: Company, role: str, store: Store | None = None) -> Membership:
    if role in STORE_ROLES and store is None:
        raise ValidationError({"store": "门店角色必须指定门店"})
    if role in HQ_ROLES:
        store = None
    membership = Membership(user=user, company=company, store=store, role=role)
    membership.full_clean()
    membership.save()
    audit_record(actor=actor, action="membership.granted", obj=membership, company=company, store=store,
                 after={"user": user.get_username(), "role": role, "store": store.code if store else None})
    return membership


@transaction.atomic
def membership_revoke(*, actor: Actor, membership: Membership) -> None:
    snapshot = {"user": membership.user.get_username(), "role": membership.role,
                "store": membership.store.code if membership.store_id else None}
    audit_record(actor=actor, action="membership.revoked", obj=membership, company=membership.company,
                 store=membership.store, before=snapshot)
    membership.delete()
