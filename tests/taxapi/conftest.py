"""A fake 乐企 on 127.0.0.1: a stand-in for the bureau that answers what each test tells it to.

It is deliberately dumb (canned answers, no rules): the protocol rules are checked against the
sandbox in test_against_sandbox.py. Here it lets a test produce the transport failures a real
platform produces rarely: a read timeout, a dropped connection, a proxy's HTML page.
"""

from __future__ import annotations

import secrets
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from invoicing.taxapi import envelope, transport
from invoicing.taxapi.leqi import LeqiProvider

TAX_ID = "91310000MA1FL8XQ3B"


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    delay: float = 0.0
    drop: bool = False


@dataclass
class Received:
    path: str
    headers: dict
    body: str
    client_port: int
    payload: dict | None = None


@dataclass
class FakePlatform:
    secret_hex: str
    url: str = ""
    replies: deque = field(default_factory=deque)
    default: Reply | None = None
    received: list = field(default_factory=list)

    def reply(self, reply: Reply) -> None:
        self.replies.append(reply)

    def answer(self, data: dict, *, returncode: str = "00", returnmsg: str = "成功") -> None:
        body = envelope.seal_response(
            data={"returncode": returncode, "returnmsg": returnmsg, **data}, secret_hex=self.secret_hex
        )
        self.reply(Reply(200, body.encode()))

    def error(self, code: str, message: str, status: int) -> None:
        self.reply(Reply(status, envelope.error_response(code=code, message=message, http_status=status).encode()))

    def next_reply(self) -> Reply:
        if self.replies:
            return self.replies.popleft()
        return self.default or Reply(500, b"no canned reply")


def _handler_for(fake: FakePlatform):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, so connection reuse can be observed

        def log_message(self, *args):  # quiet
            pass

        def do_POST(self):
            length = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(length).decode("ascii")
            headers = {k: v for k, v in self.headers.items()}
            received = Received(self.path, headers, body, self.client_address[1])
            try:
                received.payload = envelope.open_request(body=body, headers=headers, secret_hex=fake.secret_hex)
            except (ValueError, KeyError):
                received.payload = None
            fake.received.append(received)
            reply = fake.next_reply()
            if reply.drop:
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if reply.delay:
                time.sleep(reply.delay)
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)
            except OSError:
                self.close_connection = True

    return Handler


@pytest.fixture
def fake_platform():
    fake = FakePlatform(secret_hex=secrets.token_hex(16))
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(fake))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/sandbox"
    yield fake
    server.shutdown()
    server.server_close()


@pytest.fixture
def provider(fake_platform):
    """A provider on the fake platform with its own session (a test's pool is not shared)."""
    return make_provider(fake_platform)


def make_provider(fake_platform, **overrides) -> LeqiProvider:
    options = dict(
        base_url=fake_platform.url,
        unit_id="U" + secrets.token_hex(8).upper()[:19],
        user_unit_id="S" + secrets.token_hex(8).upper()[:19],
        secret_hex=fake_platform.secret_hex,
        taxpayer_id=TAX_ID,
        session=transport.new_session(),
        connect_timeout=2,
        read_timeout=2,
    )
    options.update(overrides)
    return LeqiProvider(**options)


@pytest.fixture
def closed_port() -> int:
    """A port on which nothing listens: connecting is refused at once."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port
