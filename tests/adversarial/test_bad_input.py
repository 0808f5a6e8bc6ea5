"""Bad files and bad questions: each gets a one-line reason or a clear answer, never a traceback."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from rag.core.errors import InputError
from rag.documents.ingest import load_documents
from rag.faces.cli import cli
from tests.pdf_fixture import write_pdf


def make_bad_files(folder: Path, good: Path) -> dict[str, str]:
    """Write every kind of bad file; returns name -> the reason we expect to see."""
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.txt").write_bytes(os.urandom(2048).replace(b"\x00", b"\x01") + b"\x00" * 16)
    with (folder / "huge.txt").open("wb") as f:
        f.truncate(50 * 1024 * 1024)  # 50 MB, sparse on disk
    (folder / "latin1.txt").write_bytes("Café Zürich news: the fab costs 3 billion euros.".encode("latin-1"))
    (folder / "copy.txt").write_bytes(good.read_bytes())
    (folder / "sheet.xlsx").write_bytes(b"PK\x03\x04 not an article")
    write_pdf(folder / "scan.pdf", [])
    os.symlink(folder / "loop.txt", folder / "loop.txt")
    return {
        "empty.txt": "empty file",
        "binary.txt": "binary content",
        "huge.txt": "too large",
        "copy.txt": "duplicate of",
        "sheet.xlsx": "unsupported type",
        "scan.pdf": "no usable text",
        "loop.txt": "unreadable",
    }


def test_bad_files_each_get_one_reason_and_good_files_are_indexed(tmp_path, corpus_copy, figures):
    expected = make_bad_files(corpus_copy, corpus_copy / "004_dd3f690923d793e8.txt")
    docs, skipped = load_documents([corpus_copy], 20 * 10**6)
    reasons = {Path(s.path).name: s.reason for s in skipped}
    for name, reason in expected.items():
        ok = name in reasons and reasons[name].startswith(reason) and "\n" not in reasons[name]
        figures.record("bad inputs", ok)
        assert ok, (name, reasons.get(name))
    ids = {d.doc_id for d in docs}
    assert {p.stem for p in Path("data/corpus").iterdir()} <= ids
    assert "latin1" in ids  # non-UTF-8 text is decoded, not refused
    figures.record("bad inputs", "latin1" in ids)


QUESTIONS = {
    "empty": "",
    "whitespace": "   \n\t ",
    "control": "\x00\x07\x1b[31m",
    "long": "How many graphics cards can the SuperPoD link? " * 450,
    "chinese": "华为的SuperPoD可以连接多少张显卡？",
    "sql": "'; DROP TABLE chunks; -- How many cards?",
    "html": "<script>alert('x')</script> What is CANN?",
    "markdown": "[click](javascript:alert(1)) **What** is Pangu?",
}


@pytest.mark.parametrize("kind", sorted(QUESTIONS))
def test_bad_questions_get_an_answer_or_a_clear_error(hash_assistant, figures, kind):
    question = QUESTIONS[kind]
    hash_assistant.generator.reply = "[1] 15,000"
    try:
        answer = hash_assistant.ask(question)
    except InputError as exc:
        ok = (kind in {"empty", "whitespace", "control"} and "question is empty" in str(exc)) or (
            kind == "long" and "the limit is 1000" in str(exc)
        )
    else:
        ok = isinstance(answer.answer, str) and answer.answer != "" and len(answer.question) <= 1000
        ok = ok and "<script>" not in answer.answer
    figures.record("bad inputs", ok)
    assert ok, kind


def test_cli_errors_are_one_line(tmp_path, figures):
    runner = CliRunner()
    cases = [
        ["--home", str(tmp_path), "ask", ""],  # no index yet: one line naming the fix
        [
            "--home",
            str(tmp_path),
            "batch",
            str(tmp_path / "missing.jsonl"),
            "--out",
            str(tmp_path / "a.jsonl"),
        ],
        ["--home", str(tmp_path), "index", "build", str(tmp_path / "nowhere")],
        ["--home", str(tmp_path), "index", "remove", "nope"],
    ]
    for args in cases:
        result = runner.invoke(cli, args)
        lines = result.output.strip().splitlines()
        ok = result.exit_code != 0 and len(lines) == 1 and lines[0].startswith("Error: ")
        ok = ok and "Traceback" not in result.output
        figures.record("bad inputs", ok)
        assert ok, (args, result.output)
