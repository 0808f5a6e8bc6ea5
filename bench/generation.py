"""Generation runtimes on the prompts the pipeline really builds.

Each runtime answers the same dev-set prompts. Time to first token is the prefill; decode speed
is the tokens after the first over the time after it. The baseline is transformers in float32,
the straightforward way to run the packaged model. Rows:

- transformers fp32 (baseline) and bf16 (the previous default);
- transformers with int8 dynamic quantization of every Linear layer except lm_head (the issue
  saw a fully quantized model break its answers; lm_head is the layer that picks the words);
- llama.cpp on the Q4_K_M GGUF (the default): with a cold cache, and with the shared prompt
  prefix (system prompt and instructions) already in the KV cache, as in a running assistant.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from bench.measure import Row, Section, Stat, table
from rag.generation.base import Generator, Prompt

log = logging.getLogger(__name__)
MAX_NEW_TOKENS = 64
MIN_DECODE_TOKENS = 8


# Steady-state decoding: a prompt that asks for a long reply, so start-up and the last token's
# bookkeeping do not dominate, as on the dev answers (often 10-30 tokens).
LONG = Prompt(
    user="Write a long paragraph about the history of computer chips.", system="You are a helpful assistant."
)
LONG_RUNS = 2


@dataclass
class Runtime:
    name: str
    load_s: float
    ttft: Stat
    decode: Stat  # tokens per second after the first token, on the dev answers
    prompt_tokens: float
    answers: list[str]
    steady: Stat | None = None  # tokens per second after the first token, on a long reply


def time_stream(generator: Generator, prompt: Prompt) -> tuple[float, float, str]:
    start = time.perf_counter()
    first = None
    text = ""
    for piece in generator.stream(prompt, MAX_NEW_TOKENS):
        if first is None and piece:  # a stream may open with an empty role chunk
            first = time.perf_counter() - start
        text += piece
    total = time.perf_counter() - start
    return first or total, total, text


def measure(
    name: str,
    make: Callable[[], Generator],
    prompts: list[Prompt],
    count_tokens: Callable[[Generator, str], int],
    before_each: Callable[[Generator], None] | None = None,
    long_reply: bool = False,
) -> Runtime:
    start = time.perf_counter()
    generator = make()
    generator.warm_up()
    load_s = time.perf_counter() - start
    time_stream(generator, prompts[0])  # first call pays one-off allocations
    ttfts, decode, answers, sizes = [], [], [], []
    for prompt in prompts:
        if before_each:
            before_each(generator)
        first, total, text = time_stream(generator, prompt)
        tokens = count_tokens(generator, text)
        ttfts.append(first)
        if tokens >= MIN_DECODE_TOKENS:  # a reply of a few tokens says nothing about speed
            decode.append((tokens - 1) / (total - first))
        answers.append(text.strip())
        sizes.append(count_tokens(generator, prompt.system + "\n" + prompt.user))
    steady = None
    if long_reply:
        rates = []
        for _ in range(LONG_RUNS):
            if before_each:
                before_each(generator)
            first, total, text = time_stream(generator, LONG)
            rates.append((count_tokens(generator, text) - 1) / (total - first))
        steady = Stat.of(rates)
    log.info("generation: %s done", name)
    del generator
    gc.collect()
    return Runtime(name, load_s, Stat.of(ttfts), Stat.of(decode), sum(sizes) / len(sizes), answers, steady)


def hf_tokens(generator, text: str) -> int:
    return len(generator._tokenizer(text, add_special_tokens=False)["input_ids"])


def llama_tokens(generator, text: str) -> int:
    return len(generator._llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))


def int8_generator(settings):
    """fp32 weights with every Linear but lm_head quantized to int8 at load time."""
    import torch
    from torch.ao.quantization import default_dynamic_qconfig, quantize_dynamic

    from rag.generation.backends.local_hf import TransformersGenerator

    class Int8(TransformersGenerator):
        def warm_up(self) -> None:
            if self._model is not None:
                return
            super().warm_up()
            spec = {
                name: default_dynamic_qconfig
                for name, module in self._model.named_modules()
                if isinstance(module, torch.nn.Linear) and name != "lm_head"
            }
            self._model = quantize_dynamic(self._model, spec, dtype=torch.qint8)

    return Int8(settings.generator, settings.models_path, "float32", settings.threads)


def run(prompts: list[Prompt], settings) -> tuple[Section, dict[str, Runtime]]:
    from rag.generation.backends.llamacpp import LlamaCppGenerator
    from rag.generation.backends.local_hf import TransformersGenerator

    def hf(dtype: str) -> Callable[[], Generator]:
        return lambda: TransformersGenerator(
            settings.generator, settings.models_path, dtype, settings.threads
        )

    def llama() -> Generator:
        return LlamaCppGenerator(
            settings.generator, settings.models_path, settings.threads, settings.context_tokens
        )

    def cold_cache(generator) -> None:
        generator._llm.reset()  # forget the KV cache: every prompt is prefilled in full

    runs = {
        "transformers fp32": measure("transformers fp32", hf("float32"), prompts, hf_tokens, long_reply=True),
        "transformers bf16": measure("transformers bf16", hf("bfloat16"), prompts, hf_tokens),
        "transformers int8 (lm_head kept)": measure(
            "int8", lambda: int8_generator(settings), prompts, hf_tokens
        ),
        "llama.cpp Q4_K_M, cold cache": measure("llama.cpp cold", llama, prompts, llama_tokens, cold_cache),
        "llama.cpp Q4_K_M (default)": measure("llama.cpp", llama, prompts, llama_tokens, long_reply=True),
    }
    base = runs["transformers fp32"]
    section = Section(f"Generation ({len(prompts)} dev-set prompts, greedy, up to {MAX_NEW_TOKENS} tokens)")
    rows = []
    for name, r in runs.items():
        same = sum(a == b for a, b in zip(r.answers, base.answers))
        rows.append(
            [
                name,
                f"{r.load_s:.2f}",
                f"{r.prompt_tokens:.0f}",
                r.ttft.show("s"),
                r.decode.show("tok/s", 1),
                f"{base.decode.median and r.decode.median / base.decode.median:.1f}x",
                f"{same}/{len(prompts)}",
            ]
        )
    section.details += table(
        [
            "runtime",
            "load s",
            "prompt tokens",
            "time to first token",
            "decode",
            "decode vs fp32",
            "same text as fp32",
        ],
        rows,
    )
    default = runs["llama.cpp Q4_K_M (default)"]
    section.rows.append(
        Row(
            f"decode speed, steady ({MAX_NEW_TOKENS}-token reply, llama.cpp Q4_K_M)",
            default.steady,
            "tok/s",
            ">= 45 tok/s",
            default.steady.median >= 45,
            baseline=base.steady,
            baseline_name="transformers fp32",
            higher_is_better=True,
            digits=1,
        )
    )
    section.details += [
        "",
        f"Steady decoding on a {MAX_NEW_TOKENS}-token reply: llama.cpp {default.steady.show('tok/s', 1)}, "
        f"transformers fp32 {base.steady.show('tok/s', 1)}. The table's decode column is over the dev "
        "answers (10-30 tokens), where each reply's start and end weigh more.",
        "",
        '"same text" counts prompts where the runtime wrote exactly the fp32 answer; the dev-set '
        "eval (`python -m eval run`) judges whether different words are worse answers.",
    ]
    return section, runs
