"""Chapter 12. In a browser: the tutorial's own proof, "open http://localhost:8080 and see
the page", made by a real browser (Debian's Chromium, headless) against the Compose stack
on its published port. Each state is kept as a screenshot in reports/screenshots/."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, ViewportSize, expect, sync_playwright

from tests.support.compose import ProjectCompose
from tests.support.containers import API_MESSAGE
from tests.support.environment import ROOT

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))  # as scripts/ensure-browser.sh
# A fresh profile per run; no GPU, no sandbox (the suite runs as root), and none of
# Chromium's background traffic, which a closed network would refuse.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = ROOT / "reports" / "screenshots"
PHONE = ViewportSize(width=390, height=844)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[BrowserContext]:
    """Chromium with a new, empty user data directory, the size of a phone's screen."""
    if not CHROMIUM.exists():
        pytest.fail(f"no browser at {CHROMIUM}: run scripts/ensure-browser.sh (Debian's chromium)", pytrace=False)
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            user_data_dir=tmp_path / "profile",
            executable_path=CHROMIUM,
            args=CHROMIUM_FLAGS,
            headless=True,
            viewport=PHONE,
        )
        yield context
        context.close()


def _snapshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


def _rows(page: Page) -> list[str]:
    """The visit ids of the table's rows, top to bottom, as the browser shows them."""
    return [str(row.get_attribute("data-visit-id")) for row in page.locator("table.visit-list tbody tr").all()]


def test_a_person_sees_the_page_a_new_row_on_reload_and_a_banner_when_the_api_stops(
    browser: BrowserContext,
) -> None:
    """Chromium opens the published port: the heading is visible and styled by the page's own
    style, which its Content-Security-Policy allows (nothing refused), and the api's message is
    on the page; reloading adds the new visit as the table's first row; with the api container
    stopped, a reload shows a banner saying the api is unavailable, while the visits stay
    listed."""
    with ProjectCompose() as stack:
        page = browser.new_page()
        console: list[str] = []  # a style the page's Content-Security-Policy refused would be here
        page.on("console", lambda message: console.append(message.text))
        page.goto(stack.url("webapp", 5000))

        expect(page).to_have_title("Visits · webapp")
        expect(page.get_by_role("heading", level=1)).to_have_text("Hello from the webapp container!")
        expect(page.locator(".api-message")).to_have_text(API_MESSAGE)
        expect(page.get_by_role("alert")).to_have_count(0)
        assert _rows(page) == ["1"]
        # The page's own style applies under its policy: the heading at 1.6rem, not the browser's 2em.
        assert page.get_by_role("heading", level=1).evaluate("h1 => getComputedStyle(h1).fontSize") == "25.6px"
        assert [text for text in console if "Content Security Policy" in text] == []
        _snapshot(page, "1-first-visit")

        page.reload()

        expect(page.locator("table.visit-list tbody tr")).to_have_count(2)
        assert _rows(page) == ["2", "1"]
        expect(page.locator(".visit-total")).to_have_text("2 visits in all; the newest 2:")
        _snapshot(page, "2-after-reload")

        stack.compose("stop", "api")
        page.reload()

        expect(page.get_by_role("alert")).to_contain_text("API unavailable: the api is unreachable")
        expect(page.locator(".api-message")).to_have_count(0)
        assert _rows(page) == ["3", "2", "1"]
        _snapshot(page, "3-api-stopped")
