import pytest

from rag.core.errors import PromptError
from rag.core.settings import PROMPTS_DIR
from rag.generation.prompting import PromptLibrary


class TestPromptLibrary:
    def test_every_task_has_a_template(self):
        names = {p.stem for p in PROMPTS_DIR.glob("*.j2")}
        assert {
            "system",
            "answer",
            "answer_completion",
            "refusal",
            "premise",
            "conflict",
            "extractive",
            "located",
            "rewrite",
        } <= names

    def test_render(self):
        text = PromptLibrary(PROMPTS_DIR).render(
            "answer", passages=[{"marker": 1, "text": "Body."}], question="Q?"
        )
        assert text.startswith("[1] Body.") and text.endswith("Question: Q?")

    def test_missing_variable_is_a_named_error(self):
        with pytest.raises(PromptError, match=r"prompt 'answer' needs a variable.*question"):
            PromptLibrary(PROMPTS_DIR).render("answer", passages=[])

    def test_missing_template(self, tmp_path):
        with pytest.raises(PromptError, match="no prompt template 'nope'"):
            PromptLibrary(tmp_path).render("nope")
