"""Gate, premise, conflict and verifier stages on small hand-made inputs."""

import numpy as np
import pytest

from rag.answering.conflicts import ConflictDetector
from rag.answering.evidence import Evidence, EvidenceScorer
from rag.answering.gate import AnswerabilityGate
from rag.answering.premise import PremiseChecker
from rag.answering.verify import CitationVerifier, split_answer
from rag.core.text import STOPWORDS
from rag.core.types import Chunk, Hit
from tests.conftest import HashEmbedder


def make_chunk(cid: str, text: str, title: str = "Title") -> Chunk:
    from rag.documents.sentences import split_sentences

    sents = split_sentences(text)
    return Chunk(cid, cid.split(":")[0], 0, title, text, 0, len(text), sents)


def evidence(
    chunk: Chunk, i: int = 0, score: float = 1.0, overlap: float = 1.0, vector: np.ndarray | None = None
) -> Evidence:
    vec = vector if vector is not None else np.ones(4, dtype=np.float32) / 2
    return Evidence(chunk.sentences[i], chunk, 0, score, overlap, score, vec)


SUPERPOD = make_chunk(
    "004:1",
    "Huawei’s new SuperPoD Interconnect technology\n"
    "The centerpiece is Huawei’s SuperPoD Interconnect, linking up to 15,000 graphics cards.",
)
MINING = make_chunk(
    "002:5",
    "Huawei said Pangu has been used in over 20 sectors. "
    "In May 2024, the company deployed 100 self-driving mining trucks.",
)


class TestEvidenceScorer:
    def test_ranks_sentences_and_skips_bare_headings(self):
        hits = [Hit(SUPERPOD, 1.0), Hit(MINING, 0.5)]
        ev = EvidenceScorer(HashEmbedder(), lexical_weight=0.3).run(
            "How many graphics cards can the SuperPoD Interconnect link?", hits
        )
        assert "15,000 graphics cards" in ev[0].sentence.text
        assert all(e.sentence.text != "Huawei’s new SuperPoD Interconnect technology" for e in ev)
        assert ev[0].overlap == 1.0

    def test_display_keeps_the_sentence_a_pronoun_needs(self):
        chunk = make_chunk("002:9", "Jeffrey Towson explained their approach. “They use clusters,” he said.")
        assert evidence(chunk, 1).display == chunk.text
        chunk = make_chunk("002:7", "Pangu supports industry uses. These include mining and finance.")
        assert evidence(chunk, 0).display == chunk.text
        chunk = make_chunk("001:9", "2021-04\nHuawei launched ADS 1.0.")
        assert evidence(chunk, 1).display == "2021-04: Huawei launched ADS 1.0."


class TestGate:
    def test_missing_name_refuses(self):
        gate = AnswerabilityGate(0.2, 0.0, STOPWORDS)
        d = gate.run("What did Qualcomm say about SuperPoD?", [Hit(SUPERPOD, 1.0)], [evidence(SUPERPOD, 1)])
        assert not d.answerable and d.missing == ["qualcomm"]

    def test_thresholds(self):
        hits, ev = [Hit(SUPERPOD, 1.0)], [evidence(SUPERPOD, 1, score=0.4)]
        q = "How many cards can SuperPoD link?"
        assert AnswerabilityGate(0.2, 0.0, STOPWORDS).run(q, hits, ev).answerable
        assert AnswerabilityGate(0.5, 0.0, STOPWORDS).run(q, hits, ev).reason == "low score"
        assert AnswerabilityGate(0.2, 1.0, STOPWORDS).run(q + " price", hits, ev).reason == "low coverage"


class TestPremise:
    checker = PremiseChecker(STOPWORDS, frozenset({"nvidia", "huawei", "tesla", "superpod", "pangu"}), 0.2)

    def test_swapped_owner_is_flagged(self):
        issue = self.checker.run(
            "Why did Nvidia unveil the SuperPoD Interconnect?", [Hit(SUPERPOD, 1.0)], [evidence(SUPERPOD, 1)]
        )
        assert issue is not None and issue.unsupported == ["nvidia"]

    def test_right_owner_passes(self):
        assert (
            self.checker.run(
                "Why did Huawei unveil the SuperPoD Interconnect?",
                [Hit(SUPERPOD, 1.0)],
                [evidence(SUPERPOD, 1)],
            )
            is None
        )

    def test_name_after_the_anchor_is_not_a_swap(self):
        assert (
            self.checker.run(
                "What Nvidia chips does the SuperPoD Interconnect beat?",
                [Hit(SUPERPOD, 1.0)],
                [evidence(SUPERPOD, 1)],
            )
            is None
        )

    def test_number_no_passage_holds(self):
        issue = self.checker.run(
            "Why did Huawei link 50,000 graphics cards?", [Hit(SUPERPOD, 1.0)], [evidence(SUPERPOD, 1)]
        )
        assert issue is not None and issue.unsupported == ["50000"]


class TestConflicts:
    a = make_chunk("000:1", "Huawei will invest more than $10 billion over five years in smart driving.")
    b = make_chunk("001:1", "Huawei to invest US$11.7B over 5 years in AV compute.")
    c = make_chunk("003:1", "Huawei invests 180 billion yuan each year in research.")
    v = np.ones(4, dtype=np.float32) / 2
    detector = ConflictDetector(min_similarity=0.6, min_overlap=0.3)

    def test_two_documents_two_amounts(self):
        claims = self.detector.run("How much will Huawei invest?", [evidence(self.a), evidence(self.b)])
        assert [c.value for c in claims] == ["more than $10 billion", "US$11.7B"]

    def test_only_when_the_question_asks_for_an_amount(self):
        assert self.detector.run("Over how many years?", [evidence(self.a), evidence(self.b)]) is None

    def test_other_currency_or_dissimilar_sentences_do_not_conflict(self):
        assert self.detector.run("How much?", [evidence(self.a), evidence(self.c)]) is None
        far = np.array([1, -1, 1, -1], dtype=np.float32) / 2
        assert self.detector.run("How much?", [evidence(self.a), evidence(self.b, vector=far)]) is None

    def test_same_document_is_not_a_conflict(self):
        same = make_chunk("000:2", "Huawei to invest US$11.7B over 5 years.")
        assert self.detector.run("How much?", [evidence(self.a), evidence(same)]) is None


class TestVerifier:
    verifier = CitationVerifier(HashEmbedder(), STOPWORDS, min_similarity=0.6, min_overlap=0.6)

    def test_split_answer_keeps_markers_with_their_sentence(self):
        assert split_answer("It links 15,000 cards [1]. Huawei made it. [2]") == [
            ("It links 15,000 cards.", [1]),
            ("Huawei made it.", [2]),
        ]

    def test_supported_repointed_and_dropped(self):
        passages = {1: MINING, 2: SUPERPOD}
        out = self.verifier.run(
            "The SuperPoD Interconnect links up to 15,000 graphics cards [1]. Nvidia sells 40,000 cards [2].",
            passages,
        )
        assert len(out) == 1
        assert out[0].chunk is SUPERPOD and out[0].repointed
        assert "15,000" in out[0].sentence.text

    def test_claiming_what_the_question_asks_needs_a_passage_about_it(self):
        ceo = make_chunk(
            "003:0", "Huawei's CEO, Ren Zhengfei, recently shared insights into the company's journey."
        )
        claim = "Ren Zhengfei is the CEO of Huawei's automotive unit [1]."
        assert self.verifier.run(claim, {1: ceo}, "Who is the CEO of Huawei's automotive unit?") == []
        assert len(self.verifier.run(claim, {1: ceo}, "Who is Huawei's CEO?")) == 1

    @pytest.mark.parametrize(
        "claim",
        [
            "The SuperPoD links 16,000 graphics cards [1].",
            "Tesla's SuperPoD links 15,000 graphics cards [1].",
        ],
    )
    def test_wrong_number_or_name_is_unsupported(self, claim):
        assert self.verifier.run(claim, {1: SUPERPOD}) == []
