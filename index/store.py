"""The saved index: one folder, atomic writes, one writer at a time, checked on load.

Layout of the index folder:

    CURRENT            name of the live generation (replaced atomically)
    .lock              held by the one process allowed to write
    gen-<ns>/          manifest.json, documents.jsonl, chunks.jsonl, vectors.npy,
                       sentences.npy (one vector per distinct sentence), stats.json
                       (corpus statistics, index/stats.py), and for
                       the FAISS store faiss.index and bm25/ (the Qdrant store keeps those
                       in the collection <qdrant_collection>-gen-<ns> instead)

A build writes a whole new generation beside the live one, then swaps CURRENT with
os.replace. A build killed at any point leaves CURRENT naming the previous, complete
generation; leftovers are removed by the next successful build. The lock is an OS file
lock, so a writer that was killed releases it with its process: no stale locks.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
from filelock import FileLock, Timeout

from index.chunk_table import REBUILD_HINT, ChunkTable
from index.config import IndexConfig
from index.stats import CorpusStats
from index.stores import VectorStore, create_store, drop_store, open_store
from rag.core.errors import IndexCorruptError, IndexLockedError, IndexMismatchError, IndexMissingError
from rag.core.types import Chunk, Document, Sentence
from rag.documents.ingest import linked_text

log = logging.getLogger(__name__)

# v2: sentences no longer end inside an inline enumeration (rag/documents/sentences.py), so
# spans stored by v1 would not match the sentences the pipeline splits today
# v3: HTML permalink marks ("¶") are not text, and stored sentence vectors read Markdown links as
# their text (`as_read`), as the pipeline embeds a sentence today
# v4: chunk vectors and BM25 terms read Markdown links as their text too (`embedding_text`)
# v5: reference-style links ("[docs][ref]") read as their text (51ad6c2; markdown-it took over)
# v6: Markdown documents are their rendered text (markdown-it), so their spans differ
# v7: documents read otherwise since v6 (a full stop inside a file name ends no sentence, bulleted
# items keep their bullet, table cells carry their column header, plain-text pipe tables read as
# tables): a v6 index of an unchanged file would keep the old reading, as its bytes are the same
FORMAT = "news-rag-index v7"


@dataclass
class Manifest:
    format: str
    embedder: str
    dim: int
    chunking: dict[str, Any]
    index_type: str
    documents: dict[str, dict[str, Any]]  # doc_id -> sha256, source, title, chunks
    num_chunks: int
    built_at: float = field(default_factory=time.time)
    store: dict[str, Any] = field(default_factory=lambda: {"kind": "faiss"})  # how to open the vectors
    # files a build could not use: source -> reason, size and mtime_ns (index/status.py), so that
    # `index status` does not offer them as new until they change
    skipped: dict[str, dict[str, Any]] = field(default_factory=dict)

    def check(self, config: IndexConfig, embedder_dim: int | None = None) -> None:
        """Raise IndexMismatchError naming the difference and the fix. The store is not checked:
        readers follow the store the index records, and a build for another store starts over."""
        if self.format != FORMAT:
            raise IndexMismatchError(
                f"index format is {self.format!r}, this version reads {FORMAT!r}; {REBUILD_HINT}"
            )
        if self.embedder != config.embedder:
            raise IndexMismatchError(
                f"index was built with embedder {self.embedder!r} but settings ask for "
                f"{config.embedder!r}; {REBUILD_HINT}, or set embedder/embed_runtime back"
            )
        if embedder_dim is not None and embedder_dim != self.dim:
            raise IndexMismatchError(
                f"index vectors have dimension {self.dim} but embedder {config.embedder!r} "
                f"gives {embedder_dim}; {REBUILD_HINT}"
            )
        wanted = config.chunking
        if self.chunking != wanted:
            diff = {k: (self.chunking.get(k), v) for k, v in wanted.items() if self.chunking.get(k) != v}
            raise IndexMismatchError(
                f"index was chunked with other settings (index, settings): {diff}; {REBUILD_HINT}"
            )


@dataclass
class SearchIndex:
    """A loaded index: everything retrieval needs, in memory."""

    manifest: Manifest
    documents: dict[str, Document]
    chunks: Sequence[Chunk]  # a ChunkTable when loaded: rows are parsed on first read
    vectors: np.ndarray
    store: VectorStore
    # one vector per distinct sentence (doc_id, start), in sentence_table order; None when the
    # index was built without them. Answering scores and verifies sentences by lookup instead
    # of embedding ~40 of them per question.
    sentence_vectors: np.ndarray | None = None
    stats: CorpusStats = field(default_factory=CorpusStats)  # computed at build time (index/stats.py)

    @cached_property
    def sentence_rows(self) -> dict[tuple[str, int], int]:
        return {key: row for row, key in enumerate(sentence_table(self.chunks))}

    def sentence_matrix(self, keys: list[tuple[str, int]]) -> np.ndarray | None:
        """Stored vectors of these sentences, or None if any is missing."""
        if self.sentence_vectors is None:
            return None
        try:
            return self.sentence_vectors[[self.sentence_rows[k] for k in keys]]
        except KeyError:
            return None

    def dense(self, query_vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        return self.store.dense(query_vector, k)

    def bm25(self, query: str, k: int) -> tuple[np.ndarray, np.ndarray]:
        return self.store.bm25(query, k)

    @cached_property
    def _row_of(self) -> dict[str, int]:
        return {c.chunk_id: row for row, c in enumerate(self.chunks)}

    def chunks_by_id(self, chunk_ids) -> list[Chunk]:
        """The chunks with these ids (unknown ids are left out)."""
        rows = self._row_of
        return [self.chunks[rows[i]] for i in chunk_ids if i in rows]

    def chunks_of(self, doc_id: str) -> list[Chunk]:
        return [c for c in self.chunks if c.doc_id == doc_id]


class IndexStore:
    """Reads and writes index generations under one folder."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @property
    def _current_file(self) -> Path:
        return self.root / "CURRENT"

    def exists(self) -> bool:
        return self._current_file.is_file()

    def lock(self) -> FileLock:
        """Context manager for writers; fails at once if another writer holds it."""
        self.root.mkdir(parents=True, exist_ok=True)
        return _NamedLock(self.root / ".lock")

    def current_dir(self) -> Path:
        if not self.exists():
            raise IndexMissingError(f"no index at {str(self.root)!r}; run `python -m rag index build` first")
        name = self._current_file.read_text().strip()
        folder = self.root / name
        if not name or not folder.is_dir():
            raise IndexCorruptError(f"index pointer names {name!r}, which is missing; {REBUILD_HINT}")
        return folder

    def read_manifest(self) -> Manifest:
        path = self.current_dir() / "manifest.json"
        try:
            return Manifest(**json.loads(path.read_text()))
        except (OSError, ValueError, TypeError) as exc:
            raise IndexCorruptError(f"manifest {str(path)!r} is unreadable ({exc}); {REBUILD_HINT}") from None

    def load(self, config: IndexConfig, embedder_dim: int | None = None) -> SearchIndex:
        manifest = self.read_manifest()
        manifest.check(config, embedder_dim)
        folder = self.current_dir()
        try:
            documents = {d["doc_id"]: Document(**d) for d in _read_jsonl(folder / "documents.jsonl")}
            chunks = ChunkTable.read(folder / "chunks.jsonl")
            vectors = np.load(folder / "vectors.npy")
            sentences = folder / "sentences.npy"
            # memory-mapped: an answer touches a few dozen rows; at a million chunks the whole
            # file would be gigabytes of RAM in every process
            sentence_vectors = np.load(sentences, mmap_mode="r") if sentences.is_file() else None
            stats = CorpusStats.load(folder)
            store = open_store(manifest.store, folder, config)
        except (OSError, ValueError, TypeError, KeyError) as exc:
            raise IndexCorruptError(
                f"index files in {str(folder)!r} are damaged ({exc}); {REBUILD_HINT}"
            ) from None
        sizes = {
            "manifest": manifest.num_chunks,
            "chunks": len(chunks),
            "vectors": len(vectors),
            manifest.store.get("kind", "faiss"): store.size,
        }
        if len(set(sizes.values())) != 1:
            raise IndexCorruptError(f"index parts disagree in size {sizes}; {REBUILD_HINT}")
        index = SearchIndex(manifest, documents, chunks, vectors, store, sentence_vectors, stats)
        if sentence_vectors is not None and len(sentence_vectors) != len(index.sentence_rows):
            raise IndexCorruptError(
                f"sentences.npy holds {len(sentence_vectors)} vectors for {len(index.sentence_rows)} "
                f"sentences; {REBUILD_HINT}"
            )
        return index

    def save(
        self,
        config: IndexConfig,
        documents: list[Document],
        chunks: list[Chunk],
        vectors: np.ndarray,
        sentence_vectors: np.ndarray | None = None,
        stats: CorpusStats | None = None,
        previous: VectorStore | None = None,
        appended: int = 0,
        skipped: dict[str, dict[str, Any]] | None = None,
    ) -> SearchIndex:
        """Write a new generation and make it current. Caller must hold the lock. `previous` is
        the current generation's store, whose training an update reuses; its first `appended`
        rows are unchanged in this one."""
        stats = stats or CorpusStats()
        gen = self.root / f"gen-{time.time_ns()}"
        tmp = self.root / f".tmp-{gen.name}"
        tmp.mkdir(parents=True)
        texts = [embedding_text(c, config.embed_title) for c in chunks]
        store = create_store(config, tmp, gen.name, vectors, texts, chunks, previous, appended)
        described = store.describe()
        counts: dict[str, int] = {}
        for c in chunks:
            counts[c.doc_id] = counts.get(c.doc_id, 0) + 1
        manifest = Manifest(
            format=FORMAT,
            embedder=config.embedder,
            dim=int(vectors.shape[1]),
            chunking=config.chunking,
            index_type=described.get("index_type", described["kind"]),
            documents={
                d.doc_id: {
                    "sha256": d.sha256,
                    "source": d.source,
                    "title": d.title,
                    "chunks": counts.get(d.doc_id, 0),
                }
                for d in documents
            },
            num_chunks=len(chunks),
            store=described,
            skipped=skipped or {},
        )
        _write_jsonl(tmp / "documents.jsonl", (asdict(d) for d in documents))
        _write_jsonl(tmp / "chunks.jsonl", (c.to_dict() for c in chunks))
        np.save(tmp / "vectors.npy", vectors)
        if sentence_vectors is not None:
            np.save(tmp / "sentences.npy", sentence_vectors)
        stats.save(tmp)
        (tmp / "manifest.json").write_text(json.dumps(asdict(manifest), indent=1))
        _fsync_tree(tmp)
        os.replace(tmp, gen)
        pointer = self.root / ".CURRENT.tmp"
        pointer.write_text(gen.name + "\n")
        _fsync_file(pointer)
        os.replace(pointer, self._current_file)
        self._remove_stale(config, keep=gen.name)
        documents_by_id = {d.doc_id: d for d in documents}
        return SearchIndex(manifest, documents_by_id, chunks, vectors, store, sentence_vectors, stats)

    def _remove_stale(self, config: IndexConfig, keep: str) -> None:
        for path in self.root.iterdir():
            if path.is_dir() and path.name != keep and path.name.startswith(("gen-", ".tmp-gen-")):
                try:
                    described = json.loads((path / "manifest.json").read_text())["store"]
                except (OSError, ValueError, KeyError):  # a build killed before its manifest
                    described = None
                drop_store(described, config, generation=path.name.removeprefix(".tmp-"))
                shutil.rmtree(path, ignore_errors=True)

    def size_bytes(self) -> int:
        if not self.exists():
            return 0
        return sum(p.stat().st_size for p in self.current_dir().rglob("*") if p.is_file())


class _NamedLock(FileLock):
    """A FileLock that fails at once with an error a user can act on."""

    def __init__(self, path: Path) -> None:
        super().__init__(str(path), timeout=0)

    def __enter__(self) -> _NamedLock:
        try:
            self.acquire()
        except Timeout:
            raise IndexLockedError(
                f"another process is writing the index (lock {self.lock_file!r}); "
                "wait for it to finish, then try again"
            ) from None
        return self


def sentence_table(chunks: Sequence[Chunk]) -> dict[tuple[str, int], Sentence]:
    """Each distinct sentence once (overlapping chunks share some), in first-seen order."""
    table: dict[tuple[str, int], Sentence] = {}
    for chunk in chunks:
        for sentence in chunk.sentences:
            table.setdefault((chunk.doc_id, sentence.start), sentence)
    return table


def embedding_text(chunk: Chunk, with_title: bool) -> str:
    """What gets embedded and BM25-indexed for a chunk: its title gives short chunks context.
    Links read as their text, as a sentence does (`as_read`): a URL's words ("readthedocs",
    "latest") are not what the passage says."""
    text = linked_text(chunk.text)
    return f"{chunk.title}\n{text}" if with_title else text


def _write_jsonl(path: Path, rows) -> None:
    with path.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _fsync_file(path: Path) -> None:
    with path.open("rb") as f:
        os.fsync(f.fileno())


def _fsync_tree(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            _fsync_file(path)
