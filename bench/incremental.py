"""Adding one document to a 100k-chunk IVF index: an update that keeps the trained centroids,
against the same update when it must retrain (the baseline, measured in the same run).

The 100k chunks are synthetic (clustered vectors, short texts), saved as a real index; the
added document is one of the bundled articles, embedded by the real model. Both timings are
the whole `IndexBuilder.add`: load, chunk, embed, update the vectors and BM25, write.
"""

from __future__ import annotations

import dataclasses
import hashlib
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.measure import Row, Section, Stat
from bench.retrieval import mixed, topics

CHUNKS_PER_DOC = 10
VOCABULARY = 5000


def synthetic_index(folder: Path, n: int, config, dim: int) -> None:
    from index.store import IndexStore
    from rag.core.types import Chunk, Document, Sentence

    rng = np.random.default_rng(0)
    words = np.array([f"term{i}" for i in range(VOCABULARY)])
    documents, chunks = [], []
    for d in range(n // CHUNKS_PER_DOC):
        doc_id = f"synthetic{d:06d}"
        texts = [" ".join(rng.choice(words, 40)) + "." for _ in range(CHUNKS_PER_DOC)]
        body = "\n\n".join(texts)
        digest = hashlib.sha256(body.encode()).hexdigest()
        documents.append(Document(doc_id, f"Synthetic {d}", body, f"/nonexistent/{doc_id}.txt", digest))
        offset = 0
        for i, text in enumerate(texts):
            sentence = Sentence(text, offset, offset + len(text))
            chunks.append(
                Chunk(
                    f"{doc_id}:{i}", doc_id, i, f"Synthetic {d}", text, offset, offset + len(text), [sentence]
                )
            )
            offset += len(text) + 2
    vectors = mixed(len(chunks), topics(len(chunks), 1), 2)[:, :dim]
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    store = IndexStore(folder)
    with store.lock():
        store.save(config, documents, chunks, np.ascontiguousarray(vectors, dtype=np.float32))


def time_add(folder: Path, config, embedder, article: Path) -> float:
    from index.builder import IndexBuilder
    from index.store import IndexStore

    start = time.perf_counter()
    IndexBuilder(config, embedder, IndexStore(folder)).add([article])
    return time.perf_counter() - start


def run(settings, article: Path, n: int = 100_000, repeats: int = 3) -> Section:
    from index.config import IndexConfig
    from rag.embedding.embedder import Embedder

    embedder = Embedder(settings.embedder, runtime=settings.embed_runtime)
    config = IndexConfig.from_settings(settings, embedder.name)
    config = dataclasses.replace(config, index_type="ivf", embed_sentences=False)
    retraining = dataclasses.replace(config, retrain_growth=1.000001)
    work = Path(tempfile.mkdtemp(prefix="rag-incremental-"))
    try:
        base = work / "base"
        synthetic_index(base, n, config, embedder.dim)
        updates, retrains = [], []
        for _ in range(repeats):
            for cfg, out in ((config, updates), (retraining, retrains)):
                folder = work / "copy"
                shutil.copytree(base, folder)
                out.append(time_add(folder, cfg, embedder, article))
                shutil.rmtree(folder)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    update, retrain = Stat.of(updates), Stat.of(retrains)
    row = Row(
        f"add one document to a {n // 1000}k-chunk IVF index",
        update,
        "s",
        "seconds, not a retrain",
        update.median < retrain.median,
        retrain,
        "the same add, retraining",
    )
    return Section(
        "Incremental updates", [row], [f"{n:,} synthetic chunks; the added document: {article.name}."]
    )
