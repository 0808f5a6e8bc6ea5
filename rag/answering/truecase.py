"""A question typed all in lower case, read with the capitals the documents give its words.

The question reader finds names by what spaCy's entity recogniser and the code pattern see, and
both lean on capitals: "who leads huawei's cloud unit?" has no name for them, so a refusal
cannot say which name is missing and the checks that a passage holds the question's names have
nothing to check. The documents know better: a word they write capitalised in mid-sentence
("Huawei", "TSMC", "SuperPoD") is a name there. This is truecasing by the commonest spelling,
the simplest of its statistical forms, with the corpus as its statistics. A question with any
capital is left as typed: its writer chose its case. (Reading "Which foundry did huawei lose?"
the same way was measured too; eval/MEASUREMENTS.md says why it was left out.)
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable

from rag.core.text import STOPWORDS, WORD

Spellings = Callable[[str], Counter[str]]


class Truecaser:
    def __init__(self, spellings: Spellings) -> None:
        self.spellings = spellings

    def run(self, question: str) -> str:
        if question != question.lower():
            return question
        known: dict[str, str] = {}  # a word the question repeats is looked up once

        def cased(match: re.Match[str]) -> str:
            word = match.group()
            if word not in known:
                known[word] = self._cased(word)
            return known[word]

        cased_question = WORD.sub(cased, question)
        return cased_question[:1].upper() + cased_question[1:]

    def _cased(self, word: str) -> str:
        """The word as the documents mostly write it; the user's spelling on a tie or when they
        never do."""
        if word == "i":
            return "I"
        if len(word) < 2 or word in STOPWORDS or not any(ch.isalpha() for ch in word):
            return word
        seen = self.spellings(word)
        best, count = max(seen.items(), key=lambda kv: (kv[1], kv[0] == word), default=(word, 0))
        return best if count > seen[word] else word


def as_typed(phrase: str, typed: str) -> str:
    """A phrase of the truecased question as the user typed it, for what a refusal names."""
    found = re.search(re.escape(phrase), typed, re.IGNORECASE)
    return found.group() if found else phrase
