"""Question reading, premise, conflict, decision and verifier stages on small hand-made inputs."""

import numpy as np
import pytest

from rag.answering.compose import Composer, Part
from rag.answering.conflicts import ConflictDetector
from rag.answering.decision import RefusalModel, Signals
from rag.answering.evidence import Evidence, EvidenceScorer, informative
from rag.answering.premise import PremiseChecker, denies
from rag.answering.question import QuestionReader, split_parts
from rag.answering.verify import CitationVerifier, split_answer
from rag.core.errors import ConfigError
from rag.core.nlp import nlp
from rag.core.settings import PROMPTS_DIR
from rag.core.text import Haystack
from rag.core.types import Chunk, Hit
from rag.generation.prompting import PromptLibrary
from tests.conftest import SUPERPOD_Q, HashEmbedder


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
        ev = EvidenceScorer(HashEmbedder(), lexical_weight=0.3).run(SUPERPOD_Q, hits)
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

    def test_display_keeps_what_a_colon_leads_into(self):
        chunk = make_chunk("f:1", "Memory is handled by two functions:\nffi_closure_alloc (size)")
        assert evidence(chunk, 0).display == "Memory is handled by two functions: ffi_closure_alloc (size)"

    def test_a_list_item_is_evidence_and_reads_under_its_heading(self):
        chunk = make_chunk("yq:9", "Authors\n- Andrey Kislyuk")
        hits = [Hit(chunk, 1.0)]
        ev = EvidenceScorer(HashEmbedder(), lexical_weight=0.3).run("Who is the author of yq?", hits)
        assert [e.display for e in ev] == ["Authors: Andrey Kislyuk"]  # the bullet is not read
        options = make_chunk("man:3", "- --disable-setuid\nBy default, man is installed setuid.\n- --with-db")
        assert evidence(options, 1).display == "--disable-setuid: By default, man is installed setuid."
        assert evidence(options, 2).display == "- --with-db"  # the next item reads alone

    def test_a_rule_line_is_not_a_term(self):
        chunk = make_chunk("m:1", "-------------\nIf it is impossible to comply, You must comply.")
        assert evidence(chunk, 1).display == "If it is impossible to comply, You must comply."

    def test_a_line_of_code_left_open_is_not_a_term(self):
        chunk = make_chunk("rich:8", 'table.add_row(\n"May 25, 2018",')
        assert evidence(chunk, 1).display == '"May 25, 2018",'
        chunk = make_chunk("u:3", "lpadmin\nMembers of this group can add 2 printers.")
        assert evidence(chunk, 1).display == "lpadmin: Members of this group can add 2 printers."

    def test_a_field_line_states_its_own_value_and_labels_nothing(self):
        fields = "Employees: 10001+\nFounded date: 1987\n"
        chunk = make_chunk("003:0", fields + "In the world of technology, Huawei is making waves.")
        assert evidence(chunk, 1).display == "Founded date: 1987"
        assert evidence(chunk, 2).display == "In the world of technology, Huawei is making waves."
        hits = [Hit(chunk, 1.0)]
        ev = EvidenceScorer(HashEmbedder(), lexical_weight=0.3).run("When was the company founded?", hits)
        assert next(e for e in ev if e.sentence.text.startswith("In the world")).overlap == 0.0

    def test_markdown_links_and_html_labels_read_as_text(self):
        chunk = make_chunk(
            "rich:4",
            "<summary>Status</summary>\n\n"
            "You can use the [status](https://rich.readthedocs.io/status.html) method for a spinner.",
        )
        assert evidence(chunk, 1).display == "Status: You can use the status method for a spinner."
        row = make_chunk("rich:9", '"May 25, 2018",\n"Solo: A Star Wars Story",')
        assert evidence(row, 1).display == '"May 25, 2018": "Solo: A Star Wars Story",'

    def test_images_outline_numbers_and_punctuation_are_not_evidence(self):
        # they hold digits or colons, yet state nothing a quote could answer with
        lines = ["1.1.", "* 6.", "...", "![table movie](https://example.org/table.gif)"]
        kept = ["http://www.apache.org/licenses/LICENSE-2.0", '"$393,151,347",', "3.8", "Founded date: 1987"]
        chunk = make_chunk("r:1", "\n\n".join(lines + kept))
        assert [s.text for s in chunk.sentences if informative(s)] == kept


READER = QuestionReader()


class TestPromptPassages:
    def test_markdown_links_reach_the_model_as_their_text(self):
        from rag.answering.pipeline import Answerer

        chunk = make_chunk(
            "rich:3",
            "[![PyPI version](https://badge.fury.io/py/rich.svg)](https://pypi.org/project/rich)\n"
            "You can use the [status](https://rich.readthedocs.io/x.html#status) method [1] here.",
        )
        passages, shown = Answerer._passages([Hit(chunk, 1.0)])
        assert passages == {1: chunk}
        assert shown == [{"marker": 1, "text": "You can use the status method [1] here."}]


class TestQuestionReader:
    @pytest.mark.parametrize(
        ("question", "names"),
        [
            ("What did Qualcomm announce at Huawei Connect?", {"Qualcomm", "Huawei Connect"}),
            ("Besides print(), which Rich Console method shows the time?", {"Rich Console"}),
            ("How many graphics cards can Nvidia's NVLink connect?", {"Nvidia", "NVLink"}),
            ("Which chips does the Ascend 910C replace?", {"Ascend", "910C"}),
        ],
    )
    def test_names_as_written_not_capitalised_words(self, question, names):
        assert set(READER.run(question).names) == names

    @pytest.mark.parametrize(
        ("question", "expects"),
        [
            ("Who leads the mining unit?", "person"),
            ("When did Huawei introduce CloudMatrix 384?", "date"),
            ("In which year did Huawei open-source Pangu?", "date"),
            ("How many trucks did Huawei deploy?", "number"),
            ("Why did Huawei invest?", "reason"),
            ("Is the operator user still created by default?", "yes_no"),
            ("Do both licences use the same threshold when they define control?", "yes_no"),
            ("What approach does dpkg use?", "thing"),
        ],
    )
    def test_answer_type(self, question, expects):
        assert READER.run(question).expects == expects

    def test_focus_is_the_noun_asked_about(self):
        assert READER.run("What is the price of a single Ascend 910C chip?").focus == {"price"}
        assert READER.run("How many bytes does the spec check?").focus == {"byte"}
        assert READER.run("How much does Huawei invest?").focus == frozenset()
        # the parser gives "how many years" here no noun chunk of its own
        question = "Over how many years will Huawei spend its smart driving investment?"
        assert READER.run(question).focus == {"year"}

    def test_a_question_asking_two_things_is_split(self):
        assert split_parts("Who leads the unit, and where is it based?") == (
            "Who leads the unit?",
            "where is it based?",
        )
        assert split_parts("Which chips and boards does it use?") == ("Which chips and boards does it use?",)

    def test_terms_are_kept_as_written(self):
        q = READER.run("Besides print(), which Rich Console methods show the time?")
        assert "methods" in q.terms and "Besides" not in q.names


class TestDecision:
    def test_probability_rises_with_refusal_signals(self):
        model = RefusalModel(weights={"judged": -2.0, "missing": 3.0}, bias=0.0, threshold=0.5)
        confident = Signals(judged=3.0)
        doubtful = Signals(judged=-2.0, missing=1.0)
        assert model.probability(confident) < 0.01 and not model.refuse(confident)
        assert model.probability(doubtful) > 0.99 and model.refuse(doubtful)

    def test_invalid_models_name_the_problem(self):
        with pytest.raises(ConfigError, match="unknown signals \\['loudness'\\]"):
            RefusalModel(weights={"loudness": 1.0})
        with pytest.raises(ConfigError, match="threshold must be between 0 and 1"):
            RefusalModel(threshold=1.5)

    def test_saved_model_loads_back(self, tmp_path):
        model = RefusalModel(weights={"coverage": -1.25}, bias=0.5, threshold=0.4)
        model.save(tmp_path / "m.json")
        assert RefusalModel.load(tmp_path / "m.json") == model

    def test_shipped_model_loads(self):
        assert RefusalModel.load().weights


class TestPremise:
    checker = PremiseChecker(0.2)

    def run(self, question: str, chunk: Chunk = SUPERPOD, i: int = 1):
        return self.checker.run(READER.run(question), Haystack(chunk.text), [evidence(chunk, i)])

    def test_swapped_owner_is_flagged(self):
        issue = self.run("Why did Nvidia unveil the SuperPoD Interconnect?")
        assert issue is not None and issue.unsupported == ["Nvidia"]

    def test_right_owner_passes(self):
        assert self.run("Why did Huawei unveil the SuperPoD Interconnect?") is None

    def test_name_after_the_anchor_is_not_a_swap(self):
        assert self.run("What Nvidia chips does the SuperPoD Interconnect beat?") is None

    def test_a_name_that_only_modifies_another_noun_owns_nothing(self):
        # "AI" qualifies the tool; Pangu is not the AI's, and GPT-4 is not Pangu's owner
        chunk = make_chunk(
            "002:7", "Unlike general-purpose tools like GPT-4, Pangu supports industry-specific uses."
        )
        assert self.run("Which general-purpose AI tool is Pangu contrasted with?", chunk, 0) is None
        assert self.run("Why did Nvidia launch the Pangu model?", chunk, 0) is None  # nobody owns it here

    def test_number_no_passage_holds_is_shown_as_written(self):
        issue = self.run("Why did Huawei link 50,000 graphics cards?")
        assert issue is not None and issue.unsupported == ["50,000"]

    def test_a_denial_answers_a_presupposing_question(self):
        chunk = make_chunk("ug:1", "The operator user is no longer created by default on new systems.")
        assert self.run("Why does Debian still create the operator user by default?", chunk, 0) is not None
        assert self.run("Is the operator user still created by default?", chunk, 0) is None

    def test_negation_is_read_from_the_parse(self):
        predicates = frozenset({"store", "rule"})
        assert denies(nlp()("The MIME database does NOT store user preferences."), predicates)
        assert denies(nlp()("Out of the box, Ninja has no rules for compiling C code."), predicates)
        assert not denies(nlp()("The database stores every type."), predicates)
        assert denies(nlp()("This user is no longer created by default."), frozenset({"creat"}))

    def test_a_negation_denies_the_word_it_attaches_to_not_that_words_head(self):
        # "not" belongs to "attempted", not to "fails"; "no" to "charge", not to "license"
        failed = "If the postinst triggered run fails the package goes to config-failed, so that "
        failed += "the trigger processing will not be attempted again until explicitly requested."
        assert not denies(nlp()(failed), frozenset({"fail", "run"}))
        granted = "Each Contributor hereby grants to You a perpetual, worldwide, non-exclusive, "
        granted += "no-charge, royalty-free, irrevocable patent license."
        assert not denies(nlp()(granted), frozenset({"licens", "patent"}))

    def test_a_negated_comparison_is_a_bound_not_a_denial(self):
        bound = "No matter what pools you specify, ninja will never run more concurrent jobs "
        bound += "than the default parallelism."
        assert not denies(nlp()(bound), frozenset({"run", "job"}))
        assert denies(nlp()("Ninja will never run jobs in that pool."), frozenset({"run", "job"}))


class TestConflicts:
    a = make_chunk("000:1", "Huawei will invest more than $10 billion over five years in smart driving.")
    b = make_chunk("001:1", "Huawei to invest US$11.7B over 5 years in AV compute.")
    c = make_chunk("003:1", "Huawei invests 180 billion yuan each year in research.")
    v = np.ones(4, dtype=np.float32) / 2
    detector = ConflictDetector(min_similarity=0.6, min_overlap=0.3)

    how_much = READER.run("How much will Huawei invest?")

    def test_two_documents_two_amounts(self):
        claims = self.detector.run(self.how_much, [evidence(self.a), evidence(self.b)])
        assert [c.value for c in claims] == ["more than $10 billion", "US$11.7B"]

    def test_only_when_the_question_asks_for_the_amount(self):
        for question in (
            "Who will Huawei invest with?",
            "Over how many years will Huawei invest?",
            "Over how many years will Huawei spend its smart driving investment?",
        ):
            assert self.detector.run(READER.run(question), [evidence(self.a), evidence(self.b)]) is None

    def test_figures_sharing_only_a_name_with_the_question_do_not_conflict(self):
        # both amounts are Huawei's, but neither sentence speaks of what is asked
        question = READER.run("How many employees does Huawei have?")
        assert self.detector.run(question, [evidence(self.a), evidence(self.b)]) is None
        question = READER.run("Roughly how much is Huawei's research budget in dollars?")
        c2 = make_chunk("004:1", "Huawei invests 200 billion yuan each year in research.")
        assert self.detector.run(question, [evidence(self.c), evidence(c2)]) is not None

    def test_other_currency_or_dissimilar_sentences_do_not_conflict(self):
        assert self.detector.run(self.how_much, [evidence(self.a), evidence(self.c)]) is None
        far = np.array([1, -1, 1, -1], dtype=np.float32) / 2
        assert self.detector.run(self.how_much, [evidence(self.a), evidence(self.b, vector=far)]) is None

    def test_same_document_is_not_a_conflict(self):
        same = make_chunk("000:2", "Huawei to invest US$11.7B over 5 years.")
        assert self.detector.run(self.how_much, [evidence(self.a), evidence(same)]) is None


class TestVerifier:
    verifier = CitationVerifier(HashEmbedder(), min_similarity=0.6, min_overlap=0.6)

    def test_split_answer_keeps_markers_with_their_sentence(self):
        assert split_answer("It links 15,000 cards [1]. Huawei made it. [2]") == [
            ("It links 15,000 cards.", [1]),
            ("Huawei made it.", [2]),
        ]
        assert split_answer("It links 15,000 cards. [1] Huawei made it [2].") == [
            ("It links 15,000 cards.", [1]),
            ("Huawei made it.", [2]),
        ]

    def test_split_answer_keeps_a_value_pysbd_cuts_off(self):
        assert split_answer("The log is kept in a file called .ninja_log. [1]") == [
            ("The log is kept in a file called .ninja_log.", [1])
        ]
        assert split_answer("[1] [2] [3] 15,0") == []

    def test_split_answer_drops_a_lead_in_that_only_names_the_passage(self):
        # without it the reader saw "In, Huawei's SuperPoD ..." once the marker was taken out
        reply = "In [1], Huawei's SuperPoD links 15,000 cards. According to [2], the plant employs 400."
        assert split_answer(reply) == [
            ("Huawei's SuperPoD links 15,000 cards.", [1]),
            ("The plant employs 400.", [2]),
        ]
        # words that say something stay: a name, a date
        assert split_answer("Huawei [1], based in Shenzhen, makes chips. In 2019 [2], it sold phones.") == [
            ("Huawei, based in Shenzhen, makes chips.", [1]),
            ("In 2019, it sold phones.", [2]),
        ]

    def test_a_figure_the_passage_spells_out_is_supported(self):
        chunk = make_chunk(
            "003:4",
            "Despite being one generation behind its American counterparts, Huawei is not backing down.",
        )
        out = self.verifier.run("Huawei is 1 generation behind its American counterparts [1].", {1: chunk})
        assert len(out) == 1 and out[0].chunk is chunk

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


class TestComposer:
    composer = Composer(PromptLibrary(PROMPTS_DIR), "documents")

    def test_located_value_is_shown_with_the_sentence_holding_it(self):
        part = Part(SUPERPOD.sentences[1].text, SUPERPOD, SUPERPOD.sentences[1], 0.9)
        answer = self.composer.located("How many cards?", "15,000 graphics cards", part)
        assert answer.answer.startswith("15,000 graphics cards: “The centerpiece")

    def test_a_line_that_is_only_the_value_is_not_said_twice(self):
        version = make_chunk("spec:3", "2.14.")
        part = Part(version.sentences[0].text, version, version.sentences[0], 0.9)
        answer = self.composer.located("Which version?", "2.14", part)
        assert answer.answer == "“2.14.” [1]"
