"""What the answer stages and the chat page need to know about the whole corpus, computed when
the index is built and stored with it (stats.json), so that start-up never scans the corpus.

- `examples`: a few questions about the corpus for the chat page's first screen, each answered
  by a defining sentence ("A dpkg trigger is a facility that...") in the opening of a document
  sampled across the corpus. spaCy reads only a few openings, so the cost does not grow with
  the corpus.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rag.core.text import flat
from rag.core.types import Document
from rag.documents.sentences import split_sentences

FILE = "stats.json"
EXAMPLES = 4
EXAMPLE_WINDOW = 4000  # characters of each sampled document that spaCy reads
MAX_SAMPLED = 8  # documents read for examples, whatever the corpus size
MIN_SUBJECT_WORDS, MAX_SUBJECT_WORDS = 2, 8
MIN_SENTENCE_WORDS = 6


@dataclass
class CorpusStats:
    examples: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, documents: list[Document]) -> CorpusStats:
        return cls(examples=example_questions(documents) if documents else [])

    def save(self, folder: Path) -> None:
        (folder / FILE).write_text(json.dumps(asdict(self), ensure_ascii=False, indent=1), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> CorpusStats:
        path = folder / FILE
        return cls(**json.loads(path.read_text(encoding="utf-8"))) if path.is_file() else cls()


def example_questions(documents: list[Document], count: int = EXAMPLES) -> list[str]:
    """Up to `count` questions, each answered by a defining sentence ("X is Y") in the opening
    of a document; documents are sampled evenly across the corpus, at most `MAX_SAMPLED` read."""
    from rag.core.nlp import nlp

    ordered = sorted(documents, key=lambda d: d.doc_id)
    step = max(1, len(ordered) // MAX_SAMPLED)
    sampled = ordered[::step][:MAX_SAMPLED]
    by_document: list[list[str]] = []
    for doc in sampled:
        sentences = [flat(s.text) for s in split_sentences(doc.text[:EXAMPLE_WINDOW])]
        parsed = nlp().pipe(s for s in sentences if len(s.split()) >= MIN_SENTENCE_WORDS)
        by_document.append([q for p in parsed if (q := _definition_question(next(p.sents)))])
    questions: list[str] = []
    for round_ in range(EXAMPLE_WINDOW):  # one per document first, then second ones
        added = False
        for found in by_document:
            if round_ < len(found) and found[round_] not in questions and len(questions) < count:
                questions.append(found[round_])
                added = True
        if not added or len(questions) >= count:
            break
    return questions


def _definition_question(sentence) -> str | None:
    """ "The centerpiece of the reveal is Huawei's SuperPoD ..." -> "What is the centerpiece of the
    reveal?": the sentence itself answers it."""
    root = sentence.root
    if root.lemma_ != "be" or not any(c.dep_ == "attr" for c in root.children):
        return None
    subject = next((c for c in root.children if c.dep_ == "nsubj"), None)
    if subject is None or subject.pos_ == "PRON":
        return None
    span = sentence.doc[subject.left_edge.i : subject.right_edge.i + 1]
    words = span.text.split()
    if not MIN_SUBJECT_WORDS <= len(words) <= MAX_SUBJECT_WORDS or span[0].lower_ in (
        "this",
        "that",
        "there",
        "it",
    ):
        return None
    if not span.text[0].isalpha() or sum(t.pos_ in ("NOUN", "PROPN", "ADJ") for t in span) < 2:
        return None  # "the timing" is too vague to ask about
    first = span[0]
    head = (
        first.text
        if first.pos_ == "PROPN" or (first.text.isupper() and len(first) > 1)
        else first.text.lower()
    )
    subject_text = " ".join([head, *words[1:]])
    return f"What {root.text.lower()} {subject_text}?"
