"""``manage.py runsandbox [--port 8001]``: the sandbox platform on a port of its own.

Serves the whole Django WSGI app with a threaded server, so the platform stays under
``/sandbox/`` on either port. Unlike Django's runserver, header names with an underscore
(``access_signature``) are kept, as the real platform receives them.
"""

from __future__ import annotations

from wsgiref import simple_server

from django.core.management.base import BaseCommand
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler, get_internal_wsgi_application


class SandboxRequestHandler(WSGIRequestHandler):
    def get_environ(self):
        # Django's handler deletes headers containing "_"; the protocol's access_signature has one.
        return simple_server.WSGIRequestHandler.get_environ(self)


class Command(BaseCommand):
    help = "Run the tax-platform sandbox on its own port (threaded WSGI server)."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8001)
        parser.add_argument("--host", default="127.0.0.1")

    def handle(self, *args, host, port, **options):
        self.stdout.write(f"税务平台沙箱：http://{host}:{port}/sandbox/access/v2/invoke/<nlbm>/<fwbm>/")
        serve(host=host, port=port)


def make_server(*, host: str, port: int) -> ThreadedWSGIServer:
    """A threaded server for the WSGI app (port 0 picks a free port; used by the tests too)."""
    server = ThreadedWSGIServer((host, port), SandboxRequestHandler, allow_reuse_address=True)
    server.daemon_threads = True
    server.set_app(get_internal_wsgi_application())
    return server


def serve(*, host: str, port: int) -> None:
    server = make_server(host=host, port=port)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
