"""The assistant end to end: cold start, warm answers, time to first token, batch throughput
and peak memory, for the default pipeline against the baseline (transformers in float32).

Cold start and batch runs are separate processes (`python -m rag ask`, `python -m rag batch`),
exactly what a user runs; peak RSS is sampled from the batch process.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

from bench.measure import Row, Section, Stat, table
from eval.dataset import EvalQuestion
from eval.metrics import percentile

log = logging.getLogger(__name__)
REPO = Path(__file__).resolve().parent.parent
# the straightforward pipeline: torch fp32 generation, sentence-transformers for every embedding,
# passage sentences embedded per question (its index has no sentence vectors)
BASELINE = {"backend": "transformers", "dtype": "float32", "numpy_queries": False, "embed_sentences": False}
BASELINE_ENV = {f"RAG_{k.upper()}": str(v).lower() for k, v in BASELINE.items()}


def spread(questions: list[EvalQuestion], n: int) -> list[EvalQuestion]:
    """Every k-th question, so the sample keeps the dev set's mix of question types."""
    step = max(1, len(questions) // n)
    return questions[::step][:n]


def _env(extra: dict[str, str], index_dir: Path) -> dict[str, str]:
    return {**os.environ, "RAG_INDEX_DIR": str(index_dir), "HF_HUB_OFFLINE": "1", **extra}


def cold_start(question: str, extra: dict[str, str], index_dir: Path, runs: int) -> Stat:
    """A new process until its answer is printed."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "rag", "ask", question, "--json"],
            env=_env(extra, index_dir),
            cwd=REPO,
            check=True,
            capture_output=True,
        )
        times.append(time.perf_counter() - start)
    return Stat.of(times)


def batch(questions: list[EvalQuestion], extra: dict[str, str], index_dir: Path) -> dict[str, float]:
    """One `rag batch` process: wall seconds, peak RSS and the per-question latencies."""
    with tempfile.TemporaryDirectory() as tmp:
        qfile, out = Path(tmp) / "q.jsonl", Path(tmp) / "a.jsonl"
        qfile.write_text(
            "".join(
                json.dumps({"id": q.id, "question": q.question, "history": q.history}) + "\n"
                for q in questions
            )
        )
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "rag", "batch", str(qfile), "-o", str(out)],
            env=_env(extra, index_dir),
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        peak = _watch_rss(proc)
        proc.wait()
        wall = time.perf_counter() - start
        records = [json.loads(line) for line in out.read_text().splitlines()]
    latencies = [r["latency_s"] for r in records if "latency_s" in r]
    return {
        "wall": wall,
        "peak_mb": peak() / 1e6,
        "per_minute": len(questions) / wall * 60,
        "latencies": latencies,
        "failed": sum("error" in r for r in records),
    }


def _watch_rss(proc: subprocess.Popen):
    """Sample the process's resident memory every 50 ms until it exits; returns a getter."""
    peak = [0]

    def sample() -> None:
        try:
            handle = psutil.Process(proc.pid)
            while proc.poll() is None:
                peak[0] = max(peak[0], handle.memory_info().rss)
                time.sleep(0.05)
        except psutil.Error:
            pass

    watcher = threading.Thread(target=sample, daemon=True)
    watcher.start()
    return lambda: (watcher.join(), peak[0])[1]


def first_tokens(assistant, questions: list[EvalQuestion]) -> Stat:
    """Seconds from the question to the first thing the user sees (a token, or the answer)."""
    times = []
    for q in questions:
        start = time.perf_counter()
        for _ in assistant.stream(q.question, q.history or None):
            times.append(time.perf_counter() - start)
            break
    return Stat.of(times)


def run(
    questions: list[EvalQuestion],
    generating: list[EvalQuestion],
    indexes: dict[str, Path],
    settings,
    cold_runs: int = 3,
) -> Section:
    """`indexes` maps "baseline" and "default" to index folders built with each one's settings."""
    from rag.assistant import Assistant

    section = Section(f"Answers end to end ({len(questions)} dev questions in the batch runs)")
    probe = generating[0].question
    results: dict[str, dict] = {}
    for name, extra, overrides in (("baseline", BASELINE_ENV, BASELINE), ("default", {}, {})):
        log.info("answering: %s", name)
        index_dir = indexes[name]
        cold = cold_start(probe, extra, index_dir, cold_runs)
        runs = batch(questions, extra, index_dir)
        assistant = Assistant(settings.model_copy(update={"index_dir": index_dir, **overrides}))
        assistant.ask(generating[0].question)  # warm: models loaded, first-call costs paid
        ttft = first_tokens(assistant, generating)
        del assistant
        results[name] = {"cold": cold, "ttft": ttft, **runs}
    base, best = results["baseline"], results["default"]
    warm = {k: Stat.of(v["latencies"]) for k, v in results.items()}

    def row(metric, value, unit, target, met, base_value, higher=False, digits=2):
        return Row(metric, value, unit, target, met, base_value, "transformers fp32", higher, digits)

    per_min = {k: Stat(v["per_minute"], v["per_minute"], v["per_minute"], 1) for k, v in results.items()}
    rss = {k: Stat(v["peak_mb"], v["peak_mb"], v["peak_mb"], 1) for k, v in results.items()}
    section.rows += [
        row(
            "cold start: new process to first answer",
            best["cold"],
            "s",
            "< 5 s",
            best["cold"].median < 5,
            base["cold"],
        ),
        row("warm answer p50", warm["default"], "s", "< 2 s", warm["default"].median < 2, warm["baseline"]),
        row("time to first token", best["ttft"], "s", "< 0.7 s", best["ttft"].median < 0.7, base["ttft"]),
        row(
            "batch throughput",
            per_min["default"],
            "q/min",
            ">= 60 q/min",
            per_min["default"].median >= 60,
            per_min["baseline"],
            higher=True,
            digits=1,
        ),
        row(
            "batch peak RSS",
            rss["default"],
            "MB",
            "< 1500 MB",
            rss["default"].median < 1500,
            rss["baseline"],
            digits=0,
        ),
    ]
    section.details += table(
        ["pipeline", "cold start", "warm p50 (p95)", "first token", "batch q/min", "peak RSS MB", "failed"],
        [
            [
                label,
                results[name]["cold"].show("s"),
                f"{warm[name].median:.2f} s ({percentile(results[name]['latencies'], 0.95):.2f} s)",
                results[name]["ttft"].show("s"),
                f"{results[name]['per_minute']:.1f}",
                f"{results[name]['peak_mb']:.0f}",
                str(results[name]["failed"]),
            ]
            for name, label in (
                ("baseline", "transformers fp32 (baseline)"),
                ("default", "llama.cpp Q4_K_M (default)"),
            )
        ],
    )
    section.details += [
        "",
        f"Time to first token is over {len(generating)} questions that reach the model; a refusal or a "
        "conflict is shown whole, without a draft. Batch throughput includes loading the models once.",
    ]
    return section
