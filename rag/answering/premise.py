"""False premises: the question takes for granted what the passages deny or never say.

Three shapes, each read off the passages rather than guessed:
- an invented figure: a number in the question that no retrieved passage holds, while the best
  sentence is about the same thing ("Why did Huawei invest $50 billion...?");
- a swapped owner: the question pins on one party what the best sentence says of another,
  whose name stands just before the thing both talk about ("Why did Nvidia unveil the SuperPoD
  Interconnect?" against "Huawei's SuperPoD Interconnect"). The parse must let each name own:
  "AI" in "Which AI tool is Pangu contrasted with?" qualifies the tool, and "GPT-4" in "tools
  like GPT-4, Pangu supports ..." is an example, not Pangu's owner;
- a denial: for a question that presupposes something (a wh-question, not a yes/no one), a
  sentence about the same thing negates one of its verbs or nouns ("the operator user is no
  longer created", "does NOT store user preferences", "Ninja has no rules for compiling C").
  Negation is read from spaCy's dependency parse, not from a word list.
"""

from __future__ import annotations

from dataclasses import dataclass

from rag.answering.evidence import Evidence
from rag.answering.question import Question, names_in
from rag.core.nlp import parse
from rag.core.text import NUMBER, Haystack, numbers, stem, words


@dataclass
class PremiseIssue:
    unsupported: list[str]  # what the question asserts that the passages do not
    evidence: Evidence  # what they say instead


def _name_words(names: list[str] | tuple[str, ...]) -> set[str]:
    """The words of names that carry the name ("Huawei’s SuperPoD Interconnect" -> huawei,
    superpod, interconnect), lower-cased."""
    return {
        w.lower()
        for n in names
        for w in words(n)
        if len(w) > 1 and (w[0].isupper() or any(ch.isdigit() for ch in w))
    }


def _positions(text: str, keys: set[str]) -> dict[str, list[int]]:
    """Word positions of each name word in `text`."""
    tokens = [w.lower() for w in words(text)]
    out: dict[str, list[int]] = {}
    for i, token in enumerate(tokens):
        if token in keys:
            out.setdefault(token, []).append(i)
    return out


OWNER_ROLES = frozenset({"poss", "nsubj", "compound"})  # "Huawei's X", "Huawei built X", "Huawei X"


def _qualifies(tok, keys: set[str]) -> bool:
    """The name word only qualifies a common noun ("AI" in "AI tool", "Nvidia" in "Nvidia
    chips"): a description, not an owner of a name that follows."""
    return tok.dep_ in ("compound", "amod") and tok.head.lower_ not in keys


def _owners(doc, keys: set[str], *, declarative: bool) -> list[str]:
    """Name words that may own or act on a name near them, read from the parse. In a statement,
    a possessor, a subject or part of a longer name ("Huawei's SuperPoD", "Huawei open-sourced
    the Pangu model"), not an example in a prepositional phrase ("tools like GPT-4, Pangu ...").
    A question's parse is less reliable for the small model, so there only a name that merely
    qualifies a common noun is left out."""
    uses: dict[str, bool] = {}
    for tok in doc:
        if tok.lower_ in keys:
            owns = not _qualifies(tok, keys) and (not declarative or tok.dep_ in OWNER_ROLES)
            uses[tok.lower_] = uses.get(tok.lower_, False) or owns
    return [key for key, owns in uses.items() if owns]


def _owns(names: list[int], anchor: list[int], window: int) -> bool:
    """The name stands shortly before the anchor, as an owner or agent does ("Huawei's
    SuperPoD", "Nvidia unveil the SuperPoD"). Names after the anchor are usually attributes."""
    return any(0 < j - i <= window for i in names for j in anchor)


def denies(doc, predicates: frozenset[str]) -> bool:
    """The parsed sentence negates one of these stems: "has no rules", "does NOT store", and
    through an adverb it negates, "no longer created". A negation denies the word it attaches
    to, not that word's head: "will not be attempted" after "if the run fails" does not deny
    "fail", nor does "a no-charge licence" deny "licence". A negated comparison is a bound, not
    a denial: "will never run more jobs than -j allows" says how many run."""
    for tok in doc:
        if not (tok.dep_ == "neg" or (tok.dep_ == "det" and tok.lower_ == "no")):
            continue
        denied = tok.head.head if tok.head.pos_ == "ADV" else tok.head
        if stem(denied.lower_) in predicates and not any(t.lower_ == "than" for t in denied.subtree):
            return True
    return False


class PremiseChecker:
    def __init__(
        self, min_score: float, window: int = 3, min_overlap: float = 0.5, candidates: int = 3
    ) -> None:
        if window < 1:
            raise ValueError(f"window must be at least 1. Currently, window is {window}")
        if not 0.0 <= min_overlap <= 1.0:
            raise ValueError(f"min_overlap must be in [0, 1]. Currently, min_overlap is {min_overlap}")
        self.min_score = min_score
        self.window = window
        self.min_overlap = min_overlap
        self.candidates = candidates

    def run(self, question: Question, passages: Haystack, evidence: list[Evidence]) -> PremiseIssue | None:
        if not evidence or evidence[0].score < self.min_score:
            return None
        best = evidence[0]
        invented = numbers(question.text) - passages.numbers
        if invented and best.overlap > 0:
            written = [m.group(0) for m in NUMBER.finditer(question.text) if numbers(m.group(0)) & invented]
            return PremiseIssue(written, best)
        return self._swapped(question, evidence) or self._denied(question, evidence)

    def _swapped(self, question: Question, evidence: list[Evidence]) -> PremiseIssue | None:
        if len(question.parts) > 1:
            return None  # "Both Ninja and Rich...: what..., and which...?" names two subjects, not an owner
        q_keys = _name_words(question.names)
        q_pos = _positions(question.text, q_keys)
        owners = _owners(parse(question.text), q_keys, declarative=False)
        for ev in evidence[: self.candidates]:
            doc = parse(ev.display)
            s_keys = _name_words(names_in(doc))
            s_pos = _positions(ev.display, s_keys)
            said = Haystack(ev.display)
            missing = [n for n in q_pos if n in owners and n not in s_pos and not said.mentions(n)]
            swapped = [n for n in _owners(doc, s_keys, declarative=True) if n in s_pos and n not in q_pos]
            anchors = [n for n in q_pos if n in s_pos]
            for m in missing:
                for a in anchors:
                    if _owns(q_pos[m], q_pos[a], self.window) and any(
                        _owns(s_pos[s], s_pos[a], self.window) for s in swapped
                    ):
                        return PremiseIssue([_as_written(question.names, m)], ev)
        return None

    def _denied(self, question: Question, evidence: list[Evidence]) -> PremiseIssue | None:
        if question.yes_no or question.negated:
            return None  # "Is it still created?" may be answered "no"; a negative question expects one
        for ev in evidence[: self.candidates]:
            if ev.overlap >= self.min_overlap and denies(parse(ev.display), question.predicates):
                return PremiseIssue([], ev)
        return None


def _as_written(names: tuple[str, ...], key: str) -> str:
    return next((w for n in names for w in words(n) if w.lower() == key), key)
