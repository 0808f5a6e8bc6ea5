import re

import pytest

from rag.core.types import Hit
from rag.retrieval.retriever import Retriever, interleave
from tests.conftest import SUPERPOD_DOC, SUPERPOD_Q, load_index, make_builder


@pytest.fixture
def index(settings, embedder, corpus_copy):
    make_builder(settings, embedder).build([corpus_copy])
    return load_index(settings)


class TestRetriever:
    def test_init(self, index, embedder):
        r = Retriever(index, embedder, mode="dense", top_k=3, candidates=2, rrf_k=10)
        assert (r.mode, r.top_k, r.candidates, r.rrf_k) == ("dense", 3, 3, 10)

    def test_invalid_top_k(self, index, embedder):
        with pytest.raises(ValueError, match=r"top_k must be greater than 0\. Currently, top_k is 0"):
            Retriever(index, embedder, top_k=0)

    def test_invalid_mode(self, index, embedder):
        with pytest.raises(ValueError, match="mode must be hybrid, dense or bm25"):
            Retriever(index, embedder, mode="sparse")

    def test_run_fuses_by_reciprocal_rank(self, index, embedder):
        hits = Retriever(index, embedder, top_k=10, rrf_k=60).run(SUPERPOD_Q)
        assert len(hits) == 10
        for h in hits:
            expected = sum(1 / (60 + r) for r in (h.dense_rank, h.bm25_rank) if r)
            assert h.score == pytest.approx(expected)
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
        assert any(h.dense_rank and h.bm25_rank for h in hits)

    def test_single_modes_keep_their_own_scores(self, index, embedder):
        dense = Retriever(index, embedder, mode="dense").run(SUPERPOD_Q)
        assert all(h.bm25_rank is None and h.score == h.dense_score for h in dense)
        bm25 = Retriever(index, embedder, mode="bm25").run(SUPERPOD_Q)
        assert all(h.dense_rank is None and h.score == h.bm25_score for h in bm25)
        assert bm25[0].chunk.doc_id == SUPERPOD_DOC  # BM25 alone finds the rare term

    def test_per_call_top_k(self, index, embedder):
        assert len(Retriever(index, embedder, top_k=5).run(SUPERPOD_Q, top_k=2)) == 2

    def test_spellings_count_mid_sentence_forms(self, index, embedder):
        r = Retriever(index, embedder)
        huawei = r.spellings("huawei")
        assert huawei.most_common(1)[0][0] == "Huawei" and "huawei" not in huawei
        assert r.spellings("superpod").most_common(1)[0][0] == "SuperPoD"
        chips = r.spellings("chips")
        assert chips["chips"] > chips["Chips"]  # a common word: lower case, sentence starts aside
        assert not r.spellings("zyxor")

    def test_spellings_count_a_sentence_two_chunks_share_once(self, index, embedder, corpus_copy):
        r = Retriever(index, embedder)
        corpus = " ".join(p.read_text() for p in corpus_copy.iterdir())
        for word in ("chips", "ascend"):  # both sit in sentences that overlapping chunks share
            in_documents = len(re.findall(rf"(?<!\w){word}(?!\w)", corpus, re.IGNORECASE))
            assert 0 < sum(r.spellings(word).values()) <= in_documents

    def test_interleave_takes_each_list_in_turn_none_twice(self, index):
        a, b, c, d = index.chunks[:4]
        merged = interleave([[Hit(a, 1.0), Hit(b, 0.9)], [Hit(c, 1.0), Hit(a, 0.8)], [Hit(d, 1.0)]], k=3)
        assert [h.chunk for h in merged] == [a, c, d]
        assert interleave([[Hit(a, 1.0)], []], k=5) == [Hit(a, 1.0)]


@pytest.mark.models
class TestRealRetrieval:
    def test_superpod_question_ranks_004_first(self, real_assistant):
        hits = real_assistant.search(SUPERPOD_Q)
        assert hits[0].chunk.doc_id == SUPERPOD_DOC
        assert "15,000 graphics cards" in " ".join(h.chunk.text for h in hits[:2])

    def test_paraphrase_finds_the_investment_articles(self, real_assistant):
        hits = real_assistant.search("How much money is going into self-driving car compute?")
        assert {h.chunk.doc_id for h in hits[:3]} & {"000_f1d9c9f888274f11", "001_8c1d38af6cb48cef"}
