"""Build the Answer a user reads: checked sentences, each with its citation, in a fixed shape.

Every path goes through here, so the rules hold everywhere: a citation names the exact passage
sentence; one sentence keeps one number however often it is cited; a quote is shown on one line
and never twice; a bare value is never the whole answer.
"""

from __future__ import annotations

from dataclasses import dataclass

from rag.core.text import flat, normalise
from rag.core.types import Answer, Chunk, Citation, Conflict, Sentence
from rag.generation.prompting import PromptLibrary


class Citations:
    """Numbers citations 1..n in order of first use; the same sentence keeps one number."""

    def __init__(self) -> None:
        self.items: list[Citation] = []

    def add(self, chunk: Chunk, sentence: Sentence, score: float) -> int:
        for c in self.items:
            if c.doc_id == chunk.doc_id and c.start == sentence.start:
                return c.marker
        marker = len(self.items) + 1
        self.items.append(
            Citation(
                marker=marker,
                doc_id=chunk.doc_id,
                chunk_id=chunk.chunk_id,
                title=chunk.title,
                text=flat(sentence.text),
                start=sentence.start,
                end=sentence.end,
                score=round(float(score), 4),
            )
        )
        return marker


@dataclass
class Part:
    """One cited piece of an answer: a checked sentence of the model's, or a quote."""

    text: str
    chunk: Chunk
    sentence: Sentence
    score: float
    quote: bool = False  # shown in quotation marks: the passage's own words


class Composer:
    """Renders answers with the prompt templates; `noun` is what the corpus holds ("articles",
    "documents"), so a refusal speaks of what the user actually loaded."""

    def __init__(self, prompts: PromptLibrary, noun: str = "documents") -> None:
        if not noun.strip():
            raise ValueError("noun must name what the corpus holds, e.g. 'documents'")
        self.prompts = prompts
        self.noun = noun

    def parts(self, question: str, parts: list[Part], mode: str) -> Answer:
        cites = Citations()
        shown: list[str] = []
        seen: set[str] = set()
        for part in parts:
            text = flat(part.text).rstrip()
            key = normalise(text).strip(' ."“”')
            if not key or key in seen:
                continue  # the same words twice say nothing new
            seen.add(key)
            marker = cites.add(part.chunk, part.sentence, part.score)
            shown.append(f"“{text}” [{marker}]" if part.quote else f"{text} [{marker}]")
        return Answer(question=question, answer=" ".join(shown), citations=cites.items, mode=mode)

    def located(self, question: str, value: str, part: Part) -> Answer:
        """The model named a value but wrote no sentence: the value, then the sentence holding it."""
        cites = Citations()
        marker = cites.add(part.chunk, part.sentence, part.score)
        text = self.prompts.render("located", value=value, sentence=flat(part.text), marker=marker)
        return Answer(question=question, answer=text, citations=cites.items, mode="located")

    def refusal(self, question: str, missing: list[str]) -> Answer:
        text = self.prompts.render("refusal", missing=missing, noun=self.noun)
        return Answer(question=question, answer=text, refused=True, mode="refusal")

    def premise(self, question: str, unsupported: list[str], part: Part) -> Answer:
        cites = Citations()
        marker = cites.add(part.chunk, part.sentence, part.score)
        text = self.prompts.render(
            "premise", unsupported=unsupported, sentence=flat(part.text), marker=marker, noun=self.noun
        )
        return Answer(question=question, answer=text, refused=True, citations=cites.items, mode="premise")

    def conflict(self, question: str, claims: list[tuple[str, Part]]) -> Answer:
        cites = Citations()
        shown = [
            {"marker": cites.add(p.chunk, p.sentence, p.score), "value": value, "sentence": flat(p.text)}
            for value, p in claims
        ]
        text = self.prompts.render("conflict", claims=shown, noun=self.noun)
        conflict = Conflict(
            topic=question, values=[c["value"] for c in shown], markers=[c["marker"] for c in shown]
        )
        return Answer(
            question=question, answer=text, citations=cites.items, conflicts=[conflict], mode="conflict"
        )
