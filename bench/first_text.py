"""Time to the first checked text, through the API and the chat page, with the real models.

Before answers streamed checked sentences, the first text a user could trust was the whole
answer: drafts were replaced at the end. So the baseline, measured on the same requests, is
the time to the complete answer; the figure is the time to the first checked piece.

Also measured through the API: the next answer after four streams abandoned mid-answer, against
a warm answer (each abandoned stream must stop its work at the next token).
"""

from __future__ import annotations

import json
import shutil
import time

import httpx

from bench.measure import Row, Section, Stat
from rag.assistant import Assistant
from rag.faces.server import create_app, serving_in_thread

ABANDONED = 4
TARGET_S = 1.5  # first checked text, from the serving issue
# Clicks Ask and resolves with the milliseconds to the first text in the answer bubble (a checked
# sentence under "checking…", or the finished answer) and to Ask's return. Timed in the page by
# a MutationObserver: polling every frame would take CPU from the model on two cores.
ASK_AND_TIME = """() => new Promise(resolve => {
  const t0 = performance.now();
  let first = null;
  const shown = () => { const a = document.querySelector('#chat .answer');
    return a && (!a.classList.contains('pending') || a.querySelector('p:not(.state)')); };
  const back = () => { const b = document.querySelector('#ask'); return b && b.offsetParent !== null; };
  const watch = new MutationObserver(() => {
    if (first === null && shown()) first = performance.now() - t0;
    if (first !== null && back()) { watch.disconnect(); resolve([first, performance.now() - t0]); }
  });
  watch.observe(document.body, {childList: true, subtree: true, attributes: true, characterData: true});
  document.querySelector('#ask').click();
})"""


def stream_times(url: str, question: str, stop_after_first: bool = False) -> tuple[float, float]:
    """Seconds to the first non-empty content piece and to the end of the stream."""
    body = {"model": "news-rag", "stream": True, "messages": [{"role": "user", "content": question}]}
    start = time.perf_counter()
    first = None
    with httpx.stream("POST", f"{url}/v1/chat/completions", json=body, timeout=300) as response:
        for line in response.iter_lines():
            if not line.startswith("data:") or line.endswith("[DONE]"):
                continue
            event = json.loads(line[5:])
            content = (event.get("choices") or [{}])[0].get("delta", {}).get("content")
            if content and first is None:
                first = time.perf_counter() - start
                if stop_after_first:
                    return first, first  # leaving: the server must stop this answer
    end = time.perf_counter() - start
    return (first if first is not None else end), end


def page_times(assistant: Assistant, questions: list[str]) -> tuple[list[float], list[float]]:
    """Click Ask to the first checked text in the bubble, and to the finished answer."""
    from playwright.sync_api import sync_playwright

    from ui.app import CSS, build_app

    app = build_app(assistant)
    app.launch(server_name="127.0.0.1", server_port=None, prevent_thread_lock=True, quiet=True, css=CSS)
    firsts, totals = [], []
    try:
        with sync_playwright() as p:
            chromium = shutil.which("chromium") or "/usr/bin/chromium"
            browser = p.chromium.launch(executable_path=chromium, args=["--headless=new", "--no-sandbox"])
            page = browser.new_page()
            page.goto(app.local_url, wait_until="domcontentloaded")
            page.wait_for_selector("#question textarea", timeout=60_000)
            for question in questions:
                # a new conversation each time, as the API's requests are: in one conversation a
                # question with a pronoun is first rewritten by the model as a follow-up
                page.click("#new")
                page.wait_for_function("() => !document.querySelector('#chat .answer')", timeout=60_000)
                page.fill("#question textarea", question)
                first_ms, total_ms = page.evaluate(ASK_AND_TIME)
                firsts.append(first_ms / 1000)
                totals.append(total_ms / 1000)
            browser.close()
    finally:
        app.close()
    return firsts, totals


def run(assistant: Assistant, questions: list[str]) -> Section:
    assistant.ask(questions[0])  # warm: models loaded, caches filled
    rows = []
    with serving_in_thread(create_app(assistant)) as url:
        timed = [stream_times(url, q) for q in questions]
        firsts, totals = Stat.of([t[0] for t in timed]), Stat.of([t[1] for t in timed])
        rows.append(
            Row(
                "API: first checked text",
                firsts,
                "s",
                f"< {TARGET_S} s warm",
                firsts.median < TARGET_S,
                totals,
                "whole answer (before)",
            )
        )
        warm = Stat.of([stream_times(url, q)[1] for q in questions[:3]])
        for q in questions[:ABANDONED]:
            stream_times(url, q, stop_after_first=True)
        after = Stat.of([stream_times(url, questions[-1])[1]])
        rows.append(
            Row(
                f"API: next answer after {ABANDONED} abandoned streams",
                after,
                "s",
                "<= 2x a warm answer",
                after.median <= 2 * warm.median,
                warm,
                "warm answer",
            )
        )
    page_first, page_total = page_times(assistant, questions)
    first, total = Stat.of(page_first), Stat.of(page_total)
    rows.append(
        Row(
            "page: first checked text",
            first,
            "s",
            f"< {TARGET_S} s warm",
            first.median < TARGET_S,
            total,
            "whole answer (before)",
        )
    )
    return Section(
        "Time to first checked text",
        rows,
        [f"{len(questions)} dev questions, default configuration (judge on), nothing else running."],
    )
