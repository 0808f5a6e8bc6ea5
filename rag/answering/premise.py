"""False-premise check: the question pins on one party what the evidence says of another.

"Why did Nvidia unveil the SuperPoD Interconnect?" finds "Huawei's SuperPoD Interconnect...":
the question's name (Nvidia) is missing from the best sentence, which has a different name
(Huawei) standing just before the thing both talk about (SuperPoD), as its owner or agent.
That pattern, a swapped name before a shared anchor, is what we flag; a name merely absent is
left to the gate. A number in the question that no retrieved passage contains ("invest $50
billion") is flagged too.
"""

from __future__ import annotations

from dataclasses import dataclass

from rag.answering.evidence import Evidence
from rag.core.text import entities, numbers, stem, words
from rag.core.types import Hit

WINDOW = 3  # how many words apart a name and its anchor may stand


@dataclass
class PremiseIssue:
    unsupported: list[str]  # what the question asserts that the articles do not
    evidence: Evidence  # what they say instead


def _positions(text: str, common: frozenset[str]) -> dict[str, list[int]]:
    names = entities(text, common)
    out: dict[str, list[int]] = {}
    for i, tok in enumerate(words(text)):
        key = stem(tok.lower())
        if key in names:
            out.setdefault(key, []).append(i)
    return out


def _owns(names: list[int], anchor: list[int]) -> bool:
    """The name stands shortly before the anchor, as an owner or agent does ("Huawei's
    SuperPoD", "Nvidia unveil the SuperPoD"). Names after the anchor are usually attributes."""
    return any(0 < j - i <= WINDOW for i in names for j in anchor)


class PremiseChecker:
    def __init__(self, common: frozenset[str], corpus_names: frozenset[str], min_score: float) -> None:
        self.common = common
        self.corpus_names = corpus_names  # a swapped name must be one the corpus knows
        self.min_score = min_score

    def run(self, question: str, hits: list[Hit], evidence: list[Evidence]) -> PremiseIssue | None:
        if not evidence or evidence[0].score < self.min_score:
            return None
        best = evidence[0]
        passages = " ".join(h.chunk.text for h in hits)
        q_numbers = numbers(question) - numbers(passages)
        if q_numbers and best.overlap > 0:
            return PremiseIssue(sorted(q_numbers), best)
        q_pos = _positions(question, self.common)
        for ev in evidence[:3]:
            s_pos = _positions(ev.sentence.text, self.common)
            missing = [n for n in q_pos if n not in s_pos and n in self.corpus_names]
            swapped = [n for n in s_pos if n not in q_pos]
            anchors = [n for n in q_pos if n in s_pos]
            for m in missing:
                for a in anchors:
                    if _owns(q_pos[m], q_pos[a]) and any(_owns(s_pos[s], s_pos[a]) for s in swapped):
                        return PremiseIssue([m], ev)
        return None
