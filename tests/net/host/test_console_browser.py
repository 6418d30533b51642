"""The console in a real browser: Debian's headless Chromium, driven by Selenium through Debian's chromedriver.

An operator signs in at a phone's width, sees a live match on the overview, opens it and
watches the board change as a player moves (the page's own meta refresh, no script),
opens the account of the other player from the match and bans them with a reason; the
banned player's socket is closed with the ban's sentence, and the opponent wins.

Selenium is pointed at the system's chromedriver (``Service`` with its path), so nothing
is downloaded at run time. Without Chromium or its driver this test skips and says why
(.ci/run installs both from Debian when they are missing).
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator

import pytest

from game.rules import Termination
from tests.net.host.adminclient import PASSWORD

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)",
)
PHONE = (390, 844)  # CSS pixels of a common phone
SEEN = 8.0  # seconds to wait for a page to show something (the pages refresh every 2 s)


@pytest.fixture
def browser() -> Iterator[object]:
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    assert CHROMIUM is not None and CHROMEDRIVER is not None
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-extensions", f"--window-size={PHONE[0]},{PHONE[1]}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(SEEN)
    try:
        yield driver
    finally:
        driver.quit()


def test_an_operator_watches_a_live_match_and_bans_a_player_in_it(admin_factory, host_client, browser):
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as shown
    from selenium.webdriver.support.ui import WebDriverWait

    host, listener = admin_factory()
    base = f"http://127.0.0.1:{listener.port}"
    driver = browser
    # The live pages reload themselves every 2 s, so an element found may be gone a moment
    # later: every look and every click is retried on a stale element until SEEN runs out.
    wait = WebDriverWait(driver, SEEN, ignored_exceptions=(StaleElementReferenceException,))

    def click(by: str, what: str) -> None:
        wait.until(lambda d: d.find_element(by, what).click() or True)

    def sign_in() -> None:
        driver.get(f"{base}/console")  # sent to the sign-in page
        assert driver.title.startswith("Sign in")
        driver.find_element(By.NAME, "password").send_keys(PASSWORD)
        driver.find_element(By.NAME, "operator").send_keys("Olga")
        driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        wait.until(shown.title_contains("Overview"))
        width = driver.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], f"the overview is wider than a phone: {width}"

    def open_live_match(names: tuple[str, str]) -> None:
        wait.until(lambda d: all(n in d.find_element(By.CSS_SELECTOR, ".matches").text for n in names))
        click(By.LINK_TEXT, "watch")
        wait.until(shown.title_contains("Live match"))
        assert driver.find_elements(By.CSS_SELECTOR, "table.board td.m1") == []

    def see_the_move() -> None:
        wait.until(lambda d: [td.text for td in d.find_elements(By.CSS_SELECTOR, "table.board td.m1")] == ["X"])
        wait.until(lambda d: "O to move (bob)" in d.find_element(By.CSS_SELECTOR, ".status").text)

    def ban(name: str) -> None:
        click(By.LINK_TEXT, name)
        wait.until(shown.title_contains("Account"))
        driver.find_element(By.NAME, "reason").send_keys("Abuse in chat")
        driver.find_element(By.CSS_SELECTOR, "button.danger").click()
        wait.until(shown.text_to_be_present_in_element((By.CSS_SELECTOR, ".notice"), "The account is banned"))
        assert "Abuse in chat" in driver.find_element(By.TAG_NAME, "main").text

    async def scenario() -> None:
        await asyncio.to_thread(sign_in)
        ann, bob = await host_client.pair(host.port, ("ann", "bob"))
        await asyncio.to_thread(open_live_match, ("ann", "bob"))
        await ann.move(1, 1)
        await ann.state()
        await bob.state()
        await asyncio.to_thread(see_the_move)
        await asyncio.to_thread(ban, "bob")
        code, reason = await bob.closed()
        assert (code, reason) == (1008, "This account is banned from this server. Reason: Abuse in chat")
        final = await ann.state()
        assert final.board.outcome is not None and final.board.outcome.winner == final.you
        assert final.board.outcome.termination is Termination.OPPONENT_LEFT

    host_client.run(scenario())
