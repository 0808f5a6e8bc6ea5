"""Every embedder runtime gives sentence-transformers' vectors; answering imports no torch."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rag.embedding.embedder import Embedder, embedder_id
from tests.conftest import CORPUS, MODELS_CACHE


def corpus_texts() -> list[str]:
    from rag.documents.chunking import Chunker
    from rag.documents.ingest import load_documents

    docs, _ = load_documents([CORPUS], 10**8)
    chunks = [c for d in docs for c in Chunker(4, 1, 900).run(d)]
    return (
        [c.text for c in chunks[:20]]
        + [s.text for c in chunks[:8] for s in c.sentences]
        + ["Who makes CANN?"]
    )


@pytest.fixture(scope="module")
def reference():
    """sentence-transformers in float32: the vectors every runtime must reproduce."""
    texts = corpus_texts()
    return texts, Embedder("all-MiniLM-L6-v2", runtime="float32", light=False).embed(texts, progress=False)


@pytest.mark.models
def test_numpy_forward_pass_matches_sentence_transformers(reference):
    texts, vectors = reference
    light = Embedder("all-MiniLM-L6-v2", runtime="float32")._light()
    assert light is not None
    np.testing.assert_allclose(light.encode(texts), vectors, atol=1e-5)


@pytest.mark.models
def test_openvino_matches_sentence_transformers(reference, tmp_path):
    texts, vectors = reference
    fast = Embedder("all-MiniLM-L6-v2", runtime="openvino", cache_folder=MODELS_CACHE).embed(
        texts, progress=False
    )
    cosines = (fast * vectors).sum(axis=1)
    assert cosines.min() > 0.999, cosines.min()


@pytest.mark.models
def test_the_first_use_conversion_is_quiet(tmp_path, capfd):
    """Converting MiniLM for OpenVINO (once, at a user's first index build) prints nothing: no
    tracing warnings, no loading bar. transformers' own settings are left as they were."""
    import transformers

    from rag.embedding.embedder import resolve_model_path
    from rag.embedding.openvino_bert import convert

    before = transformers.logging.get_verbosity(), transformers.logging.is_progress_bar_enabled()
    target = convert(Path(resolve_model_path("all-MiniLM-L6-v2")), tmp_path / "minilm.xml")
    out, err = capfd.readouterr()
    assert target.is_file() and target.with_suffix(".bin").is_file()
    assert (out, err) == ("", "")
    assert (transformers.logging.get_verbosity(), transformers.logging.is_progress_bar_enabled()) == before


@pytest.mark.models
def test_answering_needs_no_torch():
    """A question is embedded without importing torch: what keeps `rag ask` cold start short."""
    Embedder(cache_folder=MODELS_CACHE).embed(["warm up: converts the model once if it must"])
    code = (
        "import sys; from pathlib import Path; from rag.embedding.embedder import Embedder;"
        f"e = Embedder(cache_folder=Path({str(MODELS_CACHE)!r}));"
        "v = e.embed(['Who makes CANN?', 'Huawei makes CANN.']);"
        "print(v.shape, 'torch' in sys.modules, 'sentence_transformers' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "(2, 384) False False"


def test_runtime_is_part_of_the_index_identity():
    assert embedder_id("all-MiniLM-L6-v2", "float32") == "all-MiniLM-L6-v2"
    assert embedder_id("all-MiniLM-L6-v2", "bfloat16") == "all-MiniLM-L6-v2@bfloat16"
    assert Embedder().name == "all-MiniLM-L6-v2@openvino"
    assert Embedder(runtime="bfloat16")._light() is None  # only float32 has the numpy path
    with pytest.raises(ValueError, match="runtime must be one of openvino, float32, bfloat16"):
        Embedder(runtime="float16")


class CountingEncoder:
    """A stand-in runtime: a text's vector is its length, and every encoded text is counted."""

    dim = 2

    def __init__(self) -> None:
        self.encoded: list[str] = []

    def encode(self, texts, batch_size, max_tokens=None):
        self.encoded += texts
        return np.array([[len(t), 1.0] for t in texts], dtype=np.float32)


def test_recent_texts_are_reused_even_when_the_oldest_are_evicted():
    from rag.embedding.embedder import NUMPY_MAX_TEXTS, RECENT_TEXTS

    embedder = Embedder("all-MiniLM-L6-v2", runtime="openvino")
    embedder._openvino = encoder = CountingEncoder()
    oldest = "the first text remembered"
    embedder.embed([oldest])
    for i in range(RECENT_TEXTS // NUMPY_MAX_TEXTS):
        embedder.embed([f"filler {i} {j}" for j in range(NUMPY_MAX_TEXTS - 1)])
    # the oldest text, still remembered, asked for beside new texts that push it out
    texts = [oldest, *(f"new text {j}" for j in range(NUMPY_MAX_TEXTS - 1))]
    encoded_before = len(encoder.encoded)
    vectors = embedder.embed(texts)
    assert vectors[:, 0].tolist() == [len(t) for t in texts]
    assert len(encoder.encoded) - encoded_before == NUMPY_MAX_TEXTS - 1  # the oldest came from memory
