"""Sentences with exact spans, split within paragraphs rather than within lines.

Plain-text files wrap lines at about 72 columns (READMEs, licences, RFCs, mail, extracted PDF
text), so there a line end is not a sentence end. A document is hard-wrapped when nearly all its
lines are short (`WRAP_MAX_WIDTH`); its wrap column is then the length most long lines reach.
A line continues the paragraph of the line before it when that line is full: a greedy wrapper
moved the next word down only because it did not fit. A blank line, a list item, a Markdown
heading, table or fence, or a short line (a heading, a page number) ends a paragraph. Documents
that are not wrapped (one paragraph a line, as news articles and extracted HTML are) keep lines
as paragraphs.

pysbd then splits each paragraph, with its line breaks read as spaces, so
`text[start:end] == sentence.text` still holds exactly: a sentence that crosses a wrap keeps
its newline, and `flat()` in rag/core/text.py gives the one-line form for display. pysbd also
splits inline enumerations ("then You must: (a) comply ...; and (b) describe ..."); a piece
that does not end a sentence (no full stop, question or exclamation mark) is joined to the
next piece of its paragraph, so a clause is never quoted without the list it leads into.
"""

from __future__ import annotations

import re
from functools import lru_cache

from rag.core.types import Sentence

HEADING_MAX_WORDS = 6
_TERMINAL = ".!?:;\"'”’)"
_BULLET = r"[-*+•·▪]\s"
BULLET = re.compile(r"^\s*" + _BULLET + r"\s*")  # an item of a bulleted list, to its first word
# a line that starts its own block: a list item, a Markdown heading, table row or fence, a rule
BLOCK_START = re.compile(
    r"^(?:" + _BULLET + r"|\d{1,3}[.)]\s|\(?[a-zA-Z0-9]{1,3}\)\s|#{1,6}\s|\||```|~~~|[-=_*]{3,}\s*$)"
)
_STOP = r"[.!?…][\"'”’)\]]*"  # a full stop, question or exclamation mark, and closing quotes
INNER_END = re.compile(_STOP + r"\s+\S")  # a sentence could end here, inside a paragraph
SENTENCE_END = re.compile(_STOP + "$")
WRAP_MAX_WIDTH = 110  # texts wrapped wider than this (PDF text reaches ~105) are one paragraph a line
WRAP_MIN_LINES = 10  # too few lines to tell
WRAP_PERCENTILE = 0.95  # the wrap column: the length this share of lines stays within
WRAP_FULL = 0.85  # full: the next word would have taken the line past 85% of the column


@lru_cache(maxsize=1)
def _segmenter():
    import pysbd

    return pysbd.Segmenter(language="en", clean=False, char_span=True)


def looks_like_heading(text: str) -> bool:
    """Short and without closing punctuation: a title, a label, a page number, not a sentence,
    and not an item of a bulleted list ("- Digest"), which states one of the list's values."""
    return (
        len(text.split()) <= HEADING_MAX_WORDS
        and not text.rstrip().endswith(tuple(_TERMINAL))
        and not (BULLET.match(text) and any(ch.isalnum() for ch in text))  # "* *" is a box's edge
    )


def is_heading(sentence: Sentence) -> bool:
    return looks_like_heading(sentence.text)


def wrap_width(lines: list[str]) -> int | None:
    """The column a hard-wrapped text was wrapped at, or None when it is not hard-wrapped."""
    lengths = sorted(len(line) for line in lines if line.strip())
    if len(lengths) < WRAP_MIN_LINES:
        return None
    width = lengths[int(WRAP_PERCENTILE * (len(lengths) - 1))]
    return width if width <= WRAP_MAX_WIDTH else None


def _continues(prev: str, line: str, width: int | None) -> bool:
    """True when `line` carries on the paragraph `prev` was wrapped out of."""
    if width is None or not prev or BLOCK_START.match(line):
        return False
    next_word = len(line.split(maxsplit=1)[0])
    return len(prev) + 1 + next_word > WRAP_FULL * width


def paragraphs(text: str) -> list[tuple[int, int]]:
    """(start, end) spans of paragraphs: runs of lines that continue one another."""
    lines = text.split("\n")
    width = wrap_width(lines)
    spans: list[tuple[int, int]] = []
    offset, prev = 0, ""
    for line in lines:
        stripped = line.strip()
        if stripped:
            start = offset + (len(line) - len(line.lstrip()))
            end = offset + len(line.rstrip())
            if spans and _continues(prev, stripped, width):
                spans[-1] = (spans[-1][0], end)
            else:
                spans.append((start, end))
        prev = stripped
        offset += len(line) + 1
    return spans


def split_sentences(text: str) -> list[Sentence]:
    """Sentences of `text` with exact character spans (text[start:end] == sentence.text)."""
    sentences: list[Sentence] = []
    for p_start, p_end in paragraphs(text):
        paragraph = text[p_start:p_end].replace("\n", " ")  # same length: spans stay exact
        if not INNER_END.search(paragraph):
            # no full stop, question or exclamation mark followed by more text: one sentence,
            # and pysbd (the slow part of indexing) has nothing to decide
            sentences.append(Sentence(text[p_start:p_end], p_start, p_end))
            continue
        pieces: list[tuple[int, int]] = []
        for span in _segmenter().segment(paragraph):
            raw = span.sent
            start = p_start + span.start + (len(raw) - len(raw.lstrip()))
            end = p_start + span.start + len(raw.rstrip())
            if end <= start:
                continue
            if pieces and (pieces[-1][1] == start or not SENTENCE_END.search(text[slice(*pieces[-1])])):
                # a sentence ends before a space: "a ." + "gz extension" is one ("a .gz extension"),
                # and so is an enumeration's lead-in or item with the rest
                start = pieces.pop()[0]
            pieces.append((start, end))
        sentences.extend(Sentence(text[start:end], start, end) for start, end in pieces)
    return sentences
