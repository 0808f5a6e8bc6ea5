"""The one factory for generators: picks a backend from settings.

None means no model at all: the pipeline then answers with quoted sentences.
"""

from __future__ import annotations

from rag.generation.base import Generator

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
