"""The HTTP server, started on 127.0.0.1 and driven by the official openai client."""

import time

import httpx
import pytest

from rag.core.errors import GeneratorError, RagError
from rag.faces.server import check_exposure, create_app, serving_in_thread
from tests.conftest import SUPERPOD_DOC, SUPERPOD_Q, FakeGenerator


@pytest.fixture
def hash_assistant(make_assistant):
    """A small request limit, so the limit tests send little."""
    return make_assistant(api_max_request_bytes=50_000)


@pytest.fixture
def server(hash_assistant):
    hash_assistant.generator.reply = "The SuperPoD Interconnect can link up to 15,000 graphics cards [1]."
    with serving_in_thread(create_app(hash_assistant)) as url:
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
        with serving_in_thread(create_app(refusing)) as url:
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
                {"role": "user", "content": "What about Nvidia?"},
            ],
        )
        rewrite = hash_assistant.generator.prompts[0].user  # the first prompt rewrites the follow-up
        assert "Last question: What about Nvidia?" in rewrite
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
        wordless = {"messages": [{"role": "user", "content": "?"}], "stream": True}
        r = httpx.post(f"{server}/v1/chat/completions", json=wordless)  # refused before the stream opens
        assert r.status_code == 400 and "has no words" in r.json()["error"]["message"]

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

    def test_a_refused_upload_is_not_kept(self, server, hash_assistant):
        uploads = hash_assistant.settings.uploads_path
        files = [
            ("files", ("fab.md", b"Chip news\nA new fab opened in Dresden. It makes 300mm wafers.")),
            ("files", ("configure", b"#! /bin/sh\necho checking for gcc\n")),
        ]
        r = httpx.post(f"{server}/v1/documents", files=files)
        assert r.status_code == 200 and r.json()["added"] == ["fab"]
        assert [s["file"] for s in r.json()["skipped"]] == ["configure"]
        assert (uploads / "fab.md").is_file() and not (uploads / "configure").exists()
        r = httpx.post(f"{server}/v1/documents", files={"files": ("blank.txt", b"x")})
        message = r.json()["error"]["message"]
        assert r.status_code == 400 and message.startswith(
            "none of the files could be added: blank.txt: no usable"
        )
        assert str(uploads) not in message and not (uploads / "blank.txt").exists()
        twins = [
            ("files", (name, b"Fab news\nA fab opened in Ohio. It makes 2nm chips."))
            for name in ("a.md", "b.md")
        ]
        r = httpx.post(f"{server}/v1/documents", files=twins)
        assert r.json()["skipped"] == [{"file": "b.md", "reason": "duplicate of a.md"}]  # no server path
        r = httpx.post(f"{server}/v1/documents", files=[twins[0]])  # sent again as it is
        assert r.status_code == 200 and r.json()["unchanged"] == ["a.md"] and r.json()["added"] == []

    def test_a_locked_index_is_a_conflict_named_without_server_paths(self, server, hash_assistant):
        with hash_assistant.store.lock():  # as if another process were writing the index
            r = httpx.post(f"{server}/v1/documents", files={"files": ("fab.md", b"Chip news\nA fab opened.")})
        message = r.json()["error"]["message"]
        assert (
            r.status_code == 409 and "fab.md: another process is writing the index (lock '.lock')" in message
        )
        assert str(hash_assistant.settings.home) not in message

    def test_upload_type_is_checked(self, server):
        r = httpx.post(f"{server}/v1/documents", files={"files": ("run.sh", b"rm -rf /")})
        message = r.json()["error"]["message"]
        assert r.status_code == 415 and message.startswith("none of the files could be added: run.sh: not a")

    def test_a_bad_file_among_several_is_reported_and_the_rest_added(self, server, hash_assistant):
        files = [
            ("files", ("run.sh", b"rm -rf /")),
            ("files", ("fab.md", b"Chip news\nA new fab opened in Dresden. It makes 300mm wafers.")),
        ]
        r = httpx.post(f"{server}/v1/documents", files=files)
        assert r.status_code == 200 and r.json()["added"] == ["fab"]
        (refused,) = r.json()["skipped"]
        assert refused["file"] == "run.sh" and "not a document file" in refused["reason"]
        both_bad = [("files", ("run.sh", b"rm -rf /")), ("files", ("x.exe", b"MZ"))]
        r = httpx.post(f"{server}/v1/documents", files=both_bad)
        assert r.status_code == 415 and "; x.exe: not a document file" in r.json()["error"]["message"]


class TestToken:
    def test_token_required_when_set(self, hash_assistant):
        with serving_in_thread(create_app(hash_assistant, token="s3cret")) as url:
            assert httpx.get(f"{url}/v1/models").status_code == 401
            ok = httpx.get(f"{url}/v1/models", headers={"Authorization": "Bearer s3cret"})
            assert ok.status_code == 200
            assert httpx.get(f"{url}/health").status_code == 200

    def test_non_loopback_needs_a_token(self):
        with pytest.raises(RagError, match="without a token"):
            check_exposure("0.0.0.0", None)
        check_exposure("0.0.0.0", "s3cret")
        check_exposure("127.0.0.1", None)


def send_chunked(
    url: str,
    path: str,
    total: int,
    piece: int = 64 * 1024,
    content_type: str = "application/json",
    opening: bytes = b'{"messages": [{"role": "user", "content": "',
) -> tuple[int, int]:
    """POST a chunked body of up to `total` bytes over a raw socket, stopping as soon as the
    server answers; returns (HTTP status, bytes sent)."""
    import select
    import socket
    from urllib.parse import urlparse

    where = urlparse(url)
    sock = socket.create_connection((where.hostname, where.port), timeout=30)
    head = f"POST {path} HTTP/1.1\r\nHost: {where.hostname}\r\nContent-Type: {content_type}\r\n"
    sock.sendall((head + "Transfer-Encoding: chunked\r\n\r\n").encode())
    sent = 0
    data = opening + b"x" * piece
    try:
        while sent < total:
            if select.select([sock], [], [], 0)[0]:
                break  # the server has answered
            sock.sendall(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            sent += len(data)
            data = b"x" * piece
    except (BrokenPipeError, ConnectionResetError):
        pass
    reply = sock.recv(4096).decode(errors="replace")
    sock.close()
    return int(reply.split(" ", 2)[1]), sent


class TestLimits:
    def test_chunked_body_is_refused_as_soon_as_it_passes_the_limit(self, server):
        status, sent = send_chunked(server, "/v1/chat/completions", total=40_000_000)
        assert status == 413
        # refused after the 50 kB limit, long before 40 MB arrived; what the client could send
        # meanwhile is bounded by loopback socket buffers (a few MB) and by how busy the CPU is
        assert sent < 10_000_000
        r = httpx.post(
            f"{server}/v1/chat/completions", json={"messages": [{"role": "user", "content": SUPERPOD_Q}]}
        )
        assert r.status_code == 200  # and the next question is answered as usual

    def test_chunked_upload_is_refused_too(self, server):
        opening = b'--b\r\nContent-Disposition: form-data; name="files"; filename="big.txt"\r\n\r\n'
        multipart = "multipart/form-data; boundary=b"
        status, sent = send_chunked(
            server, "/v1/documents", 40_000_000, content_type=multipart, opening=opening
        )
        assert status == 413 and sent < 30_000_000  # the limit is max_file_mb (20 MB) plus 50 kB

    @pytest.mark.parametrize(
        ("messages", "message"),
        [
            ([{"role": "user", "content": "hi"}] * 70, "70 messages; the limit is 64"),
            (
                [
                    {"role": "user", "content": "x" * 10_000},
                    {"role": "assistant", "content": "y" * 10_000},
                    {"role": "user", "content": "and now?"},
                ],
                "the conversation is 20008 characters; the limit is 20000",
            ),
        ],
    )
    def test_conversations_are_bounded(self, server, messages, message):
        r = httpx.post(f"{server}/v1/chat/completions", json={"messages": messages})
        assert r.status_code == 400 and message in r.json()["error"]["message"]

    @pytest.mark.parametrize(
        "body",
        [b"{not json", b'{"messages": "x"}', b'{"messages": [{"role": 5}]}', b"[]", b'{"messages": [{}]}'],
    )
    def test_malformed_bodies_are_4xx_never_5xx(self, server, body):
        r = httpx.post(
            f"{server}/v1/chat/completions", content=body, headers={"Content-Type": "application/json"}
        )
        assert 400 <= r.status_code < 500 and "error" in r.json()

    def test_usage_counts_tokens(self, client):
        r = client.chat.completions.create(
            model="news-rag", messages=[{"role": "user", "content": SUPERPOD_Q}]
        )
        assert r.usage.prompt_tokens > 0 and r.usage.completion_tokens > 0
        assert r.usage.total_tokens == r.usage.prompt_tokens + r.usage.completion_tokens


class SlowModel(FakeGenerator):
    """A stand-in that writes one word every 50 ms and counts what it wrote."""

    def __init__(self, reply: str) -> None:
        super().__init__(reply)
        self.words = 0

    def stream(self, prompt, max_new_tokens: int, usage=None):
        for piece in super().stream(prompt, max_new_tokens, usage):
            time.sleep(0.05)
            self.words += 1
            yield piece


class TestClientsThatLeave:
    REPLY = " ".join(["The SuperPoD Interconnect can link up to 15,000 graphics cards [1]."] * 8)

    def test_abandoned_requests_cost_the_next_caller_nothing(self, make_assistant):
        model = SlowModel(self.REPLY)
        assistant = make_assistant(model)
        full = len(self.REPLY.split(" "))
        with serving_in_thread(create_app(assistant)) as url:
            # four streaming clients that leave right after the headers, one mid-stream
            streams = []
            for _ in range(4):
                s = httpx.Client(timeout=30).stream(
                    "POST",
                    f"{url}/v1/chat/completions",
                    json={"stream": True, "messages": [{"role": "user", "content": SUPERPOD_Q}]},
                )
                response = s.__enter__()
                streams.append((s, response))
            time.sleep(0.3)  # the first has started writing; the others wait their turn
            for s, response in streams:
                response.close()
                s.__exit__(None, None, None)
            time.sleep(0.5)
            before = model.words
            r = httpx.post(  # httpx's default 5 s timed out on a slow 2-core VM
                f"{url}/v1/chat/completions",
                json={"messages": [{"role": "user", "content": SUPERPOD_Q}]},
                timeout=60,
            )
        assert r.status_code == 200
        # the abandoned requests wrote at most part of one answer between them: the running one
        # stopped at its next word, and the queued ones never reached the model
        assert before < full
        assert model.words - before == full  # the next caller's own answer, whole
