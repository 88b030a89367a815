from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from invoicing.home import selectors
from stores.access import access_for


@login_required
def home(request):
    """Each role's first screen: today's figures and the to-do list with counts and links."""
    access = access_for(request)
    todo = selectors.home_todo(user=request.user, access=access)
    return render(request, "invoicing/home.html", {
        "today": selectors.home_today(user=request.user),
        "todo": todo, "open_todo": [item for item in todo if item.count],
        "show_amounts": access.can("store.figures"), "is_hq": access.is_hq,
        "can_issue": access.can("invoice.issue"), "can_dashboard": access.can("dashboard.view"),
        "has_scope": bool(access.memberships) or request.user.is_superuser,
    })
