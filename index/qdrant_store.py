"""The Qdrant vector store: one collection per index generation, dense and BM25 vectors side by
side, chunk fields as payload.

`qdrant_url` points at a server or cluster; without it Qdrant's local mode keeps the
collection in a folder (`qdrant_path`, default HOME/qdrant), with nothing to start. BM25 runs
as sparse vectors holding each chunk's bm25s term weights under hashed term ids, so a sparse dot
product gives the same score as the FAISS store's bm25s search and the fused hits agree.
"""

from __future__ import annotations

import atexit
import logging
import threading
import zlib
from typing import Any

import numpy as np

from index.config import IndexConfig, QdrantConfig
from index.lexical import LexicalIndex, query_terms
from rag.core.errors import ConfigError, IndexCorruptError
from rag.core.types import Chunk

log = logging.getLogger(__name__)
DENSE, SPARSE = "dense", "bm25"
UPSERT_BATCH = 512
_clients: dict[tuple, Any] = {}
_clients_lock = threading.Lock()


def term_id(term: str) -> int:
    """A stable 32-bit id for a term, so queries need no stored vocabulary."""
    return zlib.crc32(term.encode("utf-8"))


def sparse(terms: dict[str, float]):
    from qdrant_client import models

    merged: dict[int, float] = {}
    for term, weight in terms.items():
        merged[term_id(term)] = merged.get(term_id(term), 0.0) + weight  # a rare hash collision adds up
    return models.SparseVector(indices=list(merged), values=list(merged.values()))


@atexit.register
def _close_clients() -> None:
    """Close while the interpreter still runs: a local client closed by its finaliser at
    shutdown prints a traceback."""
    with _clients_lock:
        for client in _clients.values():
            client.close()
        _clients.clear()


def client_for(config: QdrantConfig):
    """One client per location and process: local mode allows a single client per folder."""
    key = (config.url, str(config.path))
    with _clients_lock:
        if key not in _clients:
            try:
                from qdrant_client import QdrantClient
            except ImportError:
                raise ConfigError(
                    "store 'qdrant' needs qdrant-client; run pip install -r requirements.txt"
                ) from None
            if config.url:
                _clients[key] = QdrantClient(url=config.url, api_key=config.api_key, timeout=60)
            else:
                config.path.mkdir(parents=True, exist_ok=True)
                _clients[key] = QdrantClient(path=str(config.path))
        return _clients[key]


class QdrantStore:
    def __init__(self, client, collection: str, size: int) -> None:
        self.client = client
        self.collection = collection
        self.size = size

    @classmethod
    def create(
        cls, config: IndexConfig, generation: str, vectors: np.ndarray, texts: list[str], chunks: list[Chunk]
    ) -> QdrantStore:
        from qdrant_client import models

        client = client_for(config.qdrant)
        name = cls.collection_name(config, generation)
        client.create_collection(
            name,
            vectors_config={
                DENSE: models.VectorParams(size=int(vectors.shape[1]), distance=models.Distance.COSINE)
            },
            sparse_vectors_config={SPARSE: models.SparseVectorParams()},
        )
        weights = LexicalIndex.build(texts).document_weights()
        for lo in range(0, len(vectors), UPSERT_BATCH):
            points = [
                models.PointStruct(
                    id=row,
                    vector={DENSE: vectors[row].tolist(), SPARSE: sparse(weights[row])},
                    payload={"row": row, **chunks[row].to_dict()},
                )
                for row in range(lo, min(lo + UPSERT_BATCH, len(vectors)))
            ]
            client.upsert(name, points, wait=True)
        log.info("qdrant: %d chunks in collection %s", len(vectors), name)
        return cls(client, name, len(vectors))

    @staticmethod
    def collection_name(config: IndexConfig, generation: str) -> str:
        return f"{config.qdrant.collection}-{generation}"

    @classmethod
    def open(cls, config: IndexConfig, described: dict[str, Any]) -> QdrantStore:
        client = client_for(config.qdrant)
        name = described.get("collection", "")
        if not client.collection_exists(name):
            where = config.qdrant.where()
            raise IndexCorruptError(
                f"Qdrant collection {name!r} is missing at {where}; "
                "run `python -m rag index build --rebuild --store qdrant`"
            )
        return cls(client, name, client.count(name, exact=True).count)

    @classmethod
    def drop(cls, config: IndexConfig, described: dict[str, Any]) -> None:
        client = client_for(config.qdrant)
        if described.get("collection") and client.collection_exists(described["collection"]):
            client.delete_collection(described["collection"])

    def describe(self) -> dict[str, Any]:
        return {"kind": "qdrant", "collection": self.collection}

    def dense(self, vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        return self._query(vector.astype(float).tolist(), DENSE, k)

    def bm25(self, query: str, k: int) -> tuple[np.ndarray, np.ndarray]:
        terms = query_terms(query)
        if not terms:
            return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
        return self._query(sparse(dict(terms)), SPARSE, k)

    def _query(self, query, using: str, k: int) -> tuple[np.ndarray, np.ndarray]:
        points = self.client.query_points(self.collection, query=query, using=using, limit=k).points
        points = [p for p in points if p.score > 0] if using == SPARSE else points
        points.sort(key=lambda p: (-p.score, int(p.id)))  # ties in row order, as FAISS returns them
        return (
            np.array([p.score for p in points], dtype=np.float32),
            np.array([int(p.id) for p in points], dtype=np.int64),
        )
