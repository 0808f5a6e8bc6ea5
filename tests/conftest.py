"""Shared fixtures: tiny stand-ins for fast tests, the real models loaded once per session."""

from __future__ import annotations

import contextlib
import hashlib
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from rag.core.settings import DEFAULT_CORPUS, Settings, load_settings

CORPUS = DEFAULT_CORPUS
SUPERPOD_DOC = "004_dd3f690923d793e8"


class HashEmbedder:
    """Bag-of-words hashed into 64 dimensions: deterministic, instant, no model files."""

    dim = 64

    def __init__(self, name: str = "hash-test") -> None:
        self.name = name
        self.calls: list[int] = []  # how many texts each embed() call received

    def warm_up(self) -> None:
        pass

    def embed(
        self, texts: list[str], progress: bool | None = None, max_tokens: int | None = None
    ) -> np.ndarray:
        self.calls.append(len(texts))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                out[i, int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1, norms)

    @property
    def embedded(self) -> int:
        return sum(self.calls)


def index_config(settings: Settings, embedder_name: str = "hash-test"):
    from index.config import IndexConfig

    return IndexConfig.from_settings(settings, embedder_name)


def make_builder(settings: Settings, embedder):
    from index.builder import IndexBuilder
    from index.store import IndexStore

    return IndexBuilder(index_config(settings, embedder.name), embedder, IndexStore(settings.index_path))


def load_index(settings: Settings, embedder_name: str = "hash-test"):
    from index.store import IndexStore

    return IndexStore(settings.index_path).load(index_config(settings, embedder_name))


@pytest.fixture(autouse=True)
def _shared_models_and_no_judge_for_stand_ins(request, monkeypatch):
    """Every test assembles packaged models into one shared folder, never into its own tmp home
    (the judge's GGUF is 1.1 GB). Tests with stand-in models leave the judge out."""
    monkeypatch.setenv("RAG_MODELS_DIR", str(MODELS_CACHE))
    if "models" not in request.keywords:
        monkeypatch.setenv("RAG_JUDGE", "none")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(home=tmp_path / "home", embedder="hash-test", judge="none")


@pytest.fixture
def embedder() -> HashEmbedder:
    return HashEmbedder()


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Path:
    """A writable copy of the bundled corpus."""
    target = tmp_path / "corpus"
    shutil.copytree(CORPUS, target)
    for path in target.iterdir():
        path.chmod(0o644)
    return target


@pytest.fixture(scope="session")
def real_embedder():
    from rag.embedding.embedder import Embedder

    embedder = Embedder("all-MiniLM-L6-v2")
    embedder.warm_up()
    return embedder


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def real_page(home: Path, embedder, **launch):
    """The chat page over the bundled corpus with the real default models, on 127.0.0.1."""
    from rag.assistant import Assistant
    from ui.app import build_app

    assistant = Assistant(load_settings(home=home, models_dir=MODELS_CACHE), embedder=embedder)
    assistant.build_index()
    assistant.generator.warm_up()
    port = free_port()
    app = build_app(assistant)
    app.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True, **launch)
    try:
        yield f"http://127.0.0.1:{port}/", assistant
    finally:
        app.close()


# Converting a packaged GGUF takes about a minute; every test session on a machine shares one
# converted copy in the user's data folder (or $RAG_HOME), like a user's own runs do.
MODELS_CACHE = Settings().models_path


@pytest.fixture(scope="session")
def real_assistant(tmp_path_factory: pytest.TempPathFactory, real_embedder):
    """The default configuration over the bundled corpus, index built once per session."""
    from rag.assistant import Assistant

    home = tmp_path_factory.mktemp("real-home")
    assistant = Assistant(load_settings(home=home, models_dir=MODELS_CACHE), embedder=real_embedder)
    assistant.build_index()
    return assistant


class FakeGenerator:
    """Replies with a fixed text, streamed word by word: lets tests drive every pipeline path."""

    name = "fake"

    def __init__(self, reply: str = "") -> None:
        self.reply = reply
        self.prompts: list = []

    def warm_up(self) -> None:
        pass

    def stream(self, prompt, max_new_tokens: int, usage=None):
        self.prompts.append(prompt)
        if usage is not None:  # a word a token, as a real tokenizer would roughly count
            usage.prompt_tokens += len(prompt.user.split())
            usage.completion_tokens += len(self.reply.split())
        for i, word in enumerate(self.reply.split(" ")):
            yield word if i == 0 else " " + word

    def generate(self, prompt, max_new_tokens: int) -> str:
        return "".join(self.stream(prompt, max_new_tokens))


SUPERPOD_Q = "How many graphics cards can the SuperPoD Interconnect link?"
SUPERPOD_ANSWER = "The SuperPoD Interconnect can link up to 15,000 graphics cards [1]."


@pytest.fixture
def make_assistant(tmp_path, embedder, corpus_copy):
    """Assistants over one stand-in index of the real corpus, each with the settings a test needs.

    Stand-in embeddings make the decision's signals meaningless, so by default it is off
    (`decide=False`: answer whenever there is evidence); tests of the decision pass a model."""
    from rag.assistant import Assistant

    built: list[bool] = []

    def make(model: FakeGenerator | None = None, **overrides) -> Assistant:
        options = {"home": tmp_path / "home", "embedder": "hash-test", "judge": "none", "decide": False}
        settings = load_settings(**{**options, **overrides})
        if model is None and settings.generator != "extractive":
            model = FakeGenerator()
        assistant = Assistant(settings, embedder=embedder, generator=model)
        if not built:
            assistant.build_index([corpus_copy])
            built.append(True)
        return assistant

    return make


@pytest.fixture
def hash_assistant(make_assistant):
    """The whole pipeline over the real corpus with stand-in models."""
    return make_assistant()


@pytest.fixture
def refusing_model(tmp_path) -> Path:
    """A decision that refuses whatever the signals say."""
    from rag.answering.decision import RefusalModel

    path = tmp_path / "refuse-all.json"
    RefusalModel(weights={}, bias=10.0, threshold=0.5, fitted_on="a test").save(path)
    return path
