"""Hybrid retrieval: FAISS inner product and BM25, fused by reciprocal rank fusion.

RRF needs no score calibration between the two lists, which matters because cosine and
BM25 scores live on unrelated scales. Each Hit keeps both raw scores and ranks so later
stages (the gate, the eval) can see why a chunk was retrieved.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Literal

import numpy as np

from index.store import SearchIndex
from rag.core.text import Haystack
from rag.core.types import Hit
from rag.documents.sentences import SENTENCE_END
from rag.embedding.embedder import Embedder

Mode = Literal["hybrid", "dense", "bm25"]
STARTS = ".!?:;|\n"  # a word after one of these may be capitalised only for starting something
OPENERS = " \t\"'“‘(*>-•"  # quotes and list marks between the two


class Retriever:
    def __init__(
        self,
        index: SearchIndex,
        embedder: Embedder,
        mode: Mode = "hybrid",
        top_k: int = 5,
        candidates: int = 50,
        rrf_k: int = 60,
    ) -> None:
        if top_k < 1:
            raise ValueError(f"top_k must be greater than 0. Currently, top_k is {top_k}")
        if mode not in ("hybrid", "dense", "bm25"):
            raise ValueError(f"mode must be hybrid, dense or bm25. Currently, mode is {mode!r}")
        self.index = index
        self.embedder = embedder
        self.mode = mode
        self.top_k = top_k
        self.candidates = max(candidates, top_k)
        self.rrf_k = rrf_k

    @classmethod
    def from_settings(cls, index: SearchIndex, embedder: Embedder, settings) -> Retriever:
        return cls(index, embedder, settings.retrieval, settings.top_k, settings.candidates, settings.rrf_k)

    def mentions(self, name: str) -> bool:
        """Whether any document mentions `name`, whatever was retrieved: BM25 finds the chunks
        holding its words, and the best of them are read for the whole name. A refusal may say
        that no document mentions a name only when this is False."""
        _, rows = self.index.bm25(name, self.candidates)
        chunks = (self.index.chunks[int(row)] for row in rows)
        return any(Haystack(f"{c.title} {c.text}").mentions(name) for c in chunks)

    def spellings(self, word: str) -> Counter[str]:
        """How the documents write `word` in running prose ("huawei": {"Huawei": 40}), counted in
        the chunks BM25 finds for it, each sentence once (chunks overlap). A capital that may only
        mark a start says nothing, so a sentence's first word is left out, and so are lines that do
        not end like a sentence (title-cased headings, table rows, code)."""
        pattern = re.compile(rf"(?<!\w){re.escape(word)}(?!\w)", re.IGNORECASE)
        _, rows = self.index.bm25(word, self.candidates)
        seen: Counter[str] = Counter()
        read: set[tuple[str, int]] = set()
        for row in rows:
            chunk = self.index.chunks[int(row)]
            for sentence in chunk.sentences:
                key = (chunk.doc_id, sentence.start)
                if key in read or not SENTENCE_END.search(sentence.text):
                    continue
                read.add(key)
                for m in pattern.finditer(sentence.text):
                    before = sentence.text[: m.start()].rstrip(OPENERS)
                    if before and before[-1] not in STARTS:
                        seen[m.group()] += 1
        return seen

    def embed_query(self, query: str) -> np.ndarray:
        return self.embedder.embed([query], progress=False)[0]

    def run(self, query: str, top_k: int | None = None, query_vector: np.ndarray | None = None) -> list[Hit]:
        k = top_k or self.top_k
        hits: dict[int, Hit] = {}

        def hit(row: int) -> Hit:
            if row not in hits:
                hits[row] = Hit(chunk=self.index.chunks[row], score=0.0)
            return hits[row]

        if self.mode in ("hybrid", "dense"):
            vector = self.embed_query(query) if query_vector is None else query_vector
            scores, rows = self.index.dense(vector, self.candidates)
            for rank, (score, row) in enumerate(zip(scores, rows), start=1):
                h = hit(int(row))
                h.dense_score, h.dense_rank = float(score), rank
        if self.mode in ("hybrid", "bm25"):
            scores, rows = self.index.bm25(query, self.candidates)
            for rank, (score, row) in enumerate(zip(scores, rows), start=1):
                h = hit(int(row))
                h.bm25_score, h.bm25_rank = float(score), rank
        for h in hits.values():
            if self.mode == "dense":
                h.score = h.dense_score or 0.0
            elif self.mode == "bm25":
                h.score = h.bm25_score or 0.0
            else:
                h.score = sum(1.0 / (self.rrf_k + r) for r in (h.dense_rank, h.bm25_rank) if r)
        return sorted(hits.values(), key=lambda h: (-h.score, h.chunk.chunk_id))[:k]


def interleave(ranked: list[list[Hit]], k: int) -> list[Hit]:
    """The first hit of each list, then the second of each, and so on, none twice, k at most:
    the best chunks for every query of a question near the top."""
    out: dict[str, Hit] = {}
    for rank in range(max(map(len, ranked), default=0)):
        for hits in ranked:
            if rank < len(hits):
                out.setdefault(hits[rank].chunk.chunk_id, hits[rank])
    return list(out.values())[:k]
