import pytest

from eval import metrics as m
from eval.dataset import EvalQuestion
from rag.core.types import Chunk, Sentence

GOLD = "The SuperPoD links up to 15,000 graphics cards."


def q(type_="number", answers=(("15,000",),), gold=(GOLD,), docs=("d",)):
    return EvalQuestion("q", "How many?", type_, [list(a) for a in answers], list(docs), list(gold))


def chunk(cid: str, doc: str, text: str) -> Chunk:
    return Chunk(cid, doc, 0, "T", text, 0, len(text), [Sentence(text, 0, len(text))])


def test_accuracy_needs_every_group_and_no_refusal():
    qs = [q(), q(answers=(("15,000",), ("cards",))), q(), q("unanswerable", (), (), ())]
    rs = [
        {"answer": "It links 15000 cards.", "refused": False},
        {"answer": "It links 15,000 GPUs.", "refused": False},
        {"answer": "15,000", "refused": True},
        {"answer": "No.", "refused": True},
    ]
    result = m.answer_accuracy(qs, rs)
    assert result.individual_scores == [1.0, 0.0, 0.0, 1.0] and result.score == 0.5


def test_refusal_precision_and_recall():
    qs = [q(), q("unanswerable"), q("false_premise")]
    rs = [{"refused": True}, {"refused": True}, {"refused": False}]
    assert m.refusal_precision(qs, rs).score == 0.5
    assert m.refusal_recall(qs, rs).individual_scores == [None, 1.0, 0.0]


def test_retrieval_recall_and_mrr():
    ranked = [chunk("x:0", "x", "other"), chunk("d:0", "d", GOLD)]
    assert m.retrieval_recall([q()], [ranked], 1).score == 0.0
    assert m.retrieval_recall([q()], [ranked], 2, by="sentence").score == 1.0
    assert m.mrr([q()], [ranked]).score == 0.5


def test_citation_precision_recall_groundedness():
    good = {"marker": 1, "chunk_id": "d:0", "text": GOLD}
    bad = {"marker": 2, "chunk_id": "x:0", "text": "Huawei opened a lab."}
    record = {
        "answer": "It links 15,000 cards. [1] [2] It also makes 900 robots. [2]",
        "refused": False,
        "citations": [good, bad],
    }
    chunks = {"d:0": chunk("d:0", "d", GOLD), "x:0": chunk("x:0", "x", bad["text"])}
    scores = m.citation_scores([q()], [record], chunks)
    assert scores["citation_recall"].score == pytest.approx(0.5)
    assert scores["citation_precision"].score == pytest.approx(1 / 3)
    assert scores["groundedness"].score == pytest.approx(0.5)


def test_percentile_is_median_and_nearest_rank():
    values = [4, 1, 100, 3, 2]
    assert m.percentile(values, 0.5) == 3
    assert m.percentile(values, 0.95) == 100
    assert m.percentile([1, 2], 0.5) == 1.5
    assert m.percentile([], 0.95) == 0.0
