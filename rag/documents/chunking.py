"""Group a cleaned document's sentences (rag/documents/sentences.py) into overlapping chunks.

Short heading lines ("What happened") do not count towards a chunk's sentence budget, so a
heading travels with the paragraph it introduces instead of filling a chunk on its own.
"""

from __future__ import annotations

from rag.core.types import Chunk, Document, Sentence
from rag.documents.sentences import is_heading, split_sentences


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
