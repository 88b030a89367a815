"""The sandbox's HTTP surface: the platform endpoint and the control API (docs/tax-platform.md §5–6)."""

from __future__ import annotations

import hmac
import json
from decimal import Decimal
from functools import wraps

from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from sandbox import gateway, state
from sandbox.services import control
from sandbox.services.common import BusinessError
from sandbox.services.red_forms import red_form_buyer_act, red_form_buyer_enter, red_form_mark_abnormal
from sandbox.state import ControlError


@csrf_exempt
@require_POST
def invoke(request, nlbm, fwbm):
    return gateway.handle(request, nlbm=nlbm, fwbm=fwbm)


@csrf_exempt
@require_POST
def invoke_without_capability(request, fwbm):
    """The virtual-company services (sandbox and capability tests) have no capability in the path."""
    return gateway.handle(request, nlbm=None, fwbm=fwbm)


def control_view(methods):
    """Token check, JSON parsing and error mapping for a control endpoint."""

    def decorator(view):
        @csrf_exempt
        @require_http_methods(methods)
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            token = request.headers.get("X-Sandbox-Token") or ""
            expected = getattr(settings, "SANDBOX_ADMIN_TOKEN", "") or ""
            if not expected or not hmac.compare_digest(token.encode(), expected.encode()):
                return JsonResponse({"error": "X-Sandbox-Token 缺失或错误"}, status=403)
            try:
                body = json.loads(request.body or b"{}") if request.method == "POST" else {}
            except ValueError:
                return JsonResponse({"error": "请求体须为 JSON"}, status=400)
            if not isinstance(body, dict):
                return JsonResponse({"error": "请求体须为 JSON 对象"}, status=400)
            try:
                return view(request, body, *args, **kwargs)
            except ControlError as error:
                return JsonResponse({"error": str(error)}, status=400)
            except BusinessError as error:
                return JsonResponse({"returncode": error.code, "error": error.message}, status=400)

        return wrapped

    return decorator


@control_view(["POST"])
def units(request, body):
    unit = control.unit_register(
        nsrsbh=body.get("nsrsbh"), nsrmc=body.get("nsrmc"), sign_type=body.get("sign_type"),
        public_key=body.get("public_key"), zsxed=body.get("zsxed"), nsrztdm=body.get("nsrztdm"),
        scjydz=body.get("scjydz"),
    )
    return JsonResponse({"jrdwptbh": unit.jrdwptbh, "sydwptbh": unit.sydwptbh, "secret": unit.secret})


@control_view(["GET", "POST", "DELETE"])
def faults(request, body):
    if request.method == "POST":
        return JsonResponse({"faults": state.faults_set(config=body)})
    if request.method == "DELETE":
        state.faults_clear()
    return JsonResponse({"faults": state.faults_list()})


@control_view(["POST", "DELETE"])
def clock(request, body):
    if request.method == "DELETE":
        moment = state.clock_reset()
    else:
        moment = state.clock_set(offset_s=body.get("offset_s"), at=body.get("now"))
    return JsonResponse({"now": moment.isoformat()})


@control_view(["POST", "DELETE"])
def invoice_book(request, body, fphm):
    invoice = control.invoice_book(fphm=fphm, booked=request.method == "POST")
    if invoice is None:
        return JsonResponse({"error": f"蓝字发票不存在：{fphm}"}, status=404)
    return JsonResponse({"fphm": invoice.fphm, "gxzt": "Y" if invoice.booked else "N"})


@control_view(["POST"])
def red_forms(request, body):
    # The buyer's form is QDHZQRDSQ's body: amounts may be JSON numbers, read as the platform reads them.
    payload = json.loads(request.body, parse_float=Decimal)
    seller = payload.get("xsfnsrsbh") or payload.get("nsrsbh") or ""
    return JsonResponse(red_form_buyer_enter(nsrsbh=str(seller), payload=payload))


@control_view(["POST"])
def red_form_buyer(request, body, form_uuid):
    return JsonResponse(red_form_buyer_act(form_uuid=form_uuid, action=str(body.get("action") or "")))


@control_view(["POST"])
def red_form_abnormal(request, body, form_uuid):
    return JsonResponse(red_form_mark_abnormal(form_uuid=form_uuid))


@control_view(["POST"])
def reset(request, body):
    control.sandbox_reset()
    return JsonResponse({"reset": True})
