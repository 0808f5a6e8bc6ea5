"""The `openai` backend: any OpenAI-compatible chat-completions server (vLLM, llama.cpp server,
TGI, Ollama), for teams that serve a model on their own hardware.

Only the phrasing moves to the server: retrieval, the gate, verification and citations still
run here, so answers are checked the same way whichever generator writes them. Requests are
independent, so several may run at once (`batch --workers N`).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator

import httpx

from rag.core.errors import ConfigError, GeneratorError
from rag.generation.base import Prompt, Usage, cut_at_stop

log = logging.getLogger(__name__)
MAX_STOPS = 4  # the OpenAI API accepts at most four stop strings


class OpenAIGenerator:
    concurrent = True

    def __init__(self, url: str, model: str, api_key: str | None = None, timeout: float = 60.0) -> None:
        self.url = url.rstrip("/")
        self.name = model
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(headers=headers, timeout=timeout)
        self._checked = False

    @classmethod
    def from_settings(cls, settings) -> OpenAIGenerator:
        if not settings.generator_url:
            raise ConfigError(
                "backend 'openai' needs generator_url, the server's base URL "
                "(e.g. RAG_GENERATOR_URL=http://localhost:8000/v1)"
            )
        key = settings.generator_api_key
        api_key = key.get_secret_value() if key else os.environ.get("OPENAI_API_KEY")
        return cls(settings.generator_url, settings.generator, api_key, settings.generator_timeout)

    def warm_up(self) -> None:
        """Fail early, with the fix, when the server is down or does not serve the model."""
        if self._checked:
            return
        response = self._request("GET", "/models")
        served = [m.get("id") for m in response.json().get("data", [])]
        if served and self.name not in served:
            raise GeneratorError(
                f"the server at {self.url} does not serve model {self.name!r}; "
                f"set generator to one of: {', '.join(map(str, served))}"
            )
        self._checked = True

    def generate(self, prompt: Prompt, max_new_tokens: int) -> str:
        return "".join(self.stream(prompt, max_new_tokens))

    def stream(self, prompt: Prompt, max_new_tokens: int, usage: Usage | None = None) -> Iterator[str]:
        self.warm_up()
        body = {
            "model": self.name,
            "messages": prompt.messages(),
            "max_tokens": max_new_tokens,
            "temperature": 0.0,
            "stream": True,
            "stream_options": {"include_usage": True},  # the server counts with its own tokenizer
        }
        if prompt.stop:
            body["stop"] = prompt.stop[:MAX_STOPS]
        yield from cut_at_stop(self._deltas(body, usage), prompt.stop)

    def _deltas(self, body: dict, usage: Usage | None = None) -> Iterator[str]:
        # unknown until the server's counts arrive: some never send them in a stream, and a
        # reply cut short at a stop string ends before they come
        if usage is not None:
            usage.unreported += 1
        try:
            with self._client.stream("POST", f"{self.url}/chat/completions", json=body) as response:
                self._check(response)
                for line in response.iter_lines():
                    if not line.startswith("data:"):
                        continue
                    data = line[len("data:") :].strip()
                    if data == "[DONE]":
                        break
                    try:
                        event = json.loads(data)
                        choices = event.get("choices") or [{}]
                        counted = event.get("usage")
                    except (ValueError, AttributeError):
                        raise GeneratorError(
                            f"the model server at {self.url} sent a malformed stream line {data[:80]!r}; "
                            "is generator_url an OpenAI-compatible /v1 endpoint?"
                        ) from None
                    if usage is not None and isinstance(counted, dict):
                        usage.unreported -= 1
                        usage.prompt_tokens += int(counted.get("prompt_tokens") or 0)
                        usage.completion_tokens += int(counted.get("completion_tokens") or 0)
                    yield (choices[0].get("delta") or {}).get("content") or ""
        except httpx.HTTPError as exc:
            raise self._unreachable(exc) from None

    def _request(self, method: str, path: str) -> httpx.Response:
        try:
            response = self._client.request(method, f"{self.url}{path}")
        except httpx.HTTPError as exc:
            raise self._unreachable(exc) from None
        self._check(response)
        return response

    def _check(self, response: httpx.Response) -> None:
        if response.status_code >= 400:
            response.read()
            hint = "check generator_api_key (or OPENAI_API_KEY)" if response.status_code in (401, 403) else ""
            raise GeneratorError(
                f"the model server at {self.url} answered HTTP {response.status_code}: "
                f"{response.text[:200].strip()}{'; ' + hint if hint else ''}"
            )

    def _unreachable(self, exc: httpx.HTTPError) -> GeneratorError:
        return GeneratorError(
            f"cannot reach the model server at {self.url} ({type(exc).__name__}: {exc}); "
            "start it, or fix generator_url"
        )
