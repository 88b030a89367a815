"""The issuing server's facts that every QDFPSC invoice carries (``ip``, ``macdz``).

The platform asks the client to collect them from the machine that applies for the invoice
("需自行采集开票申请设备"). They are read once per process; settings override them where the
outgoing address is not this machine's own (NAT, containers).
"""

from __future__ import annotations

import functools
import socket
import uuid
from urllib.parse import urlsplit


def _outgoing_ip(platform_url: str) -> str:
    """The local address a connection to the platform leaves from (a UDP connect sends nothing)."""
    host = urlsplit(platform_url).hostname or "127.0.0.1"
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect((host, 9))
            return probe.getsockname()[0]
    except OSError:
        return "127.0.0.1"


def _mac() -> str:
    node = uuid.getnode()
    return "-".join(f"{(node >> shift) & 0xFF:02X}" for shift in range(40, -1, -8))


@functools.cache
def machine_facts(platform_url: str, ip: str = "", mac: str = "") -> dict[str, str]:
    return {"ip": ip or _outgoing_ip(platform_url), "macdz": mac or _mac()}
