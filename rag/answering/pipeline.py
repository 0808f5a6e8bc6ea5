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
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from rag.answering.compose import AnswerBuilder, Composer, Part
from rag.answering.conflicts import ConflictDetector
from rag.answering.decision import RefusalModel, Signals
from rag.answering.evidence import Evidence, EvidenceScorer, informative
from rag.answering.premise import PremiseChecker
from rag.answering.question import (
    AnswerType,
    Question,
    QuestionReader,
    ends_open,
    holds_answer_type,
    names_in,
)
from rag.answering.rewrite import QuestionRewriter
from rag.answering.truecase import Truecaser, as_typed
from rag.answering.verify import MARKER, CitationVerifier, split_answer
from rag.core.errors import Cancelled, GeneratorError
from rag.core.nlp import parse
from rag.core.text import Haystack, content_terms, normalise, numbers, question_text
from rag.core.types import Answer, Chunk, Hit
from rag.documents.ingest import as_read
from rag.generation.base import Generator, Judge, Prompt, Usage
from rag.generation.prompting import PromptLibrary
from rag.retrieval.retriever import Retriever, interleave

log = logging.getLogger(__name__)
COMPLETION_STOPS = ["\n\n", "\nQuestion:", "\nPassages:"]
SHORT_REPLY_WORDS = 4  # a reply this short is a value, not a sentence
JUDGED_CLIP = 5.0  # log-odds beyond this say no more
PART_PRONOUN = re.compile(r"\b(?:it|they|he|she)\b", re.IGNORECASE)
# Small chat models open with boilerplate that is not a claim about the documents.
PREAMBLE = re.compile(
    r"^(?:based on|according to) (?:the )?(?:information|passages?|text|context|documents?)[^,]*,\s*",
    re.IGNORECASE,
)
# Small models loop on a phrase ("$10 billion $10 billion $10 billion") despite the repeat
# penalty: a run of two or more words said again at once is read once.
LOOP = re.compile(r"(?<!\S)((?:[^\s.!?\[\]]+[\s,;]+)+?[^\s.!?\[\]]+)(?:[\s,;]+\1(?!\w))+")


def _reply(raw: str) -> str:
    """The model's reply without boilerplate openings and phrase loops."""
    return LOOP.sub(r"\1", PREAMBLE.sub("", raw.lstrip()))


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
    retrieved: Haystack  # the retrieved passages' text, normalised once for name and number checks
    answer: Answer | None = None  # already final (refusal, premise, conflict), or None to generate
    prompt: Prompt | None = None
    passages: dict[int, Chunk] | None = None
    relevant: set[tuple[str, int]] | None = None  # sentences a kept sentence may rest on, once computed
    read_by_judge: set[str] = field(default_factory=set)  # sentences already judged for this question
    # a two-part question's parts: what each asks for, and the retrieved sentences ranked for it
    parts: list[tuple[AnswerType, list[Evidence]]] = field(default_factory=list)


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
        truecaser: Truecaser,
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
        self.truecaser = truecaser
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
        cancel: threading.Event | None = None,
    ) -> Answer:
        answer = None
        for item in self.stream(question, history, top_k=top_k, verify=verify, cancel=cancel):
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
        cancel: threading.Event | None = None,
    ) -> Iterator[str | Answer]:
        """Yield the answer's checked text in pieces, each as soon as it holds, then the Answer.

        A sentence of the model's is shown once it is complete and verified against its passage;
        whether to answer at all is decided before the first one is shown, so nothing shown is
        ever taken back. The pieces joined are the Answer's text. top_k and verify override the
        settings for this call only (the chat page's controls); `cancel` set by another thread
        (the caller went away) stops the work at the next token with Cancelled."""
        start = time.perf_counter()
        question = question_text(question, self.options.max_question_chars)
        checked = self.options.verify if verify is None else verify
        plan = self.plan(question, history, top_k=top_k)
        usage = Usage()
        answer = plan.answer
        if answer is not None:
            yield answer.answer
        else:
            answer = yield from self._generated(question, plan, checked, usage, cancel)
        if history:
            answer.rewritten_question = plan.question.text
        answer.checked = checked or answer.mode in ("refusal", "premise", "conflict")
        answer.signals = {
            **plan.signals.as_dict(),
            "p_refuse": round(self.decision.probability(plan.signals), 4),
        }
        if not usage.unreported:  # else unknown: a model server that does not count in streams
            answer.usage = {
                "prompt_tokens": usage.prompt_tokens,
                "completion_tokens": usage.completion_tokens,
            }
        answer.latency_s = round(time.perf_counter() - start, 3)
        log.info("answer %s: %s", answer.mode, answer.signals)
        yield answer

    def _generated(
        self, question: str, plan: Plan, checked: bool, usage: Usage, cancel: threading.Event | None
    ) -> Iterator[str]:
        """Generate, showing checked sentences as they complete; returns the final Answer."""
        build = self.composer.builder(question)
        decided = False  # True once the decision let the first checked sentence through
        raw, done = "", 0
        tokens = self.generator.stream(plan.prompt, self.options.max_new_tokens, usage)
        try:
            for token in tokens:
                if cancel is not None and cancel.is_set():
                    raise Cancelled("the caller went away; the answer was stopped")
                raw += token
                pieces = split_answer(_reply(raw))
                for text, markers in pieces[done:-1]:  # the last piece may still be growing
                    done += 1
                    shown = self._show(text, markers, plan, build, checked, decided, raw)
                    if shown is None:  # refused before anything was shown
                        return (yield from self._shown(self._second_look(question, plan)))
                    decided = decided or bool(shown)
                    if shown:
                        yield shown
        except GeneratorError:
            raise  # a server that is down or misconfigured is the user's to fix, not to hide
        except Cancelled:
            raise
        except Exception:
            log.exception("generation failed; answering extractively")
            answer = self._decided(question, plan, self._extractive(question, plan))
            yield answer.answer
            return answer
        finally:
            close = getattr(tokens, "close", None)
            if close is not None:
                close()  # stops llama.cpp at this token, whatever made us leave
        raw = _reply(raw).strip()
        for text, markers in split_answer(raw)[done:]:
            shown = self._show(text, markers, plan, build, checked, decided, raw)
            if shown is None:
                return (yield from self._shown(self._second_look(question, plan)))
            decided = decided or bool(shown)
            if shown:
                yield shown
        plan.signals.invented = float(self._invents(raw, plan))
        if build.shown:
            for part in self._other_parts(plan, build):
                if shown := build.add(part):
                    yield shown
            return build.answer("generated")
        answer = self._fallback(question, plan, raw) if checked else self._extractive(question, plan)
        yield answer.answer
        return answer

    @staticmethod
    def _shown(answer: Answer) -> Iterator[str]:
        """An answer decided after the writer's was refused: its text, unless it is a refusal."""
        if not answer.refused:
            yield answer.answer
        return answer

    def _show(
        self,
        text: str,
        markers: list[int],
        plan: Plan,
        build: AnswerBuilder,
        checked: bool,
        decided: bool,
        raw: str,
    ) -> str | None:
        """The piece to show for one complete sentence of the model's: "" when it does not hold,
        None when the decision refuses the answer it would start."""
        if not checked:
            return build.add(self._cited_as_written(text, markers, plan))
        held = self._checked(text, markers, plan, first=not build.shown)
        if held is None:
            return ""
        if not decided:
            plan.signals.supported = 1.0
            plan.signals.invented = float(self._invents(raw, plan))
            if self._refused(plan, held.sentence.text):
                return None
        if not build.shown and len(text.split()) <= SHORT_REPLY_WORDS:
            # a bare value ("362 billion yuan"): shown with the sentence that holds it
            return build.add_located(
                text.strip(" ."), Part(held.sentence.text, held.chunk, held.sentence, held.score)
            )
        return build.add(held)

    def _second_look(self, question: str, plan: Plan) -> Answer:
        """The writer's answer was refused: the quote of the best evidence sentence, decided on
        its own, and a refusal only if that is refused too. The small writer often answers from
        the wrong passage when the best-scored sentence holds the answer (the answers issue's
        closing note has the figures). Only the judge reads the sentence, so without one the
        decision would say the same again."""
        if self.judge is None:
            return self._refusal(question, plan)
        quote = self._extractive(question, plan)
        first = quote.citations[0].text if quote.citations else None
        if first is None or first in plan.read_by_judge or self._refused(plan, first):
            return self._refusal(question, plan)
        return quote

    def _checked(self, text: str, markers: list[int], plan: Plan, first: bool) -> Part | None:
        """One sentence of the model's, verified against the passages: supported, resting on one of
        the sentences that best answer the question, and, for the first, holding what was asked
        (a "how many" answer without a number does not answer)."""
        supported = self.verifier.run_sentence(text, markers, plan.passages, plan.question.text)
        if supported is None or (supported.chunk.doc_id, supported.sentence.start) not in self._relevant(
            plan
        ):
            return None
        doc = parse(text)
        if plan.question.expects != "yes_no" and ends_open(doc):
            return None  # "Yes, it is." answers a yes/no question; "The command to run is." nothing
        if first and not holds_answer_type(plan.question.expects, doc):
            return None
        return Part(supported.text, supported.chunk, supported.sentence, supported.score)

    def _relevant(self, plan: Plan) -> set[tuple[str, int]]:
        """The sentences a kept sentence may rest on: the best for the question and for each part."""
        if plan.relevant is None:
            k = self.options.support_top_evidence
            plan.relevant = {(e.chunk.doc_id, e.sentence.start) for e in plan.evidence[:k]}
            for _, ranked in plan.parts[1:]:
                plan.relevant |= {(e.chunk.doc_id, e.sentence.start) for e in ranked[:k]}
        return plan.relevant

    def _fallback(self, question: str, plan: Plan, raw: str) -> Answer:
        """No sentence of the model's held: the value it named with the sentence holding it, or a
        quote of the sentence its reply points to; decided like any answer."""
        value = MARKER.sub("", raw).strip(" []\"'.")
        if value and len(value.split()) <= SHORT_REPLY_WORDS and (located := self._located(plan, value)):
            return self._decided(question, plan, self.composer.located(question, value, located))
        return self._decided(question, plan, self._extractive(question, plan, _pointed_to(plan, value)))

    # stages
    def plan(
        self, question: str, history: list[dict[str, str]] | None = None, *, top_k: int | None = None
    ) -> Plan:
        standalone = self.reader.run(self.rewriter.run(self.truecaser.run(question), history))
        vector = self.retriever.embed_query(standalone.text)
        hits = self.retriever.run(standalone.text, top_k=top_k, query_vector=vector)
        parts = []
        if len(standalone.parts) > 1:
            # a two-part question's facts often sit in different documents, and the whole
            # question's best passages may all answer one part: each part's best come up too
            texts = [_resolved(p, standalone) for p in standalone.parts]
            vectors = [self.retriever.embed_query(text) for text in texts]
            each = [self.retriever.run(t, top_k=top_k, query_vector=v) for t, v in zip(texts, vectors)]
            hits = interleave([hits, *each], len(hits))
            parts = [
                (self.reader.run(t).expects, self.scorer.run(t, hits, v)) for t, v in zip(texts, vectors)
            ]
        evidence = self.scorer.run(standalone.text, hits, vector)
        retrieved = Haystack(" ".join(f"{h.chunk.title} {h.chunk.text}" for h in hits))
        missing = [n for n in standalone.names if not retrieved.mentions(n)]
        signals = self._signals(standalone, evidence, missing)
        plan = Plan(standalone, hits, evidence, signals, missing, retrieved, parts=parts)
        if not evidence:
            plan.answer = self._refusal(question, plan)
            return plan
        if self.options.premise_checks and (issue := self.premise.run(standalone, retrieved, evidence)):
            unsupported = [as_typed(p, question) for p in issue.unsupported]
            plan.answer = self.composer.premise(question, unsupported, _part(issue.evidence))
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
            plan.answer = self._refusal(question, plan)
        return plan

    def _signals(self, question: Question, evidence: list[Evidence], missing: list[str]) -> Signals:
        if not evidence:
            return Signals(missing=1.0 if question.names else 0.0, typed=0.0)
        top = evidence[: self.options.typed_evidence]
        typed = any(holds_answer_type(question.expects, parse(e.display)) for e in top)
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

    def _refusal(self, question: str, plan: Plan) -> Answer:
        """A refusal that names the question's names no document mentions. A name merely missing
        from the retrieved passages is not named: "none of them mentions MPL" would be untrue of
        a corpus whose licence text says MPL further down."""
        absent = [as_typed(n, question) for n in plan.missing if not self.retriever.mentions(n)]
        return self.composer.refusal(question, absent)

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
                as_read(x.text) for x in c.sentences if (c.doc_id, x.start) not in seen and informative(x)
            ]
            seen.update((c.doc_id, x.start) for x in c.sentences)
            if sents:
                marker = len(passages) + 1
                passages[marker] = c
                shown.append({"marker": marker, "text": " ".join(sents)})
        return passages, shown

    def _decided(self, question: str, plan: Plan, answer: Answer) -> Answer:
        """The answer, or when the learned decision refuses it, a second look."""
        first = answer.citations[0] if answer.citations else None
        if first is not None and self._refused(plan, first.text):
            return self._second_look(question, plan)
        return answer

    def _refused(self, plan: Plan, cited: str) -> bool:
        """The decision, with the judge reading the sentence the answer starts from against the
        question when there is a judge. The sentence alone: with its document's title as well,
        the judge's signal decided no better on the calibration halves and each call took 0.07 s more."""
        if self.judge is not None and (not self.options.decide or self.decision.uses("judged")):
            prompt = self.prompts.render("judge", text=as_read(cited), question=plan.question.text)
            odds = self.judge.yes_odds(Prompt(user=prompt, system=self.prompts.render("judge_system")))
            plan.signals.judged = max(-JUDGED_CLIP, min(JUDGED_CLIP, odds))
            plan.read_by_judge.add(cited)
        return self._refuses(plan.signals)

    def _invents(self, raw: str, plan: Plan) -> bool:
        """The model's reply states a number or a name that no retrieved passage holds."""
        text = MARKER.sub("", raw)
        return bool(numbers(text) - plan.retrieved.numbers) or any(
            not plan.retrieved.mentions(n) for n in names_in(parse(text))
        )

    def _other_parts(self, plan: Plan, build: AnswerBuilder) -> list[Part]:
        """For a question that asks two things, a quote for each part the answer does not cite yet."""
        cited = {(c.doc_id, c.start) for c in build.cites.items}
        extra = []
        for expects, ranked in plan.parts:
            best = _best_for(expects, ranked)
            if best is not None and (best.chunk.doc_id, best.sentence.start) not in cited:
                extra.append(_part(best))
                cited.add((best.chunk.doc_id, best.sentence.start))
        return extra

    def _cited_as_written(self, text: str, markers: list[int], plan: Plan) -> Part:
        """Verification off: the model's sentence, cited to the best sentence of the first passage
        it names."""
        chunk = plan.passages.get(markers[0] if markers else 1) or plan.passages[1]
        ev = next((e for e in plan.evidence if e.chunk.chunk_id == chunk.chunk_id), None)
        sentence = ev.sentence if ev else chunk.sentences[0]
        return Part(text, chunk, sentence, ev.score if ev else 0.0)

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

    def _best_quotes(self, plan: Plan) -> list[Evidence]:
        evidence = plan.evidence
        best = _best_for(plan.question.expects, evidence)
        for ev in evidence[1:4]:
            if (
                ev.chunk.doc_id != best.chunk.doc_id
                and ev.score >= best.score - self.options.extractive_margin
            ):
                return [best, ev]
        return [best]

    def _without_model(self, question: str, plan: Plan) -> Answer:
        return self._decided(question, plan, self._extractive(question, plan))

    def _extractive(self, question: str, plan: Plan, pointed: Evidence | None = None) -> Answer:
        """Quote the sentence the model's reply pointed to; without one, the best sentence that
        holds what the question asks for, and a second document's sentence when it scores as well
        (answers spread over two documents)."""
        chosen = [pointed] if pointed is not None else self._best_quotes(plan)
        build = self.composer.builder(question)
        for part in [_part(e) for e in chosen]:
            build.add(part)
        for part in self._other_parts(plan, build):
            build.add(part)
        return build.answer("extractive")


def _resolved(part: str, question: Question) -> str:
    """A later part's pronoun ("how much is it putting into...") read as the question's first name."""
    return PART_PRONOUN.sub(question.names[0], part, count=1) if question.names else part


def _best_for(expects: AnswerType, ranked: list[Evidence]) -> Evidence | None:
    """The sentence that best answers a question or one part of it: the best ranked of the first
    three that holds what it asks for, else the best ranked."""
    for ev in ranked[:3]:
        if holds_answer_type(expects, parse(ev.display)):
            return ev
    return ranked[0] if ranked else None


def _pointed_to(plan: Plan, reply: str) -> Evidence | None:
    """The evidence sentence holding the most of what a reply that failed its checks says beyond
    the question (its terms and numbers), the better ranked among equals; None if none holds any.

    The model read the passages and often named the right value in words the checks could not
    tie to one sentence ("The file name should be Override.xml."). Quoting the sentence that
    holds those words keeps its reading, while the words shown stay the document's."""
    said = _facts(reply) - _facts(plan.question.text)
    if not said:
        return None
    count, _, best = max((len(said & _facts(e.display)), -rank, e) for rank, e in enumerate(plan.evidence))
    return best if count else None


def _facts(text: str) -> set[str]:
    return content_terms(text) | numbers(text)


def _part(ev: Evidence, quote: bool = True) -> Part:
    return Part(ev.display, ev.chunk, ev.sentence, ev.score, quote=quote)
