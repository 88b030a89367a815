"""Settings pages of the stores app for HQ admins: stores and rollout, users and roles, tax-platform credentials.

The settings hub itself and invoicing's own settings are ``invoicing.settings_views``; one URL namespace,
``settings``, holds both (``config/urls_settings.py``).
"""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from audit.services import Actor
from stores import services
from stores.access import access_for
from stores.forms import (
    CredentialsForm,
    MembershipGrantForm,
    StoreForm,
    TaxOfficeForm,
)
from stores.models import Company, Membership, Store
from stores.roles import Role


def admin_company(request) -> Company:
    """The company the HQ admin manages (the first one they administer); 404 for anyone else."""
    access = access_for(request)
    access.require("settings.manage")
    for m in access.memberships:
        if m.role == Role.HQ_ADMIN:
            return m.company
    company = Company.objects.for_user(request.user).order_by("pk").first()  # superusers
    if company is None:
        raise Http404
    return company


@login_required
def store_edit(request, store_id: int | None = None):
    company = admin_company(request)
    store = get_object_or_404(Store, pk=store_id, company=company) if store_id else None
    form = StoreForm(request.POST or None, instance=store, company=company)
    if request.method == "POST" and form.is_valid():
        actor = Actor.for_user(request.user)
        data = form.cleaned_data
        try:
            if store is None:
                store = services.store_create(company=company, actor=actor, **data)
                messages.success(request, _("门店 %(store)s 已创建。") % {"store": store.name})
            else:
                data.pop("code")
                services.store_update(store=store, actor=actor, **data)
                messages.success(request, _("门店 %(store)s 已保存。") % {"store": store.name})
        except ValidationError as exc:  # a concurrent submission took the code (a double click)
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            return redirect("settings:settings_home")
    heading = _("编辑门店 %(store)s") % {"store": store.name} if store else _("新增门店")
    return render(request, "stores/settings/form.html", {"form": form, "store": store, "heading": heading})


@login_required
def credentials_edit(request):
    company = admin_company(request)
    form = CredentialsForm(request.POST or None, initial={
        "unit_id": company.platform_unit_id, "user_unit_id": company.platform_user_unit_id,
        "sign_type": company.platform_sign_type})
    if request.method == "POST" and form.is_valid():
        try:
            services.company_set_platform_credentials(company=company, actor=Actor.for_user(request.user),
                                                      **form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("税务平台接入信息已保存（密钥已加密存储）。"))
            return redirect("settings:settings_home")
    return render(request, "stores/settings/form.html",
                  {"form": form, "company": company, "heading": _("税务平台接入信息")})


@login_required
def membership_grant(request):
    company = admin_company(request)
    form = MembershipGrantForm(request.POST or None, company=company)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with transaction.atomic():
            user = data["existing_user"]
            if user is None:
                user = get_user_model().objects.create_user(
                    username=data["username"].strip(), password=data["password"], email=data.get("email") or "",
                    first_name=data.get("full_name") or "")
            try:
                services.membership_grant(actor=Actor.for_user(request.user), user=user, company=company,
                                          role=data["role"], store=data.get("store"))
            except ValidationError:
                transaction.set_rollback(True)
                form.add_error(None, _("该用户已拥有此角色"))
                return render(request, "stores/settings/form.html", {"form": form, "heading": _("授予角色")})
        messages.success(request, _("已为 %(user)s 授予角色：%(role)s。") % {"user": user.username, "role": Role(data["role"]).label})
        return redirect("settings:settings_home")
    return render(request, "stores/settings/form.html", {"form": form, "heading": _("授予角色")})


@login_required
@require_POST
def membership_revoke(request, membership_id: int):
    company = admin_company(request)
    membership = get_object_or_404(Membership, pk=membership_id, company=company)
    if membership.user_id == request.user.pk and membership.role == Role.HQ_ADMIN:
        messages.error(request, _("不能撤销自己的总部管理员角色，以免失去管理权限。"))
        return redirect("settings:settings_home")
    services.membership_revoke(actor=Actor.for_user(request.user), membership=membership)
    messages.success(request, _("角色已撤销。"))
    return redirect("settings:settings_home")


@login_required
@require_POST
def tax_office_edit(request):
    company = admin_company(request)
    form = TaxOfficeForm(request.POST)
    if not form.is_valid():
        for error in form.errors.get("tax_office_code", []):
            messages.error(request, error)
        return redirect("settings:settings_home")
    services.company_set_tax_office_code(company=company, actor=Actor.for_user(request.user),
                                         code=form.cleaned_data["tax_office_code"])
    messages.success(request, _("省级税务机关代码已保存。"))
    return redirect("settings:settings_home")
