"""Where chunk vectors and BM25 terms are searched: a `VectorStore`, chosen by the index config.

`faiss` (default) keeps everything in files inside the index generation: a FAISS index and a
bm25s model. `qdrant` keeps them in a Qdrant collection (local folder, or a server or cluster
by URL) for corpora or teams that outgrow one process. Both answer the same two questions, so
the retriever fuses their lists the same way and returns the same hits.

Rows are positions in the generation's chunk list; every store returns (scores, rows).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

import numpy as np

from index.config import IndexConfig
from index.lexical import LexicalIndex
from index.vectors import build_faiss, load_faiss, resolve_index_type, save_faiss, search
from rag.core.types import Chunk


class VectorStore(Protocol):
    size: int

    def dense(self, vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]: ...

    def bm25(self, query: str, k: int) -> tuple[np.ndarray, np.ndarray]: ...

    def describe(self) -> dict[str, Any]:
        """What the manifest records to open this store again."""
        ...


class FaissStore:
    FILES = ("faiss.index", "bm25")

    def __init__(self, faiss_index, lexical: LexicalIndex, index_type: str) -> None:
        self.faiss_index = faiss_index
        self.lexical = lexical
        self.index_type = index_type

    @property
    def size(self) -> int:
        return int(self.faiss_index.ntotal)

    @classmethod
    def create(cls, folder: Path, config: IndexConfig, vectors: np.ndarray, texts: list[str]) -> FaissStore:
        kind = resolve_index_type(config.index_type, len(vectors), config.auto_flat_max)
        store = cls(build_faiss(vectors, kind, config), LexicalIndex.build(texts), kind)
        save_faiss(store.faiss_index, folder / "faiss.index")
        store.lexical.save(folder / "bm25")
        return store

    @classmethod
    def open(cls, folder: Path, config: IndexConfig, described: dict[str, Any]) -> FaissStore:
        lexical = LexicalIndex.load(folder / "bm25")
        return cls(load_faiss(folder / "faiss.index", config), lexical, described.get("index_type", "flat"))

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
        return {"kind": "faiss", "index_type": self.index_type}


def create_store(
    config: IndexConfig,
    folder: Path,
    generation: str,
    vectors: np.ndarray,
    texts: list[str],
    chunks: list[Chunk],
) -> VectorStore:
    if config.store == "qdrant":
        from index.qdrant_store import QdrantStore

        return QdrantStore.create(config, generation, vectors, texts, chunks)
    return FaissStore.create(folder, config, vectors, texts)


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
