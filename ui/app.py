"""The chat page: ask, see checked sentences arrive, read each answer with its own sources.

State is per browser session (gr.State); the models and the index are shared and loaded once.
With a local model, answers queue in Gradio's queue one at a time, so a tab closed while waiting
simply leaves the queue; a tab closed while its answer is written sets that answer's cancel
event (the page's unload hook), which stops the model at its next token. Stop does the same.

While an answer is produced, Ask becomes Stop, and a question typed meanwhile stays in the box.
"""

from __future__ import annotations

import logging
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import gradio as gr

from rag.assistant import Assistant
from rag.core.errors import Cancelled, RagError
from rag.core.types import Answer
from rag.documents.ingest import KINDS
from rag.generation.models import PACKAGED_GENERATORS
from ui.render import answer_html, escape, export_markdown, notice_html, pending_html, question_html

log = logging.getLogger(__name__)
TITLES_SHOWN = 8  # the first screen lists this many document titles
CSS = """
#chat .question { white-space: pre-wrap; }
#chat .answer p { margin: 0.2em 0; }
#chat .answer.refusal, #chat .answer.premise { border-left: 4px solid #b45309; padding-left: 8px; }
#chat .answer.conflict { border-left: 4px solid #7c3aed; padding-left: 8px; }
#chat .badge { display: inline-block; font-size: 0.8em; padding: 0 6px; margin-right: 6px;
  border-radius: 6px; background: #fef3c7; color: #78350f; }
#chat .answer.unchecked .badge { background: #fee2e2; color: #7f1d1d; }
#chat .state { color: #374151; font-style: italic; }
#chat .rewritten { color: #374151; font-size: 0.9em; }
#chat a.cite { position: relative; display: inline-block; min-width: 24px; min-height: 24px;
  padding: 0 4px; text-align: center; text-decoration: none; font-weight: 600; color: #3730a3; }
#chat a.cite .tip { display: none; position: absolute; left: 0; top: 100%; z-index: 20; width: 22em;
  max-width: 80vw; padding: 6px 8px; background: #111827; color: #f9fafb; font-weight: 400;
  font-size: 0.85em; border-radius: 6px; text-align: left; white-space: normal; }
#chat a.cite:hover .tip, #chat a.cite:focus .tip, #chat a.cite:focus-visible .tip { display: block; }
#chat .sources { margin-top: 6px; border-top: 1px solid #d1d5db; padding-top: 4px; font-size: 0.9em; }
#chat .source { border-left: 3px solid #6366f1; padding: 2px 8px; margin: 4px 0; scroll-margin: 40px; }
#chat .source:target { background: #eef2ff; }
#chat .source-head { font-weight: 600; }
#chat mark { background: #fde68a; color: #111827; padding: 0 2px; }
#question textarea::placeholder { color: #4b5563; opacity: 1; }
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


STOPPED = {"role": "assistant", "content": notice_html("Stopped.")}


class Answers:
    """Each session's answer, from the moment its question is taken, so Stop and a closed tab
    can cancel it while it waits in the queue as well as while it is written."""

    def __init__(self) -> None:
        self._cancel: dict[str, threading.Event] = {}
        self._lock = threading.Lock()

    def start(self, session: str) -> None:
        with self._lock:
            self._cancel[session] = threading.Event()

    def take(self, session: str) -> threading.Event:
        """The cancel event of the answer about to be written, set already if stopped in the queue."""
        with self._lock:
            return self._cancel.setdefault(session, threading.Event())

    def stop(self, session: str) -> None:
        with self._lock:
            if event := self._cancel.get(session):
                event.set()

    def done(self, session: str, event: threading.Event) -> None:
        with self._lock:
            if self._cancel.get(session) is event:
                del self._cancel[session]


def _examples(assistant: Assistant) -> list[str]:
    """From settings, else drawn from the corpus when the index was built; none without an index."""
    try:
        return assistant.examples
    except RagError:
        return []


def _documents(assistant: Assistant) -> list[dict[str, Any]]:
    try:
        manifest = assistant.store.read_manifest()
    except RagError:
        return []
    rows = [
        {"id": d, "title": i["title"], "chunks": i["chunks"], "source": i["source"]}
        for d, i in manifest.documents.items()
    ]
    return sorted(rows, key=lambda r: r["title"].lower())


def _first_screen(assistant: Assistant) -> str:
    """What the corpus holds and how to ask: shown in the empty chat."""
    docs = _documents(assistant)
    if not docs:
        return (
            "No documents are indexed yet: add some in the Documents tab, or run `python -m rag index build`."
        )
    titles = "\n".join(f"- {escape(d['title'])}" for d in docs[:TITLES_SHOWN])
    more = f"\n- … and {len(docs) - TITLES_SHOWN} more (Documents tab)" if len(docs) > TITLES_SHOWN else ""
    return (
        f"**{len(docs)} documents** are loaded:\n\n{titles}{more}\n\n"
        "Ask a question about them. Every sentence of an answer cites the passage it comes from, "
        "checked before it is shown; hover, tap or tab to a citation to read it."
    )


def build_app(assistant: Assistant) -> gr.Blocks:
    pages = Pages(assistant)
    answers = Answers()
    settings = assistant.settings
    # a model server serves the model it was started with; local backends can swap packaged ones
    packaged = [] if settings.backend == "openai" else list(PACKAGED_GENERATORS)
    generators = list(dict.fromkeys([settings.generator, *packaged, "extractive"]))
    # one answer at a time with a local model: the rest wait in Gradio's queue, from which a
    # closed tab simply drops out
    answering = settings.ui_concurrency if getattr(assistant.generator, "concurrent", False) else 1

    def choices() -> list[tuple[str, str]]:
        return [(f"{d['title']} ({d['id']})", d["id"]) for d in _documents(assistant)]

    def table() -> list[list[Any]]:
        return [[d["title"], d["id"], d["chunks"]] for d in _documents(assistant)]

    def start(message: str, chat: list[dict[str, Any]], busy: bool, request: gr.Request):
        """Take the question: into the chat, out of the box; Ask becomes Stop."""
        message = (message or "").strip()
        if busy or not message:
            if not message:
                gr.Warning("Type a question about the documents first.")
            # a silent failure: nothing changes and the answer chain after this does not run
            raise gr.Error("not taken", visible=False, print_exception=False)
        answers.start(request.session_hash or "")
        chat = [*chat, {"role": "user", "content": question_html(message)}]
        chat.append({"role": "assistant", "content": pending_html("", True)})
        return "", chat, True, message, gr.update(visible=False), gr.update(visible=True)

    def respond(
        message: str,
        chat: list[dict[str, Any]],
        turns: list[dict[str, Any]],
        top_k: int,
        generator: str,
        verify: bool,
        request: gr.Request,
    ):
        history = [{"question": t["question"], "answer": t["record"]["answer"]} for t in turns] or None
        current = pages.get(generator)
        session = request.session_hash or ""
        cancel = answers.take(session)
        shown, answer = "", None
        try:
            # nothing to write for an answer stopped while it waited in the queue
            items = (
                ()
                if cancel.is_set()
                else current.stream(message, history, top_k=int(top_k), verify=bool(verify), cancel=cancel)
            )
            for item in items:
                if cancel.is_set():
                    break
                if isinstance(item, Answer):
                    answer = item
                else:
                    shown += item
                    chat[-1] = {"role": "assistant", "content": pending_html(shown, bool(verify))}
                    yield chat, turns
        except Cancelled:
            pass
        except RagError as exc:
            chat[-1] = {"role": "assistant", "content": notice_html(f"❗ {exc}")}
            yield chat, turns
            return
        finally:
            answers.done(session, cancel)
        if cancel.is_set():
            # the answer's own last update, so none still on its way can overwrite "Stopped."
            yield [*chat[:-1], STOPPED], turns
            return
        assert answer is not None
        chunks = {c.chunk_id: c for c in current.index.chunks_by_id(c.chunk_id for c in answer.citations)}
        chat[-1] = {"role": "assistant", "content": answer_html(answer, len(turns) + 1, chunks)}
        yield chat, [*turns, {"question": message, "record": answer.to_dict()}]

    def stop(chat: list[dict[str, Any]], request: gr.Request):
        """Shows "Stopped." at once; Ask comes back when the answer has let go of the model."""
        answers.stop(request.session_hash or "")
        if chat and chat[-1]["role"] == "assistant" and 'class="answer pending"' in str(chat[-1]["content"]):
            chat = [*chat[:-1], STOPPED]
        return chat, gr.update(interactive=False)

    def finished():
        return False, gr.update(visible=True), gr.update(visible=False, interactive=True)

    def new_conversation():
        return [], [], gr.update(value=None, visible=False), "", False

    def export(turns: list[dict[str, Any]]):
        if not turns:
            gr.Warning("Nothing to export yet.")
            return gr.update(visible=False)
        path = Path(tempfile.mkdtemp(prefix="news-rag-")) / "conversation.md"
        path.write_text(export_markdown(turns), encoding="utf-8")
        return gr.update(value=str(path), visible=True)

    def add_files(files: list[str] | None, progress: gr.Progress = gr.Progress()):  # noqa: B008
        if not files:
            return "Choose one or more files first.", gr.update(), gr.update(), gr.update(), None

        def sent() -> Iterator[tuple[str, IO[bytes]]]:  # read one at a time
            for f in progress.tqdm(files, desc="checking and indexing"):
                with open(f, "rb") as contents:
                    yield Path(f).name, contents

        report = assistant.upload(sent())  # a refused file is not kept on the server
        if report.build is not None:
            pages.reload()
        said = {"unchanged": "unchanged, already indexed", "skipped": "skipped, "}
        lines = [
            f"- **{escape(f.name)}**: {said.get(f.outcome, f.outcome)}{escape(f.reason)}"
            for f in report.files
        ]
        summary = "\n".join(lines)
        success = report.status == 200
        return (
            summary,
            table(),
            gr.update(choices=choices(), value=None),
            gr.update(visible=False),
            None if success else gr.update(),
        )

    def ask_removal(doc_id: str | None):
        if not doc_id:
            return "Pick a document to remove first.", gr.update(visible=False), ""
        title = next((d["title"] for d in _documents(assistant) if d["id"] == doc_id), doc_id)
        return "", gr.update(visible=True), f"Remove **{escape(title)}** ({escape(doc_id)}) from the index?"

    def remove(doc_id: str | None):
        docs = {d["id"]: d for d in _documents(assistant)}
        if not doc_id or doc_id not in docs:
            return (
                "Pick a document to remove first.",
                gr.update(),
                gr.update(),
                gr.update(visible=False),
                None,
                gr.update(visible=False),
            )
        try:
            assistant.remove_documents([doc_id])
        except RagError as exc:
            return (
                f"❗ {escape(str(exc))}",
                gr.update(),
                gr.update(),
                gr.update(visible=False),
                None,
                gr.update(visible=False),
            )
        pages.reload()
        removed = docs[doc_id]
        note = f"Removed **{escape(removed['title'])}** ({escape(doc_id)})."
        return (
            note,
            table(),
            gr.update(choices=choices(), value=None),
            gr.update(visible=False),
            removed,
            gr.update(visible=True),
        )

    def undo(removed: dict[str, Any] | None):
        if not removed:
            return "Nothing to undo.", gr.update(), gr.update(), None, gr.update(visible=False)
        source = Path(removed["source"])
        if not source.is_file():
            return (
                f"❗ {escape(source.name)} is no longer on disk; upload it again.",
                gr.update(),
                gr.update(),
                None,
                gr.update(visible=False),
            )
        try:
            assistant.add_documents([source])
        except RagError as exc:
            return f"❗ {escape(str(exc))}", gr.update(), gr.update(), None, gr.update(visible=False)
        pages.reload()
        return (
            f"Restored **{escape(removed['title'])}**.",
            table(),
            gr.update(choices=choices(), value=None),
            None,
            gr.update(visible=False),
        )

    with gr.Blocks(title="news-rag") as app:
        gr.Markdown("## Ask the documents")
        turns = gr.State([])
        busy = gr.State(False)
        pending = gr.State("")
        removed = gr.State(None)
        with gr.Tab("Chat"):
            chat = gr.Chatbot(
                label="Conversation",
                elem_id="chat",
                placeholder=_first_screen(assistant),
                buttons=[],
                min_height=200,
                max_height=640,
                sanitize_html=True,
            )
            with gr.Row():
                question = gr.Textbox(
                    label="Your question",
                    placeholder="Ask about the documents…",
                    scale=8,
                    elem_id="question",
                )
                ask = gr.Button("Ask", variant="primary", scale=1, elem_id="ask")
                stop_btn = gr.Button("Stop", variant="stop", scale=1, elem_id="stop", visible=False)
            examples = _examples(assistant)
            if examples:
                gr.Examples(examples, inputs=question, label="Try")
            with gr.Row():
                new = gr.Button("New conversation", elem_id="new")
                export_btn = gr.Button("Export conversation (Markdown)", elem_id="export")
            export_file = gr.File(label="Export", interactive=False, visible=False, elem_id="export-file")
            with gr.Accordion("Settings", open=False):
                top_k = gr.Slider(1, 10, value=settings.top_k, step=1, label="Passages to retrieve (top-k)")
                generator = gr.Dropdown(generators, value=settings.generator, label="Generator")
                verify = gr.Checkbox(value=settings.verify, label="Check every sentence against its citation")
        with gr.Tab("Documents"):
            documents = gr.Dataframe(
                value=table,
                headers=["title", "id", "chunks"],
                interactive=False,
                wrap=True,
                column_widths=["58%", "32%", "10%"],
                elem_id="documents",
            )
            upload = gr.File(
                file_count="multiple",
                type="filepath",
                label=f"Upload documents ({KINDS}; up to {settings.max_file_mb:g} MB)",
                elem_id="upload",
            )
            add = gr.Button("Add to index", variant="primary", elem_id="add")
            doc_status = gr.Markdown(elem_id="doc-status")
            with gr.Row():
                pick = gr.Dropdown(
                    choices=choices(), value=None, label="Remove a document", elem_id="remove-id"
                )
                remove_btn = gr.Button("Remove…", variant="stop", elem_id="remove")
            with gr.Row(visible=False, elem_id="confirm") as confirm:
                confirm_text = gr.Markdown(elem_id="confirm-text")
                yes = gr.Button("Yes, remove it", variant="stop", elem_id="confirm-remove")
                no = gr.Button("Cancel", elem_id="cancel-remove")
            undo_btn = gr.Button("Undo removal", visible=False, elem_id="undo")

        taken = [question, chat, busy, pending, ask, stop_btn]
        flow = [pending, chat, turns, top_k, generator, verify]
        for trigger in (question.submit, ask.click):
            event = trigger(start, [question, chat, busy], taken, api_name=False, queue=False)
            # the bubble shows its own "checking…" state; Gradio's overlay would cover the chat,
            # and its timer repaints ten times a second, CPU the model needs on two cores
            answer_event = event.success(
                respond,
                flow,
                [chat, turns],
                api_name=False,
                concurrency_limit=answering,
                show_progress="hidden",
            )
            answer_event.then(finished, None, [busy, ask, stop_btn], api_name=False, queue=False)
        # no `cancels=`: killing the answer's task would leave an update already on its way free to
        # overwrite "Stopped."; the cancel event stops the model at its next token instead
        stop_btn.click(stop, [chat], [chat, stop_btn], api_name=False, queue=False)
        reset = [chat, turns, export_file, question, busy]
        new.click(new_conversation, None, reset, api_name=False, queue=False)
        chat.clear(new_conversation, None, reset, api_name=False, queue=False)
        export_btn.click(export, turns, export_file, api_name=False)
        add.click(
            add_files, upload, [doc_status, documents, pick, undo_btn, upload], api_name="add_documents"
        )
        remove_btn.click(ask_removal, pick, [doc_status, confirm, confirm_text], api_name=False, queue=False)
        no.click(lambda: gr.update(visible=False), None, confirm, api_name=False, queue=False)
        yes.click(
            remove,
            pick,
            [doc_status, documents, pick, confirm, removed, undo_btn],
            api_name="remove_document",
        )
        undo_btn.click(undo, removed, [doc_status, documents, pick, removed, undo_btn], api_name=False)

        def left(request: gr.Request) -> None:
            answers.stop(request.session_hash or "")

        app.unload(left)
        app.load(lambda: gr.update(choices=choices(), value=None), None, pick, api_name=False, queue=False)

        # one API endpoint that answers in one call, for scripts and tests
        api_question = gr.Textbox(visible=False)
        api_chat = gr.JSON(visible=False)
        gr.Button(visible=False).click(
            lambda q, t, k, g, v: _ask_api(pages, q, t, k, g, v),
            [api_question, turns, top_k, generator, verify],
            [api_chat, turns],
            api_name="ask",
            concurrency_limit=answering,
        )
    app.queue(default_concurrency_limit=settings.ui_concurrency, max_size=64)
    return app


def _ask_api(pages: Pages, question: str, turns: list, top_k: int, generator: str, verify: bool):
    """The page's answer as data: the rendered bubble, the Answer, and its turn in this session."""
    history = [{"question": t["question"], "answer": t["record"]["answer"]} for t in turns] or None
    current = pages.get(generator)
    answer = current.ask(question, history, top_k=int(top_k), verify=bool(verify))
    chunks = {c.chunk_id: c for c in current.index.chunks_by_id(c.chunk_id for c in answer.citations)}
    record, turn = answer.to_dict(), len(turns) + 1
    return {"html": answer_html(answer, turn, chunks), "answer": record, "turn": turn}, [
        *turns,
        {"question": question, "record": record},
    ]


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
