"""The generator interface: what every backend takes (a Prompt) and gives (streamed text).

The generator only phrases; the pipeline around it decides what may be said. Backends:
`llamacpp` (default: the packaged GGUF through llama.cpp), `transformers` (the same weights in
torch) and `openai` (any OpenAI-compatible chat-completions server: vLLM, llama.cpp server,
TGI, Ollama).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@dataclass
class Prompt:
    """What to send: a system and user message for chat models, or one completion text."""

    user: str
    system: str | None = None
    completion: str | None = None  # used instead of the messages when the model has no chat template
    stop: list[str] = field(default_factory=list)

    def messages(self) -> list[dict[str, str]]:
        system = [{"role": "system", "content": self.system}] if self.system else []
        return [*system, {"role": "user", "content": self.user}]


@dataclass
class Usage:
    """Tokens a generation read and wrote, counted by the backend's own tokenizer."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    unreported: int = 0  # calls whose server sent no counts (llama-cpp-python's streams): unknown, not 0


class Generator(Protocol):
    name: str
    # True when calls may run at once (a server behind HTTP); a local model runs one at a time.
    concurrent: bool

    def warm_up(self) -> None: ...

    def generate(self, prompt: Prompt, max_new_tokens: int) -> str: ...

    def stream(self, prompt: Prompt, max_new_tokens: int, usage: Usage | None = None) -> Iterator[str]:
        """Pieces of the reply; when `usage` is given, it holds the token counts at the end."""
        ...


@runtime_checkable
class Judge(Protocol):
    """A generator that can also say how strongly it would answer "yes" (log-odds over "no")."""

    def yes_odds(self, prompt: Prompt) -> float: ...


def cut_at_stop(pieces: Iterable[str], stops: list[str]) -> Iterator[str]:
    """Pass pieces through until a stop string appears; emit only the text before it."""
    emitted = ""
    for piece in pieces:
        emitted += piece
        found = [emitted.find(s) for s in stops if s and s in emitted]
        if found:
            remainder = emitted[: min(found)][len(emitted) - len(piece) :]
            if remainder:
                yield remainder
            return
        yield piece


def opens_marker(piece: str) -> bool:
    """Whether a vocabulary piece starts a citation marker ("[", " [", "[1", ...).

    Shown passages as "[1] text", a small model copies that shape: it opens its reply with a
    marker and often writes nothing after it ("[1] [2] [3]"). An answer's sentence comes first
    and its marker after it, so the local backends never let a reply open with one."""
    return piece.replace("\u0120", " ").replace("\u2581", " ").lstrip(" ").startswith("[")
