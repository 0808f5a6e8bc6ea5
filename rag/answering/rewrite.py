"""Turn a follow-up ("how many chips does it use?") into a standalone question.

A pronoun is resolved from spaCy's parse of the last turn (`referent`): "he" or "she" is the
person it names; after "What is X?", the pronoun is X; otherwise it is what the answer added
that the question did not say ("What did Huawei unveil?" / "Huawei unveiled the SuperPoD
Interconnect." -> "the SuperPoD Interconnect"), or, when the answer itself opens with "It", what
the question asked about. Only a follow-up the parse cannot resolve ("What about Nvidia?") goes
to the model, with the prompt in prompts/rewrite.j2. Over the 20 follow-ups of both dev sets and
fresh ones, the 0.5B's accepted rewrites were worse than the parse's in four of five
("Who does he work for?" after "Paul Triolo said ..." became "Who does Huawei work for?"). A model
rewrite that drops the question's own terms ("...in how many sectors...?" -> "What are the
models called?") is rejected.
"""

from __future__ import annotations

import logging
import re

from rag.core.nlp import parse
from rag.core.text import content_terms, normalise
from rag.generation.base import Generator, Prompt
from rag.generation.prompting import PromptLibrary

log = logging.getLogger(__name__)
PRONOUN = re.compile(r"\b(it|its|he|his|she|her|they|their|them|this|that|these|those)\b", re.IGNORECASE)
PERSONAL = frozenset({"he", "his", "she", "her"})
POSSESSIVE = frozenset({"its", "his", "her", "their"})
THIRD_PERSON = frozenset({"it", "they", "this", "that", "these", "those"})  # not "you" or "we"
CONTEXT_OPENER = re.compile(r"^\s*(?:and|also|what about|how about)\b", re.IGNORECASE)
SHORT_ANSWER_WORDS = 8  # an answer this short that the parse finds no noun in names the thing itself
MAX_GROWTH = 4  # a rewrite more than this many times longer than the question is rambling
MIN_KEPT = 0.75  # a rewrite must keep this share of the question's own terms, or it changed the question


def needs_context(question: str) -> bool:
    """A standalone question is left alone; rewriting it could only make it worse."""
    return bool(PRONOUN.search(question) or CONTEXT_OPENER.match(question))


def _kept_share(question: str, reply: str) -> float:
    terms = content_terms(question)
    return len(terms & content_terms(reply)) / len(terms) if terms else 1.0


def referent(pronoun: str, turn: dict[str, str]) -> str | None:
    """What a follow-up's pronoun points back to in the last turn, or None."""
    asked, said = turn.get("question", ""), turn.get("answer", "")
    question, answer = parse(asked), parse(said)
    if pronoun in PERSONAL:
        people = [e.text for doc in (answer, question) for e in doc.ents if e.label_ == "PERSON"]
        if people:
            return people[0]
    topics = _things(question)
    chunks = list(answer.noun_chunks)
    defines = question[:1].text.lower() == "what" and question[:].root.lemma_ == "be"  # "What is X?"
    opens_with_it = bool(chunks) and chunks[0].root.lower_ in THIRD_PERSON
    if topics and (defines or opens_with_it):
        return topics[0]
    added = [t for t in _things(answer) if normalise(t) not in normalise(asked)]
    if added:
        return added[0]
    if 0 < len(said.split()) <= SHORT_ANSWER_WORDS:
        return said.strip().rstrip(".")  # "ninja -t browse."
    return None


def _things(doc) -> list[str]:
    """The noun phrases of a parsed text that are not pronouns, without a leading "a" or "what",
    and whole where a name runs past the phrase ("AI CloudMatrix" + "384")."""
    out = []
    for chunk in doc.noun_chunks:
        if chunk.root.pos_ == "PRON":
            continue
        start = chunk.start
        while start < chunk.end and doc[start].pos_ in ("DET", "PRON") and doc[start].lower_ != "the":
            start += 1
        end = max([chunk.end] + [e.end for e in doc.ents if e.start < chunk.end <= e.end])
        if start < end:
            text = doc[start:end].text
            out.append("the" + text[3:] if text.startswith("The ") else text)
    return out


def rule_rewrite(question: str, history: list[dict[str, str]]) -> str | None:
    """The question with its first pronoun replaced by its referent; None when there is none."""
    match = PRONOUN.search(question)
    if not history or match is None:
        return None
    pronoun = match.group(1).lower()
    found = referent(pronoun, history[-1])
    if found is None:
        return None
    found += "'s" if pronoun in POSSESSIVE else ""
    return question[: match.start()] + found + question[match.end() :]


class QuestionRewriter:
    def __init__(self, prompts: PromptLibrary, generator: Generator | None, max_new_tokens: int = 40) -> None:
        self.prompts = prompts
        self.generator = generator
        self.max_new_tokens = max_new_tokens

    def run(self, question: str, history: list[dict[str, str]] | None) -> str:
        if not history or not needs_context(question):
            return question
        resolved = rule_rewrite(question, history)
        if resolved is not None or self.generator is None:
            return resolved or question
        text = self.prompts.render("rewrite", history=history[-3:], question=question)
        try:
            reply = self.generator.generate(
                Prompt(user=text, completion=text, stop=["\n"]), self.max_new_tokens
            )
        except Exception:  # any model failure leaves the question as asked
            log.exception("rewrite failed; asking the question as typed")
            return question
        reply = reply.strip().splitlines()[0].strip().strip('"') if reply.strip() else ""
        if self._acceptable(question, reply):
            return reply if reply.endswith("?") else reply + "?"
        return question

    @staticmethod
    def _acceptable(question: str, reply: str) -> bool:
        """Short, still asking what the user asked, and free of the pronouns it had to resolve."""
        unresolved = {p.lower() for p in PRONOUN.findall(question)} & {
            p.lower() for p in PRONOUN.findall(reply)
        }
        return bool(
            reply
            and len(reply) <= MAX_GROWTH * max(len(question), 20)
            and not unresolved
            and _kept_share(question, reply) >= MIN_KEPT
        )
