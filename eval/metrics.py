"""Metrics over answered eval questions. No model judges anything here.

Each metric returns a MetricResult: the overall score and one score per question (None where
the metric does not apply), so a report can show which questions failed. Citation support is
lexical: a cited passage supports an answer sentence when it contains one of the question's
gold sentences, or when every number and name of the answer sentence appears in the cited
sentence and they share most content terms.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass
from typing import Any

from eval.dataset import EvalQuestion
from rag.answering.verify import split_answer
from rag.core.text import content_terms, normalise, numbers
from rag.core.types import Chunk

MARKER = re.compile(r"\[(\d+)\]")
SUPPORT_OVERLAP = 0.5


@dataclass
class MetricResult:
    score: float
    individual_scores: list[float | None]


def _mean(values: list[float | None]) -> float:
    vals = [v for v in values if v is not None]
    return sum(vals) / len(vals) if vals else 0.0


def matches(answer_text: str, groups: list[list[str]]) -> bool:
    text = normalise(answer_text)
    return all(any(normalise(alt) in text for alt in group) for group in groups)


def answer_accuracy(questions: list[EvalQuestion], records: list[dict[str, Any]]) -> MetricResult:
    """Answerable: accepted strings present and not refused. Refusal types: refused."""
    scores: list[float | None] = []
    for q, r in zip(questions, records):
        if "error" in r:
            scores.append(0.0)
        elif q.should_refuse:
            scores.append(float(bool(r["refused"])))
        else:
            scores.append(float(not r["refused"] and matches(r["answer"], q.answers)))
    return MetricResult(_mean(scores), scores)


def refusal_precision(questions: list[EvalQuestion], records: list[dict[str, Any]]) -> MetricResult:
    scores = [float(q.should_refuse) if r.get("refused") else None for q, r in zip(questions, records)]
    return MetricResult(_mean(scores), scores)


def refusal_recall(questions: list[EvalQuestion], records: list[dict[str, Any]]) -> MetricResult:
    scores = [float(bool(r.get("refused"))) if q.should_refuse else None for q, r in zip(questions, records)]
    return MetricResult(_mean(scores), scores)


def holds(passage: str, gold: str) -> bool:
    """A gold sentence occurs in a passage, whatever the whitespace: hard-wrapped files break
    lines inside sentences, and HTML extraction may space inline markup differently."""
    return "".join(gold.split()) in "".join(passage.split())


def _gold_rank(q: EvalQuestion, ranked: list[Chunk], by: str) -> int | None:
    for rank, chunk in enumerate(ranked, 1):
        if by == "doc" and chunk.doc_id in q.doc_ids:
            return rank
        if by == "sentence" and any(holds(chunk.text, g) for g in q.gold_sentences):
            return rank
    return None


def retrieval_recall(
    questions: list[EvalQuestion], rankings: list[list[Chunk]], k: int, by: str = "doc"
) -> MetricResult:
    """Share of gold documents (or gold sentences) found in the top k passages."""
    scores: list[float | None] = []
    for q, ranked in zip(questions, rankings):
        if q.should_refuse:
            scores.append(None)
            continue
        top = ranked[:k]
        if by == "doc":
            found = sum(any(c.doc_id == d for c in top) for d in q.doc_ids)
            scores.append(found / len(q.doc_ids))
        else:
            found = sum(any(holds(c.text, g) for c in top) for g in q.gold_sentences)
            scores.append(found / len(q.gold_sentences))
    return MetricResult(_mean(scores), scores)


def mrr(questions: list[EvalQuestion], rankings: list[list[Chunk]], by: str = "doc") -> MetricResult:
    scores: list[float | None] = []
    for q, ranked in zip(questions, rankings):
        if q.should_refuse:
            scores.append(None)
            continue
        rank = _gold_rank(q, ranked, by)
        scores.append(1.0 / rank if rank else 0.0)
    return MetricResult(_mean(scores), scores)


def supports(
    sentence: str, cited: dict[str, Any], chunk: Chunk | None, q: EvalQuestion, allow_gold: bool = True
) -> bool:
    """Does one citation support one answer sentence? Its passage holds a gold sentence (when
    allowed), or the cited sentence holds every number of the answer sentence and most of its
    content terms."""
    passage = chunk.text if chunk else cited["text"]
    if allow_gold and any(holds(passage, g) for g in q.gold_sentences):
        return True
    source = cited["text"]
    if not numbers(sentence) <= numbers(source):
        return False
    terms = content_terms(sentence)
    return bool(terms) and len(terms & content_terms(source)) / len(terms) >= SUPPORT_OVERLAP


def citation_scores(
    questions: list[EvalQuestion], records: list[dict[str, Any]], chunks: dict[str, Chunk]
) -> dict[str, MetricResult]:
    """ALCE-style citation recall (each sentence supported by its own citations) and precision
    (each citation supports its sentence), both with the gold-passage rule; and groundedness,
    strictly lexical: each sentence's numbers and terms stand in a sentence the answer cites."""
    recall: list[float | None] = []
    precision: list[float | None] = []
    grounded: list[float | None] = []
    for q, r in zip(questions, records):
        if "error" in r or r.get("refused") or not r.get("citations"):
            recall.append(None)
            precision.append(None)
            grounded.append(None)
            continue
        by_marker = {c["marker"]: c for c in r["citations"]}
        sents = split_answer(r["answer"])
        supported, any_supported, cites_ok, cites_all = 0, 0, 0, 0
        for text, markers in sents:
            cited = [by_marker[m] for m in markers if m in by_marker]
            ok = [supports(text, c, chunks.get(c["chunk_id"]), q) for c in cited]
            supported += any(ok)
            any_supported += any(supports(text, c, None, q, allow_gold=False) for c in by_marker.values())
            cites_ok += sum(ok)
            cites_all += len(ok)
        recall.append(supported / len(sents) if sents else 0.0)
        precision.append(cites_ok / cites_all if cites_all else 0.0)
        grounded.append(any_supported / len(sents) if sents else 0.0)
    return {
        "citation_recall": MetricResult(_mean(recall), recall),
        "citation_precision": MetricResult(_mean(precision), precision),
        "groundedness": MetricResult(_mean(grounded), grounded),
    }


def percentile(values: list[float], share: float) -> float:
    """The value at `share` (0.5 is the median, 0.95 the p95) of `values`, by nearest rank;
    0.0 when there are none. The one percentile used by the eval, the benchmarks and the tests."""
    if not values:
        return 0.0
    ordered = sorted(values)
    if share == 0.5:
        return statistics.median(ordered)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]
