from django import forms
from django.contrib import admin

from audit.services import Actor
from stores import services
from stores.models import Company, Membership, Store
from stores.scoping import ScopedAdminMixin


class CompanyAdminForm(forms.ModelForm):
    # Write-only: the stored key is never put back into the form.
    new_platform_secret = forms.CharField(
        label="新平台密钥（32位十六进制，留空不修改）", required=False,
        widget=forms.PasswordInput(render_value=False),
    )

    class Meta:
        model = Company
        fields = ["name", "tax_id", "address", "phone", "bank_name", "bank_account", "platform_unit_id",
                  "platform_user_unit_id", "platform_sign_type", "drawer_name", "drawer_id_number",
                  "tax_office_code"]


@admin.register(Company)
class CompanyAdmin(ScopedAdminMixin, admin.ModelAdmin):
    form = CompanyAdminForm
    list_display = ["name", "tax_id", "platform_unit_id", "platform_secret_hint"]
    search_fields = ["name", "tax_id"]
    # The threshold is set on 设置 → 自动赋码 (audited, 0.50–1.00), not here.
    readonly_fields = ["platform_secret_hint", "auto_code_threshold", "created_at"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        secret = form.cleaned_data.get("new_platform_secret")
        if secret:
            services.company_set_platform_credentials(
                company=obj, actor=Actor.for_user(request.user), unit_id=obj.platform_unit_id or "",
                user_unit_id=obj.platform_user_unit_id, secret=secret, sign_type="HMAC",
            )


@admin.register(Store)
class StoreAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["code", "name", "company", "is_active", "rollout_percent"]
    list_filter = ["company", "is_active"]
    search_fields = ["code", "name"]

    def save_model(self, request, obj, form, change):
        actor = Actor.for_user(request.user)
        if change:
            fields = {f: getattr(obj, f) for f in form.changed_data
                      if f in {"name", "address", "is_active", "rollout_percent", "manager_email"}}
            if fields:
                services.store_update(store=obj, actor=actor, **fields)
        else:
            created = services.store_create(
                company=obj.company, actor=actor, code=obj.code, name=obj.name, address=obj.address,
                rollout_percent=obj.rollout_percent, manager_email=obj.manager_email, is_active=obj.is_active)
            obj.pk = created.pk


@admin.register(Membership)
class MembershipAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["user", "company", "store", "role"]
    list_filter = ["role", "company"]
    search_fields = ["user__username"]

    def save_model(self, request, obj, form, change):
        actor = Actor.for_user(request.user)
        if change:
            old = Membership.objects.get(pk=obj.pk)
            services.membership_revoke(actor=actor, membership=old)
        created = services.membership_grant(actor=actor, user=obj.user, company=obj.company, role=obj.role,
                                            store=obj.store)
        obj.pk = created.pk

    def delete_model(self, request, obj):
        services.membership_revoke(actor=Actor.for_user(request.user), membership=obj)
