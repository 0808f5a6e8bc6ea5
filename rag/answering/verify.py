"""Check every sentence of a generated answer against the passage it cites.

A sentence is supported by a passage when all its numbers and all its names appear in that
passage, so do the terms it shares with the question (the thing asked about: "the CEO of the
automotive unit" needs a passage about that unit), and it is close in meaning (cosine) or in
wording (shared content terms) to one of the passage's sentences. Citations are re-pointed to
the passage that supports the sentence best; sentences nothing supports are dropped. The
supporting sentence, with its span, becomes the citation, so a reader sees exactly which words
back the claim.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from rag.answering.evidence import SentenceLookup, sentence_vectors
from rag.answering.question import names_in
from rag.core.nlp import parse
from rag.core.text import Haystack, content_terms, numbers
from rag.core.types import Chunk, Sentence
from rag.documents.sentences import split_sentences
from rag.embedding.embedder import Embedder

MARKER = re.compile(r"\s*\[(\d+)\]")
LEADING_MARKERS = re.compile(r"^(?:\s*\[\d+\])+")
# A marker read as a noun at a sentence's start ("In [1], Huawei ..."): up to three words, the
# markers and a comma. Without the markers it would read "In, Huawei ...".
LEAD_IN = re.compile(r"\s*([A-Za-z]+(?:\s+[A-Za-z]+){0,2})\s*(?:\[\d+\]\s*)+,\s*")


def split_answer(answer: str) -> list[tuple[str, list[int]]]:
    """Answer sentences, without markers, each with the markers it carries. Markers that open a
    piece ("cards. [1] It costs...") belong to the sentence before them, and so does a piece
    that cannot start a sentence (lower case, or a lone word: pysbd cuts "called .ninja_log."
    after the dot). A lead-in that only names the passage ("In [1], ...") is dropped."""
    text = answer.replace("\n", " ")
    pieces: list[list] = []  # [start, end, markers, led_in] spans of `text`
    for sent in split_sentences(text):
        lead = LEADING_MARKERS.match(sent.text)
        if lead and pieces:
            pieces[-1][2].extend(int(m) for m in MARKER.findall(lead.group(0)))
        start = sent.start + (lead.end() if lead else 0)
        markers = [int(m) for m in MARKER.findall(text[start : sent.end])]
        lead_in = LEAD_IN.match(text, start, sent.end)
        led_in = bool(lead_in) and not content_terms(lead_in.group(1))  # "In [1],", not "Huawei [1],"
        if led_in:
            start = lead_in.end()
        words = MARKER.sub("", text[start : sent.end]).strip()
        opens = bool(words) and (led_in or words[0].isupper() or words[0].isdigit() or words[0] in "\"“'‘$(")
        if pieces and words and (not opens or len(words.split()) < 2):
            pieces[-1][1] = sent.end
            pieces[-1][2].extend(markers)
        elif words:
            pieces.append([start, sent.end, markers, led_in])
    out = [
        (_capitalised(" ".join(MARKER.sub("", text[a:b]).split()), led_in), markers)
        for a, b, markers, led_in in pieces
    ]
    return [(words, markers) for words, markers in out if len(words.split()) >= 2]


def _capitalised(words: str, led_in: bool) -> str:
    return words[:1].upper() + words[1:] if led_in else words


@dataclass
class Supported:
    text: str  # the answer sentence without markers
    chunk: Chunk
    sentence: Sentence  # the passage sentence that supports it
    score: float
    repointed: bool


class CitationVerifier:
    def __init__(
        self,
        embedder: Embedder,
        min_similarity: float,
        min_overlap: float,
        lookup: SentenceLookup | None = None,
    ) -> None:
        self.embedder = embedder
        self.lookup = lookup
        self.min_similarity = min_similarity
        self.min_overlap = min_overlap

    def run(self, answer: str, passages: dict[int, Chunk], question: str = "") -> list[Supported]:
        """Every sentence of `answer` that its passages support, re-pointed where needed."""
        held = (
            self.run_sentence(text, markers, passages, question) for text, markers in split_answer(answer)
        )
        return [s for s in held if s is not None]

    def run_sentence(
        self, text: str, markers: list[int], passages: dict[int, Chunk], question: str = ""
    ) -> Supported | None:
        """One answer sentence (without its markers) checked against the passages, or None."""
        if not passages:
            return None
        all_sents = [(m, s) for m, c in passages.items() for s in c.sentences]
        vec = self.embedder.embed([text], progress=False)[0]
        keys = [(passages[m].doc_id, s.start) for m, s in all_sents]
        flat_texts = [" ".join(s.text.split()) for _, s in all_sents]
        sims = sentence_vectors(self.embedder, self.lookup, keys, flat_texts) @ vec
        return self._best(text, markers, passages, all_sents, sims, content_terms(question))

    def _best(
        self,
        text: str,
        markers: list[int],
        passages: dict[int, Chunk],
        all_sents: list[tuple[int, Sentence]],
        sims: np.ndarray,
        question_terms: set[str],
    ) -> Supported | None:
        nums, names, terms = numbers(text), names_in(parse(text)), content_terms(text)
        asked = terms & question_terms  # what the user asked about, which the answer claims
        candidates = []
        for marker, chunk in passages.items():
            body = Haystack(f"{chunk.title} {chunk.text}")
            if not nums <= body.numbers or not all(body.mentions(n) for n in names):
                continue
            if not asked <= body.terms:
                continue
            rows = [i for i, (m, _) in enumerate(all_sents) if m == marker]
            i = max(rows, key=lambda r: sims[r])
            sentence = all_sents[i][1]
            overlap = len(terms & content_terms(sentence.text)) / len(terms) if terms else 0.0
            if sims[i] >= self.min_similarity or overlap >= self.min_overlap:
                cited = marker in markers
                candidates.append((cited, float(sims[i]), marker, chunk, sentence))
        if not candidates:
            return None
        # keep the model's own citation when it holds; otherwise the best-supporting passage
        cited, score, marker, chunk, sentence = max(candidates, key=lambda c: (c[0], c[1]))
        return Supported(text, chunk, sentence, score, repointed=not cited)
