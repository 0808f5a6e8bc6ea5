from rag.core.text import Haystack, content_terms, flat, money, normalise, numbers, spelled_numbers, stems


def test_numbers_are_canonical_and_skip_codes():
    assert numbers("15,000 cards, US$11.7B, 30%, 2021-04, Ascend 910C, 5G, 5.5G") == {
        "15000",
        "11.7",
        "30",
        "2021",
        "04",
    }


def test_money_keeps_currency_and_scale():
    assert money("Huawei to invest US$11.7B; more than $10 billion; 180 billion yuan") == [
        (11.7e9, "USD", "US$11.7B"),
        (10e9, "USD", "$10 billion"),
        (180e9, "CNY", "180 billion yuan"),
    ]


def test_haystack_finds_names_as_phrases_or_word_by_word():
    hay = Haystack("Huawei’s SuperPoD Interconnect links 15,000 cards at Huawei Connect in Shenzhen.")
    assert hay.mentions("SuperPoD Interconnect") and hay.mentions("huawei connect")
    assert hay.mentions("Connect Huawei")  # every word is there
    assert not hay.mentions("Qualcomm") and not hay.mentions("Super")
    assert hay.numbers == {"15000"}


def test_a_passage_spells_out_numbers_a_reply_gives_as_digits():
    assert spelled_numbers("over the next five years, Twenty-one cards, one generation") == {"5", "21", "1"}
    assert spelled_numbers("someone fiveish tenfold") == set()
    hay = Haystack("Despite being one generation behind its American counterparts")
    assert numbers("Huawei is 1 generation behind") <= hay.numbers
    # a question's or a reply's own words stay words: "which one" invents no figure
    assert numbers("Which one is it?") == set()


def test_stems_keep_stop_words_and_flat_joins_wrapped_lines():
    assert stems("over five years") == {"over", "five", "year"}
    assert flat("a sentence that\ncrossed   a wrap") == "a sentence that crossed a wrap"


def test_content_terms_drop_question_words_and_stem():
    assert content_terms("How many graphics cards can the SuperPoD link?") == {
        "graphic",
        "card",
        "superpod",
        "link",
    }


def test_normalise_quotes_and_separators():
    assert normalise("Huawei’s  15,000 “cards”") == 'huawei\'s 15000 "cards"'
