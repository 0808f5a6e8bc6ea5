"""Answer a file of questions: resumable, one JSON line per question, in input order.

Each record is flushed as soon as it is written, so a killed run loses at most the question in
progress. Running again with the same output skips ids already answered, and the file is then
rewritten (atomically) in input order with exactly one record per question.
"""

from __future__ import annotations

import csv
import json
import logging
import os
import statistics
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rag.core.errors import InputError, RagError
from rag.core.text import decode_text
from rag.core.types import Answer

log = logging.getLogger(__name__)


@dataclass
class Item:
    id: str
    question: str | None
    history: list[dict[str, str]] | None = None
    error: str | None = None  # the line could not be read


@dataclass
class BatchSummary:
    answered: int = 0
    refused: int = 0
    failed: int = 0
    skipped: int = 0  # already answered by an earlier run
    latencies: list[float] = field(default_factory=list)

    @property
    def median_latency(self) -> float:
        return statistics.median(self.latencies) if self.latencies else 0.0

    def line(self) -> str:
        return (
            f"{self.answered} answered, {self.refused} refused, {self.failed} failed, "
            f"{self.skipped} already done; median latency {self.median_latency:.2f}s"
        )


def read_questions(path: Path) -> list[Item]:
    """Questions from .jsonl, .csv or .txt; a malformed line becomes an Item with an error."""
    if not path.is_file():
        raise InputError(f"questions file {str(path)!r} does not exist")
    suffix = path.suffix.lower()
    try:  # Excel saves "Unicode text" as UTF-16 and plain CSV as Windows-1252
        text = decode_text(path.read_bytes())
    except ValueError as exc:
        raise InputError(f"questions file {str(path)!r}: {exc}; save it as UTF-8 text") from None
    if suffix == ".jsonl":
        items = list(_jsonl(text))
    elif suffix == ".csv":
        items = list(_csv(text, path))
    elif suffix == ".txt":
        items = [
            Item(f"line-{n}", line.strip()) for n, line in enumerate(text.splitlines(), 1) if line.strip()
        ]
    else:
        raise InputError(
            f"cannot read questions from {suffix or 'a file without extension'!r}; use .jsonl, .csv or .txt"
        )
    seen: set[str] = set()
    for item in items:
        if item.id in seen and item.error is None:
            item.error = f"duplicate id {item.id!r}; ids must be unique"
            item.id = f"{item.id}#dup{sum(1 for i in items if i.id.startswith(item.id))}"
        seen.add(item.id)
    return items


def _jsonl(text: str) -> Iterator[Item]:
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        default_id = f"line-{n}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Item(
                default_id,
                None,
                error=f"line {n} is not valid JSON ({exc.msg} at column {exc.colno}); "
                'write one object a line: {"id": "q1", "question": "..."}',
            )
            continue
        if not isinstance(row, dict) or not isinstance(row.get("question"), str):
            given = str(row.get("id", default_id)) if isinstance(row, dict) else default_id
            yield Item(
                given,  # the id the user gave, so the error can be matched to its row
                None,
                error=f'line {n} has no "question" string; write {{"id": "q1", "question": "..."}}',
            )
            continue
        history = row.get("history")
        if history is not None and not (
            isinstance(history, list) and all(isinstance(t, dict) for t in history)
        ):
            yield Item(
                str(row.get("id", default_id)),
                row["question"],
                error=f'line {n}: "history" must be a list of {{question, answer}} objects',
            )
            continue
        yield Item(str(row.get("id", default_id)), row["question"], history)


def _csv(text: str, path: Path) -> Iterator[Item]:
    reader = csv.DictReader(text.splitlines())
    if not reader.fieldnames or "question" not in reader.fieldnames:
        raise InputError(
            f"{str(path)!r} has no 'question' column (columns: {reader.fieldnames}); "
            "add a header row with a question column"
        )
    for n, row in enumerate(reader, 2):
        yield Item(row.get("id") or f"line-{n}", row.get("question") or "")


def _done(out: Path) -> dict[str, dict[str, Any]]:
    """Records already written by an earlier run; a line cut off by a kill is ignored. A file
    holding anything else is not appended to: it is not ours to change."""
    records: dict[str, dict[str, Any]] = {}
    if out.exists():
        for n, line in enumerate(out.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if not (
                isinstance(record, dict) and "id" in record and ("answer" in record or "error" in record)
            ):
                raise InputError(
                    f"{str(out)!r} line {n} is not an answer of a batch run; choose a new --out file "
                    "(an earlier run's answers file resumes)"
                )
            records[str(record["id"])] = record
    return records


def run_batch(
    answer: Callable[[str, list[dict[str, str]] | None], Answer],
    questions: Path,
    out: Path,
    progress: bool = True,
    workers: int = 1,
) -> BatchSummary:
    """Answer every question not already answered in `out`; `workers` > 1 answers several at
    once (worth it only against a model server). Each record is appended and flushed as soon as
    it and those before it are done, so a kill loses at most the questions in flight."""
    if workers < 1:
        raise InputError(f"workers must be at least 1, got {workers}")
    items = read_questions(questions)
    if out.is_dir():
        raise InputError(f"{str(out)!r} is a folder; --out takes a file, such as answers.jsonl")
    if out.resolve() == questions.resolve():
        raise InputError(
            f"the answers would go into the questions file {str(out)!r}; choose another --out file"
        )
    previous = _done(out)
    summary = BatchSummary()
    todo = []
    for item in items:
        old = previous.get(item.id)
        if old is not None and "error" not in old:
            summary.skipped += 1
        else:
            todo.append(item)
    out.parent.mkdir(parents=True, exist_ok=True)
    from tqdm import tqdm

    with out.open("a", encoding="utf-8") as sink, ThreadPoolExecutor(workers) as pool:
        records = (
            pool.map(lambda item: _answer_one(answer, item), todo)
            if workers > 1
            else (_answer_one(answer, item) for item in todo)
        )
        for item, record in tqdm(
            zip(todo, records), total=len(todo), desc="answering", unit="q", disable=not progress
        ):
            previous[item.id] = record
            sink.write(json.dumps(record, ensure_ascii=False) + "\n")
            sink.flush()
            if "error" in record:
                summary.failed += 1
            else:
                summary.answered += 1
                summary.refused += bool(record["refused"])
                summary.latencies.append(record["latency_s"])
    _rewrite_in_order(out, [previous[i.id] for i in items if i.id in previous])
    return summary


def _answer_one(answer: Callable[[str, list[dict[str, str]] | None], Answer], item: Item) -> dict[str, Any]:
    base = {"id": item.id, "question": item.question}
    if item.error:
        return {**base, "error": item.error}
    try:
        result = answer(item.question, item.history)
    except RagError as exc:
        return {**base, "error": str(exc)}
    except Exception as exc:  # one broken question must not end the run
        log.exception("question %s failed", item.id)
        return {**base, "error": f"internal error: {type(exc).__name__}: {exc}"}
    return {**base, **{k: v for k, v in result.to_dict().items() if k != "question"}}


def _rewrite_in_order(out: Path, records: list[dict[str, Any]]) -> None:
    tmp = out.with_name(out.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        for record in records:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, out)
