"""Answerability gate: refuse before generating when the evidence cannot answer.

A small model given weak evidence invents an answer, and offering it a way out in the prompt
makes it refuse everything; so the decision is made here, from measurable signals:
- a name or code in the question (Qualcomm, 910D) that no retrieved passage contains;
- the best sentence's score (cosine + term overlap) below a threshold;
- too small a share of the question's content terms present in the top passages.
Both thresholds are calibrated on the whole dev set (`python -m eval calibrate`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rag.answering.evidence import Evidence
from rag.core.text import content_terms, entities
from rag.core.types import Hit


@dataclass
class GateDecision:
    answerable: bool
    reason: str
    best_score: float
    coverage: float
    missing: list[str] = field(default_factory=list)


class AnswerabilityGate:
    def __init__(
        self, min_score: float, min_coverage: float, common: frozenset[str], coverage_passages: int = 3
    ) -> None:
        self.min_score = min_score
        self.min_coverage = min_coverage
        self.common = common
        self.coverage_passages = coverage_passages

    def run(self, question: str, hits: list[Hit], evidence: list[Evidence]) -> GateDecision:
        passages = " ".join(f"{h.chunk.title} {h.chunk.text}" for h in hits)
        found = entities(passages, self.common) | content_terms(passages)
        missing = sorted(e for e in entities(question, self.common) if e not in found)
        best = evidence[0].score if evidence else 0.0
        q_terms = content_terms(question)
        top = " ".join(h.chunk.text for h in hits[: self.coverage_passages])
        coverage = len(q_terms & content_terms(top)) / len(q_terms) if q_terms else 0.0
        if missing:
            return GateDecision(False, "missing", best, coverage, missing)
        if best < self.min_score:
            return GateDecision(False, "low score", best, coverage)
        if coverage < self.min_coverage:
            return GateDecision(False, "low coverage", best, coverage)
        return GateDecision(True, "ok", best, coverage)
