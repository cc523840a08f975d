"""Fixtures of the browser tests: one throw-away suite with short periods for the whole of tests/web, and one
headless Chromium (Debian's chromium and chromium-driver) driven by selenium."""

import shutil
import tempfile
from pathlib import Path

import pytest

from tests.harness import Suite

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
# Long enough for a visitor to read a notice and write an objection, short enough that the suite waits for
# the notice to close within a test.
NOTICE_PERIOD = 15


@pytest.fixture(scope="package")
def suite():
    running = Suite(
        NOTICE_PERIOD_SECONDS=NOTICE_PERIOD,
        REVIEW_DEADLINE_SECONDS=600,
        FILING_DEADLINE_SECONDS=600,
        AGENDA_LEAD_SECONDS=1,
        PUBLIC_RATE_BURST=200,
        PUBLIC_RATE_PER_SECOND=50,
    ).start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="package")
def api(suite):
    from tests.e2e.test_nomination_support import principals

    return principals(suite.api)


@pytest.fixture(scope="package")
def driver():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.fail("chromium and chromium-driver are needed (Debian packages; .ci/run installs them)")
    profile = tempfile.mkdtemp(prefix="cadre-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1280,1600",
        f"--user-data-dir={profile}",
        "--lang=zh-CN",
    ):
        options.add_argument(flag)
    # the visitor's browser asks for Chinese, as the district's staff and public do
    options.add_experimental_option("prefs", {"intl.accept_languages": "zh-CN,zh"})
    browser = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    browser.set_page_load_timeout(60)
    SCREENSHOTS.mkdir(exist_ok=True)
    try:
        yield browser
    finally:
        browser.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def web(driver, suite):
    """The browser at the suite's gateway, with no cookies left from an earlier test."""
    from tests.web.browser import Web

    page = Web(driver, suite.base, SCREENSHOTS)
    page.reset()
    return page
