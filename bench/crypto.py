"""How much the C-speed 国密 path buys on a real upload: project crypto vs pure-Python gmssl.

Builds the envelope of a 100-invoice QDFPSC upload (JSON → SM4-ECB → Base64 → HMAC-SM3
signature) and opens it again (verify signature → Base64 → SM4 → JSON), once with the
project's ``invoicing.taxapi.envelope`` and once with the same steps on gmssl's pure-Python
SM4 and SM3, in the same run, and prints the ratio of the medians. Both paths must produce the
identical body and signature, so the comparison is of equal work. No Django needed:

    python -m bench.crypto [--invoices 100] [--lines 5] [--repeat 7] [--gmssl-repeat 3]

The last line printed is one JSON object (``speedup_vs_gmssl``, ``per_invoice_us``, …).
"""

from __future__ import annotations

import argparse
import base64
import hmac
import json
import statistics
import sys
import time
from decimal import Decimal

from gmssl import func
from gmssl import sm3 as gm_sm3
from gmssl import sm4 as gm_sm4

from invoicing.taxapi import crypto, envelope

SECRET_HEX = "0123456789abcdeffedcba9876543210"
SERVICE = "QDFPSC"
TIMESTAMP = 1_763_700_000_000
NONCE = "bench-nonce-0123456789abcdef"


def build_invoices(*, count: int, lines: int = 5) -> list[dict]:
    """Realistic blue 普票 in the platform's field names, amounts as exact decimal strings."""
    invoices = []
    for n in range(count):
        detail = []
        total = Decimal("0.00")
        tax_total = Decimal("0.00")
        for i in range(1, lines + 1):
            quantity = Decimal(i + n % 3)
            price = Decimal("12.50") + Decimal(i)
            amount = (quantity * price).quantize(Decimal("0.01"))
            tax = (amount * Decimal("0.13")).quantize(Decimal("0.01"))
            total += amount
            tax_total += tax
            detail.append(
                {
                    "mxxh": i,
                    "xmmc": f"有机蔬菜礼盒{i}号",
                    "hwhyslwfwmc": f"*蔬菜*有机蔬菜礼盒{i}号",
                    "ggxh": "5kg/箱",
                    "dw": "箱",
                    "sl": str(quantity),
                    "dj": str(price),
                    "je": str(amount),
                    "slv": "0.13",
                    "se": str(tax),
                    "sphfwssflhbbm": "1010112000000000000",
                    "fphxz": "00",
                    "yhzcbs": "",
                }
            )
        invoices.append(
            {
                "fphm": f"2631700{n + 1:013d}",
                "lzfpbz": "0",
                "fppz": "02",
                "kprq": "2026-11-21 10:00:00",
                "xsfnsrsbh": "91310000MA1FL8XQ3B",
                "xsfmc": "上海示例生鲜超市有限公司",
                "xsfdz": "上海市浦东新区世纪大道100号",
                "xsfdh": "021-68881234",
                "xsfkhh": "招商银行上海分行营业部",
                "xsfzh": "121909876510801",
                "gmfnsrsbh": "91310115MA1K4LXX1D",
                "gmfmc": "上海某某科技有限公司",
                "gmfdz": "上海市徐汇区漕溪北路88号",
                "gmfdh": "021-54321234",
                "gmfkhh": "中国银行上海徐汇支行",
                "gmfzh": "437658912345",
                "gmfzrrbz": "N",
                "hjje": str(total),
                "hjse": str(tax_total),
                "jshj": str(total + tax_total),
                "kpr": "王会计",
                "bz": f"订单号 SO2026112100{n:04d}",
                "cezsbz": "N",
                "fpmxList": detail,
            }
        )
    return invoices


# --- the project's path: exactly what the client sends and the platform opens ----------------------


def project_build(payload: dict) -> envelope.SealedRequest:
    return envelope.seal_request(
        service=SERVICE,
        payload=payload,
        secret_hex=SECRET_HEX,
        unit_id="U0000000000000000001",
        user_unit_id="U0000000000000000001",
        timestamp_ms=TIMESTAMP,
        nonce=NONCE,
    )


def project_open(sealed: envelope.SealedRequest) -> dict:
    return envelope.open_request(body=sealed.body, headers=sealed.headers, secret_hex=SECRET_HEX)


# --- the same steps on pure-Python gmssl -------------------------------------------------------------


def _gmssl_hmac_sm3(key: bytes, message: bytes) -> str:
    key = key.ljust(64, b"\0")
    inner = bytes.fromhex(gm_sm3.sm3_hash(func.bytes_to_list(bytes(b ^ 0x36 for b in key) + message)))
    return gm_sm3.sm3_hash(func.bytes_to_list(bytes(b ^ 0x5C for b in key) + inner))


def gmssl_build(payload: dict) -> tuple[str, str]:
    cipher = gm_sm4.CryptSM4()  # PKCS#7 by default
    cipher.set_key(bytes.fromhex(SECRET_HEX), gm_sm4.SM4_ENCRYPT)
    body = base64.b64encode(cipher.crypt_ecb(envelope.dump_payload(payload))).decode("ascii")
    message = crypto.signing_string(service=SERVICE, timestamp=str(TIMESTAMP), nonce=NONCE, body_b64=body)
    return body, _gmssl_hmac_sm3(bytes.fromhex(SECRET_HEX), message)


def gmssl_open(body: str, signature: str) -> dict:
    message = crypto.signing_string(service=SERVICE, timestamp=str(TIMESTAMP), nonce=NONCE, body_b64=body)
    if not hmac.compare_digest(_gmssl_hmac_sm3(bytes.fromhex(SECRET_HEX), message), signature):
        raise ValueError("signature does not verify")
    cipher = gm_sm4.CryptSM4()
    cipher.set_key(bytes.fromhex(SECRET_HEX), gm_sm4.SM4_DECRYPT)
    return json.loads(cipher.crypt_ecb(base64.b64decode(body)))


# --- measuring -----------------------------------------------------------------------------------------


def _median_seconds(fn, *, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def run(*, invoices: int = 100, lines: int = 5, repeat: int = 7, gmssl_repeat: int = 3) -> dict:
    """Measure both paths on one upload; raise if they disagree on body, signature or content."""
    payload = {"nsrsbh": "91310000MA1FL8XQ3B", "fplist": build_invoices(count=invoices, lines=lines)}

    sealed = project_build(payload)
    body, signature = gmssl_build(payload)
    if (body, signature) != (sealed.body, sealed.headers["access_signature"]):
        raise AssertionError("gmssl and the project disagree on the envelope")
    if project_open(sealed) != payload or gmssl_open(body, signature) != payload:
        raise AssertionError("an envelope did not open to its payload")

    project_s = _median_seconds(lambda: project_open(project_build(payload)), repeat=repeat)
    gmssl_s = _median_seconds(lambda: gmssl_open(*gmssl_build(payload)), repeat=gmssl_repeat)
    json_bytes = len(envelope.dump_payload(payload))
    return {
        "invoices": invoices,
        "lines_per_invoice": lines,
        "json_bytes": json_bytes,
        "body_b64_bytes": len(sealed.body),
        "project_ms": round(project_s * 1000, 3),
        "gmssl_ms": round(gmssl_s * 1000, 1),
        "speedup_vs_gmssl": round(gmssl_s / project_s, 1),
        "per_invoice_us": round(project_s / invoices * 1_000_000, 1),
        "project_mb_per_s": round(json_bytes / project_s / 1e6, 1),
        "gmssl_mb_per_s": round(json_bytes / gmssl_s / 1e6, 3),
        "repeat": repeat,
        "gmssl_repeat": gmssl_repeat,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=100)
    parser.add_argument("--lines", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=7, help="runs of the project's path (median)")
    parser.add_argument("--gmssl-repeat", type=int, default=3, help="runs of the gmssl path (median)")
    args = parser.parse_args(argv)
    result = run(invoices=args.invoices, lines=args.lines, repeat=args.repeat, gmssl_repeat=args.gmssl_repeat)
    print(
        f"upload of {result['invoices']} invoices × {result['lines_per_invoice']} lines: "
        f"{result['json_bytes']:,} bytes JSON, {result['body_b64_bytes']:,} bytes Base64 body"
    )
    print("build = JSON → SM4-ECB/PKCS#7 → Base64 → HMAC-SM3; open = verify → Base64 → SM4 → JSON")
    print(
        f"project (cryptography/OpenSSL): {result['project_ms']} ms median of {result['repeat']} "
        f"({result['per_invoice_us']} µs per invoice, {result['project_mb_per_s']} MB/s)"
    )
    print(
        f"gmssl (pure Python):            {result['gmssl_ms']} ms median of {result['gmssl_repeat']} "
        f"({result['gmssl_mb_per_s']} MB/s)"
    )
    print(f"speedup: {result['speedup_vs_gmssl']}× (identical body and signature checked)")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
