"""An OpenAI-compatible HTTP server around Assistant, so chat front-ends and the `openai`
client can use the assistant while keeping citations and refusals.

The answer text keeps its [n] markers and ends with a "Sources:" list; the structured
citations, the refusal flag and any conflicts travel as extra fields of the response (and of
the last chunk when streaming). Streaming sends the verified answer: a sentence is shown only
after it has been checked, so the first chunk arrives when the answer is ready.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

from fastapi import FastAPI, File, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from rag.assistant import Assistant
from rag.core.errors import IndexMissingError, InputError, RagError
from rag.core.types import Answer
from rag.documents.uploads import save_upload

log = logging.getLogger(__name__)
MODEL_ID = "news-rag"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class Message(BaseModel):
    role: str
    content: str | list[dict[str, Any]] = ""

    def text(self) -> str:
        if isinstance(self.content, str):
            return self.content
        return " ".join(part.get("text", "") for part in self.content if part.get("type") == "text")


class ChatRequest(BaseModel):
    model: str = MODEL_ID
    messages: list[Message] = Field(min_length=1)
    stream: bool = False


def _error(status: int, message: str, kind: str = "invalid_request_error") -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": kind, "code": status}}, status_code=status)


def question_and_history(messages: list[Message]) -> tuple[str, list[dict[str, str]]]:
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


def content_with_sources(answer: Answer) -> str:
    if not answer.citations:
        return answer.answer
    lines = [f"[{c.marker}] {c.title} ({c.doc_id}): “{c.text}”" for c in answer.citations]
    return answer.answer + "\n\nSources:\n" + "\n".join(lines)


def _extras(answer: Answer) -> dict[str, Any]:
    return {
        "citations": [asdict(c) for c in answer.citations],
        "refused": answer.refused,
        "conflicts": [asdict(c) for c in answer.conflicts],
        "mode": answer.mode,
        "rewritten_question": answer.rewritten_question,
        "latency_s": answer.latency_s,
    }


def create_app(assistant: Assistant, token: str | None = None, max_request_bytes: int = 2_000_000) -> FastAPI:
    app = FastAPI(title="news-rag", version="1", docs_url="/docs")
    max_upload = int(assistant.settings.max_file_mb * 1e6)
    uploads = assistant.settings.home / "uploads"

    @app.middleware("http")
    async def guard(request: Request, call_next):
        if (
            token
            and request.url.path != "/health"
            and request.headers.get("authorization") != f"Bearer {token}"
        ):
            return _error(
                401,
                "missing or wrong bearer token; send 'Authorization: Bearer <token>'",
                "authentication_error",
            )
        length = request.headers.get("content-length")
        limit = max_upload if request.url.path.startswith("/v1/documents") else max_request_bytes
        if length and length.isdigit() and int(length) > limit:
            return _error(413, f"request body is {int(length)} bytes; the limit is {limit}")
        return await call_next(request)

    @app.exception_handler(RagError)
    async def rag_error(request: Request, exc: RagError) -> JSONResponse:
        status = getattr(exc, "status", 503 if isinstance(exc, IndexMissingError) else 400)
        return _error(status, str(exc))

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
            return {"status": "no index", "detail": str(exc)}
        return {
            "status": "ok",
            "documents": len(manifest.documents),
            "chunks": manifest.num_chunks,
            "generator": assistant.settings.generator,
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
                    "generator": assistant.settings.generator,
                }
            ],
        }

    @app.post("/v1/chat/completions", response_model=None)
    def chat(request: ChatRequest) -> JSONResponse | StreamingResponse:
        question, history = question_and_history(request.messages)
        if not question.strip():
            raise InputError("the question is empty; send a user message with text")
        completion_id, created = f"chatcmpl-{uuid.uuid4().hex[:24]}", int(time.time())
        base = {"id": completion_id, "created": created, "model": MODEL_ID}
        if not request.stream:
            answer = assistant.ask(question, history or None)
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
                    "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
                    **_extras(answer),
                }
            )
        return StreamingResponse(_sse(assistant, question, history, base), media_type="text/event-stream")

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
        saved = [
            save_upload(uploads, f.filename or "", f.file.read(max_upload + 1), max_upload) for f in files
        ]
        report = assistant.add_documents(saved)
        return {
            "added": report.added,
            "updated": report.updated,
            "skipped": [{"file": Path(s.path).name, "reason": s.reason} for s in report.skipped],
            "chunks": report.total_chunks,
        }

    @app.delete("/v1/documents/{doc_id}")
    def delete(doc_id: str) -> dict[str, Any]:
        report = assistant.remove_documents([doc_id])
        return {"removed": report.removed, "chunks": report.total_chunks}

    return app


def _sse(
    assistant: Assistant,
    question: str,
    history: list[dict[str, str]],
    base: dict[str, Any],
) -> Iterator[str]:
    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        body = {
            **base,
            "object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            **extra,
        }
        return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"

    yield chunk({"role": "assistant", "content": ""})
    try:
        answer = assistant.ask(question, history or None)
    except RagError as exc:
        yield f"data: {json.dumps({'error': {'message': str(exc), 'type': 'invalid_request_error'}})}\n\n"
        return
    words = content_with_sources(answer).split(" ")
    for i, word in enumerate(words):
        yield chunk({"content": word if i == 0 else " " + word})
    yield chunk({}, "stop", **_extras(answer))
    yield "data: [DONE]\n\n"


def check_exposure(host: str, token: str | None) -> None:
    if host not in LOOPBACK and not token:
        raise RagError(
            f"refusing to serve on {host!r} without a token; pass --token or set RAG_API_TOKEN, "
            "or bind to 127.0.0.1"
        )
