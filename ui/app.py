"""The chat page: ask, watch the answer draft stream, read the checked answer with citations.

State is per browser session (gr.State); the models and the index are shared and loaded once.
Generation is serialised by the Assistant's lock, while the queue lets several users wait their
turn without blocking the page.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Any

import gradio as gr

from rag.assistant import Assistant
from rag.core.errors import RagError
from rag.core.types import Answer
from rag.documents.ingest import SUPPORTED_SUFFIXES
from rag.documents.uploads import save_upload
from rag.generation.models import PACKAGED_GENERATORS
from ui.render import answer_markdown, draft_markdown, escape, export_markdown, sources_html

log = logging.getLogger(__name__)
CSS = """
#sources .source { border-left: 3px solid #6366f1; padding: 4px 10px; margin: 8px 0; }
#sources .source:target { background: #eef2ff; }
#sources mark { background: #fde68a; padding: 0 2px; }
#sources .source-head { font-weight: 600; }
a.cite { text-decoration: none; }
"""


class Pages:
    """Assistants per generator, sharing one embedder; created on first use."""

    def __init__(self, assistant: Assistant) -> None:
        self.default = assistant
        self._by_generator = {assistant.settings.generator: assistant}

    def get(self, generator: str) -> Assistant:
        if generator not in self._by_generator:
            settings = self.default.settings.model_copy(update={"generator": generator})
            self._by_generator[generator] = Assistant(settings, embedder=self.default.embedder)
        return self._by_generator[generator]

    def reload(self) -> None:
        for a in self._by_generator.values():
            a.reload()


def _examples(assistant: Assistant) -> list[str]:
    """From settings, else drawn from the corpus when the index was built; none without an index."""
    try:
        return assistant.examples
    except RagError:
        return []


def build_app(assistant: Assistant) -> gr.Blocks:
    pages = Pages(assistant)
    settings = assistant.settings
    # a model server serves the model it was started with; local backends can swap packaged ones
    packaged = [] if settings.backend == "openai" else list(PACKAGED_GENERATORS)
    generators = list(dict.fromkeys([settings.generator, *packaged, "extractive"]))
    max_bytes = int(settings.max_file_mb * 1e6)

    def documents_table() -> list[list[Any]]:
        try:
            manifest = assistant.store.read_manifest()
        except RagError:
            return []
        return [[d, i["title"], i["chunks"]] for d, i in manifest.documents.items()]

    def respond(
        message: str,
        chat: list[dict[str, Any]],
        turns: list[dict[str, Any]],
        top_k: int,
        generator: str,
        verify: bool,
    ):
        message = (message or "").strip()
        if not message:
            gr.Warning("Type a question about the articles first.")
            yield chat, turns, gr.update(), gr.update(), gr.update()
            return
        chat = [*chat, {"role": "user", "content": escape(message)}, {"role": "assistant", "content": "…"}]
        yield chat, turns, "", gr.update(), gr.update()
        history = [{"question": t["question"], "answer": t["record"]["answer"]} for t in turns] or None
        current = pages.get(generator)
        answer: Answer | None = None
        draft = ""
        try:
            for item in current.stream(message, history, top_k=int(top_k), verify=bool(verify)):
                if isinstance(item, Answer):
                    answer = item
                else:
                    draft += item
                    chat[-1] = {"role": "assistant", "content": draft_markdown(draft)}
                    yield chat, turns, "", gr.update(), gr.update()
        except RagError as exc:
            chat[-1] = {"role": "assistant", "content": f"❗ {escape(str(exc))}"}
            yield chat, turns, "", gr.update(), gr.update()
            return
        assert answer is not None
        chat[-1] = {"role": "assistant", "content": answer_markdown(answer)}
        turns = [*turns, {"question": message, "record": answer.to_dict()}]
        changed = answer.rewritten_question and answer.rewritten_question != message
        rewritten = f"Searched for: _{escape(answer.rewritten_question)}_" if changed else ""
        chunks = {c.chunk_id: c for c in current.index.chunks}
        yield chat, turns, "", rewritten, sources_html(answer, chunks)

    def export(turns: list[dict[str, Any]]) -> str | None:
        if not turns:
            gr.Warning("Nothing to export yet.")
            return None
        path = Path(tempfile.mkdtemp(prefix="news-rag-")) / "conversation.md"
        path.write_text(export_markdown(turns), encoding="utf-8")
        return str(path)

    def add_files(files: list[str] | None, progress: gr.Progress = gr.Progress()):  # noqa: B008
        if not files:
            return "Choose one or more files first.", gr.update(), gr.update()
        saved, refused = [], []
        for f in progress.tqdm(files, desc="saving"):
            path = Path(f)
            try:
                saved.append(save_upload(settings.home / "uploads", path.name, path.read_bytes(), max_bytes))
            except RagError as exc:
                refused.append(f"- {escape(path.name)}: {escape(str(exc))}")
        lines = []
        if saved:
            progress(0.5, desc="indexing")
            try:
                report = assistant.add_documents(saved)
            except RagError as exc:
                return f"❗ {escape(str(exc))}", gr.update(), gr.update()
            pages.reload()
            lines.append(
                f"Indexed: {len(report.added)} added, {len(report.updated)} updated "
                f"({', '.join(report.added + report.updated) or 'none'}); "
                f"{report.total_chunks} chunks in all."
            )
            refused += [f"- {escape(Path(s.path).name)}: {escape(s.reason)}" for s in report.skipped]
        if refused:
            lines += ["Refused:", *refused]
        table = documents_table()
        return "\n".join(lines), table, gr.update(choices=[r[0] for r in table], value=None)

    def remove(doc_id: str | None):
        if not doc_id:
            return "Pick an article to remove.", gr.update(), gr.update()
        try:
            assistant.remove_documents([doc_id])
        except RagError as exc:
            return f"❗ {escape(str(exc))}", gr.update(), gr.update()
        pages.reload()
        table = documents_table()
        return f"Removed {escape(doc_id)}.", table, gr.update(choices=[r[0] for r in table], value=None)

    with gr.Blocks(title="news-rag") as app:
        gr.Markdown(
            "## Ask the articles\nAnswers cite the exact sentence behind each claim; "
            "hover a citation to read it, click it to see the passage."
        )
        turns = gr.State([])
        with gr.Tab("Chat"):
            chat = gr.Chatbot(label="Conversation", height=420, elem_id="chat")
            with gr.Row():
                question = gr.Textbox(
                    placeholder="Ask about the articles…",
                    show_label=False,
                    scale=8,
                    elem_id="question",
                    max_length=settings.max_question_chars,
                )
                ask = gr.Button("Ask", variant="primary", scale=1, elem_id="ask")
            rewritten = gr.Markdown(elem_id="rewritten")
            examples = _examples(assistant)
            if examples:
                gr.Examples(examples, inputs=question, label="Try")
            gr.Markdown("### Sources")
            sources = gr.HTML(elem_id="sources")
            with gr.Row():
                new = gr.Button("New conversation", elem_id="new")
                export_btn = gr.Button("Export conversation (Markdown)", elem_id="export")
            export_file = gr.File(label="Export", interactive=False, height=90, elem_id="export-file")
            with gr.Accordion("Settings", open=False):
                top_k = gr.Slider(1, 10, value=settings.top_k, step=1, label="Passages to retrieve (top-k)")
                generator = gr.Dropdown(generators, value=settings.generator, label="Generator")
                verify = gr.Checkbox(value=settings.verify, label="Check every sentence against its citation")
        with gr.Tab("Documents"):
            table = gr.Dataframe(
                value=documents_table,
                headers=["id", "title", "chunks"],
                interactive=False,
                elem_id="documents",
            )
            upload = gr.File(
                file_count="multiple",
                file_types=sorted(SUPPORTED_SUFFIXES),
                type="filepath",
                label=f"Upload articles (.txt .md .html .pdf, up to {settings.max_file_mb:g} MB)",
                elem_id="upload",
            )
            add = gr.Button("Add to index", variant="primary", elem_id="add")
            with gr.Row():
                doc_id = gr.Dropdown(
                    [r[0] for r in documents_table()], label="Remove an article", elem_id="remove-id"
                )
                remove_btn = gr.Button("Remove", variant="stop", elem_id="remove")
            doc_status = gr.Markdown(elem_id="doc-status")

        outputs = [chat, turns, question, rewritten, sources]
        inputs = [question, chat, turns, top_k, generator, verify]
        ask.click(respond, inputs, outputs, api_name="ask")
        question.submit(respond, inputs, outputs, api_name=False)
        new.click(
            lambda: ([], [], "", "", ""), None, [chat, turns, question, rewritten, sources], api_name=False
        )
        export_btn.click(export, turns, export_file, api_name=False)
        add.click(add_files, upload, [doc_status, table, doc_id], api_name="add_documents")
        remove_btn.click(remove, doc_id, [doc_status, table, doc_id], api_name="remove_document")
    app.queue(default_concurrency_limit=settings.ui_concurrency, max_size=64)
    return app


def launch(
    assistant: Assistant, host: str = "127.0.0.1", port: int = 7860, share: bool = False, block: bool = True
) -> gr.Blocks:
    app = build_app(assistant)
    app.launch(
        server_name=host,
        server_port=port,
        share=share,
        css=CSS,
        prevent_thread_lock=not block,
        max_file_size=f"{assistant.settings.max_file_mb:g}mb",
        show_error=True,
        quiet=not block,
    )
    return app
