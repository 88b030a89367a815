"""SMS backends. The one to use is named by the setting SMS_BACKEND (a dotted path to a class).

A backend implements ``send(*, mobile, message) -> str`` and returns the gateway's message id;
it raises ``SmsError`` when the message was not accepted (the delivery job then retries).
"""

from __future__ import annotations

import logging
import uuid

from django.conf import settings
from django.utils.module_loading import import_string

from invoicing.delivery.masking import mask_mobile

DEFAULT_SMS_BACKEND = "invoicing.delivery.sms.LoggingSmsBackend"
logger = logging.getLogger("kaipiao.sms")


class SmsError(Exception):
    """The gateway did not accept the message; safe to try again."""


class BaseSmsBackend:
    def send(self, *, mobile: str, message: str) -> str:
        raise NotImplementedError


class LoggingSmsBackend(BaseSmsBackend):
    """Writes the message to the log instead of a gateway (development and demos)."""

    def send(self, *, mobile: str, message: str) -> str:
        message_id = uuid.uuid4().hex
        logger.info("SMS %s to %s: %s", message_id, mask_mobile(mobile), message)
        return message_id


def get_sms_backend() -> BaseSmsBackend:
    return import_string(settings.SMS_BACKEND or DEFAULT_SMS_BACKEND)()
