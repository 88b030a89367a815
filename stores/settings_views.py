"""Settings pages for HQ admins: stores and rollout, users and roles, tax-platform credentials."""

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
    ApiKeyForm,
    AutoCodeForm,
    CredentialsForm,
    DeliveryDefaultsForm,
    MembershipGrantForm,
    RedLetterPolicyForm,
    StoreForm,
    WebhookForm,
)
from stores.models import Company, Membership, Store
from stores.roles import Role


def _admin_company(request) -> Company:
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
def settings_home(request):
    company = _admin_company(request)
    stores = Store.objects.filter(company=company).order_by("code")
    members = Membership.objects.filter(company=company).select_related("user", "store").order_by("store__code", "role")
    from invoicing.models import RedLetterPolicy

    policy = RedLetterPolicy.objects.filter(company=company, store__isnull=True).first()
    policy_form = RedLetterPolicyForm(initial={"clerk_requests_need_approval": policy is None
                                               or policy.clerk_requests_need_approval})
    auto_code_form = AutoCodeForm(initial={"auto_code_threshold": company.auto_code_threshold})
    return render(request, "stores/settings/home.html", {"company": company, "stores": stores, "members": members,
                                                         "policy_form": policy_form, "auto_code_form": auto_code_form})


@login_required
@require_POST
def auto_code(request):
    company = _admin_company(request)
    form = AutoCodeForm(request.POST)
    if not form.is_valid():
        for error in form.errors.get("auto_code_threshold", []):
            messages.error(request, error)
        return redirect("stores:settings_home")
    services.company_set_auto_code_threshold(company=company, actor=Actor.for_user(request.user),
                                             threshold=form.cleaned_data["auto_code_threshold"])
    messages.success(request, _("自动赋码阈值已保存。"))
    return redirect("stores:settings_home")


@login_required
def store_edit(request, store_id: int | None = None):
    company = _admin_company(request)
    store = get_object_or_404(Store, pk=store_id, company=company) if store_id else None
    form = StoreForm(request.POST or None, instance=store, company=company)
    if request.method == "POST" and form.is_valid():
        actor = Actor.for_user(request.user)
        data = form.cleaned_data
        if store is None:
            store = services.store_create(company=company, actor=actor, **data)
            messages.success(request, _("门店 %(store)s 已创建。") % {"store": store.name})
        else:
            data.pop("code")
            services.store_update(store=store, actor=actor, **data)
            messages.success(request, _("门店 %(store)s 已保存。") % {"store": store.name})
        return redirect("stores:settings_home")
    heading = _("编辑门店 %(store)s") % {"store": store.name} if store else _("新增门店")
    return render(request, "stores/settings/form.html", {"form": form, "store": store, "heading": heading})


@login_required
def credentials_edit(request):
    company = _admin_company(request)
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
            return redirect("stores:settings_home")
    return render(request, "stores/settings/form.html",
                  {"form": form, "company": company, "heading": _("税务平台接入信息")})


@login_required
def membership_grant(request):
    company = _admin_company(request)
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
        return redirect("stores:settings_home")
    return render(request, "stores/settings/form.html", {"form": form, "heading": _("授予角色")})


@login_required
@require_POST
def membership_revoke(request, membership_id: int):
    company = _admin_company(request)
    membership = get_object_or_404(Membership, pk=membership_id, company=company)
    if membership.user_id == request.user.pk and membership.role == Role.HQ_ADMIN:
        messages.error(request, _("不能撤销自己的总部管理员角色，以免失去管理权限。"))
        return redirect("stores:settings_home")
    services.membership_revoke(actor=Actor.for_user(request.user), membership=membership)
    messages.success(request, _("角色已撤销。"))
    return redirect("stores:settings_home")


@login_required
def integrations(request):
    """API keys and webhooks of every store of the company; secrets are shown once, on creation."""
    from invoicing.models import ApiKey, WebhookEndpoint

    company = _admin_company(request)
    keys = ApiKey.objects.filter(store__company=company).select_related("store").order_by("store__code", "-created_at")
    hooks = WebhookEndpoint.objects.filter(store__company=company).select_related("store").order_by("store__code", "-created_at")
    key_form, hook_form, shown = ApiKeyForm(company=company), WebhookForm(company=company), None
    if request.method == "POST":
        from invoicing.integrations.apikeys import api_key_create
        from invoicing.integrations.webhooks import webhook_create

        actor = Actor.for_user(request.user)
        if request.POST.get("kind") == "api_key":
            key_form = ApiKeyForm(request.POST, company=company)
            if key_form.is_valid():
                key, secret = api_key_create(store=key_form.cleaned_data["store"], actor=actor,
                                             label=key_form.cleaned_data["label"])
                shown = {"what": _("API 密钥"), "id": key.key_id, "secret": secret, "store": key.store}
                key_form = ApiKeyForm(company=company)
        elif request.POST.get("kind") == "webhook":
            hook_form = WebhookForm(request.POST, company=company)
            if hook_form.is_valid():
                endpoint, secret = webhook_create(store=hook_form.cleaned_data["store"], actor=actor,
                                                  url=hook_form.cleaned_data["url"])
                shown = {"what": _("Webhook 签名密钥"), "id": endpoint.url, "secret": secret, "store": endpoint.store}
                hook_form = WebhookForm(company=company)
    response = render(request, "stores/settings/integrations.html", {
        "company": company, "keys": keys, "hooks": hooks, "key_form": key_form, "hook_form": hook_form,
        "shown": shown})
    if shown:
        response["Cache-Control"] = "no-store"  # the one page that carries a secret
    return response


@login_required
@require_POST
def api_key_revoke(request, key_id: int):
    from invoicing.integrations.apikeys import api_key_revoke as revoke
    from invoicing.models import ApiKey

    company = _admin_company(request)
    key = get_object_or_404(ApiKey, pk=key_id, store__company=company)
    if key.revoked_at is None:
        revoke(api_key=key, actor=Actor.for_user(request.user))
        messages.success(request, _("API 密钥 %(key)s 已停用，使用它的请求将被拒绝。") % {"key": key.key_id})
    return redirect("stores:integrations")


@login_required
@require_POST
def webhook_deactivate(request, webhook_id: int):
    from invoicing.integrations.webhooks import webhook_deactivate as deactivate
    from invoicing.models import WebhookEndpoint

    company = _admin_company(request)
    endpoint = get_object_or_404(WebhookEndpoint, pk=webhook_id, store__company=company)
    if endpoint.active:
        deactivate(endpoint=endpoint, actor=Actor.for_user(request.user))
        messages.success(request, _("推送地址已停用。"))
    return redirect("stores:integrations")


@login_required
def store_delivery(request, store_id: int):
    from invoicing.delivery.services import store_delivery_defaults_set
    from invoicing.models import StoreDeliveryDefaults

    company = _admin_company(request)
    store = get_object_or_404(Store, pk=store_id, company=company)
    current = StoreDeliveryDefaults.objects.filter(store=store).first()
    initial = ({"channels": current.channels, "fallback_email": current.fallback_email,
                "fallback_mobile": current.fallback_mobile} if current else {"channels": ["email", "sms"]})
    form = DeliveryDefaultsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            store_delivery_defaults_set(store=store, actor=Actor.for_user(request.user), **form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("%(store)s 的交付设置已保存。") % {"store": store.name})
            return redirect("stores:settings_home")
    return render(request, "stores/settings/form.html", {"form": form, "heading": _("交付设置 · %(store)s") % {"store": store.name}})


@login_required
@require_POST
def red_letter_policy(request):
    from invoicing.redletter.services import red_letter_policy_set

    company = _admin_company(request)
    form = RedLetterPolicyForm(request.POST)
    form.is_valid()  # a checkbox: absent means False, nothing else to refuse
    red_letter_policy_set(company=company, actor=Actor.for_user(request.user),
                          clerk_requests_need_approval=form.cleaned_data["clerk_requests_need_approval"])
    messages.success(request, _("红冲审批设置已保存。"))
    return redirect("stores:settings_home")
