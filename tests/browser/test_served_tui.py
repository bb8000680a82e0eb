"""`sandbox serve` in a real browser: headless Chromium (Debian's chromium and
chromium-driver, installed by .ci/install-browser) driven by Selenium, with every host but
127.0.0.1 made unresolvable, so nothing can leave the machine. The page shows the Stack
screen with every service, key 5 shows the Labs screen, and the page loaded nothing from
another host. Skipped, with the reason, only when no browser is installed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sandbox.labs.loader import lab_ids, load
from sandbox.services.process import free_ports
from sandbox.stack.specs import SERVICE_NAMES, free_port_variables
from tests.conftest import REPO
from tests.helpers import wait_for
from tests.tui.test_serve import _stop

pytestmark = pytest.mark.slow
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
NO_BROWSER = "no browser: run .ci/install-browser (Debian's chromium and chromium-driver)"
OFFLINE = "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"

# Test-only: keep what the page's websocket receives (the TUI's output), so the test can read
# the screen that xterm.js draws on a canvas. Injected before the page's own scripts run.
RECORDER = """
(() => {
  const decoder = new TextDecoder();
  const Native = window.WebSocket;
  window.__received = "";
  window.WebSocket = function (...args) {
    const socket = new Native(...args);
    socket.addEventListener("message", (event) => {
      window.__received += typeof event.data === "string"
        ? event.data : decoder.decode(event.data, {stream: true});
    });
    return socket;
  };
  window.WebSocket.prototype = Native.prototype;
})();
"""


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    """`sandbox serve` on a free port with its own (empty, stopped) stack; its page URL."""
    port = free_ports()[0]
    env = {**os.environ, "SANDBOX_HOME": str(tmp_path / "home"), **free_port_variables()}
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox.cli_tui", "serve", "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        assert wait_for(lambda: _answers(url), timeout=20), "serve never answered"
        yield url
    finally:
        _stop(process)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return int(response.status) == 200
    except OSError:
        return False


@pytest.fixture
def browser() -> Iterator[Any]:
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.skip(NO_BROWSER)
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1280,800",
        "--no-first-run",
        "--disable-extensions",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        OFFLINE,
    ):
        options.add_argument(argument)
    service = webdriver.ChromeService(executable_path=CHROMEDRIVER)  # no Selenium Manager
    driver = webdriver.Chrome(options=options, service=service)
    try:
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORDER})
        yield driver
    finally:
        driver.quit()


def received(driver: Any) -> str:
    return str(driver.execute_script("return window.__received || ''"))


def wait_for_text(driver: Any, wanted: list[str], start: int = 0, timeout: float = 30) -> None:
    def shown() -> bool:
        return all(text in received(driver)[start:] for text in wanted)

    assert wait_for(shown, timeout=timeout, interval=0.2), (
        f"the page never showed {wanted}; it got: {received(driver)[start:][-2000:]!r}"
    )


def test_the_served_tui_shows_the_stack_then_the_labs(
    served: str, browser: Any, tmp_path: Path
) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    browser.get(served)
    wait_for_text(browser, ["Stack", *SERVICE_NAMES])
    time.sleep(0.5)  # let the canvas paint the screen for the picture
    browser.save_screenshot(str(tmp_path / "served-stack.png"))

    before = len(received(browser))
    browser.find_element(By.ID, "terminal").click()  # focus xterm's keyboard input
    ActionChains(browser).send_keys("5").perform()
    titles = [load(lab_id)[0].title for lab_id in lab_ids()]
    wait_for_text(browser, ["Labs", titles[0]], start=before)
    time.sleep(0.5)
    labs_picture = tmp_path / "served-labs.png"
    browser.save_screenshot(str(labs_picture))
    assert labs_picture.stat().st_size > 10_000  # a real picture, not an empty page

    loaded = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    assert any(name.endswith(".ttf") for name in loaded), loaded  # the font, from here
    assert all(name.startswith(("http://127.0.0.1:", "ws://127.0.0.1:")) for name in loaded)
