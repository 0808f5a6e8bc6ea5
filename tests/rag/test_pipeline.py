"""Every pipeline path, driven by a scripted generator over the real corpus."""

import pytest

from rag.core.errors import GeneratorError, InputError
from tests.conftest import SUPERPOD_DOC, FakeGenerator

SUPERPOD_Q = "How many graphics cards can the SuperPoD Interconnect link?"


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

    def test_nothing_supported_with_strong_evidence_quotes_a_sentence(self, hash_assistant):
        hash_assistant.settings.fallback_min_score = 0.0
        a = ask(hash_assistant, "Nvidia built it in 1999 for 4,000 cards.")
        assert a.mode == "extractive" and a.answer.startswith("“")
        assert a.citations and all(f"[{c.marker}]" in a.answer for c in a.citations)

    def test_nothing_supported_with_weak_evidence_refuses(self, hash_assistant):
        hash_assistant.settings.fallback_min_score = 5.0
        a = ask(hash_assistant, "Nvidia built it in 1999 for 4,000 cards.")
        assert a.refused and a.mode == "refusal" and not a.citations

    def test_bare_value_quotes_the_sentence_that_holds_it(self, hash_assistant):
        a = ask(hash_assistant, "[1] 15,000")
        assert a.mode == "located"
        assert a.answer.startswith("15,000: “") and "15,000 graphics cards" in a.answer

    def test_passage_sentences_are_looked_up_not_embedded(self, hash_assistant, embedder):
        hash_assistant.ask(SUPERPOD_Q)  # loads everything
        embedder.calls.clear()
        ask(hash_assistant, "The SuperPoD Interconnect can link up to 15,000 graphics cards [1].")
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

    def test_verification_off_keeps_the_model_text(self, hash_assistant):
        hash_assistant.settings.verify = False
        hash_assistant._answerer = None
        a = ask(hash_assistant, "It links 99 cards [1].")
        assert a.answer == "It links 99 cards. [1]" and a.mode == "generated"

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
        hash_assistant.settings.fallback_min_score = 5.0  # a crash is no sign the question is unanswerable
        assert ask(hash_assistant, "").mode == "extractive"

    def test_stream_yields_tokens_then_the_answer(self, hash_assistant):
        hash_assistant.generator.reply = "The SuperPoD Interconnect can link up to 15,000 graphics cards [1]."
        items = list(hash_assistant.stream(SUPERPOD_Q))
        assert "".join(i for i in items if isinstance(i, str)).startswith("The SuperPoD")
        assert items[-1].mode == "generated"


class TestRefusalsAndChecks:
    def test_unknown_name_is_refused_without_generating(self, hash_assistant):
        a = ask(hash_assistant, "should not be used", "What did Qualcomm announce at Huawei Connect?")
        assert a.refused and a.mode == "refusal"
        assert "qualcomm" in a.answer and not a.citations
        assert hash_assistant.generator.prompts == []

    def test_number_the_articles_never_give_is_a_false_premise(self, hash_assistant):
        a = ask(hash_assistant, "x", "Why did Huawei invest $50 billion in smart driving?")
        assert a.refused and a.mode == "premise"
        assert "do not support the premise" in a.answer and a.citations

    @pytest.mark.parametrize("question", ["", "   ", "\x00\x07"])
    def test_empty_question(self, hash_assistant, question):
        with pytest.raises(InputError, match="the question is empty"):
            hash_assistant.ask(question)

    def test_long_question_is_cut(self, hash_assistant):
        hash_assistant.generator.reply = "[1] 15,000"
        a = hash_assistant.ask(SUPERPOD_Q + " x" * 5000)
        assert len(a.question) == hash_assistant.settings.max_question_chars


def with_model_reply(assistant, reply: str):
    """Swap in a generator that answers (and rewrites) with `reply`."""
    assistant.generator = FakeGenerator(reply)
    assistant._answerer = None
    return assistant


SUPERPOD_TURN = [
    {"question": "What did Huawei unveil?", "answer": "Huawei unveiled the SuperPoD Interconnect."}
]


class TestFollowUps:
    def test_rule_rewrite_is_used_and_shown(self, hash_assistant):
        hash_assistant.generator = None  # extractive: the rewrite falls back to the rule
        hash_assistant._answerer = None
        a = hash_assistant.ask("How many graphics cards can it link?", history=SUPERPOD_TURN)
        assert a.rewritten_question == "How many graphics cards can SuperPoD Interconnect link?"

    def test_model_rewrite_that_drops_the_question_is_rejected(self, hash_assistant):
        history = [{"question": "What are Huawei's AI models called?", "answer": "They are called Pangu."}]
        a = with_model_reply(hash_assistant, "What are Huawei's industry AI models called?").ask(
            "And in how many sectors has it been used?", history=history
        )
        assert a.rewritten_question == "And in how many sectors has Pangu been used?"

    def test_standalone_question_is_not_rewritten(self, hash_assistant):
        a = with_model_reply(hash_assistant, "Something else entirely?").ask(
            "What is Huawei's CUDA alternative called?", history=SUPERPOD_TURN
        )
        assert a.rewritten_question == "What is Huawei's CUDA alternative called?"

    def test_model_rewrite_that_keeps_the_pronoun_is_rejected(self, hash_assistant):
        a = with_model_reply(hash_assistant, "What NVIDIA technology does it mirror?").ask(
            "What Nvidia technology does it mirror?", history=SUPERPOD_TURN
        )
        assert a.rewritten_question == "What Nvidia technology does SuperPoD Interconnect mirror?"

    def test_model_rewrite_is_validated(self, hash_assistant):
        history = [{"question": "Who is Huawei's CEO?", "answer": "Ren Zhengfei."}]
        a = with_model_reply(hash_assistant, "How much does Ren Zhengfei say Huawei spends on research?").ask(
            "How much does he say it spends on research?", history=history
        )
        assert a.rewritten_question == "How much does Ren Zhengfei say Huawei spends on research?"
