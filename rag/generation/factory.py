"""The one factory for generators: picks a backend from settings.

None means no model at all: the pipeline then answers with quoted sentences.
"""

from __future__ import annotations

from rag.generation.base import Generator, Judge

EXTRACTIVE = ("none", "extractive", "")


def make_generator(settings) -> Generator | None:
    """None means extractive only: the pipeline answers with quoted sentences."""
    if settings.generator in EXTRACTIVE:
        return None
    if settings.backend == "openai":
        from rag.generation.backends.openai_api import OpenAIGenerator

        return OpenAIGenerator.from_settings(settings)
    if settings.backend == "transformers":
        from rag.generation.backends.local_hf import TransformersGenerator

        return TransformersGenerator(
            settings.generator, settings.models_path, settings.dtype, settings.threads
        )
    from rag.generation.backends.llamacpp import LlamaCppGenerator

    return LlamaCppGenerator(
        settings.generator, settings.models_path, settings.threads, settings.context_tokens
    )


JUDGE_CONTEXT_TOKENS = 1024  # a title, two sentences and a question


def make_judge(settings, generator: Generator | None = None) -> Judge | None:
    """The local model that judges whether an answer's cited text answers the question, or None.
    When the generator is that same model through llama.cpp, it judges too: one copy in memory."""
    if settings.judge in EXTRACTIVE:
        return None
    from rag.generation.backends.llamacpp import LlamaCppGenerator

    if isinstance(generator, LlamaCppGenerator) and generator.name == settings.judge:
        generator.mmap = False  # read, as any judge is (not loaded yet: loading is lazy)
        return generator
    return LlamaCppGenerator(
        settings.judge, settings.models_path, settings.threads, JUDGE_CONTEXT_TOKENS, mmap=False
    )
