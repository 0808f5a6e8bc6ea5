"""The Qdrant store in local mode (no server): same hits as FAISS, same update guarantees."""

from __future__ import annotations

import numpy as np
import pytest

from index.qdrant_store import client_for
from rag.core.errors import IndexCorruptError
from rag.core.settings import load_settings
from rag.retrieval.retriever import Retriever
from tests.conftest import SUPERPOD_Q, HashEmbedder, index_config, load_index, make_builder

QUERIES = (
    SUPERPOD_Q,
    "Huawei investment in smart driving",
    "What is CANN?",
    "Ren Zhengfei said",
    "AI CloudMatrix 384 Ascend 910C chips",
    "zzzz unknown words only",
)


def build(tmp_path, corpus, store: str, name: str):
    settings = load_settings(home=tmp_path / name, embedder="hash-test", store=store)
    embedder = HashEmbedder()
    make_builder(settings, embedder).build([corpus])
    index = load_index(settings)
    return settings, index, Retriever.from_settings(index, embedder, settings)


@pytest.fixture
def both(tmp_path, corpus_copy):
    return build(tmp_path, corpus_copy, "faiss", "f"), build(tmp_path, corpus_copy, "qdrant", "q")


class TestSameAsFaiss:
    def test_hybrid_hits_match(self, both):
        (_, _, faiss_r), (_, _, qdrant_r) = both
        for query in QUERIES:
            a, b = faiss_r.run(query, top_k=5), qdrant_r.run(query, top_k=5)
            assert [h.chunk.chunk_id for h in a] == [h.chunk.chunk_id for h in b], query

    def test_bm25_scores_match_bm25s(self, both):
        (_, faiss_index, _), (_, qdrant_index, _) = both
        for query in QUERIES:
            fs, frows = faiss_index.bm25(query, 10)
            qs, qrows = qdrant_index.bm25(query, 10)
            np.testing.assert_allclose(np.sort(fs), np.sort(qs), rtol=1e-4)
            assert set(frows.tolist()) == set(qrows.tolist()) or len(fs) == 0

    def test_dense_scores_match_flat(self, both):
        (_, faiss_index, _), (_, qdrant_index, _) = both
        vector = HashEmbedder().embed([QUERIES[0]])[0]
        fs, _ = faiss_index.dense(vector, 8)
        qs, _ = qdrant_index.dense(vector, 8)
        np.testing.assert_allclose(fs, qs, rtol=1e-4)

    def test_payload_holds_the_chunk(self, both):
        _, (settings, index, _) = both
        collection = index.manifest.store["collection"]
        point = client_for(index_config(settings).qdrant).retrieve(collection, [3], with_payload=True)[0]
        assert point.payload["chunk_id"] == index.chunks[3].chunk_id
        assert point.payload["text"] == index.chunks[3].text


class TestLifecycle:
    def test_manifest_names_the_collection_and_updates_replace_it(self, tmp_path, corpus_copy):
        settings, index, _ = build(tmp_path, corpus_copy, "qdrant", "q")
        first = index.manifest.store["collection"]
        assert index.manifest.store["kind"] == "qdrant" and first.startswith("news-rag-gen-")
        (corpus_copy / "new_story.md").write_text(
            "Chip news\nA new fab opened in Dresden. It makes 300mm wafers."
        )
        make_builder(settings, HashEmbedder()).add([corpus_copy / "new_story.md"])
        after = load_index(settings)
        client = client_for(index_config(settings).qdrant)
        assert after.manifest.store["collection"] != first
        assert not client.collection_exists(first)  # the stale generation's collection is gone
        assert after.store.size == len(after.chunks)
        hits = Retriever.from_settings(after, HashEmbedder(), settings).run("Dresden fab wafers", top_k=1)
        assert hits[0].chunk.doc_id == "new_story"

    def test_missing_collection_is_reported_with_the_fix(self, tmp_path, corpus_copy):
        settings, index, _ = build(tmp_path, corpus_copy, "qdrant", "q")
        client_for(index_config(settings).qdrant).delete_collection(index.manifest.store["collection"])
        with pytest.raises(IndexCorruptError, match="--store qdrant"):
            load_index(settings)

    def test_readers_follow_the_recorded_store_and_a_build_switches_it(self, tmp_path, corpus_copy):
        settings, _, _ = build(tmp_path, corpus_copy, "faiss", "f")
        qdrant = settings.model_copy(update={"store": "qdrant"})
        assert load_index(qdrant).manifest.store["kind"] == "faiss"  # read as built
        make_builder(qdrant, HashEmbedder()).build([corpus_copy])  # rebuilds into Qdrant
        assert load_index(settings).manifest.store["kind"] == "qdrant"
