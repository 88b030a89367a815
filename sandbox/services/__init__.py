"""The platform's services (capability 202007), keyed by their service code (fwbm)."""

from __future__ import annotations

import logging

from sandbox.models import Unit
from sandbox.services.common import BusinessError
from sandbox.services.info import classification_codes, tax_rates, taxpayer_info
from sandbox.services.numbers import number_block_get
from sandbox.services.quota import quota_query, quota_transfer
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
}
# Services whose request carries no nsrsbh of its own.
WITHOUT_TAX_ID = {"CXSSFLBM"}
# Services that name the unit as the seller (xsfnsrsbh) instead of nsrsbh.
SELLER_TAX_ID = {"SCFPHZQRXX", "CXFPHZQRXX"}


def dispatch(fwbm: str, *, unit: Unit, payload: dict) -> dict:
    """Run one service; the answer always holds returncode and returnmsg."""
    try:
        field = "xsfnsrsbh" if fwbm in SELLER_TAX_ID else "nsrsbh"
        nsrsbh = str(payload.get(field) or "")
        if (fwbm not in WITHOUT_TAX_ID or nsrsbh) and nsrsbh != unit.nsrsbh:
            raise BusinessError("10", f"纳税人识别号与接入单位不符（{field}）")
        result = SERVICES[fwbm](unit=unit, payload=payload)
    except BusinessError as error:
        logger.info("sandbox %s refused for unit %s: %s %s", fwbm, unit.pk, error.code, error.message)
        return {"returncode": error.code, "returnmsg": error.message}
    return {"returncode": "00", "returnmsg": "成功", **result}
