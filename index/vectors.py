"""FAISS inner-product indexes over L2-normalised vectors (inner product = cosine).

Flat is exact and the default. HNSW and IVF trade a little recall for speed on big corpora;
`auto` picks flat below `auto_flat_max` chunks and IVF above: on the retrieval benchmark
(bench/retrieval.py) IVF built 4x faster than HNSW and kept recall@10 >= 0.95 to 1M chunks.
Row i of the FAISS index is chunk i of the saved chunk list, so no id mapping is stored.
"""

from __future__ import annotations

import math
from pathlib import Path

import faiss
import numpy as np

from index.config import IndexConfig
from rag.core.errors import IndexCorruptError

IVF_POINTS_PER_LIST = 39  # FAISS warns below this many training points per list
IVF_TRAIN_PER_LIST = 40  # training sample size per list on big corpora
IVF_PROBE_SHARE = 30  # auto nprobe: one list in this many (recall@10 0.95 at 1M, bench/)


def resolve_index_type(kind: str, n: int, auto_flat_max: int) -> str:
    if kind == "auto":
        return "flat" if n < auto_flat_max else "ivf"
    return kind


def build_faiss(vectors: np.ndarray, kind: str, config: IndexConfig) -> faiss.Index:
    """An index of `kind` (already resolved, not 'auto') holding `vectors` in order."""
    n, dim = vectors.shape
    if kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, config.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = config.hnsw_ef_construction
    elif kind == "ivf" and n >= IVF_POINTS_PER_LIST * 2:
        nlist = config.ivf_nlist or int(4 * math.sqrt(n))
        nlist = max(1, min(nlist, n // IVF_POINTS_PER_LIST))
        quantizer = faiss.IndexFlatIP(dim)
        index = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
        index.train(_training_sample(vectors, nlist))
    else:  # flat, or IVF on a corpus too small to train on
        index = faiss.IndexFlatIP(dim)
    if n:
        index.add(vectors)
    configure_search(index, config)
    return index


def update_faiss(
    previous: faiss.Index, kind: str, trained_on: int, vectors: np.ndarray, appended: int, config: IndexConfig
) -> faiss.Index | None:
    """The index for `vectors` made from the previous one without training, or None when it must
    be built afresh. `appended` is how many leading rows equal the previous index's rows.

    IVF keeps its trained centroids and only re-assigns the vectors to them (seconds at 100k),
    until the index holds `retrain_growth` times what it was trained on; HNSW and flat take
    appended rows as they are, and are rebuilt only when rows were removed or changed."""
    if isinstance(previous, faiss.IndexIVF):
        if len(vectors) > trained_on * config.retrain_growth:
            return None
        index = faiss.clone_index(previous)
        index.reset()  # drops the vectors, keeps the trained quantizer
        index.add(vectors)
    elif kind == "ivf" and len(vectors) >= IVF_POINTS_PER_LIST * 2:
        return None  # grown big enough to train the IVF index it stood in for
    elif appended == previous.ntotal:
        index = faiss.clone_index(previous)
        index.add(vectors[appended:])
    else:
        return None
    configure_search(index, config)
    return index


def _training_sample(vectors: np.ndarray, nlist: int) -> np.ndarray:
    """k-means needs tens of points per list, not millions: training on a fixed-seed sample
    keeps a 1M-chunk build to seconds instead of minutes, with the same recall."""
    limit = IVF_TRAIN_PER_LIST * nlist
    if len(vectors) <= limit:
        return vectors
    rows = np.sort(np.random.default_rng(0).choice(len(vectors), limit, replace=False))
    return vectors[rows]


def configure_search(index: faiss.Index, config: IndexConfig) -> None:
    """Search-time knobs live in settings, not in the saved file, so they can be tuned."""
    if isinstance(index, faiss.IndexHNSWFlat):
        index.hnsw.efSearch = config.hnsw_ef_search
    elif isinstance(index, faiss.IndexIVF):
        index.nprobe = config.ivf_nprobe or auto_nprobe(index.nlist)


def auto_nprobe(nlist: int) -> int:
    """Lists to scan: a fixed share of them, so recall holds as the corpus (and nlist) grows."""
    return min(nlist, max(16, math.ceil(nlist / IVF_PROBE_SHARE)))


def save_faiss(index: faiss.Index, path: Path) -> None:
    faiss.write_index(index, str(path))


def load_faiss(path: Path, config: IndexConfig) -> faiss.Index:
    try:
        index = faiss.read_index(str(path))
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()[0][:120]
        raise IndexCorruptError(
            f"FAISS file {str(path)!r} is unreadable ({first}); run `python -m rag index build` to repair it"
        ) from None
    configure_search(index, config)
    return index


def search(index: faiss.Index, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Top-k (scores, row ids) for one query vector; missing slots are dropped."""
    k = min(k, index.ntotal)
    if k == 0:
        return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
    scores, ids = index.search(query.reshape(1, -1).astype(np.float32), k)
    keep = ids[0] >= 0
    return scores[0][keep], ids[0][keep]
