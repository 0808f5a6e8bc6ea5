"""The chat page served for real, driven with gradio_client (stand-in models, fast)."""

import pytest

from tests.conftest import SUPERPOD_Q, free_port
from ui.app import build_app


def text(message: dict) -> str:
    """Gradio 6 returns a message's content as a list of typed parts."""
    content = message["content"]
    return content if isinstance(content, str) else " ".join(p.get("text", "") for p in content)


@pytest.fixture
def page(hash_assistant):
    hash_assistant.generator.reply = "The SuperPoD Interconnect can link up to 15,000 graphics cards [1]."
    app = build_app(hash_assistant)
    port = free_port()
    app.launch(
        server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True, show_error=True
    )
    yield f"http://127.0.0.1:{port}/", hash_assistant.settings.generator
    app.close()


def test_ask_through_gradio_client(page):
    from gradio_client import Client

    url, generator = page
    client = Client(url, verbose=False)
    chat, question, rewritten, sources = client.predict(SUPERPOD_Q, [], 5, generator, True, api_name="/ask")
    assert question == "" and rewritten == ""  # the box is cleared; no follow-up, nothing rewritten
    assert 'href="#cite-1"' in text(chat[-1]) and "15,000 graphics cards" in text(chat[-1])
    assert "<mark>" in sources and "004_dd3f690923d793e8" in sources


def test_sessions_do_not_share_history(page):
    from gradio_client import Client

    url, generator = page
    a, b = Client(url, verbose=False), Client(url, verbose=False)
    a.predict(SUPERPOD_Q, [], 5, generator, True, api_name="/ask")
    chat_b, *_ = b.predict(
        "What is Huawei's CUDA alternative called?", [], 5, generator, True, api_name="/ask"
    )
    assert len(chat_b) == 2  # b sees only its own question and answer
