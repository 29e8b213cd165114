"""The playground page in a real browser: Playwright driving the system's Chromium (Debian's
`chromium` package; no browser download). Skipped, with the reason, when either is missing."""
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from retrograd.live import playground

sync_api = pytest.importorskip("playwright.sync_api",
                               reason="Playwright is not installed: pip install playwright")
CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH: apt-get install "
                                "chromium to run the browser tests")
# the README's picture, rewritten only when asked (RETROGRAD_UPDATE_SCREENSHOT=1), so that a
# test run leaves the checkout as it was
README_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "images" / "playground.png"


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    server = playground(port=0, open_browser=False, block=False)
    page = browser.new_page(viewport={"width": 1200, "height": 1000})
    page.server = server
    yield page
    page.close()
    server.close()


def step_count(page) -> int:
    return int(page.inner_text("#step"))


def train_until(page, steps: int) -> None:
    page.wait_for_function(f"Number(document.getElementById('step').textContent) >= {steps}",
                           timeout=30_000)


def test_the_page_trains_and_pauses(page):
    page.goto(page.server.url)
    page.wait_for_selector("#status:has-text('paused')")
    page.click("#start")
    train_until(page, 50)
    assert int(page.get_attribute("#loss-curve", "data-points")) > 1
    page.click("#pause")
    page.wait_for_selector("#status:has-text('paused')")
    paused_at = step_count(page)
    page.wait_for_timeout(500)
    assert step_count(page) == paused_at
    page.click("#step-once")
    page.wait_for_function(f"Number(document.getElementById('step').textContent) > {paused_at}")


def test_a_new_setting_restarts_the_run_and_shows_in_the_url_and_the_code(page):
    page.goto(page.server.url)
    page.wait_for_selector("#status:has-text('paused')")
    page.click("#start")
    train_until(page, 30)
    page.select_option("select[name=dataset]", "moons")
    page.wait_for_function("location.search.includes('dataset=moons')")
    assert "rg.datasets.moons(400" in page.inner_text("#code")
    page.fill("input[name=lr]", "0.3")
    page.press("input[name=lr]", "Tab")  # the change event
    page.wait_for_function("location.search.includes('lr=0.3')")
    assert "lr=0.3" in page.inner_text("#code")
    assert page.server.session.settings.dataset == "moons"
    assert page.server.session.settings.lr == 0.3


def test_a_bad_setting_shows_the_error_and_keeps_the_run(page):
    page.goto(page.server.url)
    page.wait_for_selector("#status:has-text('paused')")
    page.fill("input[name=hidden]", "8,999")
    page.press("input[name=hidden]", "Tab")
    page.wait_for_selector("#error:has-text('at most 256')")
    assert page.input_value("input[name=hidden]") == "8,8"


def test_a_shared_link_sets_up_the_exercise(page):
    page.goto(page.server.url + "?dataset=xor&hidden=16&activation=relu&lr=0.05&batch=20")
    page.wait_for_function("document.getElementById('code').textContent.includes('xor')")
    settings = page.server.session.settings
    assert (settings.dataset, settings.hidden, settings.activation, settings.lr, settings.batch) \
        == ("xor", (16,), "relu", 0.05, 20)
    assert page.input_value("select[name=activation]") == "relu"


def test_the_graph_shows_the_chain_rule_of_a_node(page):
    page.goto(page.server.url)
    page.wait_for_selector("#status:has-text('paused')")
    page.click("#show-graph")
    page.click("#graph tr:has-text('X @ 0.weightᵀ + 0.bias')")
    assert "∂f/∂0.weight = (∂f/∂t1)ᵀ @ X" in page.inner_text("#chain")


def test_the_boundary_is_drawn(page, tmp_path):
    page.goto(page.server.url + "?dataset=spirals&hidden=32,32&optimizer=adam&lr=0.02"
              "&activation=relu")
    page.wait_for_selector("#status:has-text('paused')")
    page.click("#start")
    train_until(page, 600)
    page.click("#pause")
    page.wait_for_selector("#status:has-text('paused')")
    # the canvas's own pixels, read by the page
    pixels = np.array(page.evaluate("""() => {
        const canvas = document.getElementById('boundary');
        return Array.from(canvas.getContext('2d')
                          .getImageData(0, 0, canvas.width, canvas.height).data);
    }"""), dtype=np.float64).reshape(-1, 4)[:, :3]
    assert pixels.var() > 0
    screenshot = README_SCREENSHOT if os.environ.get("RETROGRAD_UPDATE_SCREENSHOT") == "1" \
        else tmp_path / "playground.png"
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.stat().st_size > 10_000
