"""A small OpenAI-compatible chat-completions server for tests, on 127.0.0.1.

It answers with whatever `reply(messages, stop)` returns, streamed in small pieces as SSE, so
the `openai` generator backend is exercised over real HTTP: model listing, bearer keys,
streaming, errors.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.conftest import free_port

Reply = Callable[[list[dict[str, str]], list[str]], str]


class StubServer:
    def __init__(self, reply: Reply, model: str = "stub-model", api_key: str | None = None) -> None:
        self.reply = reply
        self.model = model
        self.api_key = api_key
        self.requests: list[dict] = []
        self.active = 0  # requests being answered right now
        self.max_active = 0
        self._lock = threading.Lock()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> StubServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self):
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output clean
                pass

            def _authorised(self) -> bool:
                if stub.api_key and self.headers.get("Authorization") != f"Bearer {stub.api_key}":
                    self._json(401, {"error": {"message": "invalid api key"}})
                    return False
                return True

            def _json(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                if not self._authorised():
                    return
                if self.path == "/v1/models":
                    self._json(200, {"object": "list", "data": [{"id": stub.model, "object": "model"}]})
                else:
                    self._json(404, {"error": {"message": "not found"}})

            def do_POST(self) -> None:
                if not self._authorised():
                    return
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with stub._lock:
                    stub.requests.append(body)
                    stub.active += 1
                    stub.max_active = max(stub.max_active, stub.active)
                try:
                    text = stub.reply(body["messages"], body.get("stop") or [])
                except Exception as exc:  # the model failed: a 500, as real servers do
                    self._json(500, {"error": {"message": str(exc)}})
                    return
                finally:
                    with stub._lock:
                        stub.active -= 1
                if not body.get("stream"):
                    message = {"role": "assistant", "content": text}
                    self._json(200, {"choices": [{"index": 0, "message": message, "finish_reason": "stop"}]})
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                pieces = [text[i : i + 7] for i in range(0, len(text), 7)]
                for piece in pieces:
                    chunk = {"choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                if (body.get("stream_options") or {}).get("include_usage"):  # as OpenAI and vLLM do
                    words = sum(len(str(m.get("content", "")).split()) for m in body["messages"])
                    counts = {"prompt_tokens": words, "completion_tokens": len(text.split())}
                    self.wfile.write(f"data: {json.dumps({'choices': [], 'usage': counts})}\n\n".encode())
                self.wfile.write(b"data: [DONE]\n\n")

        return Handler
