"""Split a cleaned document into sentences with spans, then into overlapping chunks.

Articles arrive one paragraph per line, so lines are split first and pysbd runs inside each
line: a sentence never crosses a paragraph, and pysbd handles "U.S." and "e.g." for us.
Short heading lines ("What happened") do not count towards a chunk's sentence budget, so a
heading travels with the paragraph it introduces instead of filling a chunk on its own.
"""

from __future__ import annotations

from functools import lru_cache

from rag.core.types import Chunk, Document, Sentence

HEADING_MAX_WORDS = 6
_TERMINAL = ".!?:;\"'”’)"


@lru_cache(maxsize=1)
def _segmenter():
    import pysbd

    return pysbd.Segmenter(language="en", clean=False, char_span=True)


def split_sentences(text: str) -> list[Sentence]:
    """Sentences of `text` with exact character spans (text[start:end] == sentence.text)."""
    sentences: list[Sentence] = []
    offset = 0
    for line in text.split("\n"):
        if line.strip():
            for span in _segmenter().segment(line):
                raw = span.sent
                start = offset + span.start + (len(raw) - len(raw.lstrip()))
                end = offset + span.start + len(raw.rstrip())
                if end > start:
                    sentences.append(Sentence(text[start:end], start, end))
        offset += len(line) + 1
    return sentences


def is_heading(sentence: Sentence) -> bool:
    words = sentence.text.split()
    return len(words) <= HEADING_MAX_WORDS and not sentence.text.endswith(tuple(_TERMINAL))


class Chunker:
    """Groups sentences into chunks of `sentences` (headings free) sharing `overlap`."""

    def __init__(self, sentences: int = 4, overlap: int = 1, max_chars: int = 900) -> None:
        if sentences < 1:
            raise ValueError(f"sentences must be at least 1. Currently, sentences is {sentences}")
        if not 0 <= overlap < sentences:
            raise ValueError(f"overlap must be in [0, {sentences}). Currently, overlap is {overlap}")
        self.sentences = sentences
        self.overlap = overlap
        self.max_chars = max_chars

    def run(self, doc: Document) -> list[Chunk]:
        sents = split_sentences(doc.text)
        chunks: list[Chunk] = []
        i = 0
        while i < len(sents):
            j, counted = i, 0
            while j < len(sents) and counted < self.sentences:
                too_long = sents[j].end - sents[i].start > self.max_chars
                if j > i and too_long:
                    break
                counted += 0 if is_heading(sents[j]) else 1
                j += 1
            # a trailing heading belongs to the next chunk, not this one
            while j - 1 > i and is_heading(sents[j - 1]) and j < len(sents):
                j -= 1
            start, end = sents[i].start, sents[j - 1].end
            chunks.append(
                Chunk(
                    chunk_id=f"{doc.doc_id}:{len(chunks)}",
                    doc_id=doc.doc_id,
                    chunk_no=len(chunks),
                    title=doc.title,
                    text=doc.text[start:end],
                    start=start,
                    end=end,
                    sentences=sents[i:j],
                )
            )
            if j >= len(sents):
                break
            i = max(i + 1, self._back_off(sents, i, j))
        return chunks

    def _back_off(self, sents: list[Sentence], i: int, j: int) -> int:
        """Start of the next chunk: `overlap` counted sentences before j, with their headings."""
        k, counted = j, 0
        while k > i and counted < self.overlap:
            k -= 1
            counted += 0 if is_heading(sents[k]) else 1
        while k > i + 1 and is_heading(sents[k - 1]):
            k -= 1
        return k
