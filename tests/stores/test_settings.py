"""Settings validation: a malformed value stops start-up with a message naming the variable."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def load_settings(**env):
    base = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "HTTPS", "ALLOWED_HOSTS"}}
    base.update(env)
    return subprocess.run(
        [sys.executable, "-c", "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings');"
         " django.setup(); from django.conf import settings; print(settings.DEBUG, settings.SESSION_COOKIE_SECURE)"],
        cwd=ROOT, env=base, capture_output=True, text=True,
    )


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("DEBUG", "maybe", "DEBUG must be a boolean"),
        ("DATABASE_URL", "mysql://x/y", "DATABASE_URL must be a URL with scheme postgres or postgresql"),
        ("REDIS_URL", "http://x", "REDIS_URL must be a URL"),
        ("TAX_PLATFORM_URL", "ftp://x", "TAX_PLATFORM_URL must be a URL"),
        ("EMAIL_PORT", "abc", "EMAIL_PORT must be an integer"),
        ("EMAIL_PORT", "70000", "EMAIL_PORT must be between 1 and 65535"),
        ("CREDENTIALS_KEY", "zz", "CREDENTIALS_KEY must be 64 hex characters"),
        ("SECRET_KEY", "short", "SECRET_KEY must be at least 32 characters long"),
        ("SANDBOX_ADMIN_TOKEN", "short", "SANDBOX_ADMIN_TOKEN must be at least 16 characters long"),
        ("LOGIN_FAILURE_LIMIT", "0", "LOGIN_FAILURE_LIMIT must be between 1"),
        ("TAX_QUOTA_DOWNLOAD_CHUNK", "lots", "TAX_QUOTA_DOWNLOAD_CHUNK must be a decimal number"),
        ("INVOICE_AUTO_DELIVERY", "sometimes", "INVOICE_AUTO_DELIVERY must be a boolean"),
        ("PUBLIC_BASE_URL", "kaipiao.example.com", "PUBLIC_BASE_URL must be a URL"),
    ],
)
def test_it_stops_on_malformed_values_naming_the_variable(name, value, fragment):
    result = load_settings(**{name: value})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and fragment in result.stderr


def test_it_defaults_to_debug_off_and_plain_cookies():
    result = load_settings()
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False False"


def test_it_uses_secure_cookies_behind_https():
    result = load_settings(HTTPS="true")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False True"


def test_it_passes_check_deploy_for_a_production_configuration():
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update(HTTPS="true", ALLOWED_HOSTS="kaipiao.example.com", SECRET_KEY="p" * 20 + "roduction-secret-Key-0123456789-abcdefXYZ",
               SANDBOX_ENABLED="false", STATIC_MANIFEST="true")
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                            cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
