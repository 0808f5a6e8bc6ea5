import pytest

from rag.core.types import Document
from rag.documents.chunking import Chunker
from rag.documents.ingest import load_documents
from rag.documents.sentences import is_heading, split_sentences
from tests.conftest import CORPUS


@pytest.fixture(scope="module")
def docs():
    docs, skipped = load_documents([CORPUS], 10**7)
    assert not skipped
    return docs


def _doc(text: str) -> Document:
    return Document(doc_id="d", title="T", text=text, source="d.txt", sha256="x")


class TestSplitSentences:
    def test_spans_point_into_the_text(self, docs):
        for doc in docs:
            for s in split_sentences(doc.text):
                assert doc.text[s.start : s.end] == s.text
                assert s.text == s.text.strip()

    def test_abbreviations_do_not_split(self):
        text = "The U.S. placed it on a blacklist in 2019. That move cut off TSMC."
        assert [s.text for s in split_sentences(text)] == [
            "The U.S. placed it on a blacklist in 2019.",
            "That move cut off TSMC.",
        ]

    def test_sentences_never_cross_lines(self):
        sents = split_sentences("What happened\nHuawei announced a plan. It is big.")
        assert [s.text for s in sents] == ["What happened", "Huawei announced a plan.", "It is big."]
        assert is_heading(sents[0]) and not is_heading(sents[1])


class TestChunker:
    def test_init(self):
        c = Chunker(sentences=3, overlap=1, max_chars=500)
        assert (c.sentences, c.overlap, c.max_chars) == (3, 1, 500)

    def test_invalid_overlap(self):
        with pytest.raises(ValueError, match="overlap must be in"):
            Chunker(sentences=2, overlap=2)

    def test_invalid_size(self):
        with pytest.raises(ValueError, match="sentences must be at least 1"):
            Chunker(sentences=0)

    def test_run_ids_spans_and_whole_sentences(self, docs):
        for doc in docs:
            chunks = Chunker(sentences=4, overlap=1).run(doc)
            all_sents = split_sentences(doc.text)
            starts = {s.start for s in all_sents}
            ends = {s.end for s in all_sents}
            assert [c.chunk_id for c in chunks] == [f"{doc.doc_id}:{i}" for i in range(len(chunks))]
            for c in chunks:
                assert c.doc_id == doc.doc_id and c.title == doc.title
                assert doc.text[c.start : c.end] == c.text
                assert c.start in starts and c.end in ends  # never cut inside a sentence
                assert c.sentences[0].start == c.start and c.sentences[-1].end == c.end
            covered = {s for c in chunks for s in c.sentences}
            assert covered == set(all_sents)  # nothing lost

    def test_overlap_and_size(self):
        text = " ".join(f"Sentence number {i} is here." for i in range(10))
        chunks = Chunker(sentences=4, overlap=1).run(_doc(text))
        assert [len(c.sentences) for c in chunks] == [4, 4, 4]
        assert chunks[0].sentences[-1] == chunks[1].sentences[0]

    def test_heading_travels_with_its_paragraph(self):
        text = "First fact here. Second fact here.\nWhat happened\nThird fact here. Fourth one."
        chunks = Chunker(sentences=2, overlap=0).run(_doc(text))
        assert [c.text for c in chunks] == [
            "First fact here. Second fact here.",
            "What happened\nThird fact here. Fourth one.",
        ]

    def test_max_chars_caps_a_chunk(self):
        text = " ".join(["A fairly long sentence that takes up room in the chunk."] * 6)
        chunks = Chunker(sentences=6, overlap=0, max_chars=130).run(_doc(text))
        assert all(len(c.text) <= 130 for c in chunks)


WRAPPED = """Licence text
1. Definitions.
"Contributor" shall mean Licensor and any individual or Legal Entity
on behalf of whom a Contribution has been received by Licensor and
subsequently incorporated within the Work. A second sentence starts
here and ends on the next line of the paragraph.

- a list item that is short
- another list item

The latest version of the program can be found at the project site
which moves now and then. Every release is signed by the maintainers
of the project, and each tarball comes with a detached signature file
that you should check before you install anything from it at all.
"""


class TestHardWrappedText:
    def test_sentences_run_across_wrapped_lines_with_exact_spans(self):
        sents = split_sentences(WRAPPED)
        texts = [" ".join(s.text.split()) for s in sents]
        assert (
            '"Contributor" shall mean Licensor and any individual or Legal Entity on behalf of whom a '
            "Contribution has been received by Licensor and subsequently incorporated within the Work."
        ) in texts
        assert (
            "The latest version of the program can be found at the project site which moves now and then."
            in texts
        )
        for s in sents:
            assert WRAPPED[s.start : s.end] == s.text

    def test_list_items_headings_and_blank_lines_end_paragraphs(self):
        texts = [s.text for s in split_sentences(WRAPPED)]
        assert "Licence text" in texts and "1. Definitions." in texts
        assert "- a list item that is short" in texts and "- another list item" in texts

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            (  # an inline enumeration stays with its lead-in
                "Intro line.\n\nIf it is impossible for You to comply, then You must: (a) comply with the "
                "terms to the maximum extent possible; and (b) describe the limitations. Such a "
                "description must be placed in a text file.\n",
                [
                    "Intro line.",
                    "If it is impossible for You to comply, then You must: (a) comply with the terms to the "
                    "maximum extent possible; and (b) describe the limitations.",
                    "Such a description must be placed in a text file.",
                ],
            ),
            (  # a full stop inside a file name ends no sentence
                "gzip produces files with a .gz extension. Previous versions used the .z extension.\n"
                "The log is kept in a file called .ninja_log. If a .tar.gz file is damaged, files "
                "beyond the failure point cannot be recovered.\n",
                [
                    "gzip produces files with a .gz extension.",
                    "Previous versions used the .z extension.",
                    "The log is kept in a file called .ninja_log.",
                    "If a .tar.gz file is damaged, files beyond the failure point cannot be recovered.",
                ],
            ),
        ],
        ids=["enumeration", "file-name"],
    )
    def test_pieces_that_end_no_sentence_are_joined(self, text: str, expected: list[str]):
        sents = split_sentences(text)
        assert [" ".join(s.text.split()) for s in sents] == expected
        assert all(text[s.start : s.end] == s.text for s in sents)

    def test_one_paragraph_a_line_is_left_alone(self):
        text = "\n".join(["Short title line"] + [f"Paragraph {i} says one thing here." for i in range(12)])
        sents = split_sentences(text)
        assert all("\n" not in s.text for s in sents) and sents[0].text == "Short title line"
