"""The dev sets: questions (one JSON object per line, schema in eval/README.md) with the corpus
they are asked of, validated on load, and each split in two halves fixed by id.

Two corpora, so that no decision is fitted to one kind of document:
- `articles`: eval/dev.jsonl over the five news articles in data/corpus;
- `docs-b`: eval/docs-b.jsonl over nine real documents (HTML, PDF, Markdown, hard-wrapped text)
  in data/docs-b/corpus (sources and licences in data/docs-b/SOURCES.md).

Every threshold or weight is fitted on the calibration halves of both sets together; the test
halves are only reported. The split is by position within each question type, in id order:
even positions calibrate, odd ones test, so both halves hold every type in the same mix.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from rag.core.errors import InputError
from rag.core.settings import DEFAULT_CORPUS, REPO_ROOT

EVAL_DIR = Path(__file__).resolve().parent
DEV_SET = EVAL_DIR / "dev.jsonl"
TYPES = (
    "single_fact",
    "number",
    "multi_doc",
    "conflict",
    "paraphrase",
    "follow_up",
    "unanswerable",
    "false_premise",
)
REFUSE_TYPES = ("unanswerable", "false_premise")
Split = Literal["all", "calibration", "test"]
SPLITS: tuple[Split, ...] = ("all", "calibration", "test")


@dataclass(frozen=True)
class DevSet:
    name: str
    questions: Path
    corpus: Path


DEV_SETS = {
    "articles": DevSet("articles", DEV_SET, DEFAULT_CORPUS),
    "docs-b": DevSet("docs-b", EVAL_DIR / "docs-b.jsonl", REPO_ROOT / "data" / "docs-b" / "corpus"),
}


@dataclass
class EvalQuestion:
    id: str
    question: str
    type: str
    answers: list[list[str]]  # every group must match; any string of a group matches it
    doc_ids: list[str]
    gold_sentences: list[str]
    history: list[dict[str, str]] = field(default_factory=list)
    premise: list[str] = field(default_factory=list)  # false_premise: the false phrase(s)
    correction: list[list[str]] = field(default_factory=list)  # false_premise: groups for the true fact

    @property
    def should_refuse(self) -> bool:
        return self.type in REFUSE_TYPES


def dev_set(name: str) -> DevSet:
    try:
        return DEV_SETS[name]
    except KeyError:
        raise InputError(f"no dev set {name!r}; use one of {', '.join(DEV_SETS)}") from None


def load_dev_set(path: Path = DEV_SET, split: Split = "all") -> list[EvalQuestion]:
    questions = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            q = EvalQuestion(**json.loads(line))
        except (json.JSONDecodeError, TypeError) as exc:
            raise InputError(f"{path}:{n} is not a valid eval question ({exc})") from None
        if q.type not in TYPES:
            raise InputError(f"{path}:{n} has unknown type {q.type!r}; use one of {', '.join(TYPES)}")
        if not q.should_refuse and not (q.answers and q.doc_ids and q.gold_sentences):
            raise InputError(f"{path}:{n} ({q.id}) needs answers, doc_ids and gold_sentences")
        questions.append(q)
    ids = [q.id for q in questions]
    if len(set(ids)) != len(ids):
        raise InputError(f"{path} has duplicate ids")
    return select(questions, split)


def split_of(questions: list[EvalQuestion]) -> dict[str, Split]:
    """Each question's half: alternate within its type, in id order."""
    out: dict[str, Split] = {}
    for kind in TYPES:
        ids = sorted(q.id for q in questions if q.type == kind)
        for i, qid in enumerate(ids):
            out[qid] = "calibration" if i % 2 == 0 else "test"
    return out


def select(questions: list[EvalQuestion], split: Split) -> list[EvalQuestion]:
    if split not in SPLITS:
        raise InputError(f"no split {split!r}; use one of {', '.join(SPLITS)}")
    if split == "all":
        return questions
    halves = split_of(questions)
    return [q for q in questions if halves[q.id] == split]
