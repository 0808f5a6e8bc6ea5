import html
import re

import pytest

from rag.core.types import Answer, Chunk, Citation, Sentence
from ui.render import answer_html, escape, export_markdown, pending_html, question_html

CHUNK = Chunk(
    "d:0",
    "d",
    0,
    "Chips <b>",
    "Image Credits: Getty. Huawei links 15,000 cards. It is big.",
    100,
    159,
    [
        Sentence("Image Credits: Getty.", 100, 121),
        Sentence("Huawei links 15,000 cards.", 122, 148),
        Sentence("It is big.", 149, 159),
    ],
)
CITE = Citation(1, "d", "d:0", "Chips <b>", "Huawei links 15,000 cards.", 122, 148, 0.9)
TRICKY = """Huawei's "CANN" & <CUDA> #1 *b* _i_ [x](y)"""


def visible_text(markup: str) -> str:
    """What a browser shows for this markup: tags gone, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


@pytest.mark.parametrize("text", [TRICKY, "Huawei’s [1] 50% <b>"])
def test_one_escaping_keeps_every_character_as_written(text):
    assert visible_text(escape(text)) == text
    assert visible_text(question_html(text)) == text
    assert "<CUDA>" not in escape(text) and "&#x27;" in escape("'")  # safe, and decodes to the apostrophe


def test_answer_text_tooltip_sources_and_export_keep_special_characters():
    cite = Citation(1, "d", "d:0", TRICKY, TRICKY, 122, 148, 0.9)
    answer = Answer(TRICKY, f"{TRICKY} [1]", citations=[cite], mode="generated")
    bubble = answer_html(answer, 1, {})
    assert visible_text(bubble).count(TRICKY) == 5  # answer; popover title and text; source title and text
    assert "<CUDA>" not in bubble and "\\#" not in bubble and "&amp;#" not in bubble
    md = export_markdown([{"question": TRICKY, "record": answer.to_dict()}])
    assert f"## 1. {TRICKY}" in md and f"{TRICKY} [1]" in md


def test_markers_become_links_to_this_turns_own_source():
    bubble = answer_html(Answer("q", "It links 15,000 cards. [1]", citations=[CITE], mode="generated"), 3, {})
    assert '<a class="cite" href="#t3-c1" aria-describedby="t3-tip1">[1]' in bubble
    assert 'id="t3-c1"' in bubble and 'role="tooltip" id="t3-tip1"' in bubble
    assert "Chips &lt;b&gt; — “Huawei links 15,000 cards.”" in bubble


def test_injected_markers_and_markup_stay_text():
    bubble = answer_html(Answer("q", "Ignore this <img src=x onerror=alert(1)> [7]", citations=[CITE]), 1, {})
    assert "<img" not in bubble and "[7]" in bubble and 'href="#t1-c7"' not in bubble


def test_refusals_are_worded_once_with_a_badge():
    bubble = answer_html(Answer("q", "The documents do not answer this.", refused=True, mode="refusal"), 1)
    assert visible_text(bubble).count("do not answer") == 1 and 'class="badge"' in bubble
    assert "sources disagree" in answer_html(Answer("q", "A vs B", mode="conflict"), 1)


def test_unchecked_answers_say_so():
    bubble = answer_html(Answer("q", "It links 99 cards. [1]", citations=[CITE], checked=False), 1)
    assert "unchecked" in bubble
    assert "unchecked" not in answer_html(Answer("q", "It links. [1]", citations=[CITE]), 1)


def test_pending_state_is_neutral_and_shows_only_checked_text():
    assert "checking…" in pending_html("", True) and "writing (unchecked)" in pending_html("", False)
    assert visible_text(pending_html("It links 15,000 cards. [1]", True)).startswith("It links 15,000 cards.")


def test_source_shows_the_sentence_in_context_without_ids():
    bubble = answer_html(Answer("q", "x [1]", citations=[CITE]), 1, {"d:0": CHUNK})
    assert "Image Credits: Getty. <mark>Huawei links 15,000 cards.</mark> It is big." in bubble
    assert "d:0" not in visible_text(bubble)


def test_export_lists_citations():
    turns = [
        {"question": "How many?", "record": Answer("How many?", "15,000 [1]", citations=[CITE]).to_dict()}
    ]
    md = export_markdown(turns)
    assert (
        "## 1. How many?" in md and "- [1] Chips <b> (d, chars 122-148): “Huawei links 15,000 cards.”" in md
    )
