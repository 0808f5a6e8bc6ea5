"""What the index layer needs to know, typed and checked once: the Assistant builds it from the
settings, and no index module reads the settings object itself."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal


@dataclass(frozen=True)
class QdrantConfig:
    url: str | None = None  # a server or cluster; None: local mode in `path`
    path: Path = Path("qdrant")
    api_key: str | None = None
    collection: str = "news-rag"  # collection name prefix; one collection per generation

    def where(self) -> str:
        return self.url or str(self.path)


@dataclass(frozen=True)
class IndexConfig:
    embedder: str  # the recorded name of the embedder that makes (and must query) the vectors
    chunk_sentences: int = 4
    chunk_overlap: int = 1
    chunk_max_chars: int = 900
    embed_title: bool = True
    embed_sentences: bool = False
    sentence_max_tokens: int = 128
    max_file_bytes: int = 20_000_000
    store: Literal["faiss", "qdrant"] = "faiss"
    index_type: Literal["flat", "hnsw", "ivf", "auto"] = "flat"
    auto_flat_max: int = 50_000
    hnsw_m: int = 32
    hnsw_ef_construction: int = 80
    hnsw_ef_search: int = 256
    ivf_nlist: int = 0  # 0 picks about 4*sqrt(n)
    ivf_nprobe: int = 0  # 0 scans one list in 30 (at least 16)
    retrain_growth: float = 2.0  # retrain IVF once the index holds this many times what it was trained on
    qdrant: QdrantConfig = field(default_factory=QdrantConfig)

    def __post_init__(self) -> None:
        if self.chunk_sentences < 1:
            raise ValueError(f"chunk_sentences must be at least 1. Currently, it is {self.chunk_sentences}")
        if not 0 <= self.chunk_overlap < self.chunk_sentences:
            raise ValueError(
                f"chunk_overlap must be in [0, {self.chunk_sentences}). Currently, it is {self.chunk_overlap}"
            )
        if self.retrain_growth <= 1.0:
            raise ValueError(f"retrain_growth must be above 1. Currently, it is {self.retrain_growth}")
        if self.store not in ("faiss", "qdrant"):
            raise ValueError(f"store must be faiss or qdrant. Currently, store is {self.store!r}")

    @property
    def chunking(self) -> dict[str, Any]:
        """What a manifest records about chunking: an index chunked otherwise must be rebuilt."""
        return {
            "sentences": self.chunk_sentences,
            "overlap": self.chunk_overlap,
            "max_chars": self.chunk_max_chars,
            "embed_title": self.embed_title,
        }

    @classmethod
    def from_settings(cls, settings, embedder: str) -> IndexConfig:
        key = settings.qdrant_api_key
        return cls(
            embedder=embedder,
            chunk_sentences=settings.chunk_sentences,
            chunk_overlap=settings.chunk_overlap,
            chunk_max_chars=settings.chunk_max_chars,
            embed_title=settings.embed_title,
            embed_sentences=settings.embed_sentences,
            sentence_max_tokens=settings.sentence_max_tokens,
            max_file_bytes=settings.max_file_bytes,
            store=settings.store,
            index_type=settings.index_type,
            auto_flat_max=settings.auto_flat_max,
            hnsw_m=settings.hnsw_m,
            hnsw_ef_construction=settings.hnsw_ef_construction,
            hnsw_ef_search=settings.hnsw_ef_search,
            ivf_nlist=settings.ivf_nlist,
            ivf_nprobe=settings.ivf_nprobe,
            retrain_growth=settings.retrain_growth,
            qdrant=QdrantConfig(
                url=settings.qdrant_url,
                path=settings.qdrant_location,
                api_key=key.get_secret_value() if key else None,
                collection=settings.qdrant_collection,
            ),
        )
