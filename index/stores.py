"""Where chunk vectors and BM25 terms are searched: a `VectorStore`, chosen by the index config.

`faiss` (default) keeps everything in files inside the index generation: a FAISS index and a
bm25s model. `qdrant` keeps them in a Qdrant collection (local folder, or a server or cluster
by URL) for corpora or teams that outgrow one process. Both answer the same two questions, so
the retriever fuses their lists the same way and returns the same hits.

Rows are positions in the generation's chunk list; every store returns (scores, rows).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Protocol

import faiss
import numpy as np

from index.config import IndexConfig
from index.lexical import LexicalIndex
from index.vectors import build_faiss, load_faiss, resolve_index_type, save_faiss, search, update_faiss
from rag.core.types import Chunk

log = logging.getLogger(__name__)


class VectorStore(Protocol):
    size: int

    def dense(self, vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]: ...

    def bm25(self, query: str, k: int) -> tuple[np.ndarray, np.ndarray]: ...

    def describe(self) -> dict[str, Any]:
        """What the manifest records to open this store again."""
        ...


class FaissStore:
    FILES = ("faiss.index", "bm25")

    def __init__(self, faiss_index, lexical: LexicalIndex, index_type: str, trained_on: int = 0) -> None:
        self.faiss_index = faiss_index
        self.lexical = lexical
        self.index_type = index_type
        self.trained_on = trained_on  # vectors the IVF centroids were trained on

    @property
    def size(self) -> int:
        return int(self.faiss_index.ntotal)

    @classmethod
    def create(
        cls,
        folder: Path,
        config: IndexConfig,
        vectors: np.ndarray,
        texts: list[str],
        previous: VectorStore | None = None,
        appended: int = 0,
    ) -> FaissStore:
        """A store for `vectors`; an update of `previous` (same index kind) reuses its training."""
        kind = resolve_index_type(config.index_type, len(vectors), config.auto_flat_max)
        index, trained_on = None, len(vectors)
        if isinstance(previous, FaissStore) and previous.index_type == kind:
            index = update_faiss(previous.faiss_index, kind, previous.trained_on, vectors, appended, config)
            if index is not None:
                trained_on = previous.trained_on
            elif kind == "ivf":
                log.info("IVF index grew past %sx its training: retraining", config.retrain_growth)
        if index is None:
            index = build_faiss(vectors, kind, config)
        store = cls(index, LexicalIndex.build(texts), kind, trained_on)
        save_faiss(store.faiss_index, folder / "faiss.index")
        store.lexical.save(folder / "bm25")
        return store

    @classmethod
    def open(cls, folder: Path, config: IndexConfig, described: dict[str, Any]) -> FaissStore:
        lexical = LexicalIndex.load(folder / "bm25")
        index = load_faiss(folder / "faiss.index", config)
        kind = described.get("index_type", "flat")
        return cls(index, lexical, kind, int(described.get("trained_on", index.ntotal)))

    def dense(self, vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        return search(self.faiss_index, vector, k)

    def bm25(self, query: str, k: int) -> tuple[np.ndarray, np.ndarray]:
        scores = self.lexical.scores(query)
        k = min(k, len(scores))
        ids = np.argpartition(-scores, k - 1)[:k] if k else np.zeros(0, dtype=np.int64)
        ids = ids[np.lexsort((ids, -scores[ids]))]  # ties in row order, as every store returns them
        keep = scores[ids] > 0
        return scores[ids][keep], ids[keep]

    def describe(self) -> dict[str, Any]:
        described: dict[str, Any] = {"kind": "faiss", "index_type": self.index_type}
        if isinstance(self.faiss_index, faiss.IndexIVF):
            described["trained_on"] = self.trained_on
        return described


def create_store(
    config: IndexConfig,
    folder: Path,
    generation: str,
    vectors: np.ndarray,
    texts: list[str],
    chunks: list[Chunk],
    previous: VectorStore | None = None,
    appended: int = 0,
) -> VectorStore:
    if config.store == "qdrant":
        from index.qdrant_store import QdrantStore

        return QdrantStore.create(config, generation, vectors, texts, chunks)
    return FaissStore.create(folder, config, vectors, texts, previous, appended)


def open_store(described: dict[str, Any], folder: Path, config: IndexConfig) -> VectorStore:
    if described.get("kind") == "qdrant":
        from index.qdrant_store import QdrantStore

        return QdrantStore.open(config, described)
    return FaissStore.open(folder, config, described)


def drop_store(described: dict[str, Any] | None, config: IndexConfig, generation: str) -> None:
    """Free what a stale generation holds outside its folder (a Qdrant collection). Without a
    manifest (a build killed before writing it), the generation's collection is named from
    the config."""
    kind = described.get("kind") if described else config.store
    if kind == "qdrant":
        from index.qdrant_store import QdrantStore

        if not described:
            described = {"collection": QdrantStore.collection_name(config, generation)}
        QdrantStore.drop(config, described)
