"""Build and update the index, re-embedding only documents that are new or changed.

A document is unchanged when its id and the sha256 of its file bytes match the live index
(and the manifest check has already guaranteed the same embedder and chunking), in which case
its chunks and vectors are carried over as they are.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from index.config import IndexConfig
from index.stats import CorpusStats
from index.status import skipped_record
from index.store import IndexStore, SearchIndex, embedding_text, sentence_table
from rag.core.errors import IndexCorruptError, IndexMismatchError, IndexMissingError, NothingIndexed, RagError
from rag.core.types import Chunk, Document
from rag.documents.chunking import Chunker
from rag.documents.ingest import KINDS, Skipped, as_read, load_documents, text_digest
from rag.embedding.embedder import Embedder

log = logging.getLogger(__name__)


@dataclass
class BuildReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    embedded_chunks: int = 0
    total_chunks: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        docs = len(self.added) + len(self.updated) + len(self.unchanged)
        return (
            f"{docs} documents, {self.total_chunks} chunks: {len(self.added)} added, "
            f"{len(self.updated)} updated, {len(self.unchanged)} unchanged, "
            f"{len(self.removed)} removed, {len(self.skipped)} skipped; "
            f"embedded {self.embedded_chunks} chunks in {self.seconds:.1f}s"
        )


class IndexBuilder:
    def __init__(self, config: IndexConfig, embedder: Embedder, store: IndexStore) -> None:
        if config.embedder != embedder.name:
            raise ValueError(f"config is for embedder {config.embedder!r}, not {embedder.name!r}")
        self.config = config
        self.embedder = embedder
        self.store = store
        self.chunker = Chunker(config.chunk_sentences, config.chunk_overlap, config.chunk_max_chars)

    def build(self, paths: Iterable[Path], rebuild: bool = False) -> BuildReport:
        """Make the index hold exactly the usable articles under `paths`."""
        paths = list(paths)
        with self.store.lock():
            prev = None if rebuild else self._previous()
            docs, skipped = self._load(paths)
            if not docs:
                raise _nothing_indexed(paths, skipped)
            report = self._commit(docs, prev, skipped_record(skipped))
            report.skipped = skipped
            return report

    def add(self, paths: Iterable[Path]) -> BuildReport:
        """Add or update the given articles, keeping everything already indexed."""
        paths = list(paths)
        with self.store.lock():
            prev = self._previous()
            docs, skipped = self._load(paths)
            if prev is not None:  # the text of a document indexed under another name, as a build sees it
                loaded = {d.doc_id for d in docs}
                others = {text_digest(d): d.source for d in prev.documents.values() if d.doc_id not in loaded}
                new = []
                for d in docs:
                    if (twin := others.get(text_digest(d))) is not None:
                        skipped.append(Skipped(d.source, f"duplicate of {twin}"))
                    else:
                        new.append(d)
                docs = new
            if not docs:
                raise _nothing_indexed(paths, skipped)
            new_ids = {d.doc_id for d in docs}
            kept = [d for d in prev.documents.values() if d.doc_id not in new_ids] if prev else []
            earlier = prev.manifest.skipped if prev else None
            record = skipped_record(skipped, earlier, indexed=(d.source for d in docs))
            report = self._commit(kept + docs, prev, record)
            report.skipped = skipped
            return report

    def remove(self, doc_ids: Iterable[str]) -> BuildReport:
        doc_ids = list(doc_ids)
        with self.store.lock():
            prev = self.store.load(self.config)
            unknown = [d for d in doc_ids if d not in prev.documents]
            if unknown:
                raise RagError(
                    f"no such document id(s): {', '.join(unknown)}; see `python -m rag index status`"
                )
            kept = [d for d in prev.documents.values() if d.doc_id not in set(doc_ids)]
            if not kept:
                raise RagError(
                    f"removing {', '.join(doc_ids)} would leave the index empty; "
                    f"delete {str(self.store.root)!r} instead"
                )
            return self._commit(kept, prev, prev.manifest.skipped)

    def _load(self, paths: list[Path]) -> tuple[list[Document], list[Skipped]]:
        missing = [str(p) for p in paths if not p.exists()]
        if missing:
            raise RagError(f"path not found: {', '.join(missing)}")
        return load_documents(paths, self.config.max_file_bytes)

    def _previous(self) -> SearchIndex | None:
        try:
            prev = self.store.load(self.config)
        except IndexMissingError:
            return None
        except (IndexMismatchError, IndexCorruptError) as exc:
            log.warning("existing index is unusable, rebuilding from scratch: %s", exc)
            return None
        kind = prev.manifest.store.get("kind", "faiss")
        if kind != self.config.store:
            log.warning(
                "index was built for the %s store; building for %s from scratch", kind, self.config.store
            )
            return None
        return prev

    def _commit(
        self, docs: list[Document], prev: SearchIndex | None, skipped: dict[str, dict[str, Any]]
    ) -> BuildReport:
        start = time.perf_counter()
        report = BuildReport()
        prev_rows: dict[str, list[int]] = {}
        for row, chunk in enumerate(prev.chunks if prev else []):
            prev_rows.setdefault(chunk.doc_id, []).append(row)
        chunks: list[Chunk] = []
        blocks: list[np.ndarray | int] = []  # per document: reused vectors, or how many to embed
        to_embed: list[Chunk] = []
        for doc in docs:
            old = prev.documents.get(doc.doc_id) if prev else None
            if old is not None and old.sha256 == doc.sha256:
                report.unchanged.append(doc.doc_id)
                rows = prev_rows.get(doc.doc_id, [])
                chunks.extend(prev.chunks[r] for r in rows)
                blocks.append(prev.vectors[rows])
            else:
                (report.updated if old is not None else report.added).append(doc.doc_id)
                doc_chunks = self.chunker.run(doc)
                chunks.extend(doc_chunks)
                to_embed.extend(doc_chunks)
                blocks.append(len(doc_chunks))
        if prev is not None:
            current = {d.doc_id for d in docs}
            report.removed = [d for d in prev.documents if d not in current]
        texts = [embedding_text(c, self.config.embed_title) for c in to_embed]
        fresh = self.embedder.embed(texts) if texts else None
        vectors, used = [], 0
        for block in blocks:
            if isinstance(block, int):
                vectors.append(fresh[used : used + block])
                used += block
            else:
                vectors.append(block)
        sentence_vectors = None
        if self.config.embed_sentences:
            unchanged = set(report.unchanged)
            sentence_vectors = self._sentence_vectors(chunks, prev, unchanged, vectors[0].shape[1])
        self.store.save(
            self.config,
            docs,
            chunks,
            np.concatenate(vectors),
            sentence_vectors,
            CorpusStats.of(docs),
            previous=prev.store if prev else None,
            appended=_unchanged_prefix(chunks, prev, set(report.unchanged)),
            skipped=skipped,
        )
        report.embedded_chunks = len(to_embed)
        report.total_chunks = len(chunks)
        report.seconds = time.perf_counter() - start
        log.info("index: %s", report.summary())
        return report

    def _sentence_vectors(
        self, chunks: list[Chunk], prev: SearchIndex | None, unchanged: set[str], dim: int
    ) -> np.ndarray:
        """Vectors of every distinct sentence: carried over for unchanged documents, else embedded."""
        table = sentence_table(chunks)
        out = np.zeros((len(table), dim), dtype=np.float32)
        reuse = prev is not None and prev.sentence_vectors is not None
        missing: list[int] = []
        for row, key in enumerate(table):
            old = prev.sentence_rows.get(key) if reuse and key[0] in unchanged else None
            if old is None:
                missing.append(row)
            else:
                out[row] = prev.sentence_vectors[old]
        if missing:
            texts = list(table.values())
            sentences = [as_read(texts[r].text) for r in missing]
            out[missing] = self.embedder.embed(sentences, max_tokens=self.config.sentence_max_tokens)
        return out


def _unchanged_prefix(chunks: list[Chunk], prev: SearchIndex | None, unchanged: set[str]) -> int:
    """How many leading rows are the previous index's rows, unchanged: an append-only update
    (adding documents) leaves them all, so HNSW and flat indexes only add the new rows."""
    if prev is None:
        return 0
    n = 0
    for new, old in zip(chunks, prev.chunks):
        if new.chunk_id != old.chunk_id or new.doc_id not in unchanged:
            break
        n += 1
    return n


def _nothing_indexed(paths: list[Path], skipped: list[Skipped]) -> NothingIndexed:
    """A build or add that found nothing to index: each file's reason, on one line."""
    if not skipped:
        return NothingIndexed(f"no document files in {', '.join(map(str, paths))}; supported: {KINDS}", [])
    reasons = "; ".join(f"{s.path}: {s.reason}" for s in skipped)
    return NothingIndexed(
        f"none of the files could be indexed ({reasons})", [(s.path, s.reason) for s in skipped]
    )
