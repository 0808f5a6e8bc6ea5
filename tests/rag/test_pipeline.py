"""Every pipeline path, driven by a scripted generator over the real corpus."""

import pytest

from rag.answering.rewrite import rule_rewrite
from rag.core.errors import GeneratorError, InputError
from rag.core.settings import load_settings
from tests.conftest import SUPERPOD_ANSWER, SUPERPOD_DOC, SUPERPOD_Q, FakeGenerator


def ask(assistant, reply: str, question: str = SUPERPOD_Q, **kwargs):
    assistant.generator.reply = reply
    return assistant.ask(question, **kwargs)


class TestGenerated:
    def test_supported_sentence_is_kept_and_cited_to_its_sentence(self, hash_assistant):
        a = ask(hash_assistant, "The SuperPoD Interconnect can link up to 15,000 graphics cards [1].")
        assert a.mode == "generated" and not a.refused
        assert a.answer == "The SuperPoD Interconnect can link up to 15,000 graphics cards. [1]"
        (c,) = a.citations
        assert c.doc_id == SUPERPOD_DOC and "15,000 graphics cards" in c.text
        doc = hash_assistant.index.documents[SUPERPOD_DOC]
        assert doc.text[c.start : c.end] == c.text  # the span points at the exact sentence

    def test_wrong_citation_is_repointed(self, hash_assistant):
        a = ask(hash_assistant, "The SuperPoD Interconnect can link up to 15,000 graphics cards [3].")
        assert a.mode == "generated" and a.citations[0].doc_id == SUPERPOD_DOC

    def test_invented_number_is_dropped(self, hash_assistant):
        a = ask(
            hash_assistant,
            "The SuperPoD Interconnect can link up to 15,000 graphics cards [1]. "
            "It costs $4 million per rack [1].",
        )
        assert "$4 million" not in a.answer and "15,000" in a.answer
        assert len(a.citations) == 1

    def test_nothing_supported_quotes_a_sentence_that_holds_the_asked_value(self, hash_assistant):
        a = ask(hash_assistant, "Nvidia built it in 1999 for 4,000 cards.")
        assert a.mode == "extractive" and a.answer.startswith("“")
        assert a.citations and all(f"[{c.marker}]" in a.answer for c in a.citations)
        assert "15,000" in a.answer  # "how many" is answered by a sentence with a number

    def test_nothing_supported_quotes_the_sentence_the_reply_points_to(self, hash_assistant):
        # the reply names the right place but invents a year, so none of its sentences holds
        a = ask(
            hash_assistant,
            "Huawei revealed it at Huawei Connect in Shenzhen in 2031 [1].",
            question="Where did Huawei reveal the SuperPoD Interconnect?",
        )
        assert a.mode == "extractive" and "2031" not in a.answer
        assert "Huawei Connect conference in Shenzhen" in a.citations[0].text

    def test_a_sentence_that_cites_in_place_of_its_value_is_not_kept(self, hash_assistant):
        # "... is [1]." names a passage where the system's name should be: it says nothing
        a = ask(
            hash_assistant,
            "The system Huawei revealed at Huawei Connect is [1].",
            question="Which system did Huawei reveal at Huawei Connect?",
        )
        assert a.mode == "extractive" and a.answer.startswith("“")
        assert "Huawei Connect is" not in a.answer

    def test_the_decision_refuses_with_its_signals_recorded(self, make_assistant, refusing_model):
        assistant = make_assistant(FakeGenerator(SUPERPOD_ANSWER), decide=True, refusal_model=refusing_model)
        a = assistant.ask(SUPERPOD_Q)
        assert a.refused and a.mode == "refusal" and not a.citations
        assert a.signals["p_refuse"] > 0.99 and {"similarity", "coverage", "supported"} <= set(a.signals)
        assert assistant.generator.prompts == []  # a certain refusal never reaches the model

    def test_each_part_of_a_two_part_question_brings_its_own_passage(self, hash_assistant):
        question = (
            "Where will the intelligent computing center be built, "
            "and how many graphics cards can SuperPoD link?"
        )
        answerer = hash_assistant.answerer
        plan = answerer.plan(question, top_k=2)
        assert len(plan.question.parts) == 2 and len(plan.hits) == 2
        firsts = {answerer.retriever.run(p, top_k=1)[0].chunk.chunk_id for p in plan.question.parts}
        assert firsts == {h.chunk.chunk_id for h in plan.hits}

    def test_verified_bare_value_is_shown_with_its_sentence(self, hash_assistant):
        a = ask(hash_assistant, "15,000 graphics cards [1]")
        assert a.mode == "located" and a.answer.startswith("15,000 graphics cards: “")

    def test_bare_value_quotes_the_sentence_that_holds_it(self, hash_assistant):
        a = ask(hash_assistant, "[1] 15,000")
        assert a.mode == "located"
        assert a.answer.startswith("15,000: “") and "15,000 graphics cards" in a.answer

    def test_stored_sentence_vectors_are_looked_up_not_embedded(self, tmp_path, embedder, corpus_copy):
        from rag.assistant import Assistant

        settings = load_settings(
            home=tmp_path / "stored", embedder="hash-test", judge="none", decide=False, embed_sentences=True
        )
        assistant = Assistant(settings, embedder=embedder, generator=FakeGenerator(SUPERPOD_ANSWER))
        assistant.build_index([corpus_copy])
        assistant.ask(SUPERPOD_Q)  # loads everything
        embedder.calls.clear()
        assistant.ask(SUPERPOD_Q)
        assert embedder.calls == [1, 1]  # the question, then the answer's one sentence

    def test_bare_value_is_matched_as_a_whole_word(self, hash_assistant):
        # "15" occurs only inside "15,000": no sentence holds the value, so no located quote
        a = ask(hash_assistant, "15")
        assert a.mode != "located" and not a.answer.startswith("15:")

    def test_preamble_is_stripped(self, hash_assistant):
        a = ask(
            hash_assistant,
            "Based on the information provided in the passages, the SuperPoD "
            "Interconnect can link up to 15,000 graphics cards [1].",
        )
        assert a.answer.startswith("The SuperPoD Interconnect") or a.answer.startswith("the SuperPoD")

    def test_verification_off_keeps_the_model_text_and_says_so(self, make_assistant):
        a = ask(make_assistant(verify=False), "It links 99 cards [1].")
        assert a.answer == "It links 99 cards. [1]" and a.mode == "generated" and not a.checked

    def test_unreachable_model_server_is_an_error_not_a_quote(self, hash_assistant):
        def down(*args, **kwargs):
            raise GeneratorError("cannot reach the model server at http://127.0.0.1:9/v1")
            yield ""

        hash_assistant.generator.stream = down
        with pytest.raises(GeneratorError, match="cannot reach"):
            hash_assistant.ask(SUPERPOD_Q)

    def test_generation_failure_answers_extractively(self, hash_assistant):
        def boom(*args, **kwargs):
            raise RuntimeError("model crashed")
            yield  # pragma: no cover

        hash_assistant.generator.stream = boom
        assert ask(hash_assistant, "").mode == "extractive"

    def test_stream_yields_tokens_then_the_answer(self, hash_assistant):
        hash_assistant.generator.reply = SUPERPOD_ANSWER
        items = list(hash_assistant.stream(SUPERPOD_Q))
        assert "".join(i for i in items if isinstance(i, str)).startswith("The SuperPoD")
        assert items[-1].mode == "generated"


class TestRefusalsAndChecks:
    def test_refusal_names_missing_terms_as_written(self, make_assistant, refusing_model):
        assistant = make_assistant(decide=True, refusal_model=refusing_model)
        a = assistant.ask("Besides chips, what did Qualcomm announce at Huawei Connect?")
        assert a.refused and a.mode == "refusal" and not a.citations
        assert a.answer == "The documents do not answer this: none of them mentions Qualcomm."

    def test_refusal_never_says_no_document_mentions_a_name_one_does(self, make_assistant, refusing_model):
        # one passage is retrieved, about the SuperPoD; Guizhou is named in another article
        assistant = make_assistant(decide=True, refusal_model=refusing_model)
        a = assistant.ask("Did Huawei ship the SuperPoD Interconnect to Guizhou?", top_k=1)
        assert a.refused and a.mode == "refusal"
        assert "Guizhou" not in a.answer and a.answer == "The documents do not answer this question."
        assert assistant.retriever.mentions("Guizhou") and not assistant.retriever.mentions("Qualcomm")

    def test_a_question_typed_in_lower_case_is_read_with_the_documents_capitals(self, hash_assistant):
        question = "how many graphics cards can the superpod interconnect link?"
        assert hash_assistant.answerer.reader.run(question).names == ()  # read as typed: no name
        typed = hash_assistant.answerer.plan(question)
        assert typed.question.text == "How many graphics cards can the SuperPoD Interconnect link?"
        assert "SuperPoD" in typed.question.names

    def test_refusal_speaks_of_the_corpus_as_configured(self, make_assistant, refusing_model):
        assistant = make_assistant(decide=True, refusal_model=refusing_model, corpus_noun="articles")
        assert assistant.ask(SUPERPOD_Q).answer == "The articles do not answer this question."

    def test_number_the_articles_never_give_is_a_false_premise(self, hash_assistant):
        a = ask(hash_assistant, "x", "Why did Huawei invest $50 billion in smart driving?")
        assert a.refused and a.mode == "premise"
        assert "do not support the premise" in a.answer and a.citations

    @pytest.mark.parametrize("question", ["", "   ", "\x00\x07"])
    def test_empty_question(self, hash_assistant, question):
        with pytest.raises(InputError, match="the question is empty"):
            hash_assistant.ask(question)

    @pytest.mark.parametrize("question", ["?", "  ?! ...", "--"])
    def test_a_question_without_words_is_a_clear_error(self, hash_assistant, question):
        with pytest.raises(InputError, match="has no words; type a question"):
            hash_assistant.ask(question)
        with pytest.raises(InputError, match="has no words"):
            hash_assistant.search(question)

    def test_a_question_in_another_script_is_asked(self, hash_assistant):
        assert hash_assistant.search("华为投资了多少？")  # words, though no Latin letters

    def test_long_question_is_a_clear_error_not_cut(self, hash_assistant):
        with pytest.raises(InputError, match="10059 characters long; the limit is 1000"):
            hash_assistant.ask(SUPERPOD_Q + " x" * 5000)


class ScriptedJudge:
    """Says yes to a sentence that holds `yes_to` and no to any other; records what it read."""

    def __init__(self, yes_to: str) -> None:
        self.yes_to = yes_to
        self.read: list[str] = []

    def yes_odds(self, prompt) -> float:
        text = prompt.user.split("\nQuestion:")[0]
        self.read.append(text)
        return 3.0 if self.yes_to in text else -3.0


@pytest.fixture
def judged_assistant(make_assistant, tmp_path):
    """A decision that refuses exactly what the judge says no to, with a scripted judge."""
    from rag.answering.decision import RefusalModel

    def make(reply: str, yes_to: str):
        path = tmp_path / "judge-only.json"
        RefusalModel(weights={"judged": -2.0}, bias=0.0, threshold=0.5, fitted_on="a test").save(path)
        assistant = make_assistant(FakeGenerator(reply), decide=True, refusal_model=path)
        assistant.answerer.judge = judge = ScriptedJudge(yes_to)
        return assistant, judge

    return make


# rests on the Shenzhen sentence; holding no number, it does not answer "how many"
SHENZHEN_REPLY = "Huawei revealed it at Huawei Connect in Shenzhen [1]."


class TestSecondLook:
    def test_a_refused_answer_gives_way_to_the_best_sentence_the_judge_accepts(self, judged_assistant):
        assistant, judge = judged_assistant(SHENZHEN_REPLY, yes_to="15,000")
        a = assistant.ask(SUPERPOD_Q)
        assert not a.refused and a.mode == "extractive" and "15,000" in a.citations[0].text
        assert len(judge.read) == 2 and "15,000" not in judge.read[0]
        assert a.signals["judged"] == 3.0  # the signals logged are those of the answer shown

    def test_refused_when_the_best_sentence_is_refused_too(self, judged_assistant):
        assistant, judge = judged_assistant(SHENZHEN_REPLY, yes_to="not in any sentence")
        a = assistant.ask(SUPERPOD_Q)
        assert a.refused and a.mode == "refusal" and len(judge.read) == 2

    def test_a_streamed_answer_refused_at_its_first_sentence_gives_way_too(self, judged_assistant):
        # the reply's sentence holds and is refused before anything is shown
        assistant, judge = judged_assistant(SHENZHEN_REPLY, yes_to="centerpiece")
        items = list(assistant.stream("Where did Huawei reveal the SuperPoD Interconnect?"))
        a = items[-1]
        assert not a.refused and a.mode == "extractive" and "centerpiece" in a.citations[0].text
        assert "".join(i for i in items if isinstance(i, str)) == a.answer
        assert "Shenzhen" in judge.read[0] and len(judge.read) == 2

    def test_a_sentence_is_never_judged_twice(self, judged_assistant):
        # the best sentence is the one the reply rests on: one reading, then the refusal
        assistant, judge = judged_assistant(SUPERPOD_ANSWER, yes_to="not in any sentence")
        items = list(assistant.stream(SUPERPOD_Q))
        assert items[-1].refused and not [i for i in items if isinstance(i, str)]
        assert len(judge.read) == 1


SUPERPOD_TURN = [
    {"question": "What did Huawei unveil?", "answer": "Huawei unveiled the SuperPoD Interconnect."}
]


class TestFollowUps:
    def test_a_pronoun_is_read_from_the_parse_of_the_last_turn_and_shown(self, make_assistant):
        extractive = make_assistant(generator="extractive")
        a = extractive.ask("How many graphics cards can it link?", history=SUPERPOD_TURN)
        assert a.rewritten_question == "How many graphics cards can the SuperPoD Interconnect link?"

    @pytest.mark.parametrize(
        ("question", "turn", "standalone"),
        [
            # "he" is the person the turn names, not its last capitalised word
            (
                "Who does he work for?",
                ("Who said Huawei had no choice?", "Paul Triolo said the company had no choice."),
                "Who does Paul Triolo work for?",
            ),
            # after "What is X?", the pronoun is X, whatever the answer goes on to name
            (
                "How must it be written to disk?",
                ("What is the mime.cache file?", "It holds the globs2 and XMLnamespaces data."),
                "How must the mime.cache file be written to disk?",
            ),
            # "You" opening the answer is the reader, not the topic; a name is kept whole
            (
                "What does it stand for?",
                ("What must you create first?", "You must create an ffi_cif object."),
                "What does ffi_cif object stand for?",
            ),
            (
                "Which Nvidia system does it beat?",
                ("What did Huawei introduce in April 2024?", "Huawei introduced AI CloudMatrix 384."),
                "Which Nvidia system does AI CloudMatrix 384 beat?",
            ),
            # a bare answer names the thing itself, never the question before it
            (
                "What port does it use by default?",
                ("Which ninja tool shows the graph in a browser?", "ninja -t browse."),
                "What port does ninja -t browse use by default?",
            ),
        ],
    )
    def test_each_kind_of_referent(self, question, turn, standalone):
        history = [{"question": turn[0], "answer": turn[1]}]
        assert rule_rewrite(question, history) == standalone

    def test_the_parse_is_preferred_to_the_model(self, make_assistant):
        history = [{"question": "Who said it?", "answer": "Paul Triolo said the company had no choice."}]
        assistant = make_assistant(FakeGenerator("Who does Huawei work for?"))
        a = assistant.ask("Who does he work for?", history=history)
        assert a.rewritten_question == "Who does Paul Triolo work for?"
        assert not any("Last question:" in p.user for p in assistant.generator.prompts)

    def test_what_the_parse_cannot_resolve_goes_to_the_model(self, make_assistant):
        assistant = make_assistant(FakeGenerator("What did Nvidia unveil?"))
        a = assistant.ask("What about Nvidia?", history=SUPERPOD_TURN)
        assert a.rewritten_question == "What did Nvidia unveil?"

    def test_model_rewrite_that_drops_the_question_is_rejected(self, make_assistant):
        assistant = make_assistant(FakeGenerator("What did Huawei unveil?"))
        a = assistant.ask("What about Nvidia?", history=SUPERPOD_TURN)
        assert a.rewritten_question == "What about Nvidia?"  # asked as typed

    def test_model_rewrite_that_keeps_the_pronoun_is_rejected(self, make_assistant):
        unresolved = [{"question": "What did Huawei unveil?", "answer": ""}]  # nothing to point back to
        a = make_assistant(FakeGenerator("What Nvidia technology does it mirror?")).ask(
            "What Nvidia technology does it mirror?", history=unresolved
        )
        assert a.rewritten_question == "What Nvidia technology does it mirror?"

    def test_standalone_question_is_not_rewritten(self, make_assistant):
        a = make_assistant(FakeGenerator("Something else entirely?")).ask(
            "What is Huawei's CUDA alternative called?", history=SUPERPOD_TURN
        )
        assert a.rewritten_question == "What is Huawei's CUDA alternative called?"


def test_a_looping_reply_is_read_once(hash_assistant):
    a = ask(hash_assistant, "15,000 graphics cards 15,000 graphics cards 15,000 graphics cards [1]")
    assert a.mode == "located" and a.answer.startswith("15,000 graphics cards: “")
