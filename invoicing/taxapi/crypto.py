"""National cryptography primitives (国密) for the tax-platform envelope.

SM4 and SM3 (and HMAC-SM3) go through ``cryptography`` (OpenSSL, C speed); SM2 signatures go
through ``gmssl``, since ``cryptography`` has no SM2. These are the only pieces of code the
sandbox shares with the client: every protocol rule is implemented on each side separately.
"""

from __future__ import annotations

import base64
import hmac as std_hmac
import secrets

from cryptography.hazmat.primitives import hashes, hmac, padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


def _sm4_key(key_hex: str) -> bytes:
    key = bytes.fromhex(key_hex)
    if len(key) != 16:
        raise ValueError("SM4 key must be 16 bytes (32 hex characters)")
    return key


def sm4_ecb_encrypt(key_hex: str, plaintext: bytes) -> bytes:
    """SM4-ECB with PKCS#7 padding (the platform's body encryption)."""
    padder = padding.PKCS7(128).padder()
    data = padder.update(plaintext) + padder.finalize()
    # ECB is what the platform specifies; not our choice.
    encryptor = Cipher(algorithms.SM4(_sm4_key(key_hex)), modes.ECB()).encryptor()  # noqa: S305
    return encryptor.update(data) + encryptor.finalize()


def sm4_ecb_decrypt(key_hex: str, ciphertext: bytes) -> bytes:
    """Inverse of sm4_ecb_encrypt; raises ValueError on a wrong key or damaged data."""
    if not ciphertext or len(ciphertext) % 16:
        raise ValueError("ciphertext length is not a multiple of the SM4 block size")
    decryptor = Cipher(algorithms.SM4(_sm4_key(key_hex)), modes.ECB()).decryptor()  # noqa: S305
    data = decryptor.update(ciphertext) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    return unpadder.update(data) + unpadder.finalize()


def encrypt_body(key_hex: str, plaintext: bytes) -> str:
    """Base64(SM4-ECB(plaintext)) as ASCII text."""
    return base64.b64encode(sm4_ecb_encrypt(key_hex, plaintext)).decode("ascii")


def decrypt_body(key_hex: str, body_b64: str) -> bytes:
    return sm4_ecb_decrypt(key_hex, base64.b64decode(body_b64, validate=True))


def sm3(data: bytes) -> bytes:
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize()


def hmac_sm3(key: bytes, data: bytes) -> bytes:
    mac = hmac.HMAC(key, hashes.SM3())
    mac.update(data)
    return mac.finalize()


def signing_string(*, service: str, timestamp: str, nonce: str, body_b64: str) -> bytes:
    """``fwbm \\n timestamp \\n nonce \\n <Base64 body>`` — the string every signature covers."""
    return f"{service}\n{timestamp}\n{nonce}\n{body_b64}".encode()


def sign_hmac(secret_hex: str, message: bytes) -> str:
    """Hex HMAC-SM3 keyed with the unit's secret (the 32-hex secret's bytes)."""
    return hmac_sm3(bytes.fromhex(secret_hex), message).hex()


def verify_hmac(secret_hex: str, message: bytes, signature_hex: str) -> bool:
    return std_hmac.compare_digest(sign_hmac(secret_hex, message), (signature_hex or "").lower())


def new_nonce() -> str:
    return secrets.token_hex(16)


# --- SM2 (gmssl) --------------------------------------------------------------------------------

def sm2_generate_keypair() -> tuple[str, str]:
    """(private_key_hex, public_key_hex) — public key uncompressed x||y, 128 hex, no 04 prefix."""
    from gmssl import sm2

    curve = sm2.default_ecc_table
    while True:
        private = secrets.token_hex(32)
        if 0 < int(private, 16) < int(curve["n"], 16):
            break
    signer = sm2.CryptSM2(private_key=private, public_key="")
    public = signer._kg(int(private, 16), curve["g"])
    return private, public


def _sm2_bare_public_key(public_key_hex: str) -> str:
    """x||y without the 04 prefix, set on CryptSM2 *after* construction.

    gmssl's constructor does ``public_key.lstrip("04")`` when the key starts with "04": that
    strips every leading 0 and 4 character, so a bare 128-hex key whose x begins with "04"
    (1 key in 256) was corrupted and never verified. We strip a real prefix ourselves.
    """
    key = (public_key_hex or "").lower()
    return key[2:] if len(key) == 130 and key.startswith("04") else key


def sm2_sign(private_key_hex: str, public_key_hex: str, message: bytes) -> str:
    """SM2-with-SM3 signature (r||s hex) over ``message``, with the default user id."""
    from gmssl import sm2

    signer = sm2.CryptSM2(private_key=private_key_hex, public_key="")
    signer.public_key = _sm2_bare_public_key(public_key_hex)
    return signer.sign_with_sm3(message, secrets.token_hex(32))


def sm2_verify(public_key_hex: str, message: bytes, signature_hex: str) -> bool:
    from gmssl import sm2

    try:
        verifier = sm2.CryptSM2(private_key="", public_key="")
        verifier.public_key = _sm2_bare_public_key(public_key_hex)
        return bool(verifier.verify_with_sm3(signature_hex, message))
    except (ValueError, TypeError, IndexError):
        return False


def sm2_public_key_from_private(private_key_hex: str) -> str:
    """The public key (x||y, 128 hex) of a private key: gmssl needs it to sign (it enters Z)."""
    from gmssl import sm2

    curve = sm2.default_ecc_table
    return sm2.CryptSM2(private_key=private_key_hex, public_key="")._kg(int(private_key_hex, 16), curve["g"])
