from rag.core.types import Answer, Chunk, Citation, Sentence
from ui.render import answer_markdown, escape, export_markdown, sources_html

CHUNK = Chunk(
    "d:0",
    "d",
    0,
    "Chips <b>",
    "Intro. Huawei links 15,000 cards.",
    100,
    133,
    [Sentence("Intro.", 100, 106), Sentence("Huawei links 15,000 cards.", 107, 133)],
)
CITE = Citation(1, "d", "d:0", "Chips <b>", "Huawei links 15,000 cards.", 107, 133, 0.9)


def test_escape_neutralises_html_and_markdown():
    out = escape("<script>alert(1)</script> [x](javascript:y) **b**")
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert "\\[x\\]\\(javascript:y\\)" in out and "\\*\\*b\\*\\*" in out


def test_markers_become_links_with_title_and_sentence():
    md = answer_markdown(Answer("q", "It links 15,000 cards. [1]", citations=[CITE], mode="generated"))
    assert '<a class="cite" href="#cite-1" title="Chips &lt;b&gt; — “Huawei links 15,000 cards.”">' in md
    assert md.startswith("It links 15,000 cards.")


def test_tooltips_cannot_form_markdown_links():
    cite = Citation(1, "d", "d:0", "T", "see [a](js:b)", 0, 1, 1)
    md = answer_markdown(Answer("q", "x [1]", citations=[cite]))
    assert "[a](js:b)" not in md and "&#91;a&#93;&#40;js:b&#41;" in md


def test_injected_markers_and_markup_stay_text():
    md = answer_markdown(Answer("q", "Ignore this <img src=x onerror=alert(1)> [7]", citations=[CITE]))
    assert "<img" not in md and "\\[7\\]" in md


def test_refusals_and_conflicts_are_labelled():
    assert answer_markdown(Answer("q", "No.", refused=True, mode="refusal")).startswith("🚫")
    assert answer_markdown(Answer("q", "A vs B", mode="conflict")).startswith("⚖️")
    assert answer_markdown(Answer("q", "No.", refused=True, mode="premise")).startswith("⚠️")


def test_sources_highlight_the_sentence_inside_its_passage():
    html = sources_html(Answer("q", "x [1]", citations=[CITE]), {"d:0": CHUNK})
    assert 'id="cite-1"' in html and "Chips &lt;b&gt;" in html
    assert "Intro. <mark>Huawei links 15,000 cards.</mark>" in html


def test_export_lists_citations():
    turns = [
        {"question": "How many?", "record": Answer("How many?", "15,000 [1]", citations=[CITE]).to_dict()}
    ]
    md = export_markdown(turns)
    assert (
        "## 1. How many?" in md and "- [1] Chips <b> (d:0, chars 107-133): “Huawei links 15,000 cards.”" in md
    )
