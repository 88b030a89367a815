"""Browser tests: Playwright drives the system Chromium against pytest-django's live_server.

Rows must be committed for the live server's thread to see them (transaction=True), and
Playwright's sync API runs an event loop, so Django's async-safety check is relaxed here.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# The pipeline's fast settings (no sandbox delay, no retry waits), autouse here too.
from tests.pipeline.conftest import _pipeline_settings  # noqa: F401

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PASSWORD = "pw-test-123456"  # tests.factories.UserFactory


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """Relax Django's async check around each browser test only (set up to torn down): set for
    the whole process it would leak into every other test and into subprocesses."""
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        return (yield)
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
            if not item.get_closest_marker("django_db"):
                item.add_marker(pytest.mark.django_db(transaction=True, databases="__all__"))


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        # Failing, not skipping: a skipped browser test would count as a pass. .ci/run installs it.
        pytest.fail("Chromium is not installed: apt-get install -y chromium (or run bash .ci/run)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser, live_server):
    """``new_page(user, width=1280)``: a page logged in as that user (through the real login form)."""
    contexts = []

    def make(user, *, width: int = 1280, height: int = 900):
        context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN",
                                      base_url=live_server.url)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15000)
        page.goto("/accounts/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit].primary")
        page.wait_for_load_state("networkidle")
        assert "/accounts/login/" not in page.url, "login failed"
        return page

    yield make
    for context in contexts:
        context.close()


def shot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path




def pick_product(page, typed: str, *, line: int = 0) -> None:
    """Type into a line's 项目名称 and take the first catalogue suggestion with the keyboard."""
    name = page.locator(f"#id_lines-{line}-name")
    name.click()
    name.type(typed, delay=30)
    page.wait_for_selector("[data-product-list] [role=option]")
    name.press("ArrowDown")
    name.press("Enter")
