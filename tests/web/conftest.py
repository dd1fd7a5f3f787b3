"""Fixtures of the browser interview tests: one ``triage serve`` and one headless chromium for the session.

The server is given its cookie key (``TRIAGE_WEB_KEY``) so that tests can seal and open
cookies as it does: expired ones, damaged ones, ones from other rules.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from triage.service.web.seal import KEY_VARIABLE, new_key

from ..service.conftest import Server, start_server
from .browser import WebPerson, launch

#: The key of the test server's cookies.
KEY = new_key()


@pytest.fixture(scope="session")
def web_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``triage serve`` as a real process on a free port, stopped at the end of the session."""
    saved = os.environ.get(KEY_VARIABLE)
    os.environ[KEY_VARIABLE] = KEY  # start_server passes the environment on
    try:
        server = start_server(tmp_path_factory.mktemp("web-serve") / "server.log")
    finally:
        if saved is None:
            del os.environ[KEY_VARIABLE]
        else:
            os.environ[KEY_VARIABLE] = saved
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """Headless Debian chromium, closed when the browser tests are done: Playwright's event loop must not outlive
    them (prompt_toolkit's tests run their own)."""
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh browser profile (no cookies) for one test."""
    profile = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        yield profile
    finally:
        profile.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    """A page of that profile."""
    return context.new_page()


@pytest.fixture
def person(page: Page, web_server: Server) -> WebPerson:
    """Someone about to answer the interview in that page."""
    return WebPerson(page, web_server.url)


#: The folder of this run's screenshots, once a test has asked for it.
SCREENSHOTS: list[Path] = []


@pytest.fixture(scope="session")
def artefacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the screenshots of the result pages are kept (named at the end of the run)."""
    folder = tmp_path_factory.mktemp("web-screenshots")
    SCREENSHOTS.append(folder)
    return folder


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """Say where the browser screenshots are."""
    for folder in SCREENSHOTS:
        shots = sorted(p.name for p in folder.glob("*.png"))
        terminalreporter.section("browser screenshots")
        terminalreporter.write_line(f"{folder}: {', '.join(shots) or 'none'}")
