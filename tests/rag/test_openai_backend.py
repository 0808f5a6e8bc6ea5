"""The `openai` generator backend against a small OpenAI-compatible server started here."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from rag.assistant import Assistant
from rag.core.errors import ConfigError, GeneratorError
from rag.core.settings import load_settings
from rag.core.types import Answer
from rag.faces.batch import run_batch
from tests.conftest import SUPERPOD_ANSWER, SUPERPOD_DOC, SUPERPOD_Q, HashEmbedder, free_port
from tests.openai_stub import StubServer

GOOD = SUPERPOD_ANSWER


def remote(tmp_path, corpus, url: str, **overrides) -> Assistant:
    options = {"decide": False}  # stand-in embeddings: answer whenever there is evidence, as locally
    settings = load_settings(
        home=tmp_path / "home",
        embedder="hash-test",
        backend="openai",
        generator_url=url,
        generator="stub-model",
        **{**options, **overrides},
    )
    assistant = Assistant(settings, embedder=HashEmbedder())
    assistant.build_index([corpus])
    return assistant


class TestAnswers:
    def test_cited_answer_through_the_server(self, tmp_path, corpus_copy):
        with StubServer(lambda messages, stop: GOOD) as server:
            answer = remote(tmp_path, corpus_copy, server.url).ask(SUPERPOD_Q)
        assert answer.mode == "generated" and not answer.refused
        assert answer.citations[0].doc_id == SUPERPOD_DOC and "15,000" in answer.citations[0].text
        request = server.requests[-1]
        assert request["model"] == "stub-model" and request["temperature"] == 0 and request["stream"]
        assert [m["role"] for m in request["messages"]] == ["system", "user"]
        assert SUPERPOD_Q in request["messages"][1]["content"]
        # the server's own counts, sent at the end of the stream
        assert answer.usage["prompt_tokens"] > 0 and answer.usage["completion_tokens"] == len(GOOD.split())

    def test_same_answer_as_a_local_generator_with_the_same_words(
        self, tmp_path, corpus_copy, hash_assistant
    ):
        reply = GOOD + " It was unveiled by Nvidia in 1999 [2]."  # the second sentence is unsupported
        hash_assistant.generator.reply = reply
        local = hash_assistant.ask(SUPERPOD_Q)
        with StubServer(lambda messages, stop: reply) as server:
            served = remote(tmp_path, corpus_copy, server.url).ask(SUPERPOD_Q)
        assert served.answer == local.answer and "1999" not in served.answer
        assert served.citations == local.citations

    def test_certain_refusal_needs_no_server_call(self, tmp_path, corpus_copy, refusing_model):
        with StubServer(lambda messages, stop: GOOD) as server:
            assistant = remote(tmp_path, corpus_copy, server.url, decide=True, refusal_model=refusing_model)
            answer = assistant.ask("What did Apple pay for Zyxor Robotics?")
        assert answer.refused and server.requests == []

    def test_stream_yields_checked_pieces_then_the_answer(self, tmp_path, corpus_copy):
        two = GOOD + " It was unveiled at Huawei Connect [1]. It was unveiled by Nvidia in 1999 [1]."
        with StubServer(lambda messages, stop: two) as server:
            items = list(remote(tmp_path, corpus_copy, server.url).stream(SUPERPOD_Q))
        pieces, answer = [i for i in items if isinstance(i, str)], items[-1]
        assert answer.mode == "generated" and "".join(pieces) == answer.answer
        assert pieces[0] == "The SuperPoD Interconnect can link up to 15,000 graphics cards. [1]"
        assert not any("1999" in p for p in pieces)  # a sentence that fails is never shown

    def test_stop_strings_cut_the_reply(self, tmp_path, corpus_copy):
        with StubServer(lambda messages, stop: GOOD + "\n\nQuestion: something else [2]") as server:
            answer = remote(tmp_path, corpus_copy, server.url).ask(SUPERPOD_Q)
        assert "something else" not in answer.answer and len(server.requests[-1]["stop"]) <= 4


class TestErrors:
    def test_api_key_is_sent_as_bearer(self, tmp_path, corpus_copy):
        with StubServer(lambda messages, stop: GOOD, api_key="s3cret") as server:
            answer = remote(tmp_path, corpus_copy, server.url, generator_api_key="s3cret").ask(SUPERPOD_Q)
        assert answer.mode == "generated"

    def test_wrong_key_names_the_setting(self, tmp_path, corpus_copy):
        with StubServer(lambda messages, stop: GOOD, api_key="s3cret") as server:
            assistant = remote(tmp_path, corpus_copy, server.url, generator_api_key="wrong")
            with pytest.raises(GeneratorError, match=r"HTTP 401.*generator_api_key"):
                assistant.ask(SUPERPOD_Q)

    def test_server_down_is_an_error_naming_the_url(self, tmp_path, corpus_copy):
        url = f"http://127.0.0.1:{free_port()}/v1"
        with pytest.raises(GeneratorError, match=f"cannot reach the model server at {url}"):
            remote(tmp_path, corpus_copy, url).ask(SUPERPOD_Q)

    def test_unknown_model_lists_what_is_served(self, tmp_path, corpus_copy):
        with (
            StubServer(lambda messages, stop: GOOD, model="other-model") as server,
            pytest.raises(GeneratorError, match="one of: other-model"),
        ):
            remote(tmp_path, corpus_copy, server.url).ask(SUPERPOD_Q)

    def test_missing_url_is_a_config_error(self, tmp_path):
        settings = load_settings(home=tmp_path, embedder="hash-test", backend="openai")
        with pytest.raises(ConfigError, match="generator_url"):
            Assistant(settings, embedder=HashEmbedder())


class TestParallelBatch:
    QUESTIONS = (
        SUPERPOD_Q,
        "What is Huawei's CUDA alternative called?",
        "How many graphics cards can the SuperPoD link?",
        "What does the SuperPoD Interconnect link?",
        "How many cards does Huawei's SuperPoD Interconnect connect?",
        "Which company revealed the SuperPoD Interconnect?",
    )

    def write(self, tmp_path):
        path = tmp_path / "q.jsonl"
        path.write_text(
            "".join(json.dumps({"id": f"q{i}", "question": q}) + "\n" for i, q in enumerate(self.QUESTIONS))
        )
        return path

    def test_workers_answer_at_once_and_keep_input_order(self, tmp_path, corpus_copy):
        def slow(messages, stop):
            time.sleep(0.3)
            return GOOD

        questions, out = self.write(tmp_path), tmp_path / "a.jsonl"
        with StubServer(slow) as server:
            assistant = remote(tmp_path, corpus_copy, server.url)
            summary = run_batch(assistant.ask, questions, out, progress=False, workers=4)
        records = [json.loads(line) for line in out.read_text().splitlines()]
        assert [r["id"] for r in records] == [f"q{i}" for i in range(len(self.QUESTIONS))]
        assert summary.failed == 0 and server.max_active > 1  # requests overlapped

    def test_failed_lines_are_retried_on_resume(self, tmp_path, corpus_copy):
        calls = {"n": 0}
        lock = threading.Lock()

        def flaky(messages, stop):
            with lock:
                calls["n"] += 1
                if calls["n"] % 2 == 0:
                    raise RuntimeError("out of memory")
            return GOOD

        questions, out = self.write(tmp_path), tmp_path / "a.jsonl"
        with StubServer(flaky) as server:
            assistant = remote(tmp_path, corpus_copy, server.url)
            first = run_batch(assistant.ask, questions, out, progress=False, workers=3)
            server.reply = lambda messages, stop: GOOD
            second = run_batch(assistant.ask, questions, out, progress=False, workers=3)
        records = [json.loads(line) for line in out.read_text().splitlines()]
        assert first.failed > 0 and second.failed == 0
        assert second.skipped == len(self.QUESTIONS) - first.failed
        assert [r["id"] for r in records] == [f"q{i}" for i in range(len(self.QUESTIONS))]
        assert all("error" not in r for r in records)

    def test_a_local_generator_still_answers_one_at_a_time(self, hash_assistant):
        import threading

        hash_assistant.generator.reply = GOOD
        hash_assistant.lock.acquire()  # another answer holds the model
        done = threading.Event()
        waiter = threading.Thread(target=lambda: (hash_assistant.ask(SUPERPOD_Q), done.set()), daemon=True)
        waiter.start()
        assert not done.wait(0.5)  # it waits its turn
        hash_assistant.lock.release()
        assert done.wait(30)

    def test_a_caller_who_leaves_while_waiting_gives_up_its_turn(self, hash_assistant):
        import threading

        from rag.core.errors import Cancelled

        cancel = threading.Event()
        hash_assistant.lock.acquire()
        try:
            cancel.set()
            with pytest.raises(Cancelled, match="went away while waiting"):
                hash_assistant.ask(SUPERPOD_Q, cancel=cancel)
        finally:
            hash_assistant.lock.release()
        assert hash_assistant.generator.prompts == []  # the model was never asked


@pytest.mark.models
def test_real_model_behind_a_server_answers_as_it_does_locally(real_assistant, real_embedder, tmp_path):
    """The default model served over HTTP: same checked answers, citations and refusals."""
    from rag.generation.base import Prompt

    local_model = real_assistant.generator

    def serve(messages, stop):
        system = next((m["content"] for m in messages if m["role"] == "system"), None)
        user = next(m["content"] for m in messages if m["role"] == "user")
        return local_model.generate(Prompt(user=user, system=system, stop=stop), 80)

    questions = [SUPERPOD_Q, "What is Huawei's CUDA alternative called?", "Who is the CEO of Zyxor Robotics?"]
    local = [real_assistant.ask(q) for q in questions]
    with StubServer(serve, model="qwen-served") as server:
        settings = real_assistant.settings.model_copy(
            update={"backend": "openai", "generator_url": server.url, "generator": "qwen-served"}
        )
        remote_assistant = Assistant(settings, embedder=real_embedder)
        served = [remote_assistant.ask(q) for q in questions]
    assert [a.answer for a in served] == [a.answer for a in local]
    assert [a.citations for a in served] == [a.citations for a in local]
    assert served[0].citations and served[-1].refused


@pytest.fixture(scope="module")
def llama_cpp_server(tmp_path_factory):
    """llama-cpp-python's own OpenAI-compatible server on the packaged 0.5B model."""
    import subprocess
    import sys

    import httpx

    from rag.generation.models import resolve_gguf
    from tests.conftest import MODELS_CACHE

    gguf = resolve_gguf("qwen2.5-coder-0.5b-instruct", MODELS_CACHE)
    port = free_port()
    # loaded as our own backend loads it (see without_amx), so that both compute the same numbers
    serve = (
        "import runpy\n"
        "from rag.generation.backends.llamacpp import without_amx\n"
        "with without_amx():\n"
        "    runpy.run_module('llama_cpp.server', run_name='__main__', alter_sys=True)"
    )
    args = [sys.executable, "-c", serve, "--model", str(gguf), "--model_alias", "qwen-served"]
    args += ["--host", "127.0.0.1", "--port", str(port), "--n_threads", "2", "--n_ctx", "2048"]
    log = tmp_path_factory.mktemp("llama-server") / "server.log"  # a file: a full pipe would block it
    repo = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen(args, stdout=log.open("w"), stderr=subprocess.STDOUT, cwd=repo)
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 120
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"llama_cpp.server exited: {log.read_text()[-500:]}")
            try:
                if httpx.get(f"{url}/models", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("llama_cpp.server did not start within 120 s")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.mark.models
class TestLlamaCppServer:
    """The openai backend against a real OpenAI-compatible server: llama-cpp-python's."""

    @pytest.fixture(scope="class")
    def served(self, llama_cpp_server, real_embedder, tmp_path_factory):
        from tests.conftest import MODELS_CACHE

        settings = load_settings(
            home=tmp_path_factory.mktemp("served"),
            models_dir=MODELS_CACHE,
            backend="openai",
            generator_url=llama_cpp_server,
            generator="qwen-served",
        )
        assistant = Assistant(settings, embedder=real_embedder)
        assistant.build_index()
        return assistant

    def test_checked_cited_answer(self, served):
        answer = served.ask(SUPERPOD_Q)
        assert "15,000" in answer.answer and answer.citations[0].doc_id == SUPERPOD_DOC
        assert answer.checked
        assert answer.usage == {}  # this server sends no counts in streams: unknown, never a false 0

    def test_stream_then_refusal(self, served):
        items = list(served.stream("What is Huawei's CUDA alternative called?"))
        assert isinstance(items[-1], Answer) and "".join(items[:-1]) == items[-1].answer
        assert served.ask("Who is the CEO of Zyxor Robotics?").refused

    def test_batch_with_two_workers_keeps_order_and_resumes(self, served, tmp_path):
        questions = [
            SUPERPOD_Q,
            "What is Huawei's CUDA alternative called?",
            "When was Huawei Cloud launched?",
        ]
        source = tmp_path / "q.jsonl"
        source.write_text(
            "".join(json.dumps({"id": f"q{i}", "question": q}) + "\n" for i, q in enumerate(questions))
        )
        out = tmp_path / "a.jsonl"
        run_batch(served.ask, source, out, workers=2)
        first = [json.loads(line) for line in out.read_text().splitlines()]
        assert [r["id"] for r in first] == ["q0", "q1", "q2"] and not any("error" in r for r in first)
        lines = out.read_text().splitlines()
        out.write_text(lines[0] + "\n")  # as if the run had been killed after one answer
        summary = run_batch(served.ask, source, out, workers=2)
        assert summary.skipped == 1
        assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == ["q0", "q1", "q2"]
