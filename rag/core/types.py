"""The nouns every stage shares: Document, Sentence, Chunk, Hit, Citation, Answer.

They are plain dataclasses so they serialise to JSON with `dataclasses.asdict` and stay
readable in tests. Ids are deterministic: a document's id is its file stem, a chunk's id is
`doc_id:chunk_no`, so re-indexing touches only what changed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal


@dataclass(frozen=True)
class Document:
    doc_id: str
    title: str
    text: str  # cleaned text; every span in the system points into this string
    source: str  # path the document was read from
    sha256: str  # of the raw file bytes, so an unchanged file is never re-embedded


@dataclass(frozen=True)
class Sentence:
    text: str
    start: int  # character span in the cleaned document text
    end: int


@dataclass
class Chunk:
    chunk_id: str
    doc_id: str
    chunk_no: int
    title: str
    text: str
    start: int
    end: int
    sentences: list[Sentence]

    def to_dict(self) -> dict[str, Any]:
        # by hand: `asdict` recurses through every field and is ~10x slower on big indexes
        fields = {name: getattr(self, name) for name in self.__dataclass_fields__ if name != "sentences"}
        return {
            **fields,
            "sentences": [{"text": s.text, "start": s.start, "end": s.end} for s in self.sentences],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Chunk:
        sentences = [Sentence(**s) for s in data["sentences"]]
        return cls(**{**data, "sentences": sentences})


@dataclass
class Hit:
    """A retrieved chunk with the evidence of how each retriever ranked it."""

    chunk: Chunk
    score: float  # fused score (reciprocal rank fusion) used for the final order
    dense_score: float | None = None
    dense_rank: int | None = None  # 1-based; None when the dense list missed it
    bm25_score: float | None = None
    bm25_rank: int | None = None


@dataclass
class Citation:
    marker: int  # the n in [n]
    doc_id: str
    chunk_id: str
    title: str
    text: str  # the supporting sentence
    start: int  # span of that sentence in the cleaned document
    end: int
    score: float  # how well it supports the answer sentence (0..1)


@dataclass
class Conflict:
    """Two passages from different documents giving different figures for one thing."""

    topic: str
    values: list[str]
    markers: list[int]


# How an answer's text was produced:
# - generated: the model's sentences, each checked against the passage it cites;
# - located: the model named a value but wrote no sentence, so the sentence holding it is quoted;
# - extractive: the best supporting sentence quoted (no model, or no model sentence held up);
# - conflict: two documents disagree, both sides cited;
# - premise: the question assumes what the documents deny or never say (a refusal);
# - refusal: the documents do not answer it.
Mode = Literal["generated", "located", "extractive", "conflict", "premise", "refusal"]


@dataclass
class Answer:
    question: str
    answer: str
    refused: bool = False
    citations: list[Citation] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    latency_s: float = 0.0
    mode: Mode = "generated"
    rewritten_question: str | None = None
    checked: bool = True  # False when verification was switched off for this answer
    signals: dict[str, float] = field(default_factory=dict)  # what the answer-or-refuse decision saw
    usage: dict[str, int] = field(default_factory=dict)  # prompt_tokens, completion_tokens

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
