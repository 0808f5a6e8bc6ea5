"""Vector search at scale: synthetic 384-d vectors at 10k, 100k and 1M chunks.

Exact (flat) search is the baseline and the ground truth. The approximate indexes are built by
the same code the index builder uses (index/vectors.py), with the default settings, so the
figures describe what `index_type = "auto"` gives a user at each size.

The vectors are mixtures of two topics (one topic per ~100 chunks) plus noise, as a news chunk
is about a main subject and a side one; queries are drawn the same way, not copied from the
corpus. Clean, separated clusters made every index look perfect; this mix does not.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from bench.measure import Row, Section, Stat, table
from index.config import IndexConfig
from index.vectors import IVF_PROBE_SHARE, build_faiss, resolve_index_type
from rag.core.settings import Settings

log = logging.getLogger(__name__)
DIM = 384
K = 10
QUERIES = 200
PER_TOPIC = 100
NOISE = 0.8  # norm of the noise against a unit topic vector
BLOCK = 100_000
FLAT_TIMED = 20  # exact search is slow at 1M; its latency is the median of this many queries
KNOBS = {"hnsw": ("efSearch", (32, 64, 128, 256)), "ivf": ("nprobe", (16, 32, 64, 128))}


def topics(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((max(2, n // PER_TOPIC), DIM), dtype=np.float32)
    return centres / np.linalg.norm(centres, axis=1, keepdims=True)


def mixed(n: int, centres: np.ndarray, seed: int) -> np.ndarray:
    """n unit vectors, each a main topic, a weaker second topic and noise."""
    rng = np.random.default_rng(seed)
    out = np.empty((n, DIM), dtype=np.float32)
    for lo in range(0, n, BLOCK):
        m = min(n, lo + BLOCK) - lo
        main, side = rng.integers(0, len(centres), (2, m))
        weight = rng.uniform(0, 1, (m, 1)).astype(np.float32)
        noise = rng.standard_normal((m, DIM), dtype=np.float32) * (NOISE / np.sqrt(DIM))
        block = centres[main] + weight * centres[side] + noise
        out[lo : lo + m] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


@dataclass
class Measured:
    kind: str
    size: int
    build_s: float
    latency: Stat  # ms per single query
    recall: float


def per_query_ms(index: faiss.Index, queries: np.ndarray) -> tuple[Stat, np.ndarray]:
    """One query at a time, as the assistant searches; returns latencies and the ids found."""
    found = np.empty((len(queries), K), dtype=np.int64)
    times = []
    for i, q in enumerate(queries):
        start = time.perf_counter()
        _, ids = index.search(q.reshape(1, -1), K)
        times.append((time.perf_counter() - start) * 1000)
        found[i] = ids[0]
    return Stat.of(times), found


def recall_at_k(found: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean([len(set(f) & set(t)) / K for f, t in zip(found, truth)]))


def run(sizes: list[int], out_dir: Path, hnsw_max: int = 200_000, qdrant_max: int = 10_000) -> Section:
    settings = Settings()
    config = IndexConfig.from_settings(settings, "benchmark")
    section = Section("Retrieval at scale (synthetic 384-d vectors, top-10, one query at a time)")
    results: list[Measured] = []
    sweeps: list[list[str]] = []
    for size in sizes:
        centres = topics(size, seed=size)
        base = mixed(size, centres, seed=size + 1)
        queries = mixed(QUERIES, centres, seed=size + 2)
        start = time.perf_counter()
        exact = build_faiss(base, "flat", config)
        build_s = time.perf_counter() - start
        truth = exact.search(queries, K)[1]
        flat = Measured("flat", size, build_s, per_query_ms(exact, queries[:FLAT_TIMED])[0], 1.0)
        results.append(flat)
        del exact
        for kind in ("hnsw", "ivf"):
            if kind == "hnsw" and size > hnsw_max:
                continue  # HNSW inserts cost minutes at 1M on 2 cores; IVF serves that size
            log.info("retrieval: %s at %d", kind, size)
            start = time.perf_counter()
            index = build_faiss(base, kind, config)
            build_s = time.perf_counter() - start
            latency, found = per_query_ms(index, queries)
            results.append(Measured(kind, size, build_s, latency, recall_at_k(found, truth)))
            sweeps += sweep(index, kind, size, queries, truth)
        if size <= qdrant_max:
            results.append(qdrant_local(base, queries, truth))
        auto = resolve_index_type("auto", size, settings.auto_flat_max)
        chosen = next(r for r in results if r.size == size and r.kind == auto)
        section.rows.append(
            Row(
                f"search p50 at {size:,} chunks ({auto}, chosen by auto), recall@10 {chosen.recall:.3f}",
                chosen.latency,
                "ms",
                "< 5 ms, recall@10 >= 0.95",
                chosen.latency.median < 5 and chosen.recall >= 0.95,
                baseline=flat.latency,
                baseline_name="exact flat",
                digits=3,
            )
        )
    section.details += table(
        ["index (defaults)", "chunks", "build s", "p50 ms (min-max)", "recall@10"],
        [
            [r.kind, f"{r.size:,}", f"{r.build_s:.1f}", r.latency.show("", 3).strip(), f"{r.recall:.3f}"]
            for r in results
        ],
    )
    section.details += ["", "Search-time knob sweep (same indexes):", ""]
    section.details += table(["index", "chunks", "knob", "p50 ms", "recall@10"], sweeps)
    section.details += [
        "",
        f"Defaults: auto picks exact flat below {settings.auto_flat_max:,} chunks, then IVF "
        f"(nlist 4*sqrt(n), nprobe 1 list in {IVF_PROBE_SHARE}, at least 16); hnsw M={settings.hnsw_m}, "
        f"efSearch={settings.hnsw_ef_search}.",
        "",
        "![latency and recall against corpus size](retrieval.png)",
    ]
    plot(results, out_dir / "retrieval.png")
    return section


def qdrant_local(base: np.ndarray, queries: np.ndarray, truth: np.ndarray) -> Measured:
    """Qdrant's local mode (what the tests use): exact search in Python, no server."""
    from qdrant_client import QdrantClient, models

    client = QdrantClient(":memory:")
    start = time.perf_counter()
    client.create_collection(
        "bench", vectors_config=models.VectorParams(size=DIM, distance=models.Distance.COSINE)
    )
    client.upload_collection("bench", vectors=base, ids=range(len(base)), batch_size=1024)
    build_s = time.perf_counter() - start
    found = np.empty((len(queries), K), dtype=np.int64)
    times = []
    for i, q in enumerate(queries):
        start = time.perf_counter()
        points = client.query_points("bench", query=q.tolist(), limit=K).points
        times.append((time.perf_counter() - start) * 1000)
        found[i] = [p.id for p in points]
    client.close()
    return Measured("qdrant local mode", len(base), build_s, Stat.of(times), recall_at_k(found, truth))


def sweep(
    index: faiss.Index, kind: str, size: int, queries: np.ndarray, truth: np.ndarray
) -> list[list[str]]:
    knob, values = KNOBS[kind]
    rows = []
    for value in values:
        if kind == "hnsw":
            index.hnsw.efSearch = value
        else:
            index.nprobe = value
        latency, found = per_query_ms(index, queries)
        rows.append(
            [
                kind,
                f"{size:,}",
                f"{knob}={value}",
                f"{latency.median:.3f}",
                f"{recall_at_k(found, truth):.3f}",
            ]
        )
    return rows


def plot(results: list[Measured], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for kind in dict.fromkeys(r.kind for r in results):
        mine = [r for r in results if r.kind == kind]
        sizes = [r.size for r in mine]
        left.plot(sizes, [r.latency.median for r in mine], marker="o", label=kind)
        right.plot(sizes, [r.recall for r in mine], marker="o", label=kind)
    left.axhline(5, color="grey", linestyle="--", linewidth=1)
    right.axhline(0.95, color="grey", linestyle="--", linewidth=1)
    for ax, label in ((left, "p50 latency per query (ms)"), (right, "recall@10 vs exact")):
        ax.set_xscale("log")
        ax.set_xlabel("chunks")
        ax.set_ylabel(label)
        ax.legend()
    left.set_yscale("log")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
