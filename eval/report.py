"""Human-readable results: report.md per run, and a comparison table and plot across runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from eval.dataset import EvalQuestion

HEADLINE = [
    ("accuracy", "accuracy"),
    ("answerable_accuracy", "answerable acc."),
    ("refusal_precision", "refusal P"),
    ("refusal_recall", "refusal R"),
    ("recall@5", "recall@5"),
    ("mrr", "MRR"),
    ("citation_precision", "citation P"),
    ("citation_recall", "citation R"),
    ("groundedness", "grounded"),
    ("latency_p50", "p50 s"),
    ("latency_p95", "p95 s"),
]


def _table(rows: list[list[str]], header: list[str]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def _fmt(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def write_report(
    folder: Path, questions: list[EvalQuestion], records: list[dict[str, Any]], summary: dict[str, Any]
) -> None:
    metrics = summary["metrics"]
    out = [
        f"# Eval run `{summary['name']}`",
        "",
        f"{summary['questions']} questions, overrides {summary['overrides'] or 'none'}, "
        f"wall time {summary['wall_s']}s.",
        "",
        "## Overall",
        "",
        _table([[_fmt(metrics[k]) for k, _ in HEADLINE]], [h for _, h in HEADLINE]),
        "",
        "## Accuracy by question type",
        "",
    ]
    counts: dict[str, int] = {}
    for q in questions:
        counts[q.type] = counts.get(q.type, 0) + 1
    out.append(
        _table(
            [[t, str(counts[t]), _fmt(a)] for t, a in summary["accuracy_by_type"].items()],
            ["type", "questions", "accuracy"],
        )
    )
    out += ["", "## Failed questions", ""]
    failed = [(q, r) for q, r, s in zip(questions, records, summary["per_question"]) if not s["accuracy"]]
    rows = []
    for q, r in failed:
        gold = "(should refuse)" if q.should_refuse else " / ".join("|".join(g) for g in q.answers)
        got = r.get("error") or r["answer"]
        mode = r.get("mode", "error")
        rows.append([q.id, q.type, _cell(q.question), _cell(got), mode, _cell(gold)])
    out.append(_table(rows, ["id", "type", "question", "answer", "mode", "gold"]) if rows else "None.")
    (folder / "report.md").write_text("\n".join(out) + "\n")
    write_comparison(folder.parent)


def _cell(text: str) -> str:
    return " ".join(text.replace("|", "\\|").split())[:300]


def load_runs(root: Path) -> list[dict[str, Any]]:
    runs = []
    for path in sorted(root.glob("*/summary.json")):
        runs.append(json.loads(path.read_text()))
    return runs


def write_comparison(root: Path) -> None:
    """comparison.md and comparison.png over every run folder under root."""
    runs = load_runs(root)
    if not runs:
        return
    rows = [[r["name"]] + [_fmt(r["metrics"].get(k, "")) for k, _ in HEADLINE] for r in runs]
    text = [
        "# Configurations compared on the dev set",
        "",
        _table(rows, ["config"] + [h for _, h in HEADLINE]),
        "",
        "![comparison](comparison.png)",
        "",
    ]
    (root / "comparison.md").write_text("\n".join(text))
    _plot(runs, root / "comparison.png")


def _plot(runs: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    keys = [k for k, _ in HEADLINE if not k.startswith("latency")]
    labels = [h for k, h in HEADLINE if not k.startswith("latency")]
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(14, 4.5), gridspec_kw={"width_ratios": [4, 1]})
    width = 0.8 / len(runs)
    x = np.arange(len(keys))
    for i, r in enumerate(runs):
        ax.bar(x + i * width, [r["metrics"].get(k, 0) for k in keys], width, label=r["name"])
        ax2.bar(i, r["metrics"].get("latency_p50", 0), 0.6, label=r["name"])
    ax.set_xticks(x + width * (len(runs) - 1) / 2, labels, rotation=30, ha="right")
    ax.set_ylim(0, 1.05)
    ax.set_title("Dev-set quality by configuration")
    ax.legend(fontsize=8, ncol=2)
    ax2.set_xticks(range(len(runs)), [r["name"] for r in runs], rotation=30, ha="right")
    ax2.set_title("Latency p50 (s)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def compare(a: Path, b: Path) -> str:
    """Per-question regressions and gains from run A to run B."""
    sa, sb = (json.loads((p / "summary.json").read_text()) for p in (a, b))
    qa = {q["id"]: q for q in sa["per_question"]}
    lines = [f"{sa['name']} -> {sb['name']}"]
    for key, _ in HEADLINE:
        va, vb = sa["metrics"].get(key), sb["metrics"].get(key)
        if va is not None and vb is not None and va != vb:
            lines.append(f"  {key}: {_fmt(va)} -> {_fmt(vb)} ({vb - va:+.3f})")
    regressions, gains = [], []
    for q in sb["per_question"]:
        before, after = qa.get(q["id"], {}).get("accuracy"), q["accuracy"]
        if before is not None and after is not None and before != after:
            (gains if after > before else regressions).append(f"{q['id']} ({q['type']})")
    lines.append(f"regressions ({len(regressions)}): {', '.join(regressions) or 'none'}")
    lines.append(f"gains ({len(gains)}): {', '.join(gains) or 'none'}")
    return "\n".join(lines)
