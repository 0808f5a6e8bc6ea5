"""The llama.cpp backend (default): the packaged Q4_K_M GGUF, run as it is.

Decoding on a CPU is bound by memory bandwidth, so 4-bit weights decode ~4x faster than the
same model dequantized to bf16 in torch, and loading skips the minute-long conversion.
llama.cpp also keeps the KV cache of the previous prompt: the system prompt and instructions
come first in every prompt, so only the passages and the question are prefilled each time.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from rag.core.errors import GeneratorError, ModelLoadError
from rag.generation.base import Prompt, Usage, cut_at_stop, opens_marker

log = logging.getLogger(__name__)
REPEAT_PENALTY = 1.1  # as the transformers backend: small models otherwise loop on a phrase
YES = ("yes", "Yes", " yes", " Yes", "YES")
NO = ("no", "No", " no", " No", "NO")
_LOADING = threading.Lock()  # without_amx swaps a module function for the length of a load


class LlamaCppGenerator:
    concurrent = False

    def __init__(
        self, name: str, models_dir: Path, threads: int = 0, context_tokens: int = 2048, mmap: bool = True
    ) -> None:
        self.name = name
        self.models_dir = Path(models_dir)
        # llama.cpp's own default is half the cores; on a 2-core laptop that leaves one idle
        self.threads = threads or os.cpu_count() or 1
        self.context_tokens = context_tokens
        # mapped, the file's pages stay resident beside the copies llama.cpp repacks for the CPU:
        # read instead, the 1.5B judge takes 1.28 GB rather than 1.89 GB, loading 0.4 s slower
        self.mmap = mmap
        self._llm = None
        self._chat = False
        self._kept: list[int] = []  # the prompt head the cache starts with (see _prime)
        self._markers = None  # ids of the tokens that open a citation marker (see _words_first)

    def warm_up(self) -> None:
        if self._llm is not None:
            return
        try:
            from llama_cpp import Llama
        except ImportError:
            raise ModelLoadError(
                "the llamacpp backend needs llama-cpp-python; run pip install -r requirements.txt"
            ) from None
        from rag.generation.models import resolve_gguf

        start = time.perf_counter()
        path = resolve_gguf(self.name, self.models_dir)
        try:
            with without_amx():
                self._llm = Llama(
                    model_path=str(path),
                    n_ctx=self.context_tokens,
                    n_threads=self.threads,
                    n_threads_batch=self.threads,
                    use_mmap=self.mmap,
                    seed=0,
                    verbose=False,
                )
        except (ValueError, RuntimeError) as exc:
            raise ModelLoadError(
                f"llama.cpp cannot load {str(path)!r} ({exc}); delete it to have it assembled again"
            ) from None
        self._chat = bool(self._llm.metadata.get("tokenizer.chat_template"))
        if self._chat:
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter

            llm = self._llm
            self._formatter = Jinja2ChatFormatter(
                template=llm.metadata["tokenizer.chat_template"],
                eos_token=llm._model.token_get_text(llm.token_eos()),
                bos_token=llm._model.token_get_text(llm.token_bos()) if llm.token_bos() != -1 else "",
            )
        self._answers = {"yes": self._first_tokens(YES), "no": self._first_tokens(NO)}
        log.info("generator %s loaded by llama.cpp in %.2fs", self.name, time.perf_counter() - start)

    def generate(self, prompt: Prompt, max_new_tokens: int) -> str:
        return "".join(self.stream(prompt, max_new_tokens))

    def yes_odds(self, prompt: Prompt) -> float:
        """Log-odds that the reply to this prompt starts with "yes" rather than "no".

        Logits are read for the last position only (logits_all would hold context x vocabulary
        floats, about 1.2 GB at 2,048 tokens)."""
        import numpy as np

        self.warm_up()
        llm = self._llm
        tokens = self._tokens(prompt)
        try:
            head = self._prime(prompt, tokens)
            llm.eval(tokens[head:])
        except (ValueError, RuntimeError) as exc:
            self._kept = []
            raise GeneratorError(f"llama.cpp refused the prompt ({exc}); raise context_tokens") from None
        logits = np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(llm.n_vocab(),)).astype(np.float64)
        top = logits.max()
        mass = {word: np.exp(logits[list(ids)] - top).sum() for word, ids in self._answers.items()}
        return float(np.log(mass["yes"]) - np.log(mass["no"]))

    def _prime(self, prompt: Prompt, tokens: list[int]) -> int:
        """Leave the cache holding the prompt's head (the system prompt, the same for every call)
        and nothing after it; returns the head's length.

        A prompt is always evaluated in the same two segments, the head and the rest, whatever
        the cache held: llama.cpp's own reuse of the longest common prefix with the previous
        prompt split it differently after each question, and the float noise of another split
        changed greedy answers and judged scores with the question asked before."""
        llm = self._llm
        head = self._head(prompt, tokens)
        if head and self._kept == tokens[:head]:
            llm.n_tokens = head  # eval() drops the cache beyond this point
        else:
            llm.reset()
            if head:
                llm.eval(tokens[:head])
        self._kept = tokens[:head]
        return head

    def _head(self, prompt: Prompt, tokens: list[int]) -> int:
        """How many of the prompt's tokens come before the user's message (0 if unclear)."""
        mark = "\x00"  # where the user's message starts, once the chat template has wrapped it
        text, bos = self._text(replace(prompt, user=mark, completion=None))
        if mark not in text:
            return 0
        # less its last token, which may merge with what follows
        ids = self._llm.tokenize(text[: text.find(mark)].encode("utf-8"), add_bos=bos, special=True)[:-1]
        return len(ids) if 0 < len(ids) < len(tokens) and tokens[: len(ids)] == ids else 0

    def _text(self, prompt: Prompt) -> tuple[str, bool]:
        """The prompt as the model reads it, and whether a BOS token goes before it."""
        if self._chat:
            formatted = self._formatter(messages=prompt.messages())
            return formatted.prompt, not formatted.added_special
        return prompt.completion or prompt.user, True

    def _tokens(self, prompt: Prompt) -> list[int]:
        text, bos = self._text(prompt)
        return self._llm.tokenize(text.encode("utf-8"), add_bos=bos, special=True)

    def _first_tokens(self, words: tuple[str, ...]) -> set[int]:
        return {self._llm.tokenize(w.encode("utf-8"), add_bos=False, special=False)[0] for w in words}

    def _words_first(self) -> list:
        """A logits processor that keeps the reply from opening with a citation marker."""
        import numpy as np
        from llama_cpp import LogitsProcessorList

        if self._markers is None:
            model = self._llm._model
            ids = [i for i in range(self._llm.n_vocab()) if opens_marker(model.token_get_text(i))]
            self._markers = np.array(ids, dtype=np.intp)
        banned, first = self._markers, True

        def first_not_marker(input_ids: np.ndarray, scores: np.ndarray) -> np.ndarray:
            nonlocal first
            if first:
                first = False
                scores[banned] = -np.inf
            return scores

        return LogitsProcessorList([first_not_marker])

    def stream(self, prompt: Prompt, max_new_tokens: int, usage: Usage | None = None) -> Iterator[str]:
        self.warm_up()
        tokens = self._tokens(prompt)
        options = {
            "max_tokens": max_new_tokens,
            "temperature": 0.0,  # greedy: the same question gets the same answer
            "repeat_penalty": REPEAT_PENALTY,
            "stop": prompt.stop or None,
            "stream": True,
            "logits_processor": self._words_first(),
        }
        try:
            self._prime(prompt, tokens)  # llama-cpp-python reuses the primed head, reads the rest
            if self._chat:
                chunks = self._llm.create_chat_completion(messages=prompt.messages(), **options)
                pieces = (c["choices"][0]["delta"].get("content") or "" for c in chunks)
            else:
                chunks = self._llm.create_completion(prompt.completion or prompt.user, **options)
                pieces = (c["choices"][0]["text"] for c in chunks)
            reply = ""
            for piece in cut_at_stop(pieces, prompt.stop):
                reply += piece
                yield piece
            if usage is not None:
                usage.prompt_tokens += len(tokens)
                usage.completion_tokens += len(self._llm.tokenize(reply.encode("utf-8"), add_bos=False))
        except ValueError as exc:  # e.g. the prompt does not fit the context window
            raise GeneratorError(f"llama.cpp refused the prompt ({exc}); raise context_tokens") from None


@contextmanager
def without_amx() -> Iterator[None]:
    """Load weights into plain CPU buffers when this llama.cpp build carries AMX kernels.

    The build is native, so it carries them on any CPU that reports AMX. Virtual machines often
    report AMX without enabling it, and ggml's AMX matmul then dies with SIGILL ("Illegal
    instruction") on the first prompt, which no Python code can catch. Laptop CPUs have no AMX,
    so nothing is lost there. Llama() does not expose llama.cpp's use_extra_bufts, so its
    default model parameters are swapped for the length of the load."""
    import llama_cpp.llama_cpp as lib

    if b"AMX_INT8 = 1" not in lib.llama_print_system_info():
        yield
        return
    with _LOADING:
        default = lib.llama_model_default_params

        def params():
            p = default()
            p.use_extra_bufts = False
            return p

        lib.llama_model_default_params = params
        try:
            log.info("llama.cpp was built with AMX kernels; loading the weights without them")
            yield
        finally:
            lib.llama_model_default_params = default
