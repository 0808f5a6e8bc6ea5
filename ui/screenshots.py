"""Take the README's screenshots of the chat page with the real models and headless Chromium.

    python -m ui.screenshots            # writes docs/first-screen.png, docs/answer.png, docs/documents.png

Uses the index in the data folder (build it first: `python -m rag index build`) and Debian's
chromium, as the browser tests do.
"""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

import click

DOCS = Path(__file__).resolve().parents[1] / "docs"
QUESTION = "How many graphics cards can the SuperPoD Interconnect link?"
VIEWPORT = {"width": 1200, "height": 900}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--question", default=QUESTION, show_default=True, help="The question asked on camera.")
@click.option("--out", type=click.Path(path_type=Path), default=DOCS, show_default=True)
def main(question: str, out: Path) -> None:
    """Screenshots of the first screen, an answer with its sources, and the Documents tab."""
    from playwright.sync_api import sync_playwright

    from rag.assistant import Assistant
    from ui.app import CSS, build_app

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    assistant = Assistant.from_settings()
    assistant.answerer  # noqa: B018 - load before the page opens
    app = build_app(assistant)
    port = _free_port()
    app.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True, css=CSS)
    out.mkdir(parents=True, exist_ok=True)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=["--headless=new", "--no-sandbox"])
            page = browser.new_page(viewport=VIEWPORT)
            page.goto(f"http://127.0.0.1:{port}/", wait_until="domcontentloaded")
            page.wait_for_selector("#question textarea", timeout=60_000)
            page.screenshot(path=str(out / "first-screen.png"))
            page.fill("#question textarea", question)
            page.click("#ask")
            page.locator("#chat .answer:not(.pending)").first.wait_for(timeout=180_000)
            page.screenshot(path=str(out / "answer.png"))
            page.get_by_role("tab", name="Documents").click()
            page.locator("#documents").wait_for()
            page.screenshot(path=str(out / "documents.png"))
            browser.close()
    finally:
        app.close()
    click.echo(f"wrote first-screen.png, answer.png and documents.png to {out}")


if __name__ == "__main__":
    main()
