"""Timing and reporting helpers shared by every benchmark.

Every figure is a median over repeated runs, shown with its min and max, and compared with a
baseline measured in the same run, so a slower or busier machine moves both sides together.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Stat:
    """Median, min and max of repeated measurements."""

    median: float
    low: float
    high: float
    runs: int

    @classmethod
    def of(cls, values: list[float]) -> Stat:
        if not values:
            raise ValueError("no measurements")
        return cls(statistics.median(values), min(values), max(values), len(values))

    def show(self, unit: str, digits: int = 2) -> str:
        return (
            f"{self.median:.{digits}f} {unit} ({self.low:.{digits}f}-{self.high:.{digits}f}, n={self.runs})"
        )


def repeat(fn: Callable[[], Any], times: int, warmup: int = 0) -> Stat:
    """Wall-clock seconds of fn() over `times` runs, after `warmup` untimed runs."""
    for _ in range(warmup):
        fn()
    values = []
    for _ in range(times):
        start = time.perf_counter()
        fn()
        values.append(time.perf_counter() - start)
    return Stat.of(values)


@dataclass
class Row:
    """One target from the performance issue: what we measured, against what we aimed for."""

    metric: str
    value: Stat
    unit: str
    target: str
    met: bool
    baseline: Stat | None = None
    baseline_name: str = ""
    higher_is_better: bool = False
    digits: int = 2

    @property
    def ratio(self) -> float | None:
        """How many times better than the baseline (above 1 is an improvement)."""
        if self.baseline is None or not self.baseline.median or not self.value.median:
            return None
        if self.higher_is_better:
            return self.value.median / self.baseline.median
        return self.baseline.median / self.value.median

    def cells(self) -> list[str]:
        ratio = self.ratio
        return [
            self.metric,
            self.value.show(self.unit, self.digits),
            self.target,
            "yes" if self.met else "**no**",
            f"{self.baseline.show(self.unit, self.digits)} ({self.baseline_name})" if self.baseline else "-",
            f"{ratio:.1f}x" if ratio is not None else "-",
        ]


@dataclass
class Section:
    """What one benchmark reports: target rows plus free-form detail lines and tables."""

    title: str
    rows: list[Row] = field(default_factory=list)
    details: list[str] = field(default_factory=list)


HEADER = ["metric", "measured: median (min-max, runs)", "target", "met", "baseline (what)", "vs baseline"]


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return lines


def render(sections: list[Section], machine: list[str]) -> str:
    lines = ["# Benchmark results", "", "Written by `python -m bench all`; every figure is from one run.", ""]
    lines += ["## Machine", "", *[f"- {m}" for m in machine], ""]
    rows = [r for s in sections for r in s.rows]
    if rows:
        lines += ["## Targets", "", *table(HEADER, [r.cells() for r in rows]), ""]
    for s in sections:
        if s.details:
            lines += [f"## {s.title}", "", *s.details, ""]
    return "\n".join(lines)
