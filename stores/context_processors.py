from django.urls import reverse
from django.utils.translation import gettext_noop

from stores.access import access_for
from stores.people import person_name
from stores.roles import Role


def navigation(request):
    """Navigation entries the current user's roles may use (the template shows only these)."""
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    access = access_for(request)
    items = [("invoicing:invoice_list", gettext_noop("发票"), "invoice.view")]
    items += [
        ("invoicing:invoice_create", gettext_noop("手工开票"), "invoice.issue"),
        ("invoicing:product_list", gettext_noop("商品目录"), "catalogue.view"),
        ("invoicing:red_form_list", gettext_noop("红字确认单"), "invoice.reverse_request"),
        ("invoicing:red_batch_list", gettext_noop("批量红冲"), "invoice.batch_reverse"),
        ("invoicing:dashboard", gettext_noop("总部看板"), "dashboard.view"),
        ("invoicing:summary", gettext_noop("汇总确认"), "summary.confirm"),
        ("audit:exchange_list", gettext_noop("平台交互日志"), "exchange.view"),
        ("audit:event_list", gettext_noop("审计记录"), "audit.view"),
        ("audit:report_list", gettext_noop("审计报告与导出"), "report.export"),
        ("monitor:job_monitor", gettext_noop("任务监控"), "jobs.monitor"),
        ("settings:settings_home", gettext_noop("设置"), "settings.manage"),
    ]
    nav = []
    for name, label, perm in items:
        if access.can(perm):
            nav.append((reverse(name), label))
    return {"nav_items": nav, "access": access, "user_roles": sorted(access.roles), "greeting": _greeting(access)}


_ROLE_ORDER = list(Role)  # HQ admin first, then finance, manager, clerk


def _greeting(access) -> dict:
    """The header's "王芳 · 总部财务 · 上海开票示范连锁有限公司": the person, then their role and where."""
    memberships = sorted(access.memberships, key=lambda m: _ROLE_ORDER.index(m.role))
    if memberships:
        first = memberships[0]
        role, where = first.get_role_display(), (first.store.name if first.store_id else first.company.name)
    else:
        role, where = (gettext_noop("系统管理员") if access.user.is_superuser else ""), ""
    return {"name": person_name(access.user), "role": role, "where": where}
