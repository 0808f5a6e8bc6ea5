"""The transformers backend: a causal LM in torch, greedy and bounded, streamed from a thread.

Chat models get their chat template; base models (no template) get a completion-style prompt.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from rag.core.errors import ModelLoadError
from rag.generation.base import Prompt, Usage, cut_at_stop, opens_marker

log = logging.getLogger(__name__)


class TransformersGenerator:
    concurrent = False

    def __init__(self, name: str, models_dir: Path, dtype: str = "bfloat16", threads: int = 0) -> None:
        if dtype not in ("float32", "bfloat16"):
            raise ValueError(f"dtype must be float32 or bfloat16. Currently, dtype is {dtype!r}")
        self.name = name
        self.models_dir = Path(models_dir)
        self.dtype = dtype
        self.threads = threads
        self._model = None
        self._tokenizer = None
        self._marker_ids: list[int] | None = None

    def warm_up(self) -> None:
        if self._model is not None:
            return
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer
        from transformers.utils import logging as hf_logging

        from rag.generation.models import PACKAGED_GENERATORS, resolve_generator_path

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
                f"set generator to a packaged name ({', '.join(PACKAGED_GENERATORS)}) "
                "or a local model folder"
            ) from None
        self._model.eval()
        log.info("generator %s loaded in %.1fs", self.name, time.perf_counter() - start)

    def _inputs(self, prompt: Prompt):
        if self._tokenizer.chat_template:
            text = self._tokenizer.apply_chat_template(
                prompt.messages(), add_generation_prompt=True, tokenize=False
            )
        else:
            text = prompt.completion or prompt.user
        return self._tokenizer(text, return_tensors="pt")

    def _markers(self) -> list[int]:
        if self._marker_ids is None:
            pieces = self._tokenizer.convert_ids_to_tokens(list(range(len(self._tokenizer))))
            self._marker_ids = [i for i, piece in enumerate(pieces) if piece and opens_marker(piece)]
        return self._marker_ids

    def _kwargs(self, prompt: Prompt, max_new_tokens: int) -> dict:
        kwargs = {
            "max_new_tokens": max_new_tokens,
            "do_sample": False,
            "repetition_penalty": 1.1,
            "pad_token_id": self._tokenizer.pad_token_id or self._tokenizer.eos_token_id,
            "begin_suppress_tokens": self._markers(),  # a reply opens with words (see opens_marker)
        }
        # Chat models end their turn with a special token; a base model needs stop strings
        # (transformers scans its whole vocabulary to build them, ~1 s, so only when needed).
        if prompt.stop and not self._tokenizer.chat_template:
            kwargs["stop_strings"] = prompt.stop
            kwargs["tokenizer"] = self._tokenizer
        return kwargs

    def generate(self, prompt: Prompt, max_new_tokens: int) -> str:
        return "".join(self.stream(prompt, max_new_tokens))

    def stream(self, prompt: Prompt, max_new_tokens: int, usage: Usage | None = None) -> Iterator[str]:
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
        reply = ""
        for piece in cut_at_stop(streamer, prompt.stop):
            reply += piece
            yield piece
        worker.join()
        if errors:
            raise errors[0]
        if usage is not None:
            usage.prompt_tokens += int(inputs["input_ids"].shape[1])
            usage.completion_tokens += len(self._tokenizer(reply, add_special_tokens=False)["input_ids"])
