"""FAISS inner-product indexes over L2-normalised vectors (inner product = cosine).

Flat is exact and the default. HNSW and IVF trade a little recall for speed on big corpora;
`auto` picks flat below `auto_flat_max` chunks and HNSW above. Row i of the FAISS index is
chunk i of the saved chunk list, so no id mapping is stored.
"""

from __future__ import annotations

import math
from pathlib import Path

import faiss
import numpy as np

from rag.errors import IndexCorruptError

IVF_POINTS_PER_LIST = 39  # FAISS warns below this many training points per list


def resolve_index_type(kind: str, n: int, auto_flat_max: int) -> str:
    if kind == "auto":
        return "flat" if n < auto_flat_max else "hnsw"
    return kind


def build_faiss(vectors: np.ndarray, kind: str, settings) -> faiss.Index:
    """An index of `kind` (already resolved, not 'auto') holding `vectors` in order."""
    n, dim = vectors.shape
    if kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, settings.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = settings.hnsw_ef_construction
    elif kind == "ivf" and n >= IVF_POINTS_PER_LIST * 2:
        nlist = settings.ivf_nlist or int(4 * math.sqrt(n))
        nlist = max(1, min(nlist, n // IVF_POINTS_PER_LIST))
        quantizer = faiss.IndexFlatIP(dim)
        index = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
        index.train(vectors)
    else:  # flat, or IVF on a corpus too small to train on
        index = faiss.IndexFlatIP(dim)
    if n:
        index.add(vectors)
    configure_search(index, settings)
    return index


def configure_search(index: faiss.Index, settings) -> None:
    """Search-time knobs live in settings, not in the saved file, so they can be tuned."""
    if isinstance(index, faiss.IndexHNSWFlat):
        index.hnsw.efSearch = settings.hnsw_ef_search
    elif isinstance(index, faiss.IndexIVF):
        index.nprobe = settings.ivf_nprobe


def save_faiss(index: faiss.Index, path: Path) -> None:
    faiss.write_index(index, str(path))


def load_faiss(path: Path, settings) -> faiss.Index:
    try:
        index = faiss.read_index(str(path))
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()[0][:120]
        raise IndexCorruptError(
            f"FAISS file {str(path)!r} is unreadable ({first}); run `python -m rag index build` to repair it"
        ) from None
    configure_search(index, settings)
    return index


def search(index: faiss.Index, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Top-k (scores, row ids) for one query vector; missing slots are dropped."""
    k = min(k, index.ntotal)
    if k == 0:
        return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
    scores, ids = index.search(query.reshape(1, -1).astype(np.float32), k)
    keep = ids[0] >= 0
    return scores[0][keep], ids[0][keep]
