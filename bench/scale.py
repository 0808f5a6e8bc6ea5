"""How the costs grow with the corpus: 5, 100 and 1,000 real documents from /usr/share/doc,
beside the five bundled articles as the baseline.

Every step runs the real command in a fresh process, as a user would, so "cold" includes
Python's start, imports and model loading, and peak RSS is that process's own (os.wait4):
- build: `python -m rag index build FOLDER` wall time, chunks per second, index size on disk;
- warm p50: one process asking the index's own example questions after one warm-up, over
  those the model answered (a question stopped before the model is not comparable);
- cold ask: `python -m rag ask` with the first of those questions, the median of a few runs;
  start-up is cold ask less that question's warm time, the part that must not grow.
Models are converted once into the user's models folder and shared; the decision and the
premise checks are off, so that questions take the answer path whatever either would say.
Nothing else may run meanwhile: a second model process slows both several times over.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.corpora import DOC_ROOT, build_corpus

COLD_RUNS = 3
WARM_QUESTIONS = 8
# after the index's own examples (a big corpus may yield only one): questions any corpus takes
# to the model once the decision and premise checks are off
GENERIC = (
    "How do I install it?",
    "What does the documentation say about configuration files?",
    "Who wrote it, and when?",
    "What is the main topic of these documents?",
    "What changed in the latest version?",
    "Which options does it describe?",
    "What does it depend on?",
    "Where are the files kept?",
)
ARTICLES = "articles (5)"


@dataclass
class Scale:
    corpus: str
    documents: int
    chunks: int
    build_s: float
    build_rss_mb: float
    index_mb: float
    cold_s: float
    startup_s: float  # cold ask less the same question's warm time: loading, not answering
    warm_p50_s: float
    ask_rss_mb: float

    @property
    def chunks_per_s(self) -> float:
        return self.chunks / self.build_s if self.build_s else 0.0


def _run(args: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS in MB and stdout of one command in its own process."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    out = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args[2:5])}... exited with {proc.returncode}")
    return elapsed, usage.ru_maxrss / 1024, out


WARM = """
import json, statistics, time
from rag.assistant import Assistant
a = Assistant.from_settings()
a.ask("What is this about?")
timed = []
for q in (a.examples + {generic})[:{n}]:
    t = time.perf_counter(); answer = a.ask(q); elapsed = time.perf_counter() - t
    if answer.usage.get("prompt_tokens"):  # the model ran: answers that stop early are not compared
        timed.append((q, elapsed))
question, first = timed[0]
print(json.dumps({{"p50": statistics.median(e for _, e in timed), "question": question, "warm": first}}))
"""


def measure(name: str, folder: Path, home: Path, models: Path) -> Scale:
    # models converted once and shared, as on a user's machine; the asks take the answer path
    # whatever the decision would say (decide=false), so every one loads and runs both models
    env = {**os.environ, "RAG_HOME": str(home), "RAG_MODELS_DIR": str(models), "HF_HUB_OFFLINE": "1"}
    cli = [sys.executable, "-m", "rag"]
    build_s, build_rss, _ = _run([*cli, "index", "build", str(folder)], env)
    env.update(RAG_DECIDE="false", RAG_PREMISE_CHECKS="false")
    _, _, status = _run([*cli, "index", "status"], env)
    fields = dict(
        line.split(":", 1) for line in status.splitlines() if ":" in line and not line.startswith(" ")
    )
    size_mb = float(fields["size"].split("MB")[0])
    _, warm_rss, out = _run([sys.executable, "-c", WARM.format(n=WARM_QUESTIONS, generic=list(GENERIC))], env)
    warm = json.loads(out)
    colds, ask_rss = [], 0.0
    for _ in range(COLD_RUNS):
        elapsed, rss, _ = _run([*cli, "ask", warm["question"]], env)
        colds.append(elapsed)
        ask_rss = max(ask_rss, rss)
    return Scale(
        corpus=name,
        documents=int(fields["documents"]),
        chunks=int(fields["chunks"]),
        build_s=build_s,
        build_rss_mb=build_rss,
        index_mb=size_mb,
        cold_s=statistics.median(colds),
        startup_s=statistics.median(colds) - warm["warm"],
        warm_p50_s=warm["p50"],
        ask_rss_mb=max(ask_rss, warm_rss),
    )


def run(sizes: list[int], articles: Path, models: Path) -> list[Scale]:
    """The bundled articles, then each size of /usr/share/doc (skipped with a message if absent)."""
    work = Path(tempfile.mkdtemp(prefix="rag-scale-"))
    try:
        results = [measure(ARTICLES, articles, work / "articles", models)]
        if not DOC_ROOT.is_dir():
            print(f"skipping the documentation corpora: {DOC_ROOT} is absent", file=sys.stderr)
            return results
        for n in sizes:
            folder = work / f"docs{n}"
            copied = build_corpus(n, folder)
            print(f"== {copied} documents from {DOC_ROOT}", file=sys.stderr)
            results.append(measure(f"/usr/share/doc ({copied})", folder, work / f"home{n}", models))
        return results
    finally:
        shutil.rmtree(work, ignore_errors=True)


def table(results: list[Scale]) -> str:
    base = results[0]
    lines = [
        "| corpus | documents indexed | chunks | build s | chunks/s | build peak RSS MB | index MB "
        "| cold ask s | vs articles | start-up s | warm p50 s | ask peak RSS MB |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r.corpus} | {r.documents} | {r.chunks:,} | {r.build_s:.1f} | {r.chunks_per_s:.0f} "
            f"| {r.build_rss_mb:,.0f} | {r.index_mb:.1f} | {r.cold_s:.2f} | {r.cold_s / base.cold_s:.2f}x "
            f"| {r.startup_s:.2f} | {r.warm_p50_s:.2f} | {r.ask_rss_mb:,.0f} |"
        )
    return "\n".join(lines)


def plot(results: list[Scale], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    docs = [r for r in results if r.corpus != ARTICLES]
    if not docs:
        return
    x = [r.chunks for r in docs]
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.4))
    panels = (
        ("build wall time (s)", [r.build_s for r in docs]),
        ("cold / warm ask (s)", None),
        ("peak RSS (MB)", None),
    )
    axes[0].plot(x, panels[0][1], "o-")
    axes[1].plot(x, [r.cold_s for r in docs], "o-", label="cold ask")
    axes[1].plot(x, [r.warm_p50_s for r in docs], "s-", label="warm p50")
    axes[1].axhline(results[0].cold_s * 1.5, color="grey", ls=":", label="1.5x articles cold")
    axes[2].plot(x, [r.build_rss_mb for r in docs], "o-", label="build")
    axes[2].plot(x, [r.ask_rss_mb for r in docs], "s-", label="ask")
    for ax, (title, _) in zip(axes, panels):
        ax.set_xscale("log")
        ax.set_xlabel("chunks")
        ax.set_title(title)
        ax.set_ylim(bottom=0)
    axes[1].legend(fontsize=8)
    axes[2].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
