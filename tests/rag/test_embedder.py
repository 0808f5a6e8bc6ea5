"""The numpy MiniLM path gives sentence-transformers' vectors without importing torch."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from rag.embedding.embedder import Embedder, embedder_id
from tests.conftest import CORPUS


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


@pytest.mark.models
def test_numpy_forward_pass_matches_sentence_transformers(real_embedder):
    texts = corpus_texts()
    light = Embedder("all-MiniLM-L6-v2")._light()
    assert light is not None
    np.testing.assert_allclose(light.encode(texts), real_embedder.embed(texts, progress=False), atol=1e-5)


@pytest.mark.models
def test_answering_needs_no_torch():
    """A few texts are embedded without importing torch: what keeps `rag ask` cold start short."""
    code = (
        "import sys; from rag.embedding.embedder import Embedder; e = Embedder();"
        "v = e.embed(['Who makes CANN?', 'Huawei makes CANN.']);"
        "print(v.shape, 'torch' in sys.modules, 'sentence_transformers' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "(2, 384) False False"


def test_dtype_is_part_of_the_index_identity():
    assert embedder_id("all-MiniLM-L6-v2") == "all-MiniLM-L6-v2"
    assert embedder_id("all-MiniLM-L6-v2", "bfloat16") == "all-MiniLM-L6-v2@bfloat16"
    assert Embedder(dtype="bfloat16").name == "all-MiniLM-L6-v2@bfloat16"
    assert Embedder(dtype="bfloat16")._light() is None  # only float32 has the numpy path
    with pytest.raises(ValueError, match="dtype"):
        Embedder(dtype="float16")
