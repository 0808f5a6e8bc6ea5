"""`Assistant`: the one object the CLI, the chat page and the server talk to.

It wires settings to the embedder, the saved index and the retriever, loading each on first
use so that `--help` and `index status` stay instant.

    >>> from rag import Assistant
    >>> assistant = Assistant.from_settings(top_k=3)
    >>> hits = assistant.search("How many graphics cards can the SuperPoD Interconnect link?")
    >>> hits[0].chunk.doc_id
    '004_dd3f690923d793e8'
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal

from index.builder import BuildReport, IndexBuilder
from index.config import IndexConfig
from index.store import IndexStore, SearchIndex
from rag.answering.compose import Composer
from rag.answering.conflicts import ConflictDetector
from rag.answering.decision import RefusalModel, default_model
from rag.answering.evidence import EvidenceScorer
from rag.answering.pipeline import Answerer, AnswerOptions
from rag.answering.premise import PremiseChecker
from rag.answering.question import QuestionReader
from rag.answering.rewrite import QuestionRewriter
from rag.answering.truecase import Truecaser
from rag.answering.verify import CitationVerifier
from rag.core.errors import Cancelled, NothingIndexed, RagError, UploadError
from rag.core.hardware import log_cpu_report
from rag.core.settings import Settings, load_settings
from rag.core.text import question_text
from rag.core.types import Answer, Hit
from rag.documents.ingest import document_id
from rag.documents.uploads import save_upload, settle_uploads, shown_reason
from rag.embedding.embedder import Embedder, make_embedder
from rag.generation.base import Generator
from rag.generation.factory import make_generator, make_judge
from rag.generation.prompting import PromptLibrary
from rag.retrieval.retriever import Retriever

TURN_POLL_S = 0.05  # how often a waiting caller checks whether it is still wanted


@dataclass(frozen=True)
class UploadedFile:
    """What became of one uploaded file, in the words its uploader reads (file names, never the
    server's paths)."""

    name: str
    outcome: Literal["added", "updated", "unchanged", "skipped"]
    reason: str = ""  # why it was skipped


@dataclass
class UploadReport:
    files: list[UploadedFile]  # in the order sent; a name sent twice, once
    build: BuildReport | None  # None when no file reached the index
    status: int  # the HTTP status that fits: 200 when any file was taken, else the first refusal's

    def named(self, outcome: str) -> list[UploadedFile]:
        return [f for f in self.files if f.outcome == outcome]


class Assistant:
    def __init__(
        self, settings: Settings, embedder: Embedder | None = None, generator: Generator | None = None
    ) -> None:
        self.settings = settings
        self.store = IndexStore(settings.index_path)
        self.embedder = embedder or make_embedder(settings)
        self.generator = generator if generator is not None else make_generator(settings)
        self.judge = make_judge(settings, self.generator)
        self.prompts = PromptLibrary(settings.prompts_dir)
        self._index: SearchIndex | None = None
        self._retriever: Retriever | None = None
        self._answerer: Answerer | None = None
        # One local model serves every caller (CLI, page, server); generate one answer at a time.
        # A plain Lock, not an RLock: a streaming generator may be resumed, and so release the
        # lock, on another thread than the one that acquired it (Gradio's workers do that).
        self.lock = threading.Lock()
        # A model server takes requests in parallel, so answers need not queue for it.
        self._parallel = self.generator is not None and getattr(self.generator, "concurrent", False)

    @classmethod
    def from_settings(cls, config: Path | None = None, **overrides: Any) -> Assistant:
        """Settings from defaults, config file, environment, then these keyword overrides."""
        return cls(load_settings(config, **overrides))

    # index
    @property
    def index(self) -> SearchIndex:
        if self._index is None:
            self._index = self.store.load(self.index_config)
        return self._index

    @property
    def retriever(self) -> Retriever:
        if self._retriever is None:
            self._retriever = Retriever.from_settings(self.index, self.embedder, self.settings)
        return self._retriever

    def _updated(self, report: BuildReport) -> BuildReport:
        self.reload()
        return report

    def reload(self) -> None:
        """Forget the loaded index so the next call reads the current generation from disk."""
        self._index = self._retriever = self._answerer = None

    def build_index(self, paths: Iterable[Path] | None = None, rebuild: bool = False) -> BuildReport:
        paths = list(paths or [self.settings.corpus_dir])
        with self.lock:
            return self._updated(self._builder().build(paths, rebuild))

    def add_documents(self, paths: Iterable[Path]) -> BuildReport:
        """Add or update articles (files or folders); the index is saved before this returns."""
        with self.lock:
            return self._updated(self._builder().add(paths))

    def upload(self, files: Iterable[tuple[str, IO[bytes]]]) -> UploadReport:
        """Save uploaded files (name, contents) and add them to the index: one set of rules for
        the chat page and the server. A file the index refuses is taken back, its earlier
        version restored, so the uploads folder holds only documents the index reads."""
        folder, limit = self.settings.uploads_path, self.settings.max_file_bytes
        sent: list[tuple[str, Path | UploadError]] = []
        for name, contents in files:  # one bad file among several is reported, the others added
            try:
                sent.append((name, save_upload(folder, name, contents.read(limit + 1), limit)))
            except UploadError as exc:
                sent.append((name, exc))
        statuses = [o.status for _, o in sent if isinstance(o, UploadError)]
        saved = list(dict.fromkeys(p for _, p in sent if isinstance(p, Path)))  # a name sent twice: once
        build, refused = None, {}
        if saved:
            try:
                build = self.add_documents(saved)
                refused = {s.path: s.reason for s in build.skipped}
            except NothingIndexed as exc:  # each file's reason
                refused = dict(exc.skipped)
                statuses.append(400)
            except RagError as exc:  # the index could not be written: the same reason for each
                refused = {str(p): str(exc) for p in saved}
                statuses.append(getattr(exc, "status", 400))
            for path in settle_uploads(saved, refused.keys()):
                refused[path] += "; the version already indexed is kept"
        files: list[UploadedFile] = []
        for name, outcome in sent:
            if isinstance(outcome, UploadError):
                files.append(UploadedFile(name, "skipped", str(outcome)))
            elif outcome.name not in {f.name for f in files}:  # a name sent twice is reported once
                if (why := refused.get(str(outcome))) is not None:
                    files.append(UploadedFile(outcome.name, "skipped", shown_reason(folder, why)))
                else:
                    files.append(UploadedFile(outcome.name, _outcome(build, document_id(outcome))))
        taken = any(f.outcome != "skipped" for f in files)
        return UploadReport(files, build, 200 if taken else (statuses or [400])[0])

    def remove_documents(self, doc_ids: Iterable[str]) -> BuildReport:
        with self.lock:
            return self._updated(self._builder().remove(doc_ids))

    @property
    def index_config(self) -> IndexConfig:
        return IndexConfig.from_settings(self.settings, self.embedder.name)

    def _builder(self) -> IndexBuilder:
        return IndexBuilder(self.index_config, self.embedder, self.store)

    # retrieval
    def search(self, query: str, top_k: int | None = None) -> list[Hit]:
        return self.retriever.run(question_text(query, self.settings.max_question_chars), top_k=top_k)

    # answers
    @property
    def answerer(self) -> Answerer:
        if self._answerer is None:
            self._answerer = self._make_answerer()
            log_cpu_report()
        return self._answerer

    def _make_answerer(self) -> Answerer:
        s = self.settings
        retriever = self.retriever
        lookup = retriever.index.sentence_matrix
        return Answerer(
            retriever,
            self.generator,
            self.prompts,
            composer=Composer(self.prompts, s.corpus_noun),
            reader=QuestionReader(),
            scorer=EvidenceScorer(retriever.embedder, s.lexical_weight, lookup),
            premise=PremiseChecker(s.premise_min_score),
            conflicts=ConflictDetector(s.conflict_min_similarity, s.conflict_min_overlap),
            verifier=CitationVerifier(
                retriever.embedder, s.support_min_similarity, s.support_min_overlap, lookup
            ),
            rewriter=QuestionRewriter(self.prompts, self.generator),
            truecaser=Truecaser(retriever.spellings),
            judge=self.judge,
            decision=RefusalModel.load(s.refusal_model or default_model(with_judge=self.judge is not None)),
            options=AnswerOptions(
                max_new_tokens=s.max_new_tokens,
                passages=s.passages,
                max_question_chars=s.max_question_chars,
                verify=s.verify,
                decide=s.decide,
                premise_checks=s.premise_checks,
                support_top_evidence=s.support_top_evidence,
                extractive_margin=s.extractive_margin,
            ),
        )

    @property
    def examples(self) -> list[str]:
        """Example questions for a first screen: from settings, else drawn from the corpus."""
        return self.settings.example_questions or self.index.stats.examples

    def ask(
        self,
        question: str,
        history: list[dict[str, str]] | None = None,
        *,
        top_k: int | None = None,
        verify: bool | None = None,
        cancel: threading.Event | None = None,
    ) -> Answer:
        """Answer with verified citations, or refuse. top_k and verify apply to this call only;
        setting `cancel` from another thread (the caller left) stops the work with Cancelled.

        >>> answer = Assistant.from_settings().ask("How many graphics cards can the SuperPoD link?")
        >>> answer.citations[0].doc_id
        '004_dd3f690923d793e8'
        """
        with self._turn(cancel):
            return self.answerer.run(question, history, top_k=top_k, verify=verify, cancel=cancel)

    def stream(
        self,
        question: str,
        history: list[dict[str, str]] | None = None,
        *,
        top_k: int | None = None,
        verify: bool | None = None,
        cancel: threading.Event | None = None,
    ) -> Iterator[str | Answer]:
        """Yield raw tokens while the model writes, then the final verified Answer.

        >>> for item in Assistant.from_settings().stream("What is Huawei's CUDA alternative called?"):
        ...     print(item if isinstance(item, str) else f"\n{item.answer}", end="")
        """
        with self._turn(cancel):
            yield from self.answerer.stream(question, history, top_k=top_k, verify=verify, cancel=cancel)

    @contextlib.contextmanager
    def _turn(self, cancel: threading.Event | None) -> Iterator[None]:
        """The local model's turn: one answer at a time, and a caller who left while waiting
        gives up its place instead of taking the model."""
        if self._parallel:
            yield
            return
        while not self.lock.acquire(timeout=TURN_POLL_S):
            if cancel is not None and cancel.is_set():
                raise Cancelled("the caller went away while waiting; nothing was answered")
        try:
            yield
        finally:
            self.lock.release()


def _outcome(build: BuildReport, doc_id: str) -> Literal["added", "updated", "unchanged"]:
    return "added" if doc_id in build.added else "updated" if doc_id in build.updated else "unchanged"
