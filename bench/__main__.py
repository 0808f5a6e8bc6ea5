"""`python -m bench`: one command per benchmark, and `all` for every target of the
performance issue with its measured figure, written to bench/results.md.

    python -m bench all            # ~12 minutes on 2 cores
    python -m bench retrieval --sizes 10000,100000
    python -m bench generation
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import re
import shutil
import tempfile
import time
from functools import cache
from pathlib import Path

import click

from bench.measure import HEADER, Section, render, table

HERE = Path(__file__).resolve().parent
log = logging.getLogger("bench")


@cache
def settings():
    from rag.core.settings import load_settings

    return load_settings()


@cache
def workspace(**overrides) -> Path:
    """A fresh index of the default corpus (with these settings), shared by one run's benchmarks."""
    from rag.assistant import Assistant

    folder = Path(tempfile.mkdtemp(prefix="rag-bench-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)  # left in /tmp by every run otherwise
    Assistant(settings().model_copy(update={"index_dir": folder / "index", **overrides})).build_index()
    return folder / "index"


def corpus_texts() -> list[str]:
    from index.config import IndexConfig
    from index.store import IndexStore, embedding_text
    from rag.embedding.embedder import embedder_id

    s = settings()
    config = IndexConfig.from_settings(s, embedder_id(s.embedder, s.embed_runtime))
    index = IndexStore(workspace()).load(config)
    return [embedding_text(c, settings().embed_title) for c in index.chunks]


def dev_questions():
    from eval.dataset import load_dev_set

    return load_dev_set()


@cache
def generating_questions(n: int):
    """The first n dev questions whose plan reaches the model, with the prompts it would get."""
    from rag.assistant import Assistant

    planning = settings().model_copy(update={"index_dir": workspace(), "judge": "none"})
    answerer = Assistant(planning, generator=_PlanOnly()).answerer
    picked = []
    for q in dev_questions():
        plan = None if q.history else answerer.plan(q.question)
        if plan is not None and plan.prompt is not None:
            picked.append((q, plan.prompt))
        if len(picked) == n:
            break
    return picked


class _PlanOnly:
    """Stands in for a model so that plan() builds the prompt; it is never asked to write."""

    name = "plan-only"
    concurrent = False


def machine() -> list[str]:
    import faiss  # noqa: F401 - imported so the report names its build
    import numpy  # noqa: F401
    import torch  # noqa: F401

    from rag.core.hardware import cpu_report

    with contextlib.suppress(ImportError):
        import llama_cpp  # noqa: F401
    return [f"{k}: {v}" for k, v in cpu_report().items()]


def run_embedding() -> Section:
    from bench import embedding

    return embedding.run(corpus_texts(), settings())


def run_retrieval(sizes: list[int]) -> Section:
    from bench import retrieval

    return retrieval.run(sizes, HERE)


def run_generation(prompts: int) -> Section:
    from bench import generation

    return generation.run([p for _, p in generating_questions(prompts)], settings())[0]


def run_answers(questions: int, prompts: int) -> Section:
    from bench import answering

    generating = [q for q, _ in generating_questions(prompts)]
    indexes = {"default": workspace(), "baseline": workspace(embed_sentences=False)}
    return answering.run(answering.spread(dev_questions(), questions), generating, indexes, settings())


def show(section: Section) -> None:
    for row in section.rows:
        cells = row.cells()
        click.echo(
            f"{cells[0]}: {cells[1]}  target {cells[2]}  met: {cells[3]}  baseline {cells[4]}  {cells[5]}"
        )
    click.echo("\n".join(section.details))


def parse_sizes(text: str) -> list[int]:
    try:
        return [int(s.replace("_", "")) for s in text.split(",") if s.strip()]
    except ValueError:
        raise click.BadParameter(f"sizes must be comma-separated integers, got {text!r}") from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log progress.")
def cli(verbose: bool) -> None:
    """Benchmarks: each prints medians (min-max) and the ratio to a baseline measured in the same run."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(asctime)s %(message)s")
    for noisy in ("faiss.loader", "sentence_transformers", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


SIZES = click.option(
    "--sizes", default="10000,100000,1000000", show_default=True, help="Synthetic corpus sizes."
)
PROMPTS = click.option("--prompts", default=8, show_default=True, help="Dev prompts that reach the model.")
QUESTIONS = click.option(
    "--questions", default=24, show_default=True, help="Dev questions in each batch run."
)


@cli.command()
def cpu() -> None:
    """Which SIMD level, BLAS and thread count each library uses."""
    click.echo("\n".join(machine()))


@cli.command()
def embed() -> None:
    """Index-build embedding: chunks per second (target 300)."""
    show(run_embedding())


@cli.command()
@SIZES
def retrieval(sizes: str) -> None:
    """Vector search at 10k-1M synthetic chunks: p50 latency and recall@10 against exact search."""
    show(run_retrieval(parse_sizes(sizes)))


@cli.command()
@PROMPTS
def generation(prompts: int) -> None:
    """Generation runtimes: load, time to first token, decode tokens/s."""
    show(run_generation(prompts))


@cli.command()
@QUESTIONS
@PROMPTS
def answers(questions: int, prompts: int) -> None:
    """End to end: cold start, warm p50, first token, batch throughput, peak RSS."""
    show(run_answers(questions, prompts))


RESULTS = HERE / "results.md"


@cli.command()
@click.option("--chunks", default=100_000, show_default=True, help="Synthetic index size.")
def incremental(chunks: int) -> None:
    """Add one document to a big IVF index: keeping the centroids against retraining (~3 minutes).
    Writes its section into bench/results.md."""
    from bench import incremental as updates
    from rag.core.settings import DEFAULT_CORPUS

    article = sorted(DEFAULT_CORPUS.iterdir())[0]
    keep(updates.run(settings(), article, chunks), "incremental")


@cli.command("first-text")
@click.option("--questions", default=8, show_default=True, help="Dev questions asked (no follow-ups).")
def first_text(questions: int) -> None:
    """Time to the first checked text through the API and the page, against the whole answer;
    and the next answer after four abandoned streams (~5 minutes, real models). Writes its
    section into bench/results.md."""
    from bench import first_text as timing
    from rag.assistant import Assistant

    asked = [q.question for q in dev_questions() if not q.history][:questions]
    keep(timing.run(Assistant(settings().model_copy(update={"index_dir": workspace()})), asked), "first-text")


@cli.command()
def reading() -> None:
    """Truecasing a question typed in lower case, against spaCy reading it (~1 minute). Writes
    its section into bench/results.md."""
    from bench import reading as timing
    from rag.assistant import Assistant

    planning = settings().model_copy(update={"index_dir": workspace(), "judge": "none"})
    answerer = Assistant(planning, generator=_PlanOnly()).answerer
    keep(timing.run(answerer, [q.question for q in dev_questions() if not q.history]), "reading")


@cli.command()
@click.option("--sizes", default="5,100,1000", show_default=True, help="Documentation corpus sizes.")
def scale(sizes: str) -> None:
    """Build, cold ask, warm p50 and peak RSS on 5-1,000 real documents from /usr/share/doc,
    against the five bundled articles (~15 minutes). Writes its table and scale.png into
    bench/results.md."""
    from bench import scale as scaling
    from rag.core.settings import DEFAULT_CORPUS

    results = scaling.run(parse_sizes(sizes), DEFAULT_CORPUS, settings().models_path)
    text = scaling.table(results)
    click.echo(text)
    scaling.plot(results, HERE / "scale.png")
    plotted = f"{text}\n\n![cost against corpus size](scale.png)"
    replace_section(RESULTS, "scale", "Scale: real documents", plotted)
    click.echo(f"\nwrote {RESULTS}")


def keep(section: Section, name: str) -> None:
    """Print a section measured on its own and keep it in results.md beside `all`'s sections."""
    show(section)
    body = "\n".join([*table(HEADER, [r.cells() for r in section.rows]), "", *section.details])
    replace_section(RESULTS, name, section.title, body)
    click.echo(f"\nwrote {RESULTS}")


MARKED = re.compile(r"\n## [^\n]+\n\n<!-- ([\w-]+) -->\n.*?<!-- /\1 -->\n", re.S)


def replace_section(path: Path, name: str, title: str, body: str) -> None:
    """Write body between the section's markers in path, keeping the rest of the file."""
    text = path.read_text() if path.is_file() else ""
    kept = [m.group(0) for m in MARKED.finditer(text) if m.group(1) != name]
    rest = MARKED.sub("", text).rstrip() + "\n"
    path.write_text(rest + "".join(kept) + f"\n## {title}\n\n<!-- {name} -->\n{body}\n<!-- /{name} -->\n")


def kept_sections(path: Path) -> str:
    """Sections the single commands wrote into results.md, carried over when `all` rewrites it."""
    text = path.read_text() if path.is_file() else ""
    return "".join(m.group(0) for m in MARKED.finditer(text))


@cli.command("all")
@SIZES
@PROMPTS
@QUESTIONS
@click.option("--out", type=click.Path(path_type=Path), default=HERE / "results.md", show_default=True)
def run_all(sizes: str, prompts: int, questions: int, out: Path) -> None:
    """Every benchmark; writes results.md and retrieval.png beside it."""
    start = time.perf_counter()
    sections = []
    for label, job in (
        ("embedding", run_embedding),
        ("retrieval", lambda: run_retrieval(parse_sizes(sizes))),
        ("generation", lambda: run_generation(prompts)),
        ("answers", lambda: run_answers(questions, prompts)),
    ):
        click.echo(f"== {label}", err=True)
        sections.append(job())
        show(sections[-1])
    text = render(sections, machine())
    text += f"\nTotal benchmark time: {(time.perf_counter() - start) / 60:.1f} minutes.\n"
    out.write_text(text + kept_sections(out))
    click.echo(f"\nwrote {out}")


if __name__ == "__main__":
    cli(prog_name="python -m bench")
