import re

from rag.documents.chunking import Chunker
from rag.documents.clean import clean_text, has_junk
from rag.documents.ingest import load_document
from tests.conftest import CORPUS

THAI = re.compile(r"[\u0E00-\u0E7F]")


class TestCleanText:
    def test_mojibake_from_001_is_gone_from_every_chunk(self):
        doc = load_document(CORPUS / "001_8c1d38af6cb48cef.txt", 10**7)
        chunks = Chunker().run(doc)
        assert chunks
        for chunk in chunks:
            assert not THAI.search(chunk.text), chunk.text[:200]
            for junk in ("๐ญ๐ฐ", "โข", "โก"):
                assert junk not in chunk.text
        # the words around the junk survive, separated rather than glued together
        assert "SCMP Technology Freshcollected" in doc.text
        assert "Deep Insight" in doc.text
        assert "- The investment is specifically earmarked" in doc.text

    def test_real_punctuation_and_scripts_are_kept(self):
        text = "“Quoted” and ‘single’ — en–dash, café naïve, 北京 华为, ภาษาไทย, 50€ … done"
        assert clean_text(text) == text

    def test_curly_apostrophes_in_corpus_survive(self):
        doc = load_document(CORPUS / "004_dd3f690923d793e8.txt", 10**7)
        assert "Huawei’s SuperPoD Interconnect" in doc.text
        assert "which—though less powerful than Nvidia’s—can" in doc.text

    def test_control_characters_and_replacement_marks_are_stripped(self):
        assert clean_text("a\x00b\x07c\ufffd d\r\ne") == "abc d\ne"

    def test_encoding_damage_ftfy_can_repair_is_repaired(self):
        assert clean_text("Huaweiâ€™s chips") == "Huawei’s chips"

    def test_has_junk_detects_only_mojibake(self):
        assert has_junk("๐ญ๐ฐSCMP Technology")
        assert not has_junk("ภาษาไทย")
        assert not has_junk("plain text")
