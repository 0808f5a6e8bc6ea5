"""Command-line interface: `python -m rag ...`.

Domain errors (RagError) become one-line ClickExceptions here and only here.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import click

from rag.faces.errors import fail_cleanly
from rag.generation.models import PACKAGED_GENERATORS

SETTINGS_KEY = "settings_overrides"


def _assistant(ctx: click.Context, **overrides: Any):
    from rag.assistant import Assistant

    obj = ctx.find_root().obj
    assistant = Assistant.from_settings(obj["config"], **{**obj[SETTINGS_KEY], **overrides})
    if (wanted := obj.get("store")) is not None:
        _check_store(assistant, wanted)
    return assistant


def _check_store(assistant, wanted: str) -> None:
    """A reader follows the store the index records; an explicit --store must agree with it."""
    from rag.core.errors import IndexMismatchError, RagError

    try:
        built = assistant.store.read_manifest().store.get("kind", "faiss")
    except RagError:
        return  # no index yet: the command itself says so
    if built != wanted:
        raise IndexMismatchError(
            f"the index at {str(assistant.store.root)!r} was built for the {built!r} store, not "
            f"{wanted!r}; drop --store (readers follow the index), or run "
            f"`python -m rag index build --store {wanted}`"
        )


def _remember(key: str):
    def store(ctx: click.Context, _param: click.Parameter, value: Any) -> None:
        if value is not None:
            obj = ctx.find_root().obj
            (obj if key in ("config", "store") else obj[SETTINGS_KEY])[key] = value

    return store


def data_options(store: bool = True):
    """--home, --config and --store on every command that reads the index, as on the group, so
    they work before or after the command name."""

    def decorate(func):
        options = [
            click.option(
                "--home",
                type=click.Path(path_type=Path),
                expose_value=False,
                callback=_remember("home"),
                help="Data folder (index, converted models). Env: RAG_HOME.",
            ),
            click.option(
                "--config",
                type=click.Path(path_type=Path),
                expose_value=False,
                callback=_remember("config"),
                help="TOML settings file. Env: RAG_CONFIG.",
            ),
        ]
        if store:
            options.append(
                click.option(
                    "--store",
                    type=click.Choice(["faiss", "qdrant"]),
                    expose_value=False,
                    callback=_remember("store"),
                    help="Vector store the index was built for; readers follow the index's own "
                    "record, so this only checks it.",
                )
            )
        for option in reversed(options):
            func = option(func)
        return func

    return decorate


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--home",
    type=click.Path(path_type=Path),
    envvar="RAG_HOME",
    help="Data folder (index, converted models). Env: RAG_HOME.",
)
@click.option("--index-dir", type=click.Path(path_type=Path), help="Index folder [default: HOME/index].")
@click.option("--config", type=click.Path(path_type=Path), help="TOML settings file. Env: RAG_CONFIG.")
@click.option("-v", "--verbose", count=True, help="-v for progress logs, -vv for debug.")
@click.pass_context
def cli(
    ctx: click.Context, home: Path | None, index_dir: Path | None, config: Path | None, verbose: int
) -> None:
    """Ask questions of your news articles, offline, with checked citations.

    \b
    Quick start:
      python -m rag index build                 # index the bundled corpus
      python -m rag ask "How many graphics cards can the SuperPoD Interconnect link?"
      python -m rag search "Huawei investment in smart driving"

    Settings come from defaults, then a TOML file (--config, RAG_CONFIG or
    HOME/config.toml), then RAG_* environment variables, then flags.
    """
    level = [logging.WARNING, logging.INFO, logging.DEBUG][min(verbose, 2)]
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    for noisy in ("faiss.loader", "sentence_transformers", "httpx", "bm25s"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
    ctx.obj = {"config": config, SETTINGS_KEY: {"home": home, "index_dir": index_dir}}


@cli.group()
def index() -> None:
    """Build, inspect and update the search index."""


@index.command("build")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@data_options(store=False)
@click.option("--rebuild", is_flag=True, help="Ignore the existing index and re-embed everything.")
@click.option(
    "--index-type",
    type=click.Choice(["flat", "hnsw", "ivf", "auto"]),
    help="FAISS index kind [default: flat].",
)
@click.option(
    "--store",
    type=click.Choice(["faiss", "qdrant"]),
    help="Vector store [default: faiss]. qdrant uses RAG_QDRANT_URL, or local mode in HOME/qdrant.",
)
@click.pass_context
@fail_cleanly
def index_build(
    ctx: click.Context, paths: tuple[Path, ...], rebuild: bool, index_type: str | None, store: str | None
) -> None:
    """Index the articles under PATHS (files or folders).

    Reads .txt, .md, .html, .pdf, .rst and .docx files, and files named without a type (README,
    LICENSE) by what they hold; any other file is skipped with its reason.
    Only new or changed articles are embedded again; articles no longer under PATHS
    are dropped. Without PATHS, the bundled corpus is indexed.

    \b
    Examples:
      python -m rag index build
      python -m rag index build ~/articles --index-type hnsw
      python -m rag index build --rebuild
      python -m rag index build --store qdrant
    """
    assistant = _assistant(ctx, index_type=index_type, store=store)
    report = assistant.build_index(list(paths) or None, rebuild=rebuild)
    _print_report(report, assistant.store.root)


@index.command("add")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@data_options()
@click.pass_context
@fail_cleanly
def index_add(ctx: click.Context, files: tuple[Path, ...]) -> None:
    """Add or update articles, keeping the rest of the index.

    \b
    Example:
      python -m rag index add new-article.html report.pdf
    """
    assistant = _assistant(ctx)
    _print_report(assistant.add_documents(list(files)), assistant.store.root)


@index.command("remove")
@click.argument("doc_ids", nargs=-1, required=True)
@data_options()
@click.pass_context
@fail_cleanly
def index_remove(ctx: click.Context, doc_ids: tuple[str, ...]) -> None:
    """Remove articles by document id (the file name without extension).

    \b
    Example:
      python -m rag index remove 003_f06fee19688d891c
    """
    assistant = _assistant(ctx)
    _print_report(assistant.remove_documents(list(doc_ids)), assistant.store.root)


@index.command("status")
@data_options()
@click.pass_context
@fail_cleanly
def index_status(ctx: click.Context) -> None:
    """Show documents, chunks, model, size on disk and what is out of date.

    \b
    Example:
      python -m rag index status
    """
    from index.status import skipped_lines, staleness

    assistant = _assistant(ctx)
    manifest = assistant.store.read_manifest()
    built = time.strftime("%Y-%m-%d %H:%M", time.localtime(manifest.built_at))
    click.echo(f"index:     {assistant.store.root}")
    click.echo(f"documents: {len(manifest.documents)}")
    click.echo(f"chunks:    {manifest.num_chunks}")
    click.echo(f"embedder:  {manifest.embedder} (dim {manifest.dim}), {manifest.index_type} index")
    if trained := manifest.store.get("trained_on"):
        growth = assistant.settings.retrain_growth
        click.echo(
            f"training:  IVF centroids trained on {trained:,} chunks; updates add without retraining "
            f"until {int(trained * growth):,} chunks (retrain_growth {growth:g})"
        )
    click.echo(f"size:      {assistant.store.size_bytes() / 1e6:.1f} MB, built {built}")
    stale = staleness(manifest)
    if stale:
        click.echo("stale:     " + "; ".join(stale) + " (run `python -m rag index build`)")
    else:
        click.echo("stale:     no, every indexed file is unchanged")
    if skipped := skipped_lines(manifest):
        click.echo(f"skipped:   {len(skipped)} files the build could not read")
        for line in skipped:
            click.echo(f"  {line}")
    for doc_id, info in manifest.documents.items():
        click.echo(f"  {doc_id}  {info['chunks']:>3} chunks  {info['title']}")


@cli.command()
@click.argument("question")
@click.option("-k", "--top-k", type=int, help="How many passages to show [default: 5].")
@data_options()
@click.option(
    "--mode", "retrieval", type=click.Choice(["hybrid", "dense", "bm25"]), help="Retriever [default: hybrid]."
)
@click.pass_context
@fail_cleanly
def search(ctx: click.Context, question: str, top_k: int | None, retrieval: str | None) -> None:
    """Print the passages ranked for QUESTION, with their scores.

    \b
    Example:
      python -m rag search "How many graphics cards can the SuperPoD Interconnect link?" -k 3
    """
    assistant = _assistant(ctx, top_k=top_k, retrieval=retrieval)
    for rank, hit in enumerate(assistant.search(question), start=1):
        dense = f"{hit.dense_score:.3f} (#{hit.dense_rank})" if hit.dense_rank else "-"
        bm25 = f"{hit.bm25_score:.2f} (#{hit.bm25_rank})" if hit.bm25_rank else "-"
        click.echo(
            click.style(f"[{rank}] {hit.chunk.chunk_id}", bold=True)
            + f"  fused {hit.score:.4f}  dense {dense}  bm25 {bm25}"
        )
        click.echo(f"    {hit.chunk.title}")
        click.echo("    " + " ".join(hit.chunk.text.split())[:400])


GENERATOR_HELP = (
    f"A packaged model ({', '.join(PACKAGED_GENERATORS)}; the first is the default), a .gguf or "
    "model path, 'extractive' for no model, or with --backend openai the server's model name."
)
BACKEND_HELP = (
    "llamacpp (default), transformers, or openai: any OpenAI-compatible server at "
    "RAG_GENERATOR_URL (key in RAG_GENERATOR_API_KEY or OPENAI_API_KEY)."
)


def generator_options(func):
    """-g/--generator and --backend, shared by every command that answers."""
    func = click.option(
        "--backend", type=click.Choice(["llamacpp", "transformers", "openai"]), help=BACKEND_HELP
    )(func)
    return click.option("-g", "--generator", help=GENERATOR_HELP)(func)


@cli.command()
@click.argument("question")
@click.option("-k", "--top-k", type=int, help="Passages to retrieve [default: 5].")
@data_options()
@generator_options
@click.option("--no-verify", is_flag=True, default=None, help="Skip per-sentence citation checks.")
@click.option("--json", "as_json", is_flag=True, help="Print the Answer as JSON.")
@click.pass_context
@fail_cleanly
def ask(
    ctx: click.Context,
    question: str,
    top_k: int | None,
    generator: str | None,
    backend: str | None,
    no_verify: bool | None,
    as_json: bool,
) -> None:
    """Answer QUESTION from the indexed articles, citing the sentence behind each claim.

    When the articles do not answer it, the reply says so; when they disagree, it shows
    both sides.

    \b
    Examples:
      python -m rag ask "How many graphics cards can the SuperPoD Interconnect link?"
      python -m rag ask "How much is Huawei investing in smart driving?" --json
      python -m rag ask "Who founded Huawei?" -g extractive
    """
    import json as jsonlib

    assistant = _assistant(
        ctx, top_k=top_k, generator=generator, backend=backend, verify=False if no_verify else None
    )
    answer = assistant.ask(question)
    if as_json:
        click.echo(jsonlib.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
        return
    style = {"refusal": "yellow", "premise": "yellow", "conflict": "magenta"}.get(answer.mode)
    click.echo(click.style(answer.answer, fg=style, bold=True))
    if answer.citations:
        click.echo("\nSources:")
    for c in answer.citations:
        click.echo(f"  [{c.marker}] {c.title} ({c.chunk_id}, chars {c.start}-{c.end})")
        click.echo(f"      “{c.text}”")
    click.echo(click.style(f"\n{answer.mode}, {answer.latency_s:.2f}s", dim=True))


@cli.command()
@click.argument("questions", type=click.Path(path_type=Path))
@data_options()
@click.option(
    "-o",
    "--out",
    type=click.Path(path_type=Path),
    required=True,
    help="Answers file (JSON lines). Re-running with the same file resumes.",
)
@generator_options
@click.option("--no-verify", is_flag=True, default=None, help="Skip per-sentence citation checks.")
@click.option(
    "-w",
    "--workers",
    type=click.IntRange(min=1),
    help="Questions answered at once [default: 1]. Pays off with --backend openai, whose server "
    "batches requests; a local model answers one at a time.",
)
@click.pass_context
@fail_cleanly
def batch(
    ctx: click.Context,
    questions: Path,
    out: Path,
    generator: str | None,
    backend: str | None,
    no_verify: bool | None,
    workers: int | None,
) -> None:
    """Answer every question in QUESTIONS and write one JSON line per question to --out.

    QUESTIONS is .jsonl (objects with "question", optional "id" and "history"), .csv (a
    "question" column, optional "id") or .txt (one question a line). A bad line becomes a
    record with an "error" field and the run goes on; the exit code is 1 if any line failed.
    Interrupted? Run the same command again: answered ids are skipped.

    \b
    Examples:
      python -m rag batch questions.txt --out answers.jsonl
      python -m rag batch eval/dev.jsonl -o dev-answers.jsonl -g extractive
      RAG_GENERATOR_URL=http://localhost:8001/v1 python -m rag batch questions.txt -o out.jsonl \\
        --backend openai -g Qwen/Qwen2.5-Coder-0.5B-Instruct --workers 8
    """
    from rag.faces.batch import run_batch

    assistant = _assistant(
        ctx, generator=generator, backend=backend, verify=False if no_verify else None, workers=workers
    )
    summary = run_batch(assistant.ask, questions, out, workers=assistant.settings.workers)
    click.echo(f"{summary.line()}\nanswers: {out}")
    if summary.failed:
        ctx.exit(1)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@data_options()
@click.option("--port", default=8000, show_default=True, type=int)
@click.option(
    "--token", envvar="RAG_API_TOKEN", help="Require 'Authorization: Bearer TOKEN'. Env: RAG_API_TOKEN."
)
@generator_options
@click.pass_context
@fail_cleanly
def serve(
    ctx: click.Context, host: str, port: int, token: str | None, generator: str | None, backend: str | None
) -> None:
    """Serve an OpenAI-compatible API: /v1/chat/completions, /v1/models, /v1/documents, /health.

    Answers keep their [n] markers and a Sources list; citations, refusals and conflicts also
    travel as extra JSON fields. Binding to anything but loopback requires --token.

    \b
    Examples:
      python -m rag serve
      python -m rag serve --host 0.0.0.0 --port 8080 --token s3cret
      curl -s localhost:8000/v1/chat/completions -H 'Content-Type: application/json' \\
        -d '{"model": "news-rag", "messages": [{"role": "user", "content": "Who makes CANN?"}]}'
    """
    import uvicorn

    from rag.faces.server import check_exposure, create_app

    check_exposure(host, token)
    _check_port(host, port)
    assistant = _assistant(ctx, generator=generator, backend=backend)
    assistant.answerer  # noqa: B018 - load the index and models before the first request
    if assistant.generator is not None:
        assistant.generator.warm_up()
    click.echo(f"serving on http://{host}:{port} (OpenAI base URL http://{host}:{port}/v1)")
    uvicorn.run(create_app(assistant, token), host=host, port=port, log_level="warning")


@cli.command()
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Interface to bind (loopback only by default)."
)
@data_options()
@click.option("--port", default=7860, show_default=True, type=int)
@click.option(
    "--share", is_flag=True, help="Ask Gradio for a public share link (off by default; needs internet)."
)
@generator_options
@click.pass_context
@fail_cleanly
def ui(
    ctx: click.Context, host: str, port: int, share: bool, generator: str | None, backend: str | None
) -> None:
    """Open the chat page: streaming answers, clickable citations, follow-ups, uploads.

    \b
    Examples:
      python -m rag ui
      python -m rag ui --port 8080
    """
    from ui.app import launch

    _check_port(host, port)
    assistant = _assistant(ctx, generator=generator, backend=backend)
    assistant.answerer  # noqa: B018 - load the index and models before the first visitor
    if assistant.generator is not None:
        assistant.generator.warm_up()
    click.echo(f"chat page on http://{host}:{port}")
    launch(assistant, host=host, port=port, share=share)


def _check_port(host: str, port: int) -> None:
    """A port another program holds is a one-line error before the models load (seconds), not
    a traceback after."""
    import errno
    import socket

    from rag.core.errors import ConfigError

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers bind
        try:
            probe.bind((host, port))
        except OSError as exc:
            fix = {
                errno.EADDRINUSE: "another program is using it; pick another port with --port",
                errno.EADDRNOTAVAIL: "this machine has no such address; check --host",
                errno.EACCES: "ports below 1024 need administrator rights; pick another with --port",
            }.get(exc.errno or 0, "check --host and --port")
            raise ConfigError(f"cannot listen on {host}:{port} ({exc.strerror or exc}); {fix}") from None


def _print_report(report, root: Path) -> None:
    for item in report.skipped:
        click.echo(str(item), err=True)
    click.echo(f"{report.summary()}\nindex: {root}")


def main() -> None:
    cli(prog_name="python -m rag")
