"""Build the Answer a user reads: checked sentences, each with its citation, in a fixed shape.

Every path goes through here, so the rules hold everywhere: a citation names the exact passage
sentence; one sentence keeps one number however often it is cited; a quote is shown on one line
and never twice; a bare value is never the whole answer.
"""

from __future__ import annotations

from dataclasses import dataclass

from rag.core.text import flat, normalise
from rag.core.types import Answer, Chunk, Citation, Conflict, Mode, Sentence
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


class AnswerBuilder:
    """An answer built piece by piece, so checked sentences can be shown as soon as they pass:
    each add returns the text to show (with its leading space), and answer() the whole."""

    def __init__(self, composer: Composer, question: str) -> None:
        self.composer = composer
        self.question = question
        self.cites = Citations()
        self.shown: list[str] = []
        self._seen: set[str] = set()
        self.led_by_value = False  # the answer opens with a bare value and the sentence holding it

    def add(self, part: Part) -> str:
        text = flat(part.text).rstrip()
        key = normalise(text).strip(' ."“”')
        if not key or key in self._seen:
            return ""  # the same words twice say nothing new
        self._seen.add(key)
        marker = self.cites.add(part.chunk, part.sentence, part.score)
        return self._show(f"“{text}” [{marker}]" if part.quote else f"{text} [{marker}]")

    def add_located(self, value: str, part: Part) -> str:
        self.led_by_value = self.led_by_value or not self.shown
        marker = self.cites.add(part.chunk, part.sentence, part.score)
        quoted = normalise(flat(part.text)).strip(' ."“”')
        self._seen.add(quoted)
        if normalise(value).strip(" .") == quoted:  # a line that is only the value: said once
            value = ""
        return self._show(
            self.composer.prompts.render("located", value=value, sentence=flat(part.text), marker=marker)
        )

    def _show(self, text: str) -> str:
        piece = (" " if self.shown else "") + text
        self.shown.append(text)
        return piece

    def answer(self, mode: Mode) -> Answer:
        mode = "located" if self.led_by_value and mode == "generated" else mode
        return Answer(
            question=self.question, answer=" ".join(self.shown), citations=self.cites.items, mode=mode
        )


class Composer:
    """Renders answers with the prompt templates; `noun` is what the corpus holds ("articles",
    "documents"), so a refusal speaks of what the user actually loaded."""

    def __init__(self, prompts: PromptLibrary, noun: str = "documents") -> None:
        if not noun.strip():
            raise ValueError("noun must name what the corpus holds, e.g. 'documents'")
        self.prompts = prompts
        self.noun = noun

    def builder(self, question: str) -> AnswerBuilder:
        return AnswerBuilder(self, question)

    def parts(self, question: str, parts: list[Part], mode: Mode) -> Answer:
        build = self.builder(question)
        for part in parts:
            build.add(part)
        return build.answer(mode)

    def located(self, question: str, value: str, part: Part) -> Answer:
        """The model named a value but wrote no sentence: the value, then the sentence holding it."""
        build = self.builder(question)
        build.add_located(value, part)
        return build.answer("located")

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
