"""Read a question once: what it asks for, which names it relies on, the words it uses.

Capitalisation is a poor guide to names (a question may start with "Besides", a month or
"README"), so names come from spaCy's entity recogniser, plus codes and mixed-case product
names (910C, SuperPoD, ffi_cif) that a small NER model does not know. The answer type comes from
the question word and the noun it governs ("when", "what year" -> a date; "how many" -> a
number; "who" -> a person or organisation). A question that asks two things ("which function
allocates it, and which prepares the cif?") is split so each part can be answered.

Terms are kept as the user wrote them, so a refusal can name what is missing in the user's own
words rather than as a stem.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from rag.core.nlp import parse
from rag.core.text import STOPWORDS, numbers, stem

AnswerType = Literal["person", "date", "number", "place", "reason", "manner", "yes_no", "thing"]
VALUE_ENTITIES = frozenset({"DATE", "TIME", "PERCENT", "MONEY", "QUANTITY", "ORDINAL", "CARDINAL"})
# codes and product names a small NER model misses: 910C, GB200, SuperPoD, NVLink, ffi_cif
CODE = re.compile(r"^(?=.*[A-Za-z])(?=.*\d)[\w.-]+$|^(?=\w*[a-z])\w+[A-Z]\w*$|^\w+_\w+$")
# "..., and where is it based?": a second question joined to the first
SECOND_QUESTION = re.compile(
    r",?\s+(?:and|or)\s+(?=(?:what|which|who|whom|whose|where|when|why|how|is|are|was|were|does|do|did|"
    r"can|could|should|will|would|has|have)\b)",
    re.IGNORECASE,
)
DATE_NOUNS = frozenset({"year", "date", "day", "month", "decade", "century", "time"})
NUMBER_NOUNS = frozenset({"number", "count", "amount", "size", "percentage", "share", "version"})
CONTENT_POS = frozenset({"NOUN", "PROPN", "VERB", "ADJ", "NUM"})


@dataclass(frozen=True)
class Question:
    text: str
    expects: AnswerType
    names: tuple[str, ...]  # names and codes as written ("Qualcomm", "SuperPoD Interconnect", "910C")
    terms: tuple[str, ...]  # content words as written, first occurrence order
    predicates: frozenset[str]  # stems of its verbs and nouns: what a negating sentence would deny
    negated: bool  # the question itself says "not" / "never" / "no"
    parts: tuple[str, ...]  # the question split where it asks a second thing; one part otherwise
    focus: frozenset[str] = frozenset()  # stems of the noun asked about: "price" in "What is the price of"

    @property
    def yes_no(self) -> bool:
        return self.expects == "yes_no"


def split_parts(text: str) -> tuple[str, ...]:
    pieces = [p.strip(" ,") for p in SECOND_QUESTION.split(text) if p.strip(" ,?")]
    if len(pieces) < 2:
        return (text,)
    return tuple(p if p.endswith("?") else p + "?" for p in pieces)


def _answer_type(doc) -> AnswerType:
    tokens = [t for t in doc if not t.is_punct]
    if not tokens:
        return "thing"
    if tokens[0].pos_ == "AUX" or tokens[0].tag_ == "MD":  # "Is it...", "Can they...", "Do both..."
        return "yes_no"
    wh = next((t for t in tokens if t.tag_ in ("WP", "WRB", "WDT", "WP$")), None)
    if wh is None:
        return "thing"
    word = wh.lower_
    following = doc[wh.i + 1] if wh.i + 1 < len(doc) else None
    if word == "how" and following is not None and following.lower_ in ("many", "much", "long", "old", "big"):
        return "number"
    if word in ("who", "whom", "whose"):
        return "person"
    if word == "when":
        return "date"
    if word == "where":
        return "place"
    if word == "why":
        return "reason"
    if word == "how":
        return "manner"
    # what/which + the noun it asks about: "what year", "which version", "what uid"
    head = following if following is not None and following.pos_ in ("NOUN", "PROPN", "ADJ") else None
    noun = next((t for t in doc[wh.i + 1 : wh.i + 4] if t.pos_ == "NOUN"), head)
    if noun is not None:
        if noun.lower_ in DATE_NOUNS:
            return "date"
        if noun.lower_ in NUMBER_NOUNS:
            return "number"
    return "thing"


class QuestionReader:
    """Turns question text into a Question; spaCy loads on the first call."""

    def run(self, text: str) -> Question:
        doc = parse(text)
        value_tokens = {t.i for e in doc.ents if e.label_ in VALUE_ENTITIES for t in e}
        names = names_in(doc)
        terms: list[str] = []
        for tok in doc:
            word = tok.text.strip(".,;:!?\"'()[]")
            if (
                tok.pos_ in CONTENT_POS
                and tok.i not in value_tokens
                and word
                and word.lower() not in STOPWORDS
                and (len(word) > 2 or word.isdigit())
                and word not in terms
            ):
                terms.append(word)
        predicates = frozenset(stem(t.lower_) for t in doc if t.pos_ in ("VERB", "NOUN") and not t.is_stop)
        negated = any(t.dep_ == "neg" or t.lower_ in ("no", "never", "without") for t in doc)
        return Question(
            text=text,
            expects=_answer_type(doc),
            names=tuple(names),
            terms=tuple(terms),
            predicates=predicates,
            negated=negated,
            parts=split_parts(text),
            focus=_focus(doc),
        )


def _focus(doc) -> frozenset[str]:
    """The noun a wh-question asks about: "What file name", "how many bytes", "What is the price
    of ...", "Who is the CEO of ...". Its absence from every good sentence is a sign the
    documents do not hold the answer."""
    wh = next((t for t in doc if t.tag_ in ("WP", "WRB", "WDT", "WP$")), None)
    if wh is None:
        return frozenset()
    after = wh.i + 1
    if wh.lower_ == "how" and after < len(doc) and doc[after].lower_ in ("many", "much"):
        after += 1
    chunk = next((c for c in doc.noun_chunks if c.start in (wh.i, after) and c.end > after), None)
    if chunk is None and after > wh.i + 1 and after < len(doc) and doc[after].pos_ == "NOUN":
        chunk = [doc[after]]  # "Over how many years ...": the parser may give it no noun chunk
    if chunk is None and wh.head.lemma_ == "be":  # "What is the price of ...?", "Who is the CEO of ...?"
        subject = next((c for c in wh.head.children if c.dep_ in ("nsubj", "attr") and c.i != wh.i), None)
        if subject is not None:
            chunk = [t for t in subject.subtree if t.i <= subject.i]
    tokens = [t for t in chunk or [] if t.i != wh.i and t.pos_ in ("NOUN", "PROPN") and t.ent_type_ == ""]
    return frozenset(stem(t.lower_) for t in tokens)


def names_in(doc) -> list[str]:
    """Names and codes of a spaCy-parsed text, as written, each once."""
    names = [
        _strip_possessive(e.text) for e in doc.ents if e.label_ not in VALUE_ENTITIES or CODE.match(e.text)
    ]
    covered = {t.i for e in doc.ents for t in e}
    names += [t.text for t in doc if t.i not in covered and CODE.match(t.text) and not t.like_num]
    return list(dict.fromkeys(n for n in names if n))


def _strip_possessive(name: str) -> str:
    """ "the Mozilla Public License's" -> "Mozilla Public License": the name, as a passage would hold it."""
    return re.sub(r"^(?:the|a|an)\s+|(?:'s|’s|')$", "", name.strip(), flags=re.IGNORECASE)


YEAR = re.compile(r"\b(?:1[5-9]\d\d|20\d\d)s?\b")
PERSON_LIKE = frozenset({"PERSON", "ORG", "NORP", "GPE", "PRODUCT"})


def holds_answer_type(expects: AnswerType, doc) -> bool:
    """Could this (spaCy-parsed) sentence answer a question of this type? A "when" question needs
    a date, "how many" a number, "who" a person or organisation; other questions any sentence."""
    if expects == "number":
        return bool(numbers(doc.text)) or any(t.like_num for t in doc)
    if expects == "date":
        return any(e.label_ in ("DATE", "TIME") for e in doc.ents) or bool(YEAR.search(doc.text))
    if expects == "person":
        return any(e.label_ in PERSON_LIKE for e in doc.ents) or any(t.pos_ == "PROPN" for t in doc)
    return True


# Parts of speech a statement cannot end on: the value after them is missing.
OPEN_ENDS = frozenset({"AUX", "ADP", "DET", "CCONJ", "SCONJ"})


def ends_open(doc) -> bool:
    """The sentence stops where its value should be ("The function that frees it is [3]." read
    without its marker): the writer cited a passage in place of saying the answer."""
    said = [t for t in doc if not t.is_punct]
    return bool(said) and said[-1].pos_ in OPEN_ENDS
