from collections import Counter

from rag.answering.truecase import Truecaser, as_typed

SPELLINGS = {
    "huawei": Counter({"Huawei": 12}),
    "tsmc": Counter({"TSMC": 3}),
    "cloud": Counter({"cloud": 5, "Cloud": 4}),  # "Huawei Cloud" now and then: still a word
    "ascend": Counter({"Ascend": 2, "ascend": 2}),  # a tie keeps the question's case
    "910c": Counter({"910C": 6}),
}
asked: list[str] = []


def spellings(word: str) -> Counter:
    asked.append(word)
    return SPELLINGS.get(word, Counter())


def test_lower_case_question_takes_the_documents_capitals():
    out = Truecaser(spellings).run("which foundry did huawei lose, and does tsmc make the 910c cloud chips?")
    assert out == "Which foundry did Huawei lose, and does TSMC make the 910C cloud chips?"


def test_the_pronoun_i_is_a_capital_whatever_the_documents_say():
    assert Truecaser(spellings).run("can i ask tsmc?") == "Can I ask TSMC?"


def test_a_tie_or_an_unknown_word_stays_as_typed():
    assert Truecaser(spellings).run("will ascend zyxor chips ship?") == "Will ascend zyxor chips ship?"


def test_a_question_with_any_capital_is_left_alone():
    asked.clear()
    question = "Which foundry did huawei lose?"  # a capital only at its start: chosen all the same
    assert Truecaser(spellings).run(question) == question
    assert asked == []  # no corpus look-ups at all


def test_stop_words_are_not_looked_up():
    asked.clear()
    Truecaser(spellings).run("what is the price of the chips?")
    assert asked == ["price", "chips"]


def test_a_refusal_names_a_phrase_as_the_user_typed_it():
    assert as_typed("Zyxor Robotics", "who leads zyxor robotics?") == "zyxor robotics"
    assert as_typed("Qualcomm", "What did Qualcomm announce?") == "Qualcomm"
    assert as_typed("NVLink", "What did they say about it?") == "NVLink"  # from a rewrite: kept


def test_a_word_the_question_repeats_is_looked_up_once():
    asked.clear()
    out = Truecaser(spellings).run("did huawei cloud beat huawei's chips?")
    assert out == "Did Huawei cloud beat Huawei's chips?"
    assert asked == ["huawei", "cloud", "beat", "chips"]
