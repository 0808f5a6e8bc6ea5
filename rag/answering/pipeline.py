"""The answer pipeline: retrieve -> gate -> prompt -> generate -> verify/cite.

The model phrases; the pipeline decides what may be said. Every path ends in an Answer whose
sentences each cite the passage sentence that supports them, or in an honest refusal.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass

from rag.answering.conflicts import Claim, ConflictDetector
from rag.answering.evidence import Evidence, EvidenceScorer, informative
from rag.answering.gate import AnswerabilityGate
from rag.answering.premise import PremiseChecker
from rag.answering.rewrite import QuestionRewriter
from rag.answering.verify import MARKER, CitationVerifier, split_answer
from rag.core.errors import GeneratorError, InputError
from rag.core.text import common_words, entities, normalise
from rag.core.types import Answer, Chunk, Citation, Conflict, Hit, Sentence
from rag.generation.base import Generator, Prompt
from rag.generation.prompting import PromptLibrary
from rag.retrieval.retriever import Retriever

log = logging.getLogger(__name__)
COMPLETION_STOPS = ["\n\n", "\nQuestion:", "\nPassages:"]
SHORT_REPLY_WORDS = 4  # a reply this short is a value, not a sentence
# Small chat models open with boilerplate that is not a claim about the articles.
PREAMBLE = re.compile(
    r"^(?:based on|according to) (?:the )?(?:information|passages?|text|context)[^,]*,\s*", re.IGNORECASE
)


@dataclass
class Plan:
    """What the pipeline decided before any token is generated."""

    question: str  # standalone, after rewriting
    hits: list[Hit]
    evidence: list[Evidence]
    answer: Answer | None  # already final (refusal, premise, conflict), or None to generate
    prompt: Prompt | None = None
    passages: dict[int, Chunk] | None = None


class Answerer:
    def __init__(
        self, retriever: Retriever, generator: Generator | None, prompts: PromptLibrary, settings
    ) -> None:
        self.retriever = retriever
        self.generator = generator
        self.prompts = prompts
        self.settings = settings
        chunks = retriever.index.chunks
        common = common_words([c.text for c in chunks])
        corpus_names = frozenset(e for c in chunks for e in entities(c.text, common))
        lookup = retriever.index.sentence_matrix
        self.scorer = EvidenceScorer(retriever.embedder, settings.lexical_weight, lookup)
        self.gate = AnswerabilityGate(settings.gate_min_score, settings.gate_min_coverage, common)
        self.premise = PremiseChecker(common, corpus_names, settings.gate_min_score)
        self.conflicts = ConflictDetector(settings.conflict_min_similarity, settings.conflict_min_overlap)
        self.verifier = CitationVerifier(
            retriever.embedder, common, settings.support_min_similarity, settings.support_min_overlap, lookup
        )
        self.rewriter = QuestionRewriter(prompts, generator)

    # public verbs
    def run(
        self,
        question: str,
        history: list[dict[str, str]] | None = None,
        top_k: int | None = None,
        verify: bool | None = None,
    ) -> Answer:
        answer = None
        for item in self.stream(question, history, top_k=top_k, verify=verify):
            if isinstance(item, Answer):
                answer = item
        assert answer is not None
        return answer

    def stream(
        self,
        question: str,
        history: list[dict[str, str]] | None = None,
        top_k: int | None = None,
        verify: bool | None = None,
    ) -> Iterator[str | Answer]:
        """Yield raw model tokens as they come, then the final, verified Answer.

        top_k and verify override the settings for this call only (the chat page's controls)."""
        start = time.perf_counter()
        question = self._clean_question(question)
        plan = self.plan(question, history, top_k)
        answer = plan.answer
        if answer is None:
            raw = ""
            try:
                for piece in self.generator.stream(plan.prompt, self.settings.max_new_tokens):
                    raw += piece
                    yield piece
            except GeneratorError:
                raise  # a server that is down or misconfigured is the user's to fix, not to hide
            except Exception:
                log.exception("generation failed; answering extractively")
                answer = self._extractive(question, plan.evidence)
            else:
                answer = self._finish(question, plan, raw, self.settings.verify if verify is None else verify)
        if history:
            answer.rewritten_question = plan.question
        answer.latency_s = round(time.perf_counter() - start, 3)
        yield answer

    # stages
    def _clean_question(self, question: str) -> str:
        question = " ".join("".join(ch if ch.isprintable() else " " for ch in question or "").split())
        if not question:
            raise InputError("the question is empty; type a question about the articles")
        return question[: self.settings.max_question_chars]

    def plan(
        self, question: str, history: list[dict[str, str]] | None = None, top_k: int | None = None
    ) -> Plan:
        standalone = self.rewriter.run(question, history)
        vector = self.retriever.embed_query(standalone)
        hits = self.retriever.run(standalone, top_k=top_k, query_vector=vector)
        evidence = self.scorer.run(standalone, hits, vector)
        plan = Plan(standalone, hits, evidence, None)
        s = self.settings
        if s.premise_checks and (issue := self.premise.run(standalone, hits, evidence)):
            plan.answer = self._premise(question, issue.unsupported, issue.evidence)
            return plan
        decision = self.gate.run(standalone, hits, evidence)
        if not decision.answerable:
            plan.answer = self._refusal(question, decision.missing)
            return plan
        if claims := self.conflicts.run(standalone, evidence):
            plan.answer = self._conflict(question, claims)
            return plan
        if self.generator is None:
            plan.answer = self._extractive(question, evidence)
            return plan
        plan.passages, shown = self._passages(hits[: s.passages])
        user = self.prompts.render("answer", passages=shown, question=standalone)
        plan.prompt = Prompt(
            user=user,
            system=self.prompts.render("system"),
            completion=self.prompts.render("answer_completion", passages=shown, question=standalone),
            stop=COMPLETION_STOPS,
        )
        return plan

    @staticmethod
    def _passages(hits: list[Hit]) -> tuple[dict[int, Chunk], list[dict[str, object]]]:
        """Numbered passages for the prompt: each chunk's informative sentences, none twice.
        Overlapping chunks repeat sentences and headings carry no facts; dropping both
        shortens the prompt (faster prefill) and gave the model fewer ways to go wrong."""
        seen: set[tuple[str, int]] = set()
        passages: dict[int, Chunk] = {}
        shown: list[dict[str, object]] = []
        for hit in hits:
            c = hit.chunk
            sents = [x.text for x in c.sentences if (c.doc_id, x.start) not in seen and informative(x)]
            seen.update((c.doc_id, x.start) for x in c.sentences)
            if sents:
                marker = len(passages) + 1
                passages[marker] = c
                shown.append({"marker": marker, "text": " ".join(sents)})
        return passages, shown

    def _finish(self, question: str, plan: Plan, raw: str, verify: bool) -> Answer:
        raw = PREAMBLE.sub("", raw.strip()).strip()
        if not verify:
            return self._unverified(question, plan, raw)
        supported = self.verifier.run(raw, plan.passages, plan.question) if raw else []
        # True is not enough: a kept sentence must rest on one of the sentences that best answer
        # the question, or the model has wandered off to another fact in the passages.
        relevant = {
            (e.chunk.doc_id, e.sentence.start) for e in plan.evidence[: self.settings.support_top_evidence]
        }
        supported = [x for x in supported if (x.chunk.doc_id, x.sentence.start) in relevant]
        if not supported:
            value = MARKER.sub("", raw).strip(" []\"'.")
            if value and len(value.split()) <= SHORT_REPLY_WORDS:
                return self._located(question, plan.evidence, value)
            if plan.evidence[0].score < self.settings.fallback_min_score:
                # The model could not say anything the passages support, and the best evidence
                # is weak too: on the dev set that pair marked unanswerable questions far more
                # often than answerable ones, so say so rather than quote a near miss.
                return self._refusal(question, [])
            return self._extractive(question, plan.evidence)
        cites = _Citations()
        parts = [f"{s.text} [{cites.add(s.chunk, s.sentence, s.score)}]" for s in supported]
        return Answer(question=question, answer=" ".join(parts), citations=cites.items, mode="generated")

    def _unverified(self, question: str, plan: Plan, raw: str) -> Answer:
        """Verification off: cite whatever the model cited, pointing at each passage's best sentence."""
        cites = _Citations()
        parts = []
        for text, markers in split_answer(raw):
            chunks = [plan.passages[m] for m in markers if m in plan.passages] or [plan.passages[1]]
            refs = []
            for chunk in chunks:
                ev = next((e for e in plan.evidence if e.chunk.chunk_id == chunk.chunk_id), None)
                sentence = ev.sentence if ev else chunk.sentences[0]
                refs.append(cites.add(chunk, sentence, ev.score if ev else 0.0))
            parts.append(text + "".join(f" [{r}]" for r in refs))
        if not parts:
            return self._extractive(question, plan.evidence)
        return Answer(question=question, answer=" ".join(parts), citations=cites.items, mode="generated")

    def _refusal(self, question: str, missing: list[str]) -> Answer:
        text = self.prompts.render("refusal", missing=missing)
        return Answer(question=question, answer=text, refused=True, mode="refusal")

    def _located(self, question: str, evidence: list[Evidence], value: str) -> Answer:
        """The model replied with a bare value ("15,000", "[CANN]"): it chose well but did not
        phrase an answer. Quote the best evidence sentence that contains the value."""
        target = normalise(value)
        # whole words only: the value "20" must not be found inside "2024"
        pattern = re.compile(rf"(?<!\w){re.escape(target)}(?!\w)") if target else None
        for ev in evidence:
            if pattern and pattern.search(normalise(ev.display)):
                cites = _Citations()
                marker = cites.add(ev.chunk, ev.sentence, ev.score)
                text = self.prompts.render("located", value=value, sentence=ev.display, marker=marker)
                return Answer(question=question, answer=text, citations=cites.items, mode="located")
        return self._extractive(question, evidence)

    def _extractive(self, question: str, evidence: list[Evidence]) -> Answer:
        best = evidence[0]
        chosen = [best]
        for ev in evidence[1:4]:
            if (
                ev.chunk.doc_id != best.chunk.doc_id
                and ev.score >= best.score - self.settings.extractive_margin
            ):
                chosen.append(ev)
                break
        cites = _Citations()
        sentences = [
            {"text": ev.display, "marker": cites.add(ev.chunk, ev.sentence, ev.score)} for ev in chosen
        ]
        text = self.prompts.render("extractive", sentences=sentences).replace("\n", " ")
        return Answer(question=question, answer=text, citations=cites.items, mode="extractive")

    def _conflict(self, question: str, claims: list[Claim]) -> Answer:
        cites = _Citations()
        shown = [
            {"marker": cites.add(c.evidence.chunk, c.evidence.sentence, c.evidence.score), "value": c.value}
            for c in claims
        ]
        text = self.prompts.render("conflict", claims=shown)
        conflict = Conflict(
            topic=question, values=[c["value"] for c in shown], markers=[c["marker"] for c in shown]
        )
        return Answer(
            question=question, answer=text, citations=cites.items, conflicts=[conflict], mode="conflict"
        )

    def _premise(self, question: str, unsupported: list[str], ev: Evidence) -> Answer:
        cites = _Citations()
        marker = cites.add(ev.chunk, ev.sentence, ev.score)
        text = self.prompts.render("premise", unsupported=unsupported, sentence=ev.display, marker=marker)
        return Answer(question=question, answer=text, refused=True, citations=cites.items, mode="premise")


class _Citations:
    """Numbers citations 1..n in order of first use; the same sentence keeps one number."""

    def __init__(self) -> None:
        self.items: list[Citation] = []

    def add(self, chunk: Chunk, sentence: Sentence, score: float) -> int:
        for c in self.items:
            if c.chunk_id == chunk.chunk_id and c.start == sentence.start:
                return c.marker
        marker = len(self.items) + 1
        self.items.append(
            Citation(
                marker=marker,
                doc_id=chunk.doc_id,
                chunk_id=chunk.chunk_id,
                title=chunk.title,
                text=sentence.text,
                start=sentence.start,
                end=sentence.end,
                score=round(float(score), 4),
            )
        )
        return marker
