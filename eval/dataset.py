"""The dev set: one JSON object per line (schema in eval/README.md), validated on load."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from rag.core.errors import InputError

DEV_SET = Path(__file__).with_name("dev.jsonl")
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


@dataclass
class EvalQuestion:
    id: str
    question: str
    type: str
    answers: list[list[str]]  # every group must match; any string of a group matches it
    doc_ids: list[str]
    gold_sentences: list[str]
    history: list[dict[str, str]] = field(default_factory=list)

    @property
    def should_refuse(self) -> bool:
        return self.type in REFUSE_TYPES


def load_dev_set(path: Path = DEV_SET) -> list[EvalQuestion]:
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
    return questions
