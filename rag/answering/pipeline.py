"""The answer pipeline: read -> retrieve -> score evidence -> premise and conflict checks ->
generate -> verify -> decide -> compose.

The model phrases; the pipeline decides what may be said. Whether to answer at all is decided by
a model fitted on data (rag/answering/decision.py) from signals measured for every question,
not by hand-set rules; the signals travel with the Answer. Every path ends in an Answer whose
sentences each cite the passage sentence that supports them, or in an honest refusal.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace

from rag.answering.compose import Composer, Part
from rag.answering.conflicts import ConflictDetector
from rag.answering.decision import RefusalModel, Signals
from rag.answering.evidence import Evidence, EvidenceScorer, informative
from rag.answering.premise import PremiseChecker
from rag.answering.question import Question, QuestionReader, holds_answer_type, names_in
from rag.answering.rewrite import QuestionRewriter
from rag.answering.verify import MARKER, CitationVerifier, split_answer
from rag.core.errors import GeneratorError, InputError
from rag.core.nlp import nlp
from rag.core.text import Haystack, normalise, numbers
from rag.core.types import Answer, Chunk, Hit
from rag.generation.base import Generator, Judge, Prompt
from rag.generation.prompting import PromptLibrary
from rag.retrieval.retriever import Retriever

log = logging.getLogger(__name__)
COMPLETION_STOPS = ["\n\n", "\nQuestion:", "\nPassages:"]
SHORT_REPLY_WORDS = 4  # a reply this short is a value, not a sentence
JUDGED_CLIP = 5.0  # log-odds beyond this say no more
JUDGED_CITATIONS = 2  # the judge reads what the answer's first citations say
PART_PRONOUN = re.compile(r"\b(?:it|they|he|she)\b", re.IGNORECASE)
# Small chat models open with boilerplate that is not a claim about the documents.
PREAMBLE = re.compile(
    r"^(?:based on|according to) (?:the )?(?:information|passages?|text|context|documents?)[^,]*,\s*",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class AnswerOptions:
    """The pipeline's own knobs (the stages take theirs in their constructors)."""

    max_new_tokens: int = 80
    passages: int = 3  # retrieved passages shown to the model
    max_question_chars: int = 1000
    verify: bool = True
    decide: bool = True  # False: never refuse by the learned decision (for calibration runs)
    premise_checks: bool = True
    support_top_evidence: int = 5  # a kept sentence must rest on one of these best sentences
    typed_evidence: int = 5  # how many best sentences may hold the asked-for value
    extractive_margin: float = 0.05  # quote a second document's sentence this close to the best

    def __post_init__(self) -> None:
        for name in (
            "max_new_tokens",
            "passages",
            "max_question_chars",
            "support_top_evidence",
            "typed_evidence",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1. Currently, {name} is {getattr(self, name)}")
        if self.extractive_margin < 0:
            raise ValueError(f"extractive_margin must be >= 0. Currently, it is {self.extractive_margin}")


@dataclass
class Plan:
    """What the pipeline decided before any token is generated."""

    question: Question  # standalone, after rewriting
    hits: list[Hit]
    evidence: list[Evidence]
    signals: Signals
    missing: list[str]  # the question's names that no retrieved passage mentions, as written
    answer: Answer | None = None  # already final (refusal, premise, conflict), or None to generate
    prompt: Prompt | None = None
    passages: dict[int, Chunk] | None = None


class Answerer:
    def __init__(
        self,
        retriever: Retriever,
        generator: Generator | None,
        prompts: PromptLibrary,
        *,
        composer: Composer,
        reader: QuestionReader,
        scorer: EvidenceScorer,
        premise: PremiseChecker,
        conflicts: ConflictDetector,
        verifier: CitationVerifier,
        rewriter: QuestionRewriter,
        decision: RefusalModel,
        options: AnswerOptions,
        judge: Judge | None = None,
    ) -> None:
        self.retriever = retriever
        self.generator = generator
        self.prompts = prompts
        self.composer = composer
        self.reader = reader
        self.scorer = scorer
        self.premise = premise
        self.conflicts = conflicts
        self.verifier = verifier
        self.rewriter = rewriter
        self.decision = decision
        self.options = options
        self.judge = judge

    # public verbs
    def run(
        self,
        question: str,
        history: list[dict[str, str]] | None = None,
        *,
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
        *,
        top_k: int | None = None,
        verify: bool | None = None,
    ) -> Iterator[str | Answer]:
        """Yield raw model tokens as they come, then the final, verified Answer.

        top_k and verify override the settings for this call only (the chat page's controls)."""
        start = time.perf_counter()
        question = self._clean_question(question)
        checked = self.options.verify if verify is None else verify
        plan = self.plan(question, history, top_k=top_k)
        answer = plan.answer
        if answer is None:
            raw = ""
            try:
                for piece in self.generator.stream(plan.prompt, self.options.max_new_tokens):
                    raw += piece
                    yield piece
            except GeneratorError:
                raise  # a server that is down or misconfigured is the user's to fix, not to hide
            except Exception:
                log.exception("generation failed; answering extractively")
                answer = self._decided(question, plan, self._extractive(question, plan))
            else:
                answer = self._finish(question, plan, raw, checked)
        if history:
            answer.rewritten_question = plan.question.text
        answer.checked = checked or answer.mode in ("refusal", "premise", "conflict")
        answer.signals = {
            **plan.signals.as_dict(),
            "p_refuse": round(self.decision.probability(plan.signals), 4),
        }
        answer.latency_s = round(time.perf_counter() - start, 3)
        log.info("answer %s: %s", answer.mode, answer.signals)
        yield answer

    # stages
    def _clean_question(self, question: str) -> str:
        question = " ".join("".join(ch if ch.isprintable() else " " for ch in question or "").split())
        if not question:
            raise InputError("the question is empty; type a question about the documents")
        if len(question) > self.options.max_question_chars:
            raise InputError(
                f"the question is {len(question)} characters long; the limit is "
                f"{self.options.max_question_chars} (max_question_chars): shorten it"
            )
        return question

    def plan(
        self, question: str, history: list[dict[str, str]] | None = None, *, top_k: int | None = None
    ) -> Plan:
        standalone = self.reader.run(self.rewriter.run(question, history))
        vector = self.retriever.embed_query(standalone.text)
        hits = self.retriever.run(standalone.text, top_k=top_k, query_vector=vector)
        evidence = self.scorer.run(standalone.text, hits, vector)
        passages = Haystack(" ".join(f"{h.chunk.title} {h.chunk.text}" for h in hits))
        missing = [n for n in standalone.names if not passages.mentions(n)]
        plan = Plan(standalone, hits, evidence, self._signals(standalone, evidence, missing), missing)
        if not evidence:
            plan.answer = self.composer.refusal(question, missing)
            return plan
        if self.options.premise_checks and (issue := self.premise.run(standalone, passages, evidence)):
            plan.answer = self.composer.premise(question, issue.unsupported, _part(issue.evidence))
            return plan
        if claims := self.conflicts.run(standalone, evidence):
            plan.answer = self.composer.conflict(question, [(c.value, _part(c.evidence)) for c in claims])
            return plan
        if self.generator is None:
            plan.answer = self._without_model(question, plan)
            return plan
        plan.passages, shown = self._passages(hits[: self.options.passages])
        user = self.prompts.render("answer", passages=shown, question=standalone.text)
        plan.prompt = Prompt(
            user=user,
            system=self.prompts.render("system"),
            completion=self.prompts.render("answer_completion", passages=shown, question=standalone.text),
            stop=COMPLETION_STOPS,
        )
        best_case = replace(plan.signals, supported=1.0, invented=0.0, judged=JUDGED_CLIP)
        if self._refuses(best_case):
            # even a checked answer the judge fully trusts would be refused: skip the model
            plan.answer = self.composer.refusal(question, missing)
        return plan

    def _signals(self, question: Question, evidence: list[Evidence], missing: list[str]) -> Signals:
        if not evidence:
            return Signals(missing=1.0 if question.names else 0.0, typed=0.0)
        top = evidence[: self.options.typed_evidence]
        typed = any(holds_answer_type(question.expects, doc) for doc in nlp().pipe(e.display for e in top))
        focus = 1.0
        if question.focus and question.expects != "date":  # "which year" is answered by "2024", not "year"
            focus = max(len(question.focus & e.context_stems) / len(question.focus) for e in top)
        return Signals(
            missing=len(missing) / len(question.names) if question.names else 0.0,
            similarity=evidence[0].cosine,
            coverage=evidence[0].overlap,
            typed=float(typed),
            focus=focus,
        )

    def _refuses(self, signals: Signals) -> bool:
        return self.options.decide and self.decision.refuse(signals)

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
            sents = [
                " ".join(x.text.split())
                for x in c.sentences
                if (c.doc_id, x.start) not in seen and informative(x)
            ]
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
        supported = self.verifier.run(raw, plan.passages, plan.question.text) if raw else []
        # True is not enough: a kept sentence must rest on one of the sentences that best answer
        # the question, or the model has wandered off to another fact in the passages.
        k = self.options.support_top_evidence
        relevant = {(e.chunk.doc_id, e.sentence.start) for e in plan.evidence[:k]}
        for part in plan.question.parts[1:] if len(plan.question.parts) > 1 else ():
            relevant |= {
                (e.chunk.doc_id, e.sentence.start)
                for e in self.scorer.run(self._resolved(part, plan), plan.hits)[:k]
            }
        supported = [x for x in supported if (x.chunk.doc_id, x.sentence.start) in relevant]
        # and it must hold what was asked: a "how many" answer without a number does not answer
        answering = [x for x in supported if holds_answer_type(plan.question.expects, nlp()(x.text))]
        plan.signals.supported = 1.0 if answering else 0.0
        plan.signals.invented = float(self._invents(raw, plan))
        return self._decided(question, plan, self._composed(question, plan, raw, supported, answering))

    def _composed(self, question: str, plan: Plan, raw: str, supported: list, answering: list) -> Answer:
        if answering and all(len(x.text.split()) <= SHORT_REPLY_WORDS for x in answering):
            # a bare value ("362 billion yuan"): shown with the sentence that holds it
            x = answering[0]
            return self.composer.located(
                question, x.text.strip(" ."), Part(x.sentence.text, x.chunk, x.sentence, x.score)
            )
        if answering:
            parts = [Part(x.text, x.chunk, x.sentence, x.score) for x in supported]
            return self.composer.parts(question, self._with_other_parts(plan, parts), "generated")
        value = MARKER.sub("", raw).strip(" []\"'.")
        if value and len(value.split()) <= SHORT_REPLY_WORDS and (located := self._located(plan, value)):
            return self.composer.located(question, value, located)
        return self._extractive(question, plan)

    def _decided(self, question: str, plan: Plan, answer: Answer) -> Answer:
        """The answer, or a refusal when the learned decision says so. The judge reads what the
        answer cites, with its title, against the question."""
        if (
            self.judge is not None
            and answer.citations
            and (self.options.decide is False or self.decision.uses("judged"))
        ):
            cited = " ".join(c.text for c in answer.citations[:JUDGED_CITATIONS])
            prompt = self.prompts.render(
                "judge", title=answer.citations[0].title, text=cited, question=plan.question.text
            )
            odds = self.judge.yes_odds(Prompt(user=prompt, system=self.prompts.render("judge_system")))
            plan.signals.judged = max(-JUDGED_CLIP, min(JUDGED_CLIP, odds))
        if self._refuses(plan.signals):
            return self.composer.refusal(question, plan.missing)
        return answer

    def _invents(self, raw: str, plan: Plan) -> bool:
        """The model's reply states a number or a name that no retrieved passage holds."""
        passages = Haystack(" ".join(f"{h.chunk.title} {h.chunk.text}" for h in plan.hits))
        text = MARKER.sub("", raw)
        return bool(numbers(text) - passages.numbers) or any(
            not passages.mentions(n) for n in names_in(nlp()(text))
        )

    def _with_other_parts(self, plan: Plan, parts: list[Part]) -> list[Part]:
        """For a question that asks two things, a quote for each part the answer does not cite yet."""
        if len(plan.question.parts) < 2:
            return parts
        parts = list(parts)
        cited = {(p.chunk.doc_id, p.sentence.start) for p in parts}
        for text in plan.question.parts:
            best = self._best_for(self._resolved(text, plan), plan)
            if best is not None and (best.chunk.doc_id, best.sentence.start) not in cited:
                parts.append(_part(best))
                cited.add((best.chunk.doc_id, best.sentence.start))
        return parts

    @staticmethod
    def _resolved(part: str, plan: Plan) -> str:
        """A later part's pronoun ("how much is it putting into...") read as the question's first name."""
        names = plan.question.names
        return PART_PRONOUN.sub(names[0], part, count=1) if names else part

    def _best_for(self, text: str, plan: Plan) -> Evidence | None:
        """The sentence among the retrieved passages that best answers one part of a question."""
        ranked = self.scorer.run(text, plan.hits)
        expects = self.reader.run(text).expects
        for ev in ranked[:3]:
            if holds_answer_type(expects, nlp()(ev.display)):
                return ev
        return ranked[0] if ranked else None

    def _unverified(self, question: str, plan: Plan, raw: str) -> Answer:
        """Verification off: cite whatever the model cited, pointing at each passage's best sentence."""
        parts = []
        for text, markers in split_answer(raw):
            for m in markers or [1]:
                chunk = plan.passages.get(m) or plan.passages[1]
                ev = next((e for e in plan.evidence if e.chunk.chunk_id == chunk.chunk_id), None)
                sentence = ev.sentence if ev else chunk.sentences[0]
                parts.append(Part(text, chunk, sentence, ev.score if ev else 0.0))
        if not parts:
            return self._extractive(question, plan)
        return self.composer.parts(question, parts, "generated")

    def _located(self, plan: Plan, value: str) -> Part | None:
        """The model replied with a bare value ("15,000", "[CANN]"): it chose well but did not
        phrase an answer. The best evidence sentence that contains the value supports it."""
        target = normalise(value)
        # whole words only: the value "20" must not be found inside "2024"
        pattern = re.compile(rf"(?<!\w){re.escape(target)}(?!\w)")
        for ev in plan.evidence:
            if pattern.search(normalise(ev.display)):
                return _part(ev)
        return None

    def _without_model(self, question: str, plan: Plan) -> Answer:
        return self._decided(question, plan, self._extractive(question, plan))

    def _extractive(self, question: str, plan: Plan) -> Answer:
        """Quote the best sentence that holds what the question asks for, and a second document's
        sentence when it scores as well (answers spread over two documents)."""
        evidence = plan.evidence
        top = evidence[:3]
        typed = [
            e
            for e, doc in zip(top, nlp().pipe(e.display for e in top))
            if holds_answer_type(plan.question.expects, doc)
        ]
        best = typed[0] if typed else evidence[0]
        chosen = [best]
        for ev in evidence[1:4]:
            if (
                ev.chunk.doc_id != best.chunk.doc_id
                and ev.score >= best.score - self.options.extractive_margin
            ):
                chosen.append(ev)
                break
        return self.composer.parts(
            question, self._with_other_parts(plan, [_part(e) for e in chosen]), "extractive"
        )


def _part(ev: Evidence, quote: bool = True) -> Part:
    return Part(ev.display, ev.chunk, ev.sentence, ev.score, quote=quote)
