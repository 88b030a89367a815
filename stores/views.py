from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from stores.models import Store


@login_required
def store_list(request):
    stores = Store.objects.for_user(request.user).select_related("company").order_by("company_id", "code")
    page = Paginator(stores, 50).get_page(request.GET.get("page"))
    return render(request, "stores/store_list.html", {"page": page})


@login_required
def store_detail(request, store_id: int):
    store = get_object_or_404(Store.objects.for_user(request.user).select_related("company"), pk=store_id)
    return render(request, "stores/store_detail.html", {"store": store})
