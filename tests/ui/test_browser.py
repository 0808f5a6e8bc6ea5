"""The chat page in real headless Chromium with the real models.

Chromium is Debian's package (.ci/run installs it); Playwright only drives it. With no
network the page never reaches "networkidle", so we wait for DOM content, then for elements.
"""

import shutil
import time

import pytest

from tests.conftest import SUPERPOD_DOC, SUPERPOD_Q, real_page
from ui.app import CSS

pytestmark = pytest.mark.models
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
TIMEOUT_MS = 180_000


@pytest.fixture(scope="module")
def page_url(tmp_path_factory, real_embedder):
    with real_page(tmp_path_factory.mktemp("ui-home"), real_embedder, css=CSS) as (url, _):
        yield url


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    if not shutil.which("chromium") and not shutil.which(CHROMIUM):
        pytest.fail("Debian's chromium is not installed; run .ci/run or apt-get install -y chromium")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def ask(page, question: str, answers_before: int) -> str:
    page.fill("#question textarea", question)
    page.click("#ask")
    bot = page.locator("#chat [data-testid='bot']")
    bot.nth(answers_before).wait_for(timeout=TIMEOUT_MS)
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while time.monotonic() < deadline:  # wait until the checked answer replaces the draft
        html = bot.nth(answers_before).inner_html()
        if "drafting" not in html and html.strip() not in ("", "…") and "…</p>" not in html:
            return html
        time.sleep(0.2)
    raise AssertionError(f"no final answer for {question!r}")


def test_chat_page_end_to_end(page_url, browser, tmp_path):
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.goto(page_url, wait_until="domcontentloaded")
    page.wait_for_selector("#question textarea", timeout=60_000)

    started = time.monotonic()
    html = ask(page, SUPERPOD_Q, 0)
    print(f"\nfirst answer shown after {time.monotonic() - started:.1f}s")
    assert "15,000" in html
    citation = page.locator("#chat a.cite").first
    assert "SuperPoD Interconnect" in citation.get_attribute("title")  # hover shows the sentence
    citation.click()
    sources = page.locator("#sources")
    assert SUPERPOD_DOC in sources.inner_text()
    assert "15,000 graphics cards" in sources.locator("mark").first.inner_text()

    ask(page, "What Nvidia technology does it mirror?", 1)
    rewritten = page.locator("#rewritten").inner_text()
    assert "Searched for:" in rewritten and "SuperPoD" in rewritten

    article = tmp_path / "zephyr_fab.txt"
    article.write_text(
        "Zephyr Foundry opens Dresden fab\nZephyr Foundry opened a new chip fab in Dresden "
        "in March 2026. The fab will make 300mm wafers for carmakers.\n"
    )
    page.get_by_role("tab", name="Documents").click()
    page.locator("#upload input[type=file]").set_input_files(str(article))
    page.click("#add")
    page.wait_for_function(
        "document.querySelector('#doc-status').innerText.includes('Indexed')", timeout=TIMEOUT_MS
    )
    assert "zephyr_fab" in page.locator("#documents").inner_text()
    page.get_by_role("tab", name="Chat").click()
    html = ask(page, "Where did Zephyr Foundry open its new chip fab?", 2)
    assert "Dresden" in html
    assert "zephyr_fab" in page.locator("#sources").inner_text()
    page.close()
