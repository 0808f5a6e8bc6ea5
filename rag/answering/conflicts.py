"""Conflicting figures: two documents giving different amounts for the same thing.

Two sentences conflict when both share enough of the question's terms, including one beyond
the names it mentions, come from different documents, say nearly the same thing (embedding
cosine), and name different amounts in the same currency. Nearness to the best score is not
required: the second source of a conflict often words it differently ("US$11.7B over 5 years
in AV compute").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from rag.answering.evidence import Evidence
from rag.answering.question import Question
from rag.core.text import money, stems, words

# The question must ask for an amount for a disagreement about amounts to be its answer.
QUALIFIER = re.compile(
    r"(more than|over|about|around|approximately|nearly|almost|up to|at least)\s*$", re.IGNORECASE
)


@dataclass
class Claim:
    evidence: Evidence
    value: str  # as the article writes it, with a qualifier such as "more than"
    amount: float
    currency: str


def _claim(ev: Evidence) -> Claim | None:
    text = ev.sentence.text
    amounts = money(text)
    if not amounts:
        return None
    amount, currency, shown = max(amounts)
    start = text.find(shown)
    qualifier = QUALIFIER.search(text[:start])
    return Claim(ev, f"{qualifier.group(1)} {shown}" if qualifier else shown, amount, currency)


def _asked_about(question: Question) -> set[str]:
    """Stems of what the question asks about beyond the names it mentions: "employees" in "How
    many employees does Huawei have?". A corpus about one company names it in every sentence, so
    two of its figures sharing only that name are not two answers to the question."""
    named = {w.lower() for name in question.names for w in words(name)}
    return stems(" ".join(t for t in question.terms if t.lower() not in named))


class ConflictDetector:
    def __init__(self, min_similarity: float, min_overlap: float, candidates: int = 8) -> None:
        self.min_similarity = min_similarity
        self.min_overlap = min_overlap
        self.candidates = candidates

    def run(self, question: Question, evidence: list[Evidence]) -> list[Claim] | None:
        """Two claims, the best evidence sentence's first, or None. The question must ask for a
        figure, and the best sentence must state an amount itself: a figure elsewhere is a
        conflict only if it rivals the answer."""
        if not evidence or question.expects != "number" or not (best := _claim(evidence[0])):
            return None
        if question.focus and question.focus <= evidence[0].context_stems:
            return None  # "over how many years...": the figure asked for is the years, not the amount
        about = _asked_about(question)

        def on_topic(ev: Evidence) -> bool:
            return not about or bool(about & stems(ev.display))

        if not on_topic(best.evidence):
            return None
        for ev in evidence[1 : self.candidates]:
            other = _claim(ev) if ev.overlap >= self.min_overlap and on_topic(ev) else None
            if other is None or other.evidence.chunk.doc_id == best.evidence.chunk.doc_id:
                continue
            similar = float(np.dot(best.evidence.vector, other.evidence.vector)) >= self.min_similarity
            differs = abs(best.amount - other.amount) > 0.01 * max(best.amount, other.amount)
            if similar and differs and best.currency == other.currency:
                return [best, other]
        return None
