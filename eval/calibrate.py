"""Calibrate the answerability gate on the whole dev set (never per question).

For every question we record the gate's two signals; then a grid search picks the thresholds
that make the most correct gate decisions (refuse what should be refused, pass the rest).
Plain accuracy, not balanced: users ask far more answerable questions than not, and a gate
that refuses answerable questions to catch every unanswerable one is a worse product.
The result is printed for a person to copy into the settings defaults; nothing is written
automatically.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from eval.dataset import load_dev_set
from rag.assistant import Assistant
from rag.core.settings import load_settings


def gate_signals(assistant: Assistant) -> list[tuple[bool, float, float, bool]]:
    """(should_refuse, best_score, coverage, missing_name) per dev question."""
    answerer = assistant.answerer
    rows = []
    for q in load_dev_set():
        standalone = answerer.rewriter.run(q.question, q.history)
        vector = answerer.retriever.embed_query(standalone)
        hits = answerer.retriever.run(standalone, query_vector=vector)
        evidence = answerer.scorer.run(standalone, hits, vector)
        d = answerer.gate.run(standalone, hits, evidence)
        rows.append((q.should_refuse, d.best_score, d.coverage, bool(d.missing)))
    return rows


def calibrate_gate() -> str:
    assistant = Assistant(load_settings(generator="extractive", premise_checks=False))
    rows = gate_signals(assistant)
    refuse = np.array([r[0] for r in rows])
    score = np.array([r[1] for r in rows])
    cover = np.array([r[2] for r in rows])
    missing = np.array([r[3] for r in rows])
    best = (-1.0, 0.0, 0.0)
    for s in np.round(np.arange(0.2, 1.2, 0.01), 2):
        for c in np.round(np.arange(0.0, 1.01, 0.05), 2):
            pred = missing | (score < s) | (cover < c)
            acc = float((pred == refuse).mean())
            if acc > best[0] + 1e-9:
                best = (acc, float(s), float(c))
    bal, s, c = best
    pred = missing | (score < s) | (cover < c)
    return (
        f"gate_min_score={s} gate_min_coverage={c}: decision accuracy {bal:.3f} "
        f"(refuses {int((pred & refuse).sum())}/{int(refuse.sum())} that should be refused, "
        f"{int((pred & ~refuse).sum())}/{int((~refuse).sum())} that should be answered)"
    )


def calibrate_fallback(run: Path, assistant: Assistant | None = None) -> str:
    """Net effect of refusing, instead of quoting, when the model's answer failed verification.

    Reads a run made with fallback_min_score=0 (every failure quoted) and, for each threshold,
    counts refuse-type questions that would become correct refusals and answerable questions
    whose correct quote would be lost.
    """
    import json

    questions = {q.id: q for q in load_dev_set()}
    summary = json.loads((run / "summary.json").read_text())
    correct = {p["id"]: p["accuracy"] for p in summary["per_question"]}
    records = [json.loads(line) for line in (run / "answers.jsonl").read_text().splitlines()]
    assistant = assistant or Assistant(load_settings(generator="extractive"))
    cases = []
    for r in records:
        if r.get("mode") != "extractive":
            continue
        q = questions[r["id"]]
        best = assistant.answerer.plan(r.get("rewritten_question") or q.question).evidence[0].score
        cases.append((best, q.should_refuse, bool(correct[r["id"]])))
    lines = ["threshold  refusals gained  quotes lost  net"]
    for t in np.round(np.arange(0.5, 1.01, 0.05), 2):
        gained = sum(1 for s, refuse, _ in cases if s < t and refuse)
        lost = sum(1 for s, refuse, ok in cases if s < t and not refuse and ok)
        lines.append(f"{t:9.2f}  {gained:15d}  {lost:11d}  {gained - lost:+3d}")
    return "\n".join(lines)
