"""The real default models (MiniLM + Qwen2.5-Coder-0.5B) on the real corpus."""

import pytest

from tests.conftest import SUPERPOD_DOC

pytestmark = pytest.mark.models


def test_superpod_answer_is_cited_to_004(real_assistant):
    a = real_assistant.ask("How many graphics cards can the SuperPoD Interconnect link?")
    assert not a.refused
    assert "15,000" in a.answer
    assert a.citations and a.citations[0].doc_id == SUPERPOD_DOC
    doc = real_assistant.index.documents[SUPERPOD_DOC]
    for c in a.citations:
        assert real_assistant.index.documents[c.doc_id].text[c.start : c.end] == c.text
    assert "15,000 graphics cards" in doc.text[a.citations[0].start : a.citations[0].end]


def test_question_the_articles_cannot_answer_is_refused(real_assistant):
    a = real_assistant.ask("What did Qualcomm announce at Huawei Connect?")
    assert a.refused and not a.citations


def test_investment_question_shows_both_figures(real_assistant):
    a = real_assistant.ask("How much is Huawei investing in smart driving over the next five years?")
    assert a.mode == "conflict" and not a.refused
    assert "$10 billion" in a.answer and "11.7" in a.answer
    assert {c.doc_id for c in a.citations} == {"000_f1d9c9f888274f11", "001_8c1d38af6cb48cef"}
    assert a.conflicts and len(a.conflicts[0].values) == 2


def test_cli_ask_prints_answer_and_sources(real_assistant):
    from click.testing import CliRunner

    from rag.cli import cli

    home = real_assistant.settings.home
    result = CliRunner().invoke(
        cli,
        ["--home", str(home), "ask", "How many graphics cards can the SuperPoD Interconnect link?"],
        env={"RAG_MODELS_DIR": str(real_assistant.settings.models_path)},
    )
    assert result.exit_code == 0, result.output
    assert "15,000" in result.output and "Sources:" in result.output and SUPERPOD_DOC in result.output
