"""Run one configuration over a dev set, through the same batch path users use.

Each run answers the whole set once and scores it three ways: all questions, the calibration
half and the test half (see eval/dataset.py). Runs are written to the data folder
(HOME/eval-runs/<dev set>/<config>/), never into the source tree.
"""

from __future__ import annotations

import json
import logging
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from eval import metrics as m
from eval.dataset import SPLITS, EvalQuestion, dev_set, load_dev_set, split_of
from rag.assistant import Assistant
from rag.core.errors import IndexMismatchError, IndexMissingError
from rag.core.settings import load_settings
from rag.faces.batch import run_batch

log = logging.getLogger(__name__)
RECALL_KS = (1, 3, 5, 10)


def default_runs_root() -> Path:
    return load_settings().home / "eval-runs"


def run_eval(
    name: str,
    overrides: dict[str, Any],
    devset: str = "articles",
    out_root: Path | None = None,
    limit: int | None = None,
    embedder=None,
    progress: bool = True,
) -> dict[str, Any]:
    chosen = dev_set(devset)
    questions = load_dev_set(chosen.questions)[:limit]
    settings = load_settings(**{"corpus_dir": chosen.corpus, **overrides})
    if "index_dir" not in overrides:
        # each dev set and configuration keeps its own index (a store or embedder setting changes
        # it), and the user's own index is never rebuilt by an eval run
        settings = settings.model_copy(update={"index_dir": settings.home / "eval-indexes" / devset / name})
    assistant = Assistant(settings, embedder=embedder)
    try:
        assistant.index  # noqa: B018 - load now so a missing index is built before timing
    except (IndexMissingError, IndexMismatchError):
        assistant.build_index()
    folder = (out_root or settings.home / "eval-runs") / devset / name
    folder.mkdir(parents=True, exist_ok=True)
    qfile = folder / "questions.jsonl"
    qfile.write_text(
        "".join(
            json.dumps({"id": q.id, "question": q.question, "history": q.history or None}) + "\n"
            for q in questions
        )
    )
    answers = folder / "answers.jsonl"
    answers.unlink(missing_ok=True)  # a fresh run; resuming is for users' batches
    started = time.perf_counter()
    run_batch(assistant.ask, qfile, answers, progress=progress)
    wall = time.perf_counter() - started
    records = [json.loads(line) for line in answers.read_text().splitlines()]
    rankings = [
        [h.chunk for h in assistant.search(r.get("rewritten_question") or q.question, top_k=10)]
        for q, r in zip(questions, records)
    ]
    chunks = {c.chunk_id: c for c in assistant.index.chunks}
    summary = score(questions, records, rankings, chunks)
    halves = split_of(load_dev_set(chosen.questions))
    summary["splits"] = {}
    for split in SPLITS[1:]:
        keep = [i for i, q in enumerate(questions) if halves[q.id] == split]
        if keep:
            part = score(
                [questions[i] for i in keep], [records[i] for i in keep], [rankings[i] for i in keep], chunks
            )
            summary["splits"][split] = {"questions": len(keep), "metrics": part["metrics"]}
    summary.update(
        name=name,
        devset=devset,
        overrides={k: str(v) for k, v in overrides.items()},
        questions=len(questions),
        wall_s=round(wall, 1),
        split_of={q.id: halves[q.id] for q in questions},
    )
    (folder / "summary.json").write_text(json.dumps(summary, indent=1))
    from eval.report import write_report

    write_report(folder, questions, records, summary)
    return summary


def score(questions: list[EvalQuestion], records: list[dict[str, Any]], rankings, chunks) -> dict[str, Any]:
    results: dict[str, m.MetricResult] = {
        "accuracy": m.answer_accuracy(questions, records),
        "refusal_precision": m.refusal_precision(questions, records),
        "refusal_recall": m.refusal_recall(questions, records),
        "mrr": m.mrr(questions, rankings, "doc"),
        "mrr_sentence": m.mrr(questions, rankings, "sentence"),
        **{f"recall@{k}": m.retrieval_recall(questions, rankings, k, "doc") for k in RECALL_KS},
        **{f"sentence_recall@{k}": m.retrieval_recall(questions, rankings, k, "sentence") for k in RECALL_KS},
        **m.citation_scores(questions, records, chunks),
    }
    by_type: dict[str, list[float]] = defaultdict(list)
    for q, s in zip(questions, results["accuracy"].individual_scores):
        by_type[q.type].append(s or 0.0)
    answerable = [s for q, s in zip(questions, results["accuracy"].individual_scores) if not q.should_refuse]
    latencies = [r["latency_s"] for r in records if "latency_s" in r]
    return {
        "metrics": {k: round(v.score, 4) for k, v in results.items()}
        | {
            "answerable_accuracy": round(sum(answerable) / max(len(answerable), 1), 4),
            "latency_p50": round(m.percentile(latencies, 0.5), 3),
            "latency_p95": round(m.percentile(latencies, 0.95), 3),
        },
        "accuracy_by_type": {t: round(sum(v) / len(v), 4) for t, v in sorted(by_type.items())},
        "per_question": [
            {"id": q.id, "type": q.type, **{k: v.individual_scores[i] for k, v in results.items()}}
            for i, q in enumerate(questions)
        ],
    }
