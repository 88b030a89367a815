"""Loaded as a pytest plugin (-p tests.environment) so it runs before Django's settings are read.

DATABASE_URL / REDIS_URL are used when set (CI has both running); otherwise the embedded
servers under ./var are started, exactly as the run command does.
"""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Tests run with a fixed, test-only secret so that no generated key is needed.
os.environ.setdefault("SECRET_KEY", "test-secret-key-" + "x" * 40)
os.environ.setdefault("SANDBOX_ADMIN_TOKEN", "test-sandbox-token-0123456789")
os.environ.setdefault("CREDENTIALS_KEY", "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff")
os.environ.setdefault("STATIC_MANIFEST", "false")
# Files the tests render (invoice PDFs, reports) never land in a developer's ./var/media.
os.environ.setdefault("MEDIA_ROOT", tempfile.mkdtemp(prefix="kaipiao-test-media-"))
# Rendering a PDF per issued invoice would dominate pipeline tests; the delivery tests turn it on.
os.environ.setdefault("INVOICE_AUTO_DELIVERY", "false")
os.environ.setdefault("CACHE_KEY_PREFIX", f"kaipiao-test-{os.getpid()}")

from config import embedded  # noqa: E402

_VAR = Path(os.environ.get("KAIPIAO_VAR_DIR", Path(__file__).parent.parent / "var"))
embedded.ensure_from_settings_env(_VAR)
# A Redis database of the tests' own (15 unless TEST_REDIS_DB says otherwise), so that flushing it never touches a running demo.
if os.environ.get("REDIS_URL"):
    from urllib.parse import urlparse

    _u = urlparse(os.environ["REDIS_URL"])
    os.environ["REDIS_URL"] = _u._replace(path="/" + os.environ.get("TEST_REDIS_DB", "15"), query="").geturl()
else:
    os.environ["REDIS_URL"] = f"unix://{(_VAR / 'redis' / 'redis.sock').resolve()}?db={os.environ.get('TEST_REDIS_DB', '15')}"
