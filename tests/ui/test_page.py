"""The chat page served for real, driven with gradio_client (stand-in models, fast)."""

import pytest

from tests.conftest import SUPERPOD_ANSWER, SUPERPOD_DOC, SUPERPOD_Q, free_port
from ui.app import build_app


@pytest.fixture
def page(hash_assistant):
    hash_assistant.generator.reply = SUPERPOD_ANSWER
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
    result = Client(url, verbose=False).predict(SUPERPOD_Q, 5, generator, True, api_name="/ask")
    assert 'href="#t1-c1"' in result["html"] and "15,000 graphics cards" in result["html"]
    assert result["answer"]["citations"][0]["doc_id"] == SUPERPOD_DOC and result["turn"] == 1


def test_sessions_do_not_share_history(page):
    from gradio_client import Client

    url, generator = page
    a, b = Client(url, verbose=False), Client(url, verbose=False)
    a.predict(SUPERPOD_Q, 5, generator, True, api_name="/ask")
    second = a.predict("How many graphics cards can it link?", 5, generator, True, api_name="/ask")
    assert second["answer"]["rewritten_question"] != "How many graphics cards can it link?"  # a follow-up
    other = b.predict("How many graphics cards can it link?", 5, generator, True, api_name="/ask")
    assert other["answer"]["rewritten_question"] is None  # b's session has no history to follow
    assert (second["turn"], other["turn"]) == (2, 1)


def test_a_stop_before_the_answer_ran_still_stops_it():
    from ui.app import Answers

    answers = Answers()
    answers.start("s")
    answers.stop("s")  # pressed while the answer waited in the queue
    first = answers.take("s")
    assert first.is_set()
    answers.done("s", first)
    answers.start("s")
    assert not answers.take("s").is_set()  # the next question is not stopped too
    answers.stop("other")  # a session with nothing running: nothing to stop, no error
