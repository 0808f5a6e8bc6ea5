"""Kill a real batch process with SIGKILL at random points, resume, and lose nothing.

Also: a writer killed while holding the index lock must not block the next build.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from eval.dataset import load_dev_set
from tests.conftest import make_builder

pytestmark = pytest.mark.models
REPO = Path(__file__).resolve().parents[2]
KILLS = 10


def rag(home: Path, *args: str, **kw) -> subprocess.Popen:
    env = {**os.environ, "RAG_HOME": str(home), "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, "-m", "rag", *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        **kw,
    )


def complete_lines(path: Path) -> list[dict]:
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines():
        with contextlib.suppress(json.JSONDecodeError):  # a line cut off by the kill
            out.append(json.loads(line))
    return out


def comparable(record: dict) -> tuple:
    return (
        record["id"],
        record["answer"],
        record["refused"],
        tuple((c["doc_id"], c["start"]) for c in record["citations"]),
    )


def test_sigkill_at_random_points_loses_nothing(tmp_path, figures):
    home = tmp_path / "home"
    assert rag(home, "index", "build").wait(timeout=300) == 0
    questions = tmp_path / "q.jsonl"
    questions.write_text(
        "".join(
            json.dumps({"id": q.id, "question": q.question}) + "\n" for q in load_dev_set() if not q.history
        )
    )
    n = sum(1 for _ in questions.open())
    full = tmp_path / "full.jsonl"
    assert rag(home, "batch", str(questions), "--out", str(full), "-g", "extractive").wait(timeout=600) == 0

    out = tmp_path / "killed.jsonl"
    rng = random.Random(7)
    done_before = 0
    for _ in range(KILLS):
        proc = rag(home, "batch", str(questions), "--out", str(out), "-g", "extractive")
        time.sleep(rng.uniform(6.0, 11.0))  # loading takes ~6 s; kills land before and during answering
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        done_now = len({r["id"] for r in complete_lines(out) if "error" not in r})
        figures.record("kills", done_now >= done_before)  # nothing answered earlier was lost
        done_before = done_now
    assert rag(home, "batch", str(questions), "--out", str(out), "-g", "extractive").wait(timeout=600) == 0

    final = complete_lines(out)
    ids = [r["id"] for r in final]
    lost = n - len(set(ids))
    duplicated = len(ids) - len(set(ids))
    figures.note("lost", str(lost))
    figures.note("duplicated", str(duplicated))
    assert lost == 0 and duplicated == 0
    assert ids == [json.loads(line)["id"] for line in questions.open()]  # input order
    assert [comparable(r) for r in final] == [comparable(r) for r in complete_lines(full)]


def test_writer_killed_holding_the_lock_does_not_block(tmp_path, figures):
    from rag.core.settings import load_settings
    from tests.conftest import HashEmbedder

    lock = tmp_path / "home" / "index" / ".lock"
    lock.parent.mkdir(parents=True)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            (
                "import sys, time; from filelock import FileLock; l = FileLock(sys.argv[1]); l.acquire(); "
                "print('held', flush=True); time.sleep(600)"
            ),
            str(lock),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "held"
    settings = load_settings(home=tmp_path / "home", embedder="hash-test")
    from rag.core.errors import IndexLockedError

    with pytest.raises(IndexLockedError):  # a live writer is respected
        make_builder(settings, HashEmbedder()).build([REPO / "data" / "corpus"])
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=30)
    report = make_builder(settings, HashEmbedder()).build([REPO / "data" / "corpus"])
    figures.record("index faults", report.total_chunks > 0)
