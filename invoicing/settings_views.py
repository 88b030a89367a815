"""The settings hub for HQ admins, and invoicing's own settings pages: auto-coding, red-letter
approval, delivery defaults per store, API keys and webhooks.

The store, credential and membership pages are the stores app's (``stores.settings_views``); the
URLs of both are one namespace, ``settings`` (``config/urls_settings.py``).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from audit.services import Actor
from invoicing.delivery.services import store_delivery_defaults_set
from invoicing.integrations.apikeys import api_key_create
from invoicing.integrations.apikeys import api_key_revoke as revoke_api_key
from invoicing.integrations.webhooks import webhook_create
from invoicing.integrations.webhooks import webhook_deactivate as deactivate_webhook
from invoicing.models import ApiKey, RedLetterPolicy, StoreDeliveryDefaults, WebhookEndpoint
from invoicing.redletter.policy import red_letter_policy_set
from invoicing.settings_forms import ApiKeyForm, AutoCodeForm, DeliveryDefaultsForm, RedLetterPolicyForm, WebhookForm
from stores import services
from stores.forms import TaxOfficeForm
from stores.models import Membership, Store
from stores.settings_views import admin_company


@login_required
def settings_home(request):
    company = admin_company(request)
    stores = Store.objects.filter(company=company).order_by("code")
    members = Membership.objects.filter(company=company).select_related("user", "store").order_by("store__code", "role")
    policy = RedLetterPolicy.objects.filter(company=company, store__isnull=True).first()
    policy_form = RedLetterPolicyForm(initial={"clerk_requests_need_approval": policy is None
                                               or policy.clerk_requests_need_approval})
    auto_code_form = AutoCodeForm(initial={"auto_code_threshold": company.auto_code_threshold})
    tax_office_form = TaxOfficeForm(initial={"tax_office_code": company.tax_office_code})
    return render(request, "invoicing/settings/home.html", {"company": company, "stores": stores, "members": members,
                                                         "policy_form": policy_form, "auto_code_form": auto_code_form,
                                                         "tax_office_form": tax_office_form})


@login_required
@require_POST
def auto_code(request):
    company = admin_company(request)
    form = AutoCodeForm(request.POST)
    if not form.is_valid():
        for error in form.errors.get("auto_code_threshold", []):
            messages.error(request, error)
        return redirect("settings:settings_home")
    services.company_set_auto_code_threshold(company=company, actor=Actor.for_user(request.user),
                                             threshold=form.cleaned_data["auto_code_threshold"])
    messages.success(request, _("自动赋码阈值已保存。"))
    return redirect("settings:settings_home")


@login_required
def integrations(request):
    """API keys and webhooks of every store of the company; secrets are shown once, on creation."""
    company = admin_company(request)
    keys = ApiKey.objects.filter(store__company=company).select_related("store").order_by("store__code", "-created_at")
    hooks = WebhookEndpoint.objects.filter(store__company=company).select_related("store").order_by("store__code", "-created_at")
    key_form, hook_form, shown = ApiKeyForm(company=company), WebhookForm(company=company), None
    if request.method == "POST":
        actor = Actor.for_user(request.user)
        if request.POST.get("kind") == "api_key":
            key_form = ApiKeyForm(request.POST, company=company)
            if key_form.is_valid():
                key, secret = api_key_create(store=key_form.cleaned_data["store"], actor=actor,
                                             label=key_form.cleaned_data["label"],
                                             submission_key=key_form.cleaned_data["submission_key"])
                if secret:
                    shown = {"what": _("API 密钥"), "id": key.key_id, "secret": secret, "store": key.store}
                else:
                    messages.info(request, _("密钥 %(key_id)s 已在刚才的提交中创建（重复点击了创建），没有再建新密钥；"
                                             "密钥只在创建时显示一次，如未记下请停用后重新创建。") % {"key_id": key.key_id})
                key_form = ApiKeyForm(company=company)
        elif request.POST.get("kind") == "webhook":
            hook_form = WebhookForm(request.POST, company=company)
            if hook_form.is_valid():
                endpoint, secret = webhook_create(store=hook_form.cleaned_data["store"], actor=actor,
                                                  url=hook_form.cleaned_data["url"],
                                                  submission_key=hook_form.cleaned_data["submission_key"])
                if secret:
                    shown = {"what": _("Webhook 签名密钥"), "id": endpoint.url, "secret": secret, "store": endpoint.store}
                else:
                    messages.info(request, _("推送地址 %(url)s 已在刚才的提交中添加（重复点击了添加），没有重复添加。")
                                  % {"url": endpoint.url})
                hook_form = WebhookForm(company=company)
    response = render(request, "invoicing/settings/integrations.html", {
        "company": company, "keys": keys, "hooks": hooks, "key_form": key_form, "hook_form": hook_form,
        "shown": shown})
    if shown:
        response["Cache-Control"] = "no-store"  # the one page that carries a secret
    return response


@login_required
@require_POST
def api_key_revoke(request, key_id: int):
    company = admin_company(request)
    key = get_object_or_404(ApiKey, pk=key_id, store__company=company)
    if key.revoked_at is None:
        revoke_api_key(api_key=key, actor=Actor.for_user(request.user))
        messages.success(request, _("API 密钥 %(key)s 已停用，使用它的请求将被拒绝。") % {"key": key.key_id})
    return redirect("settings:integrations")


@login_required
@require_POST
def webhook_deactivate(request, webhook_id: int):
    company = admin_company(request)
    endpoint = get_object_or_404(WebhookEndpoint, pk=webhook_id, store__company=company)
    if endpoint.active:
        deactivate_webhook(endpoint=endpoint, actor=Actor.for_user(request.user))
        messages.success(request, _("推送地址已停用。"))
    return redirect("settings:integrations")


@login_required
def store_delivery(request, store_id: int):
    company = admin_company(request)
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
            return redirect("settings:settings_home")
    return render(request, "stores/settings/form.html", {"form": form, "heading": _("交付设置 · %(store)s") % {"store": store.name}})


@login_required
@require_POST
def red_letter_policy(request):
    company = admin_company(request)
    form = RedLetterPolicyForm(request.POST)
    form.is_valid()  # a checkbox: absent means False, nothing else to refuse
    red_letter_policy_set(company=company, actor=Actor.for_user(request.user),
                          clerk_requests_need_approval=form.cleaned_data["clerk_requests_need_approval"])
    messages.success(request, _("红冲审批设置已保存。"))
    return redirect("settings:settings_home")

