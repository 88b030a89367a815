"""The platform's services (capability 202007), keyed by their service code (fwbm)."""

from __future__ import annotations

import logging

from sandbox.models import Unit
from sandbox.services.common import BusinessError
from sandbox.services.info import (
    classification_codes,
    difference_codes,
    tax_rates,
    taxpayer_info,
    taxpayer_risk,
    virtual_company_init,
    virtual_company_query,
)
from sandbox.services.numbers import number_block_get
from sandbox.services.quota import quota_extend, quota_query, quota_transfer
from sandbox.services.red_forms import red_form_act, red_form_apply, red_form_detail, red_form_list
from sandbox.services.summary import summary_query, summary_upload
from sandbox.services.uploads import invoice_status, invoices_upload, upload_result

logger = logging.getLogger(__name__)

SERVICES = {
    "QDFPPLFM": number_block_get,
    "CXSXED": quota_query,
    "XZTHSXED": quota_transfer,
    "CXNSRJBXX": taxpayer_info,
    "CXKYSL": tax_rates,
    "CXSSFLBM": classification_codes,
    "QDFPSC": invoices_upload,
    "CXQDFPSCJG": upload_result,
    "QDHZQRDSQ": red_form_apply,
    "QDHZQRDQR": red_form_act,
    "CXQDHZQRDLB": red_form_list,
    "CXQDHZQRDMX": red_form_detail,
    "FPZTXXCX": invoice_status,
    "SCFPHZQRXX": summary_upload,
    "CXFPHZQRXX": summary_query,
    "TZSXEDYXQ": quota_extend,
    "CXNSRFXXX": taxpayer_risk,
    "CXCEZSBM": difference_codes,
    "LQSX_SWZJ_GT4_CXXNQYXX": virtual_company_query,
    "LQSX_SWZJ_GT4_QYXXCSH": virtual_company_init,
}
# Called as {base}/access/v2/invoke/{fwbm}/, without the capability in the path.
WITHOUT_CAPABILITY = {"LQSX_SWZJ_GT4_CXXNQYXX", "LQSX_SWZJ_GT4_QYXXCSH"}
# QDFPSC's body is the list of invoices itself (each names its seller in xsfnsrsbh).
LIST_BODY = {"QDFPSC"}
# The field that names the seller, which must be the unit's own; "" for services whose request
# names no taxpayer (the unit is known from the headers). Optional ones are checked when present.
SELLER_FIELD = {
    "QDHZQRDSQ": "xsfnsrsbh",
    "QDHZQRDQR": "xsfnsrsbh",
    "CXQDHZQRDLB": "xsfnsrsbh",
    "CXQDHZQRDMX": "xsfnsrsbh",
    "TZSXEDYXQ": "xsfnsrsbh",
    "SCFPHZQRXX": "xsfnsrsbh",
    "CXFPHZQRXX": "xsfnsrsbh",
    "QDFPSC": "",
    "CXQDFPSCJG": "",
    "CXKYSL": "",
    "CXCEZSBM": "",
}
OPTIONAL_SELLER = {"CXSSFLBM", "CXKYSL"}


def dispatch(fwbm: str, *, unit: Unit, payload: dict | list) -> dict:
    """Run one service; the answer always holds returncode and returnmsg."""
    try:
        name = SELLER_FIELD.get(fwbm, "nsrsbh")
        if fwbm == "CXQDHZQRDLB" and isinstance(payload, dict) and str(payload.get("yhjslx") or "") == "1":
            # As buyer the unit's own id is the buyer's; xsfnsrsbh then filters by seller.
            name = "gmfnsrsbh"
        if name and isinstance(payload, dict):
            value = str(payload.get(name) or "")
            if (fwbm not in OPTIONAL_SELLER or value) and value != unit.nsrsbh:
                raise BusinessError("10", f"纳税人识别号与接入单位不符（{name}）")
        result = SERVICES[fwbm](unit=unit, payload=payload)
    except BusinessError as error:
        logger.info("sandbox %s refused for unit %s: %s %s", fwbm, unit.pk, error.code, error.message)
        return {"returncode": error.code, "returnmsg": error.message}
    return {"returncode": "00", "returnmsg": "成功", **result}
