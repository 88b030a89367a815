"""Tax-platform credentials encrypted at rest (AES-256-GCM under settings.CREDENTIALS_KEY).

The company's tax id is bound as associated data, so a ciphertext copied onto another company's
row does not decrypt. Secrets are write-only in every screen: only the last four characters
(``platform_secret_hint``) are ever shown back.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

_VERSION = b"\x01"


class CredentialError(RuntimeError):
    pass


def _aead() -> AESGCM:
    return AESGCM(bytes.fromhex(settings.CREDENTIALS_KEY))


def encrypt_secret(plaintext: str, *, bound_to: str) -> bytes:
    nonce = os.urandom(12)
    return _VERSION + nonce + _aead().encrypt(nonce, plaintext.encode(), bound_to.encode())


def decrypt_secret(blob: bytes, *, bound_to: str) -> str:
    blob = bytes(blob)
    if not blob:
        raise CredentialError("未配置税务平台密钥")
    if blob[:1] != _VERSION:
        raise CredentialError("密钥格式版本未知")
    try:
        return _aead().decrypt(blob[1:13], blob[13:], bound_to.encode()).decode()
    except InvalidTag:
        raise CredentialError("密钥无法解密：CREDENTIALS_KEY 与加密时不一致，或数据被篡改") from None


def company_platform_secret(company) -> str:
    """The unit's 32-hex secret (SM4 key and HMAC key) for the tax-platform client."""
    return decrypt_secret(company.platform_secret_encrypted, bound_to=company.tax_id)


def company_sm2_private_key(company) -> str:
    return decrypt_secret(company.platform_sm2_private_key_encrypted, bound_to=company.tax_id + ":sm2")


def secret_hint(secret: str) -> str:
    return "…" + secret[-4:] if len(secret) >= 8 else "…"
