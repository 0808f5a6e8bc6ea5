"""`python -m eval run|compare|calibrate`."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from eval.configs import CONFIGS
from eval.runner import RUNS
from rag.faces.errors import fail_cleanly


def _parse_sets(values: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep:
            raise click.BadParameter(f"{item!r} is not KEY=VALUE", param_hint="--set")
        out[key.strip()] = value.strip()
    return out


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Measure answer quality, retrieval, citations and refusals on the dev set."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")


@cli.command()
@click.option(
    "-c",
    "--config",
    "configs",
    multiple=True,
    type=click.Choice(sorted(CONFIGS)),
    help="Named configuration(s) to run [default: default].",
)
@click.option("--all", "run_all", is_flag=True, help="Run every named configuration.")
@click.option("--set", "sets", multiple=True, help="Extra setting override KEY=VALUE (repeatable).")
@click.option("--name", help="Run folder name when using --set [default: the config name].")
@click.option("--out", type=click.Path(path_type=Path), default=RUNS, show_default=True)
@click.option("--limit", type=int, help="Only the first N questions (smoke runs).")
@fail_cleanly
def run(
    configs: tuple[str, ...],
    run_all: bool,
    sets: tuple[str, ...],
    name: str | None,
    out: Path,
    limit: int | None,
) -> None:
    """Run configurations over eval/dev.jsonl; write answers, summary.json, report.md and plots.

    \b
    Examples:
      python -m eval run                      # the default pipeline
      python -m eval run -c extractive -c dense
      python -m eval run --all
      python -m eval run --set top_k=8 --name topk8
    """
    from eval.runner import run_eval

    names = sorted(CONFIGS) if run_all else list(configs or ["default"])
    extra = _parse_sets(sets)
    for config in names:
        folder = name if (name and len(names) == 1) else config
        summary = run_eval(folder, {**CONFIGS[config], **extra}, out_root=out, limit=limit)
        mm = summary["metrics"]
        click.echo(
            f"{folder}: accuracy {mm['accuracy']:.3f}, refusal P/R {mm['refusal_precision']:.2f}/"
            f"{mm['refusal_recall']:.2f}, recall@5 {mm['recall@5']:.3f}, MRR {mm['mrr']:.3f}, "
            f"citation P/R {mm['citation_precision']:.2f}/{mm['citation_recall']:.2f}, "
            f"grounded {mm['groundedness']:.2f}, p50 {mm['latency_p50']:.2f}s -> {out / folder}"
        )
    click.echo(f"comparison: {out / 'comparison.md'}")


@cli.command()
@click.argument("run_a", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("run_b", type=click.Path(exists=True, file_okay=False, path_type=Path))
def compare(run_a: Path, run_b: Path) -> None:
    """List per-question regressions and gains from RUN_A to RUN_B.

    \b
    Example:
      python -m eval compare eval/runs/extractive eval/runs/default
    """
    from eval.report import compare as compare_runs

    click.echo(compare_runs(run_a, run_b))


@cli.command()
@click.option(
    "--run",
    "run_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Also print the fallback-refusal curve from a run made with fallback_min_score=0.",
)
@fail_cleanly
def calibrate(run_dir: Path | None) -> None:
    """Calibrate thresholds on the whole dev set (never per question) and print them.

    \b
    Examples:
      python -m eval calibrate
      python -m eval run --set fallback_min_score=0 --name quote-all
      python -m eval calibrate --run eval/runs/quote-all
    """
    from eval.calibrate import calibrate_fallback, calibrate_gate

    click.echo(calibrate_gate())
    if run_dir is not None:
        click.echo(calibrate_fallback(run_dir))


if __name__ == "__main__":
    cli(prog_name="python -m eval")
