from django.urls import NoReverseMatch, reverse

from stores.access import access_for


def navigation(request):
    """Navigation entries the current user's roles may use (the template shows only these)."""
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    access = access_for(request)
    items = [("invoicing:invoice_list", "发票", "invoice.view")]
    items += [
        ("invoicing:invoice_create", "手工开票", "invoice.issue"),
        ("invoicing:product_list", "商品目录", "catalogue.view"),
        ("invoicing:red_form_list", "红字确认单", "invoice.reverse_request"),
        ("invoicing:red_batch_list", "批量红冲", "invoice.batch_reverse"),
        ("invoicing:dashboard", "总部看板", "dashboard.view"),
        ("audit:exchange_list", "平台交互日志", "exchange.view"),
        ("audit:event_list", "审计记录", "audit.view"),
        ("audit:report_list", "审计报告与导出", "report.export"),
        ("stores:settings_home", "设置", "settings.manage"),
    ]
    nav = []
    for name, label, perm in items:
        if not access.can(perm):
            continue
        try:
            nav.append((reverse(name), label))
        except NoReverseMatch:  # a screen not built yet is simply not shown
            continue
    return {"nav_items": nav, "access": access, "user_roles": sorted(access.roles)}
