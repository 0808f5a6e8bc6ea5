"""BM25 over chunk texts, using bm25s with a Snowball stemmer.

Thousands separators are removed before tokenising so "15,000" in a question matches
"15,000" in an article as one token rather than two.
"""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path

import bm25s
import numpy as np

from rag.core.text import THOUSANDS, stemmer

logging.getLogger("bm25s").setLevel(logging.WARNING)


def tokenize(texts: list[str]) -> list[list[str]]:
    texts = [THOUSANDS.sub("", t) for t in texts]
    return bm25s.tokenize(texts, stopwords="en", stemmer=stemmer(), return_ids=False, show_progress=False)


class LexicalIndex:
    def __init__(self, model: bm25s.BM25) -> None:
        self._model = model

    @classmethod
    def build(cls, texts: list[str]) -> LexicalIndex:
        model = bm25s.BM25()
        model.index(tokenize(texts), show_progress=False)
        return cls(model)

    def save(self, folder: Path) -> None:
        self._model.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        # memory-mapped: a query reads the postings of its few terms, so start-up need not read
        # them all (they grow with the corpus)
        return cls(bm25s.BM25.load(str(folder), mmap=True, show_progress=False, verbosity=0))

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every chunk, in index order."""
        vocab = self._model.vocab_dict
        tokens = [t for t in tokenize([query])[0] if t in vocab]
        if not tokens:
            return np.zeros(self._model.scores["num_docs"], dtype=np.float32)
        return self._model.get_scores(tokens)

    def document_weights(self) -> list[dict[str, float]]:
        """Each chunk's BM25 weight per term. A query's BM25 score is the sum of these over its
        tokens, so stored as sparse vectors they reproduce bm25s scores as dot products."""
        s = self._model.scores
        indptr = np.asarray(s["indptr"])
        tokens = np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))
        names = {i: t for t, i in self._model.vocab_dict.items()}
        weights: list[dict[str, float]] = [{} for _ in range(s["num_docs"])]
        for doc, token, weight in zip(s["indices"].tolist(), tokens.tolist(), s["data"].tolist()):
            weights[doc][names[token]] = weight
        return weights


def query_terms(query: str) -> Counter[str]:
    """Query tokens with their counts: bm25s adds a token's weight once per occurrence."""
    return Counter(tokenize([query])[0])
