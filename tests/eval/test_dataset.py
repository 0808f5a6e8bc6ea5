from collections import Counter

from eval.dataset import load_dev_set
from rag.documents.ingest import load_documents
from tests.conftest import CORPUS


def test_dev_set_meets_the_spec():
    questions = load_dev_set()
    counts = Counter(q.type for q in questions)
    assert len(questions) >= 60
    assert set(counts) == {
        "single_fact",
        "number",
        "multi_doc",
        "conflict",
        "paraphrase",
        "follow_up",
        "unanswerable",
        "false_premise",
    }
    assert counts["unanswerable"] >= 10 and counts["false_premise"] >= 5
    assert all(q.history for q in questions if q.type == "follow_up")


def test_gold_sentences_are_in_their_documents():
    docs, _ = load_documents([CORPUS], 10**7)
    texts = {d.doc_id: d.text for d in docs}
    for q in load_dev_set():
        for gold in q.gold_sentences:
            assert any(gold in texts[d] for d in q.doc_ids), (q.id, gold)
