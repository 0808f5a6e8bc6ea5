"""Evaluation: the dev question set, metrics, runner, report and comparisons."""
