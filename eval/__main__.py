"""`python -m eval run|compare|calibrate`."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from eval.configs import CONFIGS
from eval.dataset import DEV_SETS
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
@click.option(
    "-d",
    "--devset",
    "devsets",
    multiple=True,
    type=click.Choice(sorted(DEV_SETS)),
    help="Dev set(s) to run [default: every one].",
)
@click.option("--set", "sets", multiple=True, help="Extra setting override KEY=VALUE (repeatable).")
@click.option("--name", help="Run folder name when using --set [default: the config name].")
@click.option(
    "--out", type=click.Path(path_type=Path), help="Runs folder [default: HOME/eval-runs, outside the repo]."
)
@click.option("--limit", type=int, help="Only the first N questions (smoke runs).")
@fail_cleanly
def run(
    configs: tuple[str, ...],
    run_all: bool,
    devsets: tuple[str, ...],
    sets: tuple[str, ...],
    name: str | None,
    out: Path | None,
    limit: int | None,
) -> None:
    """Run configurations over the dev sets; write answers, summary.json, report.md and plots.

    Every run is scored on all questions, on the calibration half and on the test half; the
    test half is the figure to quote, since thresholds are fitted on calibration halves only.

    \b
    Examples:
      python -m eval run                      # the default pipeline on both dev sets
      python -m eval run -d docs-b -c extractive -c dense
      python -m eval run --all
      python -m eval run --set top_k=8 --name topk8
      python -m eval publish                  # refresh eval/results.md for the README
    """
    from eval.runner import default_runs_root, run_eval

    out = out or default_runs_root()
    names = sorted(CONFIGS) if run_all else list(configs or ["default"])
    extra = _parse_sets(sets)
    for devset in devsets or sorted(DEV_SETS):
        for config in names:
            folder = name if (name and len(names) == 1) else config
            summary = run_eval(folder, {**CONFIGS[config], **extra}, devset=devset, out_root=out, limit=limit)
            for label, view in [("test", summary["splits"].get("test")), ("all", summary)]:
                if not view:
                    continue
                mm = view["metrics"]
                click.echo(
                    f"{devset}/{folder} [{label}]: accuracy {mm['accuracy']:.3f}, refusal P/R "
                    f"{mm['refusal_precision']:.2f}/{mm['refusal_recall']:.2f}, "
                    f"recall@5 {mm['recall@5']:.3f}, "
                    f"citation P/R {mm['citation_precision']:.2f}/{mm['citation_recall']:.2f}, "
                    f"grounded {mm['groundedness']:.2f}, p50 {mm['latency_p50']:.2f}s"
                )
            click.echo(f"  -> {out / devset / folder}")


@cli.command()
@click.option(
    "--runs", type=click.Path(file_okay=False, path_type=Path), help="Runs folder [default: HOME/eval-runs]."
)
@fail_cleanly
def publish(runs: Path | None) -> None:
    """Write eval/results.md and eval/results.png from the runs, for the README.

    \b
    Example:
      python -m eval run --all && python -m eval publish
    """
    from eval.report import publish as publish_runs
    from eval.runner import default_runs_root

    click.echo(f"wrote {publish_runs(runs or default_runs_root())}")


@cli.command()
@click.argument("run_a", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("run_b", type=click.Path(exists=True, file_okay=False, path_type=Path))
def compare(run_a: Path, run_b: Path) -> None:
    """List per-question regressions and gains from RUN_A to RUN_B.

    \b
    Example:
      python -m eval compare ~/.local/share/news-rag/eval-runs/articles/{extractive,default}
    """
    from eval.report import compare as compare_runs

    click.echo(compare_runs(run_a, run_b))


@cli.command()
@click.option(
    "--runs", type=click.Path(file_okay=False, path_type=Path), help="Runs folder [default: HOME/eval-runs]."
)
@click.option("--reuse", is_flag=True, help="Fit on the existing `calibrate` runs instead of running again.")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the weights [default: rag/answering/refusal.json].",
)
@fail_cleanly
def calibrate(runs: Path | None, reuse: bool, out: Path | None) -> None:
    """Fit the answer-or-refuse decision on the calibration halves of every dev set.

    Runs the default pipeline with the decision off over each dev set (the `calibrate`
    configuration), keeps the calibration halves only, fits the weights and the threshold, and
    writes them for the pipeline to load. Test halves are never used.

    \b
    Examples:
      python -m eval calibrate
      python -m eval calibrate --reuse --out /tmp/refusal.json
    """
    from eval.calibrate import calibrate_and_save, run_folders
    from eval.runner import default_runs_root, run_eval
    from rag.answering.decision import DEFAULT_MODEL

    root = runs or default_runs_root()
    if not reuse:
        for devset in sorted(DEV_SETS):
            run_eval("calibrate", CONFIGS["calibrate"], devset=devset, out_root=root)
    click.echo(calibrate_and_save(run_folders(root, "calibrate"), out or DEFAULT_MODEL))


if __name__ == "__main__":
    cli(prog_name="python -m eval")
