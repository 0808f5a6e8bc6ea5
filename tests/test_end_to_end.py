"""The real default models (MiniLM + Qwen2.5-Coder-0.5B) on the real corpus."""

import pytest

from tests.conftest import SUPERPOD_DOC, SUPERPOD_Q

pytestmark = pytest.mark.models


def test_superpod_answer_is_cited_to_004(real_assistant):
    a = real_assistant.ask(SUPERPOD_Q)
    assert not a.refused
    assert "15,000" in a.answer
    assert a.citations and a.citations[0].doc_id == SUPERPOD_DOC
    doc = real_assistant.index.documents[SUPERPOD_DOC]
    for c in a.citations:
        assert real_assistant.index.documents[c.doc_id].text[c.start : c.end] == c.text
    assert "15,000 graphics cards" in doc.text[a.citations[0].start : a.citations[0].end]


def test_question_the_articles_cannot_answer_is_refused(real_assistant):
    a = real_assistant.ask("What did Qualcomm announce at Huawei Connect?")
    assert a.refused and not a.citations


def test_investment_question_shows_both_figures(real_assistant):
    a = real_assistant.ask("How much is Huawei investing in smart driving over the next five years?")
    assert a.mode == "conflict" and not a.refused
    assert "$10 billion" in a.answer and "11.7" in a.answer
    assert {c.doc_id for c in a.citations} == {"000_f1d9c9f888274f11", "001_8c1d38af6cb48cef"}
    assert a.conflicts and len(a.conflicts[0].values) == 2


def test_cli_ask_prints_answer_and_sources(real_assistant):
    from click.testing import CliRunner

    from rag.faces.cli import cli

    home = real_assistant.settings.home
    result = CliRunner().invoke(
        cli,
        ["--home", str(home), "ask", SUPERPOD_Q],
        env={"RAG_MODELS_DIR": str(real_assistant.settings.models_path)},
    )
    assert result.exit_code == 0, result.output
    assert "15,000" in result.output and "Sources:" in result.output and SUPERPOD_DOC in result.output


def test_server_streams_a_cited_answer_with_the_real_models(real_assistant):
    import time

    from openai import OpenAI

    from rag.faces.server import create_app, serving_in_thread

    with serving_in_thread(create_app(real_assistant)) as url:
        client = OpenAI(base_url=f"{url}/v1", api_key="unused")
        started = time.monotonic()
        first = None
        text = ""
        last = None
        for chunk in client.chat.completions.create(
            model="news-rag",
            stream=True,
            messages=[{"role": "user", "content": SUPERPOD_Q}],
        ):
            piece = chunk.choices[0].delta.content or ""
            if piece and first is None:
                first = time.monotonic() - started
            text += piece
            last = chunk
        print(
            f"\nserver stream: first content after {first:.2f}s, done after {time.monotonic() - started:.2f}s"
        )
    assert "15,000" in text and "Sources:" in text
    assert last.model_extra["citations"][0]["doc_id"] == SUPERPOD_DOC


def test_the_judge_keeps_its_system_prompt_and_scores_alike(real_assistant):
    """A judge call keeps the system prompt evaluated for the next, and scores as a call from an
    empty cache does: decisions do not depend on what was judged before."""
    from rag.generation.base import Prompt

    judge = real_assistant.judge
    question = "Which group may administer printer queues?"
    texts = ["lpadmin: members of this group can add or delete printers.", "The cat sat on the mat."]

    def prompt(text: str) -> Prompt:
        user = f"Text: {text}\nQuestion: {question}\nDoes the text answer it?"
        return Prompt(user=user, system="Reply yes or no.")

    chained = [judge.yes_odds(prompt(t)) for t in texts]
    assert judge._kept  # the system prompt stayed evaluated
    fresh = []
    for t in texts:
        judge._kept = []
        fresh.append(judge.yes_odds(prompt(t)))
    assert chained == fresh and chained[0] > chained[1]


def test_an_answer_does_not_depend_on_the_question_asked_before(real_assistant):
    """The writer reads every prompt in the same segments, whatever its cache held. When
    llama-cpp-python reused the previous prompt from its cache instead, these three questions,
    each asked twice in a row, got a different reply the second time."""
    writer = real_assistant.generator
    writer.warm_up()
    questions = [
        "Where will the intelligent computing center funded by Huawei's autonomous driving "
        "investment be built?",
        "What did the U.S. Commerce Department say about using Ascend chips?",
        "Who said Huawei is using clusters of smaller chips to reach Nvidia-level performance?",
    ]
    for question in questions:
        prompt = real_assistant.answerer.plan(question).prompt
        writer._kept = []
        writer._llm.reset()
        fresh = writer.generate(prompt, 60)
        assert writer.generate(prompt, 60) == fresh, question  # the same prompt straight after itself


def test_the_writer_opens_with_words_not_a_citation_marker(real_assistant):
    """Shown passages as "[1] text", the 0.5B model copied that shape: these questions got
    "[1] [2] [3]" and nothing else, which no check can accept. A marker is never a valid first
    token, so the model now starts with the answer."""
    writer = real_assistant.generator
    for question in (
        SUPERPOD_Q,
        "In what year did Huawei launch its Ascend 910 chip?",
        "What market share is Huawei predicted to reach in Chinese smart driving software by 2027?",
    ):
        reply = writer.generate(real_assistant.answerer.plan(question).prompt, 40).strip()
        assert reply[:1].isalnum(), (question, reply)
