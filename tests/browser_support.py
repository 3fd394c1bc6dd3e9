"""A real browser for the UI tests: Debian's chromium driven by Playwright."""

import os
from pathlib import Path

import pytest
from django.db import connections

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(os.environ.get("COMPTOIR_SCREENSHOT_DIR", "/tmp"))


@pytest.fixture
def browser_page():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed")
    # Playwright's sync API runs an event loop in this thread; Django then refuses ORM calls
    # from the test body unless told that this is deliberate.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        page = browser.new_page(viewport={"width": 1280, "height": 860}, locale="fr-FR")
        page.set_default_timeout(15_000)
        yield page
        # While Playwright's event loop runs, Django keeps the connections of this thread in
        # a context variable, not in the thread-local it reads once the loop has stopped:
        # close them now, or PostgreSQL cannot drop the test database at the end.
        connections.close_all()
        browser.close()
