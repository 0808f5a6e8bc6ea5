from rag.core.text import common_words, content_terms, entities, money, normalise, numbers


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


def test_entities_use_corpus_lowercase_words():
    common = common_words(["the company will invest in chips and however"])
    assert entities("However, Nvidia and TSMC make GB200 chips. The Company", common) == {
        "nvidia",
        "tsmc",
        "gb200",
    }


def test_content_terms_drop_question_words_and_stem():
    assert content_terms("How many graphics cards can the SuperPoD link?") == {
        "graphic",
        "card",
        "superpod",
        "link",
    }


def test_normalise_quotes_and_separators():
    assert normalise("Huawei’s  15,000 “cards”") == 'huawei\'s 15000 "cards"'
