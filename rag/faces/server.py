"""An OpenAI-compatible HTTP server around Assistant, so chat front-ends and the `openai`
client can use the assistant while keeping citations and refusals.

The answer text keeps its [n] markers and ends with a "Sources:" list; the structured
citations, the refusal flag, any conflicts and the token usage travel as extra fields of the
response (and of the last chunk when streaming). Streaming sends checked text only: each
sentence goes out once it has been verified against its passage, and a sentence that fails is
never sent.

What the server guards against:
- bodies of any size or transfer encoding: they are counted as they arrive and refused with 413
  as soon as they pass the limit, before they are held in memory;
- clients that leave: a request waiting for the model gives up its turn, and one being answered
  stops at the next token, so they cost the next caller nothing;
- the bearer token is compared in constant time.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import asdict
from typing import Any, Literal

from fastapi import FastAPI, File, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rag.assistant import Assistant
from rag.core.errors import Cancelled, IndexMissingError, InputError, RagError, UploadError
from rag.core.text import question_text, without_paths
from rag.core.types import Answer

log = logging.getLogger(__name__)
MODEL_ID = "news-rag"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
DISCONNECT_POLL_S = 0.1  # how often a request checks that its client is still there


class ChatMessage(BaseModel):
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[dict[str, Any]] = ""

    def text(self) -> str:
        if isinstance(self.content, str):
            return self.content
        return " ".join(
            str(part.get("text", ""))
            for part in self.content
            if isinstance(part, dict) and part.get("type") == "text"
        )


class ChatRequest(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"model": MODEL_ID, "messages": [{"role": "user", "content": "Who makes CANN?"}]},
                {
                    "model": MODEL_ID,
                    "stream": True,
                    "messages": [
                        {"role": "user", "content": "What is Huawei's CUDA alternative called?"},
                        {"role": "assistant", "content": "It is called CANN [1]."},
                        {"role": "user", "content": [{"type": "text", "text": "Who makes it?"}]},
                    ],
                },
            ]
        }
    )

    model: str = Field(MODEL_ID, max_length=200)
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False


def _error(status: int, message: str, kind: str = "invalid_request_error") -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": kind, "code": status}}, status_code=status)


class BodyLimit:
    """Refuse a request body with 413 as soon as it passes the limit, whatever its transfer
    encoding: a declared Content-Length is checked before reading, and every body (chunked ones
    included) is counted as it arrives, so an oversized one is never held in memory."""

    def __init__(self, app: ASGIApp, limit_for: Callable[[str], int]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = dict(scope.get("headers") or []).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await _error(413, f"request body is {int(declared)} bytes; the limit is {limit}")(
                scope, receive, send
            )
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise HTTPException(413, f"request body passed the limit of {limit} bytes")
            return message

        await self.app(scope, counted, send)


def question_and_history(messages: list[ChatMessage]) -> tuple[str, list[dict[str, str]]]:
    """The last user message is the question; earlier user/assistant pairs are the history."""
    if messages[-1].role != "user":
        raise InputError("the last message must have role 'user'")
    history, pending = [], None
    for m in messages[:-1]:
        if m.role == "user":
            pending = m.text()
        elif m.role == "assistant" and pending is not None:
            history.append({"question": pending, "answer": _strip_sources(m.text())})
            pending = None
    return messages[-1].text(), history


def _strip_sources(text: str) -> str:
    return text.split("\n\nSources:\n", 1)[0]


def sources(answer: Answer) -> str:
    if not answer.citations:
        return ""
    lines = [f"[{c.marker}] {c.title} ({c.doc_id}): “{c.text}”" for c in answer.citations]
    return "\n\nSources:\n" + "\n".join(lines)


def content_with_sources(answer: Answer) -> str:
    return answer.answer + sources(answer)


def _usage(answer: Answer) -> dict[str, int] | None:
    """Token counts, or None when the model server behind us did not report them."""
    if not answer.usage:
        return None
    prompt, completion = answer.usage.get("prompt_tokens", 0), answer.usage.get("completion_tokens", 0)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _extras(answer: Answer) -> dict[str, Any]:
    return {
        "citations": [asdict(c) for c in answer.citations],
        "refused": answer.refused,
        "conflicts": [asdict(c) for c in answer.conflicts],
        "mode": answer.mode,
        "checked": answer.checked,
        "rewritten_question": answer.rewritten_question,
        "latency_s": answer.latency_s,
    }


async def _watch(request: Request, cancel: threading.Event) -> None:
    """Set `cancel` when the client goes away."""
    while not cancel.is_set():
        if await request.is_disconnected():
            cancel.set()
            return
        await asyncio.sleep(DISCONNECT_POLL_S)


def create_app(assistant: Assistant, token: str | None = None) -> FastAPI:
    settings = assistant.settings
    app = FastAPI(title="news-rag", version="1", docs_url="/docs")
    max_upload = settings.max_file_bytes
    expected = f"Bearer {token}".encode() if token else None

    def limit_for(path: str) -> int:
        return (
            max_upload + settings.api_max_request_bytes
            if path.startswith("/v1/documents")
            else settings.api_max_request_bytes
        )

    app.add_middleware(BodyLimit, limit_for=limit_for)

    @app.middleware("http")
    async def guard(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        if expected is not None and request.url.path != "/health":
            sent = request.headers.get("authorization", "").encode()
            if not secrets.compare_digest(sent, expected):
                return _error(
                    401,
                    "missing or wrong bearer token; send 'Authorization: Bearer <token>'",
                    "authentication_error",
                )
        return await call_next(request)

    @app.exception_handler(RagError)
    async def rag_error(request: Request, exc: RagError) -> JSONResponse:
        status = getattr(exc, "status", 503 if isinstance(exc, IndexMissingError) else 400)
        if status >= 500 or status == 409:  # the server's state, not the request: its operator looks
            log.warning("%s %s: %s", request.method, request.url.path, exc)
        return _error(status, without_paths(str(exc)))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"] if p != "body")
        return _error(422, f"invalid request: {where}: {first['msg']}")

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        return _error(exc.status_code, str(exc.detail))

    @app.get("/health")
    def health() -> dict[str, Any]:
        try:
            manifest = assistant.store.read_manifest()
        except RagError as exc:
            return {"status": "no index", "detail": without_paths(str(exc))}
        return {
            "status": "ok",
            "documents": len(manifest.documents),
            "chunks": manifest.num_chunks,
            "generator": settings.generator,
        }

    @app.get("/v1/models")
    def models() -> dict[str, Any]:
        return {
            "object": "list",
            "data": [
                {
                    "id": MODEL_ID,
                    "object": "model",
                    "created": 0,
                    "owned_by": "local",
                    "generator": settings.generator,
                }
            ],
        }

    @app.post("/v1/chat/completions", response_model=None)
    async def chat(body: ChatRequest, request: Request) -> Response:
        if len(body.messages) > settings.api_max_messages:
            raise InputError(
                f"{len(body.messages)} messages; the limit is {settings.api_max_messages} (api_max_messages)"
            )
        question, history = question_and_history(body.messages)
        total = len(question) + sum(len(t["question"]) + len(t["answer"]) for t in history)
        if total > settings.api_max_history_chars:
            raise InputError(
                f"the conversation is {total} characters; the limit is {settings.api_max_history_chars} "
                "(api_max_history_chars): start a new one"
            )
        question_text(question, settings.max_question_chars)  # a 400 now, not an error mid-stream
        base = {"id": f"chatcmpl-{uuid.uuid4().hex[:24]}", "created": int(time.time()), "model": MODEL_ID}
        cancel = threading.Event()
        if body.stream:
            return StreamingResponse(
                _events(assistant, question, history, base, request, cancel), media_type="text/event-stream"
            )
        watcher = asyncio.create_task(_watch(request, cancel))
        try:
            answer = await run_in_threadpool(assistant.ask, question, history or None, cancel=cancel)
        except Cancelled:
            return Response(status_code=499)
        finally:
            cancel.set()  # stops the watcher
            await watcher
        return JSONResponse(
            {
                **base,
                "object": "chat.completion",
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": "stop",
                        "message": {"role": "assistant", "content": content_with_sources(answer)},
                    }
                ],
                "usage": _usage(answer),
                **_extras(answer),
            }
        )

    @app.get("/v1/documents")
    def list_documents() -> dict[str, Any]:
        manifest = assistant.store.read_manifest()
        return {
            "data": [
                {"id": d, "title": i["title"], "chunks": i["chunks"]} for d, i in manifest.documents.items()
            ]
        }

    @app.post("/v1/documents")
    def upload(files: list[UploadFile] = File(...)) -> dict[str, Any]:  # noqa: B008 - FastAPI idiom
        report = assistant.upload((f.filename or "", f.file) for f in files)
        skipped = report.named("skipped")
        if report.build is None or report.status != 200:  # nothing taken: every file's reason
            reasons = "; ".join(f"{f.name}: {f.reason}" for f in skipped)
            raise UploadError(f"none of the files could be added: {reasons}", report.status)
        return {
            "added": report.build.added,
            "updated": report.build.updated,
            "unchanged": [f.name for f in report.named("unchanged")],  # already indexed as sent
            "skipped": [{"file": f.name, "reason": f.reason} for f in skipped],
            "chunks": report.build.total_chunks,
        }

    @app.delete("/v1/documents/{doc_id}")
    def delete(doc_id: str) -> dict[str, Any]:
        report = assistant.remove_documents([doc_id])
        return {"removed": report.removed, "chunks": report.total_chunks}

    return app


async def _events(
    assistant: Assistant,
    question: str,
    history: list[dict[str, str]],
    base: dict[str, Any],
    request: Request,
    cancel: threading.Event,
) -> AsyncIterator[str]:
    """Server-sent events: checked pieces as they hold, then the sources and the extra fields.
    The answer runs in a worker thread; a client that leaves sets `cancel`, which stops it."""

    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        body = {
            **base,
            "object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            **extra,
        }
        return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"

    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[object] = asyncio.Queue()
    done = object()

    def produce() -> None:
        try:
            for item in assistant.stream(question, history or None, cancel=cancel):
                loop.call_soon_threadsafe(queue.put_nowait, item)
        except BaseException as exc:  # handed to the event loop, which reports it to the client
            loop.call_soon_threadsafe(queue.put_nowait, exc)
        finally:
            loop.call_soon_threadsafe(queue.put_nowait, done)

    worker = loop.run_in_executor(None, produce)
    watcher = asyncio.create_task(_watch(request, cancel))
    try:
        yield chunk({"role": "assistant", "content": ""})
        while (item := await queue.get()) is not done:
            if isinstance(item, Cancelled):
                return
            if isinstance(item, RagError):
                error = {
                    "message": without_paths(str(item)),
                    "type": "invalid_request_error",
                    "code": getattr(item, "status", 400),
                }
                yield f"data: {json.dumps({'error': error})}\n\n"
                return
            if isinstance(item, BaseException):
                log.error("answer failed", exc_info=item)
                failure = {"message": "internal error", "type": "server_error"}
                yield f"data: {json.dumps({'error': failure})}\n\n"
                return
            if isinstance(item, str):
                yield chunk({"content": item})
            else:  # the Answer
                if tail := sources(item):
                    yield chunk({"content": tail})
                yield chunk({}, "stop", usage=_usage(item), **_extras(item))
        yield "data: [DONE]\n\n"
    finally:
        cancel.set()  # a client that left (or an error) stops the answer at its next token
        watcher.cancel()
        await asyncio.shield(worker)


def check_exposure(host: str, token: str | None) -> None:
    if host not in LOOPBACK and not token:
        raise RagError(
            f"refusing to serve on {host!r} without a token; pass --token or set RAG_API_TOKEN, "
            "or bind to 127.0.0.1"
        )


@contextlib.contextmanager
def serving_in_thread(app: ASGIApp, start_timeout_s: float = 20.0) -> Iterator[str]:
    """Serve app on a free loopback port in a background thread and yield its URL: for tests
    and benchmarks, which need the real HTTP path without a second process."""
    import socket

    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + start_timeout_s
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"the server did not start on 127.0.0.1:{port}")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
