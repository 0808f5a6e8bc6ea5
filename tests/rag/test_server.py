"""The HTTP server, started on 127.0.0.1 and driven by the official openai client."""

import contextlib
import threading
import time

import httpx
import pytest
import uvicorn

from rag.core.errors import GeneratorError, RagError
from rag.faces.server import check_exposure, create_app
from tests.conftest import SUPERPOD_DOC, SUPERPOD_Q, free_port


@contextlib.contextmanager
def running(app):
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def server(hash_assistant):
    hash_assistant.generator.reply = "The SuperPoD Interconnect can link up to 15,000 graphics cards [1]."
    with running(create_app(hash_assistant, max_request_bytes=50_000)) as url:
        yield url


@pytest.fixture
def client(server):
    from openai import OpenAI

    return OpenAI(base_url=f"{server}/v1", api_key="unused")


class TestOpenAIClient:
    def test_cited_answer(self, client):
        r = client.chat.completions.create(
            model="news-rag", messages=[{"role": "user", "content": SUPERPOD_Q}]
        )
        content = r.choices[0].message.content
        assert content.startswith("The SuperPoD Interconnect can link up to 15,000 graphics cards. [1]")
        assert "\n\nSources:\n[1] " in content and SUPERPOD_DOC in content
        extra = r.model_extra
        assert extra["refused"] is False and extra["citations"][0]["doc_id"] == SUPERPOD_DOC

    def test_streaming(self, client):
        stream = client.chat.completions.create(
            model="news-rag", stream=True, messages=[{"role": "user", "content": SUPERPOD_Q}]
        )
        chunks = list(stream)
        text = "".join(c.choices[0].delta.content or "" for c in chunks)
        assert "15,000 graphics cards. [1]" in text and "Sources:" in text
        assert chunks[-1].choices[0].finish_reason == "stop"
        assert chunks[-1].model_extra["citations"][0]["doc_id"] == SUPERPOD_DOC

    def test_refusal_is_an_ordinary_flagged_answer(self, make_assistant, refusing_model):
        from openai import OpenAI

        refusing = make_assistant(decide=True, refusal_model=refusing_model)
        with running(create_app(refusing)) as url:
            r = OpenAI(base_url=f"{url}/v1", api_key="unused").chat.completions.create(
                model="news-rag", messages=[{"role": "user", "content": "What did Qualcomm announce?"}]
            )
        assert r.model_extra["refused"] is True
        refusal = "The documents do not answer this: none of them mentions Qualcomm."
        assert r.choices[0].message.content == refusal

    def test_history_becomes_a_follow_up(self, client, hash_assistant):
        client.chat.completions.create(
            model="news-rag",
            messages=[
                {"role": "user", "content": "What did Huawei unveil?"},
                {
                    "role": "assistant",
                    "content": "Huawei unveiled the SuperPoD Interconnect.\n\nSources:\n[1] x",
                },
                {"role": "user", "content": "How many graphics cards can it link?"},
            ],
        )
        rewrite = hash_assistant.generator.prompts[0].user  # the first prompt rewrites the follow-up
        assert "Last question: How many graphics cards can it link?" in rewrite
        assert "A: Huawei unveiled the SuperPoD Interconnect." in rewrite and "Sources:" not in rewrite

    def test_models(self, client):
        assert [m.id for m in client.models.list().data] == ["news-rag"]


class TestHttp:
    def test_health(self, server):
        body = httpx.get(f"{server}/health").json()
        assert body["status"] == "ok" and body["documents"] == 5

    def test_errors_are_json(self, server):
        r = httpx.post(f"{server}/v1/chat/completions", json={"messages": []})
        assert r.status_code == 422 and "messages" in r.json()["error"]["message"]
        r = httpx.post(
            f"{server}/v1/chat/completions", json={"messages": [{"role": "assistant", "content": "x"}]}
        )
        assert r.status_code == 400 and "role 'user'" in r.json()["error"]["message"]
        r = httpx.post(f"{server}/v1/chat/completions", json={"messages": [{"role": "user", "content": " "}]})
        assert r.status_code == 400 and "question is empty" in r.json()["error"]["message"]

    def test_model_server_down_is_a_bad_gateway(self, server, hash_assistant):
        def down(*args, **kwargs):
            raise GeneratorError("cannot reach the model server at http://127.0.0.1:9/v1")
            yield ""

        hash_assistant.generator.stream = down
        r = httpx.post(
            f"{server}/v1/chat/completions", json={"messages": [{"role": "user", "content": SUPERPOD_Q}]}
        )
        assert r.status_code == 502 and "cannot reach the model server" in r.json()["error"]["message"]

    def test_request_size_limit(self, server):
        big = {"messages": [{"role": "user", "content": "x" * 60_000}]}
        r = httpx.post(f"{server}/v1/chat/completions", json=big)
        assert r.status_code == 413 and "limit" in r.json()["error"]["message"]

    def test_upload_and_delete_documents(self, server):
        files = {
            "files": ("../../escape.md", b"Chip news\nA new fab opened in Dresden. It makes 300mm wafers.")
        }
        r = httpx.post(f"{server}/v1/documents", files=files)
        assert r.status_code == 200 and r.json()["added"] == ["escape"]
        ids = [d["id"] for d in httpx.get(f"{server}/v1/documents").json()["data"]]
        assert "escape" in ids
        r = httpx.delete(f"{server}/v1/documents/escape")
        assert r.json()["removed"] == ["escape"]
        r = httpx.delete(f"{server}/v1/documents/escape")
        assert r.status_code == 400 and "no such document" in r.json()["error"]["message"]

    def test_upload_type_is_checked(self, server):
        r = httpx.post(f"{server}/v1/documents", files={"files": ("run.sh", b"rm -rf /")})
        assert r.status_code == 415


class TestToken:
    def test_token_required_when_set(self, hash_assistant):
        with running(create_app(hash_assistant, token="s3cret")) as url:
            assert httpx.get(f"{url}/v1/models").status_code == 401
            ok = httpx.get(f"{url}/v1/models", headers={"Authorization": "Bearer s3cret"})
            assert ok.status_code == 200
            assert httpx.get(f"{url}/health").status_code == 200

    def test_non_loopback_needs_a_token(self):
        with pytest.raises(RagError, match="without a token"):
            check_exposure("0.0.0.0", None)
        check_exposure("0.0.0.0", "s3cret")
        check_exposure("127.0.0.1", None)
