"""The benchmark plumbing: statistics, ratios and the report (no timings are asserted)."""

import pytest

from bench.measure import Row, Section, Stat, render
from rag.core.hardware import cpu_report


def test_stat_is_median_min_max():
    s = Stat.of([3.0, 1.0, 2.0, 10.0])
    assert (s.median, s.low, s.high, s.runs) == (2.5, 1.0, 10.0, 4)
    with pytest.raises(ValueError):
        Stat.of([])


def test_ratio_reads_as_times_better_either_way():
    slow, fast = Stat.of([4.0]), Stat.of([1.0])
    assert Row("latency", fast, "s", "< 2 s", True, baseline=slow).ratio == 4.0
    assert (
        Row("speed", Stat.of([40.0]), "tok/s", ">= 45", False, Stat.of([8.0]), higher_is_better=True).ratio
        == 5.0
    )
    assert Row("no baseline", fast, "s", "-", True).ratio is None


def test_report_lists_every_target_with_met_or_not():
    rows = [
        Row("warm p50", Stat.of([1.8]), "s", "< 2 s", True, Stat.of([3.6]), "fp32"),
        Row("first token", Stat.of([1.1]), "s", "< 0.7 s", False, Stat.of([2.9]), "fp32"),
    ]
    text = render([Section("Answers", rows, ["detail line"])], ["cores: 2"])
    assert "| warm p50 | 1.80 s" in text and "| yes |" in text and "**no**" in text
    assert "2.0x" in text and "2.6x" in text and "detail line" in text and "cores: 2" in text


def test_cpu_report_names_the_kernels_in_use():
    import numpy  # noqa: F401

    report = cpu_report()
    assert report["cores"].isdigit() and "numpy" in report
