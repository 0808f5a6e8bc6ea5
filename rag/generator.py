"""Local text generation with transformers: greedy, bounded, streamable.

The generator only phrases; the pipeline around it decides what may be said. Chat models get
their chat template; base models (no template) get a completion-style prompt and stop strings.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from rag.errors import ModelLoadError

os.environ.setdefault("HF_HUB_OFFLINE", "1")
log = logging.getLogger(__name__)


@dataclass
class Prompt:
    """What to send: a system and user message for chat models, or one completion text."""

    user: str
    system: str | None = None
    completion: str | None = None  # used instead of the messages when the model has no chat template
    stop: list[str] = field(default_factory=list)


class Generator(Protocol):
    name: str

    def warm_up(self) -> None: ...

    def generate(self, prompt: Prompt, max_new_tokens: int) -> str: ...

    def stream(self, prompt: Prompt, max_new_tokens: int) -> Iterator[str]: ...


class TransformersGenerator:
    def __init__(self, name: str, models_dir: Path, dtype: str = "bfloat16", threads: int = 0) -> None:
        if dtype not in ("float32", "bfloat16"):
            raise ValueError(f"dtype must be float32 or bfloat16. Currently, dtype is {dtype!r}")
        self.name = name
        self.models_dir = Path(models_dir)
        self.dtype = dtype
        self.threads = threads
        self._model = None
        self._tokenizer = None

    def warm_up(self) -> None:
        if self._model is not None:
            return
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer
        from transformers.utils import logging as hf_logging

        from rag.models import resolve_generator_path

        hf_logging.disable_progress_bar()
        if self.threads:
            torch.set_num_threads(self.threads)
        start = time.perf_counter()
        path = resolve_generator_path(self.name, self.models_dir, self.dtype)
        try:
            self._tokenizer = AutoTokenizer.from_pretrained(path)
            self._model = AutoModelForCausalLM.from_pretrained(path, dtype=getattr(torch, self.dtype))
        except (OSError, ValueError) as exc:
            raise ModelLoadError(
                f"cannot load generator {self.name!r} from {path!r} ({str(exc).splitlines()[0]}); "
                "set generator to a packaged name (qwen2.5-coder-0.5b-instruct, gemma-3-270m) "
                "or a local model folder"
            ) from None
        self._model.eval()
        log.info("generator %s loaded in %.1fs", self.name, time.perf_counter() - start)

    def _inputs(self, prompt: Prompt):
        if self._tokenizer.chat_template:
            messages = ([{"role": "system", "content": prompt.system}] if prompt.system else []) + [
                {"role": "user", "content": prompt.user}
            ]
            text = self._tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
        else:
            text = prompt.completion or prompt.user
        return self._tokenizer(text, return_tensors="pt")

    def _kwargs(self, prompt: Prompt, max_new_tokens: int) -> dict:
        kwargs = {
            "max_new_tokens": max_new_tokens,
            "do_sample": False,
            "repetition_penalty": 1.1,
            "pad_token_id": self._tokenizer.pad_token_id or self._tokenizer.eos_token_id,
        }
        if prompt.stop and not self._tokenizer.chat_template:
            kwargs["stop_strings"] = prompt.stop
            kwargs["tokenizer"] = self._tokenizer
        return kwargs

    def generate(self, prompt: Prompt, max_new_tokens: int) -> str:
        return "".join(self.stream(prompt, max_new_tokens))

    def stream(self, prompt: Prompt, max_new_tokens: int) -> Iterator[str]:
        import torch
        from transformers import TextIteratorStreamer

        self.warm_up()
        inputs = self._inputs(prompt)
        streamer = TextIteratorStreamer(self._tokenizer, skip_prompt=True, skip_special_tokens=True)
        errors: list[BaseException] = []

        def run() -> None:
            try:
                with torch.inference_mode():
                    self._model.generate(**inputs, streamer=streamer, **self._kwargs(prompt, max_new_tokens))
            except BaseException as exc:  # surfaced in the caller's thread below
                errors.append(exc)
                streamer.end()

        worker = threading.Thread(target=run, daemon=True)
        worker.start()
        emitted = ""
        for piece in streamer:
            emitted += piece
            cut = _stop_index(emitted, prompt.stop)
            if cut is not None:
                # emit only what precedes the stop string, then let the model finish quietly
                remainder = emitted[:cut][len(emitted) - len(piece) :]
                if remainder:
                    yield remainder
                break
            yield piece
        worker.join()
        if errors:
            raise errors[0]


def _stop_index(text: str, stops: list[str]) -> int | None:
    found = [text.find(s) for s in stops if s and s in text]
    return min(found) if found else None


def make_generator(settings) -> TransformersGenerator | None:
    """None means extractive only: the pipeline answers with quoted sentences."""
    if settings.generator in ("none", "extractive", ""):
        return None
    return TransformersGenerator(settings.generator, settings.models_path, settings.dtype, settings.threads)
