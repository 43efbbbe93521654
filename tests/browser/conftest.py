"""Headless Debian Chromium driven by Playwright, with the network closed.

Only ``file:`` and ``data:`` URLs load; every other request is aborted and recorded, and the
browser's proxy points at a closed port, so a page that needs the internet fails visibly. The
tests skip (with the reason) only on a developer machine without /usr/bin/chromium; with
``CI`` set they run, and .ci/run installs the browser.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--no-first-run", "--disable-component-update", "--disable-sync",
    "--proxy-server=127.0.0.1:9",
]

if not CHROMIUM.exists() and not os.environ.get("CI"):
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium); .ci/run installs it in CI",
                allow_module_level=True)

from playwright.sync_api import BrowserContext, Page, sync_playwright  # noqa: E402


@dataclass
class Watched:
    """A page and what it did that a person would notice or that means it needed the network."""

    page: Page
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserContext]:
    """One offline Chromium profile (fresh user-data-dir) for the whole session."""
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1200, "height": 800}, service_workers="block")
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def open_page(browser: BrowserContext) -> Iterator[Any]:
    """Open a local file in a new tab and watch its console, errors, dialogs and requests."""
    pages: list[Page] = []

    def _open(path: Path) -> Watched:
        page = browser.new_page()
        pages.append(page)
        watched = Watched(page)

        def route(r: Any) -> None:
            url = r.request.url
            if url.startswith(("file:", "data:", "about:")):
                r.continue_()
            else:
                watched.blocked.append(url)
                r.abort()

        page.route("**/*", route)
        page.on("console", lambda m: m.type == "error" and watched.console_errors.append(m.text))
        page.on("pageerror", lambda e: watched.page_errors.append(str(e)))

        def dialog(d: Any) -> None:
            watched.dialogs.append(d.message)
            d.dismiss()

        page.on("dialog", dialog)
        page.goto(path.resolve().as_uri(), wait_until="load")
        return watched

    yield _open
    for page in pages:
        page.close()
