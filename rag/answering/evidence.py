"""Score every sentence of the retrieved passages against the question.

Sentences, not chunks, are what answers cite, so this is where the pipeline decides which
sentence could answer. The score mixes meaning (cosine of MiniLM embeddings) with the share
of the question's content terms the sentence contains, so that a paraphrase and an exact
term match both count.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from rag.core.text import content_terms, numbers, stems
from rag.core.types import Chunk, Hit, Sentence
from rag.documents.ingest import as_read, linked_text, plain
from rag.documents.injection import is_instruction
from rag.documents.sentences import BULLET, is_heading, looks_like_heading
from rag.embedding.embedder import Embedder

# A sentence that leans on the one before it ("They're using...," he said), or a next sentence
# that only continues this one ("These include mining, ...").
BACK_REFERENCE = re.compile(
    r"^(?:He|She|They|It|This|That|These)\b|\b(?:he|she|they) (?:said|added|explained|wrote)\b"
)
TERM_MAX_WORDS = 3
OUTLINE_NUMBER = re.compile(r"[*•\-\s]*\d+(?:\.\d+)*\.")  # "2.14." on its own states nothing
FIELD = re.compile(r":\s+\S")  # "Founded date: 1987" states its own value
CONTINUATION = re.compile(r"^(?:These|This|They|It|That) (?:include|includes|are|is|was|were|use|uses)\b")


@dataclass
class Evidence:
    sentence: Sentence
    chunk: Chunk
    hit_rank: int  # 0-based rank of its chunk in the retrieved list
    cosine: float
    overlap: float  # share of the question's content terms found in the sentence
    score: float
    vector: np.ndarray  # the sentence's embedding, reused by the conflict check

    @property
    def context_stems(self) -> set[str]:
        """Word stems of the sentence as shown (with its heading or neighbour) and of its title."""
        return stems(f"{self.display} {self.chunk.title}")

    @property
    def display(self) -> str:
        """The sentence with the neighbours it cannot be read without: the heading above it (a
        date line in a timeline, a term in a definition list), the sentence its pronoun points back to
        ("...," he said), or the sentence that continues it ("These include mining, ...", or what
        follows "handled by a pair of functions:"). Markdown links read as their text, as a
        reader of the rendered page sees them."""
        sents = self.chunk.sentences
        i = sents.index(self.sentence)
        prev = sents[i - 1] if i > 0 else None
        nxt = sents[i + 1] if i + 1 < len(sents) else None
        text = as_read(self.sentence.text)
        if prev is not None and _labels(prev, self.sentence) and (numbers(prev.text) or _is_term(prev.text)):
            # "lpadmin: Members of...", "Authors: Andrey Kislyuk" (from "- Andrey Kislyuk")
            return f"{plain(prev.text).rstrip(':,;')}: {BULLET.sub('', text, count=1)}"
        if prev is not None and not is_heading(prev) and BACK_REFERENCE.search(text):
            text = f"{as_read(prev.text)} {text}"
        if nxt is not None and (text.endswith(":") or CONTINUATION.match(as_read(nxt.text))):
            text = f"{text} {as_read(nxt.text)}"
        return text


def _labels(line: Sentence, below: Sentence) -> bool:
    """A heading names what the sentences below it are about, and so does a short bulleted item
    over a paragraph of its own (options listed as "- --disable-setuid" over "By default, man is
    installed setuid."); a field ("Founded date: 1987") states its own value and says nothing
    about the line after it."""
    term = BULLET.match(line.text) and not BULLET.match(below.text)
    label = is_heading(line) or (term and looks_like_heading(BULLET.sub("", line.text)))
    return bool(label) and not FIELD.search(line.text)


def _is_term(heading: str) -> bool:
    """A heading that names what the next sentence is about ("lpadmin", "operator"), as a
    definition list does, rather than a section title ("What To Do Next") or a line of code that
    carries on below it ("table.add_row(")."""
    words = heading.split()
    return (
        len(words) <= TERM_MAX_WORDS
        and ":" not in heading
        and not heading.isupper()
        and any(ch.isalpha() for ch in heading)  # not a rule ("-----") or a bare number
        and heading.count("(") == heading.count(")")
    )


def informative(sentence: Sentence) -> bool:
    """Section headings ("What happened") state nothing; "Founded date: 1987" does. Nor do
    images, bare outline numbers and punctuation, though they hold digits or colons. Sentences
    that instruct the assistant are never evidence (see rag/documents/injection.py)."""
    if is_instruction(sentence.text) or _states_nothing(sentence.text):
        return False
    return not is_heading(sentence) or ":" in sentence.text or any(ch.isdigit() for ch in sentence.text)


def _states_nothing(text: str) -> bool:
    rest = linked_text(text).strip()
    return not any(ch.isalnum() for ch in rest) or OUTLINE_NUMBER.fullmatch(rest) is not None


SentenceLookup = Callable[[list[tuple[str, int]]], np.ndarray | None]


def sentence_vectors(
    embedder: Embedder, lookup: SentenceLookup | None, keys: list[tuple[str, int]], texts: list[str]
) -> np.ndarray:
    """Vectors for passage sentences: from the index when it stores them, else embedded now."""
    found = lookup(keys) if lookup is not None else None
    return found if found is not None else embedder.embed(texts, progress=False)


class EvidenceScorer:
    def __init__(
        self, embedder: Embedder, lexical_weight: float = 0.3, lookup: SentenceLookup | None = None
    ) -> None:
        self.embedder = embedder
        self.lexical_weight = lexical_weight
        self.lookup = lookup

    def run(
        self, question: str, hits: list[Hit], question_vector: np.ndarray | None = None
    ) -> list[Evidence]:
        seen: set[tuple[str, int]] = set()
        items: list[tuple[Sentence, Chunk, int]] = []
        for rank, hit in enumerate(hits):
            for sent in hit.chunk.sentences:
                key = (hit.chunk.doc_id, sent.start)
                if not informative(sent):
                    continue
                if key not in seen:  # overlapping chunks share sentences
                    seen.add(key)
                    items.append((sent, hit.chunk, rank))
        if not items:
            return []
        q_terms = content_terms(question)
        if question_vector is None:
            question_vector = self.embedder.embed([question], progress=False)[0]
        keys = [(chunk.doc_id, sent.start) for sent, chunk, _ in items]
        read = [as_read(s.text) for s, _, _ in items]
        vectors = sentence_vectors(self.embedder, self.lookup, keys, read)
        cosines = vectors @ question_vector
        out = []
        for (sent, chunk, rank), text, cos, vec in zip(items, read, cosines, vectors):
            terms = content_terms(text)
            prev_terms = set()
            i = chunk.sentences.index(sent)
            if i > 0 and _labels(chunk.sentences[i - 1], sent):
                prev_terms = content_terms(as_read(chunk.sentences[i - 1].text))
            overlap = len(q_terms & (terms | prev_terms)) / len(q_terms) if q_terms else 0.0
            score = float(cos) + self.lexical_weight * overlap
            out.append(Evidence(sent, chunk, rank, float(cos), overlap, score, vec))
        return sorted(out, key=lambda e: -e.score)
