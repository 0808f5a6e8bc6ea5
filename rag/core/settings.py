"""The one settings object.

Precedence, lowest first: defaults here, then a TOML config file, then `RAG_*` environment
variables, then keyword overrides (which the CLI fills from its flags). The config file is
`--config PATH`, else `$RAG_CONFIG`, else `config.toml` in the data folder when it exists.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal

import platformdirs
from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from rag.core.errors import ConfigError

REPO_ROOT = Path(__file__).resolve().parents[2]
PACKAGE_ROOT = Path(__file__).resolve().parents[1]


def _bundled(in_repo: Path, installed: Path) -> Path:
    """A checkout keeps prompts and the corpus at the top; `pip install .` puts them in rag/."""
    return in_repo if in_repo.is_dir() else installed


DEFAULT_CORPUS = _bundled(REPO_ROOT / "data" / "corpus", PACKAGE_ROOT / "corpus")
PROMPTS_DIR = _bundled(REPO_ROOT / "prompts", PACKAGE_ROOT / "prompts")

_config_file: ContextVar[Path | None] = ContextVar("_config_file", default=None)


def default_home() -> Path:
    return Path(os.environ.get("RAG_HOME") or platformdirs.user_data_dir("news-rag"))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RAG_", extra="forbid", validate_default=True)

    # where things live
    home: Path = Field(default_factory=default_home, description="data folder (RAG_HOME)")
    index_dir: Path | None = Field(None, description="index folder; default HOME/index")
    corpus_dir: Path = DEFAULT_CORPUS
    prompts_dir: Path = PROMPTS_DIR
    models_dir: Path | None = Field(None, description="converted models; default HOME/models")

    # ingest and chunking
    max_file_mb: float = Field(20.0, gt=0)
    chunk_sentences: int = Field(4, ge=1, description="sentences per chunk")
    chunk_overlap: int = Field(1, ge=0, description="sentences shared by neighbouring chunks")
    chunk_max_chars: int = Field(900, ge=100)

    # embedding and index
    embedder: str = Field("all-MiniLM-L6-v2", description="packaged name, ST name or path")
    embed_batch_size: int = Field(16, ge=1, description="16 beat 64 on a 2-core CPU (bench/)")
    embed_runtime: Literal["openvino", "float32", "bfloat16"] = Field(
        "openvino",
        description="openvino: the weights converted once for OpenVINO, bfloat16 where the CPU allows "
        "(fastest); float32 or bfloat16: sentence-transformers",
    )
    embed_max_tokens: int = Field(256, ge=8, description="chunks are cut at this many tokens")
    sentence_max_tokens: int = Field(128, ge=8, description="sentences are cut at this many tokens")
    embed_title: bool = True
    numpy_queries: bool = Field(
        True, description="embed questions in numpy (same vectors, no torch import) when the model allows"
    )
    embed_sentences: bool = Field(
        False,
        description="also store a vector per sentence at build time; with the OpenVINO embedder, "
        "embedding an answer's few dozen sentences on the fly costs a few hundredths of a second",
    )
    store: Literal["faiss", "qdrant"] = Field(
        "faiss", description="faiss: files in the index folder; qdrant: a Qdrant collection"
    )
    qdrant_url: str | None = Field(None, description="Qdrant server or cluster; unset: local mode")
    qdrant_path: Path | None = Field(None, description="Qdrant local-mode folder; default HOME/qdrant")
    qdrant_api_key: SecretStr | None = Field(None, description="Qdrant API key (RAG_QDRANT_API_KEY)")
    qdrant_collection: str = Field("news-rag", description="collection name prefix")
    index_type: Literal["flat", "hnsw", "ivf", "auto"] = "flat"
    auto_flat_max: int = Field(50_000, ge=1, description="auto: exact flat below this many chunks, IVF above")
    hnsw_m: int = Field(32, ge=4)
    hnsw_ef_construction: int = Field(80, ge=8)
    hnsw_ef_search: int = Field(256, ge=1, description="recall@10 0.995 at 100k; 64 gave 0.83 (bench/)")
    ivf_nlist: int = Field(0, ge=0, description="0 picks about 4*sqrt(n)")
    ivf_nprobe: int = Field(0, ge=0, description="lists scanned per query; 0 scans 1 in 30 (at least 16)")
    retrain_growth: float = Field(
        2.0,
        gt=1,
        description="updates add to a trained IVF index, retrained once it holds this many times the vectors "
        "it was trained on",
    )

    # retrieval
    retrieval: Literal["hybrid", "dense", "bm25"] = "hybrid"
    top_k: int = Field(5, gt=0)
    candidates: int = Field(50, gt=0, description="per-retriever list length before fusion")
    rrf_k: int = Field(60, gt=0)

    # generation
    generator: str = Field(
        "qwen2.5-coder-0.5b-instruct",
        description="packaged name (qwen2.5-coder-0.5b-instruct, qwen2.5-coder-1.5b-instruct, "
        "gemma-3-270m), HF name or path, or 'extractive' for no model",
    )
    backend: Literal["llamacpp", "transformers", "openai"] = Field(
        "llamacpp",
        description="llamacpp runs the packaged GGUF; transformers the same weights in torch; "
        "openai any OpenAI-compatible server at generator_url (generator = its model name)",
    )
    generator_url: str | None = Field(None, description="openai backend: base URL, e.g. http://host:8000/v1")
    generator_api_key: SecretStr | None = Field(
        None, description="openai backend: API key (RAG_GENERATOR_API_KEY, else OPENAI_API_KEY)"
    )
    generator_timeout: float = Field(60.0, gt=0, description="openai backend: seconds per request")
    dtype: Literal["float32", "bfloat16"] = Field("bfloat16", description="transformers backend weights")
    threads: int = Field(0, ge=0, description="CPU threads for the model; 0 uses every core")
    context_tokens: int = Field(2048, ge=256, description="llamacpp context window (prompt + answer)")
    max_new_tokens: int = Field(80, ge=8)
    passages: int = Field(3, ge=1, description="retrieved passages shown to the model")
    max_question_chars: int = Field(1000, ge=20, description="longer questions are refused with an error")

    # batch
    workers: int = Field(1, ge=1, description="batch questions answered at once (for a server generator)")

    # HTTP API
    api_max_request_bytes: int = Field(
        2_000_000, ge=1024, description="bodies above this get 413 (uploads: plus max_file_mb)"
    )
    api_max_messages: int = Field(64, ge=1, description="messages in one chat request")
    api_max_history_chars: int = Field(
        20_000, ge=100, description="characters of one conversation, question included"
    )

    # chat page
    ui_concurrency: int = Field(4, ge=1, description="page requests processed at once (others queue)")

    # grounding: thresholds and weights are fitted on the calibration halves of every dev corpus
    # together (`python -m eval calibrate`), never on single questions
    verify: bool = True
    decide: bool = Field(
        True, description="refuse when the learned decision says so; off answers whenever evidence exists"
    )
    judge: str = Field(
        "qwen2.5-coder-1.5b-instruct",
        description="local model (packaged name or .gguf) that judges whether an answer's cited text "
        "answers the question, for the answer-or-refuse decision; 'none' leaves it out",
    )
    refusal_model: Path | None = Field(
        None, description="answer-or-refuse weights (JSON); default: the calibrated file shipped with rag"
    )
    lexical_weight: float = Field(0.3, ge=0, description="weight of term overlap in evidence scores")
    premise_min_score: float = Field(0.2, description="premise checks need best evidence at least this good")
    support_min_similarity: float = Field(0.6, description="answer sentence vs passage sentence")
    support_min_overlap: float = Field(0.6, ge=0, le=1, description="or this share of shared terms")
    support_top_evidence: int = Field(5, ge=1, description="kept sentences rest on these top sentences")
    conflict_min_similarity: float = Field(0.6, description="two sentences state the same thing")
    conflict_min_overlap: float = Field(0.3, ge=0, le=1, description="share of question terms in each")
    extractive_margin: float = Field(0.05, ge=0, description="add a second sentence this close")
    premise_checks: bool = True
    corpus_noun: str = Field(
        "documents", min_length=1, description="what answers call the corpus, e.g. 'articles' for news"
    )
    example_questions: list[str] = Field(
        default_factory=list, description="the chat page's examples; default: drawn from the corpus"
    )

    @model_validator(mode="after")
    def _check(self) -> Settings:
        if self.chunk_overlap >= self.chunk_sentences:
            raise ValueError(
                f"chunk_overlap ({self.chunk_overlap}) must be smaller than chunk_sentences "
                f"({self.chunk_sentences})"
            )
        return self

    @property
    def index_path(self) -> Path:
        return self.index_dir or self.home / "index"

    @property
    def qdrant_location(self) -> Path:
        return self.qdrant_path or self.home / "qdrant"

    @property
    def models_path(self) -> Path:
        return self.models_dir or self.home / "models"

    @property
    def uploads_path(self) -> Path:
        return self.home / "uploads"

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1e6)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        path = _config_file.get()
        if path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)


def config_path(explicit: Path | None = None) -> Path | None:
    """The config file in force, or None."""
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(f"config file {str(explicit)!r} does not exist; check --config")
        return explicit
    if env := os.environ.get("RAG_CONFIG"):
        path = Path(env)
        if not path.is_file():
            raise ConfigError(f"RAG_CONFIG points at {env!r}, which does not exist")
        return path
    path = default_home() / "config.toml"
    return path if path.is_file() else None


def load_settings(config: Path | None = None, **overrides: Any) -> Settings:
    """Build settings from every source; None-valued overrides (unset flags) are ignored."""
    path = config_path(config)
    token = _config_file.set(path)
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {str(path)!r} is not valid TOML ({exc}); fix that line") from None
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "settings"
        if err["type"] == "extra_forbidden":
            close = difflib.get_close_matches(where, Settings.model_fields, n=1)
            hint = f"did you mean {close[0]}?" if close else "see Settings in README.md"
            raise ConfigError(f"unknown setting {where} (got {err.get('input')!r}); {hint}") from None
        raise ConfigError(f"invalid setting {where}: {err['msg']} (got {err.get('input')!r})") from None
    finally:
        _config_file.reset(token)
