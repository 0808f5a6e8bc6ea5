"""Fit the answer-or-refuse decision on the calibration halves of every dev corpus together.

1. Run the default pipeline with the decision switched off (`decide=False`: it answers whenever
   it has evidence) over each dev set; every answer carries the signals the decision would see.
2. Keep the calibration half of each set, never the test half.
3. Fit a logistic regression of "this question should be refused" on the signals, with an L2
   penalty (a few dozen questions cannot support large weights), by Newton's method.
4. Pick the probability threshold that makes the most questions right on those halves: a
   refusal is right for a question that should be refused, an answer is right when it holds
   the gold answer. Among equally good thresholds the middle one is taken, not an edge.

The result is written to rag/answering/refusal.json (or --out) and printed with its figures.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from eval.dataset import DEV_SETS
from rag.answering.decision import DEFAULT_MODEL, NO_JUDGE_MODEL, RefusalModel

L2 = 1.0  # penalty on the weights (not the bias)
# The signals the decision weighs. Every signal is logged with each answer; these are the ones
# that paid on the calibration halves (the closing note of the answers issue has the ablation):
# the judge's log-odds carries most of the weight, the retrieval signals refine it.
DECISION_FEATURES = ("judged", "similarity", "coverage", "missing", "typed")
# The direction each signal may push towards refusing (+1) or answering (-1). A weight the
# calibration data would flip against its meaning is fixed at zero: a few dozen questions must
# not teach that a missing name makes an answer likelier.
DIRECTION = {
    "missing": 1,
    "similarity": -1,
    "coverage": -1,
    "typed": -1,
    "focus": -1,
    "judged": -1,
    "supported": -1,
    "invented": 1,
}
NO_JUDGE_FEATURES = ("similarity", "coverage", "missing", "typed", "supported", "invented")
THRESHOLDS = np.round(np.arange(0.05, 0.96, 0.01), 2)
UNDECIDED = ("premise", "conflict")  # decided before the learned decision: never flipped by it


@dataclass
class Case:
    devset: str
    id: str
    should_refuse: bool
    answered_right: bool  # the answer given with the decision off holds the gold answer
    refused_anyway: bool  # refused or answered by a check that runs before the decision
    signals: dict[str, float]


def collect(runs: dict[str, Path]) -> list[Case]:
    """Calibration-half cases from runs made with decide=False, one run folder per dev set."""
    cases = []
    for devset, folder in runs.items():
        summary = json.loads((folder / "summary.json").read_text())
        halves = summary["split_of"]
        right = {p["id"]: bool(p["accuracy"]) for p in summary["per_question"]}
        refuse_types = {p["id"] for p in summary["per_question"] if p["refusal_recall"] is not None}
        for line in (folder / "answers.jsonl").read_text().splitlines():
            r = json.loads(line)
            if halves.get(r["id"]) != "calibration" or "error" in r:
                continue
            should = r["id"] in refuse_types
            cases.append(
                Case(
                    devset,
                    r["id"],
                    should,
                    answered_right=right[r["id"]] and not should,
                    refused_anyway=r["mode"] in UNDECIDED and bool(r["refused"]),
                    signals=r["signals"],
                )
            )
    return cases


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = L2, steps: int = 50) -> tuple[np.ndarray, float]:
    """Weights and bias of an L2-penalised logistic regression (Newton-Raphson)."""
    n, d = x.shape
    design = np.hstack([x, np.ones((n, 1))])
    beta = np.zeros(d + 1)
    penalty = np.diag([l2] * d + [0.0])
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-design @ beta))
        gradient = design.T @ (p - y) + penalty @ beta
        hessian = design.T @ (design * (p * (1 - p))[:, None]) + penalty + 1e-9 * np.eye(d + 1)
        step = np.linalg.solve(hessian, gradient)
        beta -= step
        if np.abs(step).max() < 1e-8:
            break
    return beta[:-1], float(beta[-1])


def right_count(cases: list[Case], probabilities: np.ndarray, threshold: float) -> int:
    right = 0
    for case, p in zip(cases, probabilities):
        refused = case.refused_anyway or p >= threshold
        right += case.should_refuse if refused else case.answered_right
    return right


def calibrate(
    runs: dict[str, Path], features: tuple[str, ...] = DECISION_FEATURES, l2: float = L2
) -> tuple[RefusalModel, str]:
    return fit(collect(runs), list(runs), features, l2)


def fit(
    cases: list[Case], sets: list[str], features: tuple[str, ...] = DECISION_FEATURES, l2: float = L2
) -> tuple[RefusalModel, str]:
    """The model and a report of its figures, from calibration cases of the named dev sets."""
    if not cases:
        raise ValueError("no calibration-half answers in the runs; run the eval with decide=False first")
    x = np.array([[c.signals.get(f, 0.0) for f in features] for c in cases])
    y = np.array([float(c.should_refuse) for c in cases])
    kept = list(range(len(features)))
    while True:  # drop any signal whose weight points against its meaning, then fit again
        w, bias = fit_logistic(x[:, kept], y, l2)
        wrong = [i for i, wi in zip(kept, w) if wi * DIRECTION[features[i]] < 0]
        if not wrong:
            break
        kept = [i for i in kept if i not in wrong]
    weights = np.zeros(len(features))
    weights[kept] = w
    probabilities = 1.0 / (1.0 + np.exp(-(x @ weights + bias)))
    counts = np.array([right_count(cases, probabilities, t) for t in THRESHOLDS])
    best = np.flatnonzero(counts == counts.max())
    threshold = float(THRESHOLDS[best[len(best) // 2]])
    described = ", ".join(f"{name} ({sum(c.devset == name for c in cases)})" for name in sets)
    model = RefusalModel(
        weights={f: round(float(w), 4) for f, w in zip(features, weights) if w != 0.0},
        bias=round(bias, 4),
        threshold=threshold,
        fitted_on=f"calibration halves of {described}; L2 {l2}",
    )
    never = right_count(cases, np.zeros(len(cases)), 1.0)
    report = [
        f"fitted on {len(cases)} calibration questions: {described}; {int(y.sum())} should be refused",
        "weights: "
        + ", ".join(f"{f} {w:+.3f}" for f, w in model.weights.items())
        + f"; bias {model.bias:+.3f}",
        f"threshold {threshold:.2f}: {counts.max()}/{len(cases)} right "
        f"(never refusing by the decision: {never}/{len(cases)}; equally good thresholds "
        f"{THRESHOLDS[best[0]]:.2f}-{THRESHOLDS[best[-1]]:.2f})",
    ]
    for name in sets:
        keep = [i for i, c in enumerate(cases) if c.devset == name]
        sub = [cases[i] for i in keep]
        report.append(f"  {name}: {right_count(sub, probabilities[keep], threshold)}/{len(sub)} right")
    return model, "\n".join(report)


def calibrate_and_save(runs: dict[str, Path], out: Path = DEFAULT_MODEL) -> str:
    """Fit the decision with the judge's signal, and the one for setups without a judge."""
    reports = []
    for path, features in ((out, DECISION_FEATURES), (out.with_name(NO_JUDGE_MODEL.name), NO_JUDGE_FEATURES)):
        model, report = calibrate(runs, features)
        model.save(path)
        reports.append(f"{report}\nwrote {path}")
    return "\n\n".join(reports)


def run_folders(root: Path, name: str) -> dict[str, Path]:
    return {
        devset: root / devset / name
        for devset in DEV_SETS
        if (root / devset / name / "summary.json").is_file()
    }


def signals_table(cases: list[Case]) -> list[dict[str, Any]]:
    return [{"id": c.id, "refuse": c.should_refuse, **c.signals} for c in cases]
