"""The chat page in real headless Chromium, as a careful user meets it.

Chromium is Debian's package (.ci/run installs it); Playwright only drives it. With no
network the page never reaches "networkidle", so we wait for DOM content, then for elements.
Most tests use stand-in models (a slow scripted writer, so there is time to act while an answer
is produced); one runs the real models end to end.
"""

import shutil
import time

import pytest

from tests.conftest import SUPERPOD_ANSWER, SUPERPOD_DOC, SUPERPOD_Q, FakeGenerator, free_port, real_page
from ui.app import CSS, build_app

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
# an upload's line for the file is there and the progress overlay gone ("1/1 steps" is no path)
DONE = "(t => t.includes('{}') && !t.includes('steps'))(document.querySelector('#doc-status').innerText)"
TRICKY = """Huawei's "SuperPoD" & <Interconnect> #1 *links* _how_ [many] cards?"""


class SlowWriter(FakeGenerator):
    """Writes one word every 60 ms: long enough to type, press Enter or Stop meanwhile."""

    def stream(self, prompt, max_new_tokens: int, usage=None):
        for piece in super().stream(prompt, max_new_tokens, usage):
            time.sleep(0.06)
            yield piece


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    if not shutil.which("chromium") and not shutil.which(CHROMIUM):
        pytest.fail("Debian's chromium is not installed; run .ci/run or apt-get install -y chromium")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def stand_in(make_assistant):
    assistant = make_assistant(SlowWriter(" ".join([SUPERPOD_ANSWER] * 3)))
    app = build_app(assistant)
    port = free_port()
    app.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True, css=CSS)
    yield f"http://127.0.0.1:{port}/", assistant
    app.close()


@pytest.fixture
def page(browser, stand_in):
    url, _ = stand_in
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(url, wait_until="domcontentloaded")
    page.wait_for_selector("#question textarea", timeout=60_000)
    yield page
    page.close()


def bot(page, n: int):
    locator = page.locator("#chat .answer").nth(n)
    locator.wait_for(timeout=TIMEOUT_MS)
    return locator


def ask(page, question: str, n: int) -> str:
    """Ask and wait until answer n is final (no longer pending); its inner HTML."""
    page.fill("#question textarea", question)
    page.click("#ask")
    page.wait_for_function(
        f"document.querySelectorAll('#chat .answer').length > {n} && "
        f"!document.querySelectorAll('#chat .answer')[{n}].classList.contains('pending')",
        timeout=TIMEOUT_MS,
    )
    return bot(page, n).inner_html()


def test_first_screen_says_what_the_corpus_holds(page):
    chat = page.locator("#chat").inner_text()
    assert (
        "5 documents are loaded" in chat
        and "Huawei’s New AI Infrastructure Challenges Nvidia in China" in chat
    )
    assert page.get_by_role("textbox", name="Your question").is_visible()
    assert not page.locator("#export-file").is_visible()  # no empty export box before there is one
    assert page.locator("text=Try").count() >= 1  # examples drawn from the corpus


def test_text_is_shown_as_written_everywhere(page):
    html = ask(page, TRICKY, 0)
    question = page.locator("#chat .question").first.inner_text()
    assert question == TRICKY
    chat = page.locator("#chat").inner_text()
    assert "&#x27;" not in chat and "&amp;" not in chat and "\\#" not in chat
    assert "15,000" in html


def test_an_earlier_answers_citation_opens_its_own_source(page):
    ask(page, SUPERPOD_Q, 0)
    ask(page, "What is Huawei's CUDA alternative called?", 1)
    first = bot(page, 0)
    first.locator("a.cite").first.click()
    assert page.evaluate("location.hash") == "#t1-c1"
    target = page.locator("#t1-c1")
    assert target.is_visible() and first.locator("#t1-c1").count() == 1  # inside the first answer
    assert "15,000 graphics cards" in target.locator("mark").inner_text()
    assert page.locator("#question textarea").is_visible()  # the chat stays in view


def test_popover_opens_on_keyboard_focus(page):
    ask(page, SUPERPOD_Q, 0)
    tip = bot(page, 0).locator("a.cite .tip").first
    assert not tip.is_visible()
    bot(page, 0).locator("a.cite").first.focus()
    assert tip.is_visible() and "15,000 graphics cards" in tip.inner_text()


def test_ask_becomes_stop_and_a_question_typed_meanwhile_survives(page):
    page.fill("#question textarea", SUPERPOD_Q)
    page.click("#ask")
    page.locator("#stop").wait_for(state="visible", timeout=10_000)
    assert not page.locator("#ask").is_visible()
    page.fill("#question textarea", "And who makes CANN?")
    page.press("#question textarea", "Enter")  # while the answer is still being written
    page.locator("#ask").wait_for(state="visible", timeout=TIMEOUT_MS)
    assert page.locator("#question textarea").input_value() == "And who makes CANN?"
    assert page.locator("#chat .question").count() == 1  # not sent twice, not lost


def test_stop_cancels_the_answer(page, stand_in):
    _, assistant = stand_in
    page.fill("#question textarea", SUPERPOD_Q)
    page.click("#ask")
    page.locator("#stop").wait_for(state="visible", timeout=10_000)
    time.sleep(0.5)
    page.click("#stop")
    page.locator("#ask").wait_for(state="visible", timeout=10_000)
    page.wait_for_function("document.querySelector('#chat').innerText.includes('Stopped.')", timeout=10_000)
    time.sleep(1.0)
    assert assistant.lock.acquire(timeout=5)  # the model was released
    assistant.lock.release()


def test_new_conversation_resets_screen_and_history(page):
    ask(page, SUPERPOD_Q, 0)
    page.click("#new")
    page.wait_for_function("document.querySelectorAll('#chat .answer').length == 0", timeout=10_000)
    html = ask(page, "How many graphics cards can it link?", 0)
    assert "Searched for" not in html  # no hidden history: nothing to rewrite the follow-up with


def test_removal_asks_first_names_the_title_and_can_be_undone(page):
    page.get_by_role("tab", name="Documents").click()
    table = page.locator("#documents")
    table.wait_for()
    assert "Huawei’s New AI Infrastructure Challenges Nvidia in China" in table.inner_text()
    dropdown = page.locator("#remove-id input")
    assert dropdown.input_value() == ""  # nothing chosen in advance
    page.click("#remove")
    page.wait_for_function(  # the reply comes back from the server: wait for it, do not race it
        "document.querySelector('#doc-status').innerText.includes('Pick a document')", timeout=10_000
    )
    dropdown.click()
    page.get_by_role(
        "option", name=f"Huawei’s New AI Infrastructure Challenges Nvidia in China ({SUPERPOD_DOC})"
    ).click()
    page.click("#remove")
    confirm = page.locator("#confirm-text")
    confirm.wait_for(state="visible")
    assert "Huawei’s New AI Infrastructure Challenges Nvidia in China" in confirm.inner_text()
    assert SUPERPOD_DOC in table.inner_text()  # nothing removed yet
    page.click("#confirm-remove")
    page.wait_for_function(f"!document.querySelector('#documents').innerText.includes('{SUPERPOD_DOC}')")
    page.click("#undo")
    page.wait_for_function(f"document.querySelector('#documents').innerText.includes('{SUPERPOD_DOC}')")


def test_uploads_report_each_file_without_server_paths(page, tmp_path):
    good = tmp_path / "fab_news.md"
    good.write_text(
        "# **Zephyr** opens a fab\n\nZephyr Foundry opened a chip fab in Dresden in March 2026.\n"
    )
    empty = tmp_path / "empty.md"
    empty.write_text("")
    binary = tmp_path / "tool.md"
    binary.write_bytes(b"\x7fELF\x00\x00\x01binary")
    program = tmp_path / "setup.exe"
    program.write_bytes(b"MZ\x00\x00")
    page.get_by_role("tab", name="Documents").click()
    page.locator("#upload input[type=file]").set_input_files(
        [str(good), str(empty), str(binary), str(program)]
    )
    page.click("#add")
    status = page.locator("#doc-status")
    page.wait_for_function(DONE.format("fab_news.md"), timeout=60_000)
    text = status.inner_text()
    assert "fab_news.md: added" in text
    assert "empty.md: skipped, empty file" in text
    assert "tool.md: skipped, binary content" in text
    assert "setup.exe: skipped" in text and ".txt" in text  # names the types that work
    assert "/" not in text.replace("(NUL bytes)", "")  # no server paths
    assert "Zephyr opens a fab" in page.locator("#documents").inner_text()  # the title without # and **


def test_uploads_that_add_nothing_still_give_each_files_reason(page, tmp_path):
    text = "Fab news\n\nZephyr Foundry opened a second chip fab in Ohio in May 2026.\n"
    (tmp_path / "twin_a.md").write_text(text)
    (tmp_path / "twin_b.md").write_text(text)
    (tmp_path / "blank.txt").write_text("x")
    page.get_by_role("tab", name="Documents").click()
    upload = page.locator("#upload input[type=file]")
    upload.set_input_files([str(tmp_path / "twin_a.md"), str(tmp_path / "twin_b.md")])
    page.click("#add")
    page.wait_for_function(DONE.format("twin_b.md"), timeout=60_000)
    assert "twin_b.md: skipped, duplicate of twin_a.md" in page.locator("#doc-status").inner_text()
    upload.set_input_files([str(tmp_path / "blank.txt")])  # refused by the build: nothing added
    page.click("#add")
    page.wait_for_function(DONE.format("blank.txt"), timeout=60_000)
    text = page.locator("#doc-status").inner_text()
    assert "blank.txt: skipped, no usable text" in text and "/" not in text
    upload.set_input_files([str(tmp_path / "twin_a.md")])  # sent again as it is
    page.click("#add")
    page.wait_for_function(DONE.format("twin_a.md"), timeout=60_000)
    assert "twin_a.md: unchanged, already indexed" in page.locator("#doc-status").inner_text()


@pytest.mark.models
def test_real_models_end_to_end(browser, tmp_path_factory, real_embedder):
    with real_page(tmp_path_factory.mktemp("ui-home"), real_embedder, css=CSS) as (url, _):
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(url, wait_until="domcontentloaded")
        page.wait_for_selector("#question textarea", timeout=60_000)
        started = time.monotonic()
        html = ask(page, SUPERPOD_Q, 0)
        print(f"\nfirst answer shown after {time.monotonic() - started:.1f}s")
        assert "15,000" in html and SUPERPOD_DOC not in page.locator("#chat").inner_text()
        assert "SuperPoD Interconnect" in bot(page, 0).locator(".source").first.inner_text()
        page.close()
