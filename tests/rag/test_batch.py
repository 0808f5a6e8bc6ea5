import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from rag.core.errors import InputError, RagError
from rag.core.types import Answer
from rag.faces.batch import read_questions, run_batch


def fake_answer(question, history=None):
    if "boom" in question:
        raise RuntimeError("model crashed")
    if "bad" in question:
        raise RagError("a domain error")
    return Answer(
        question=question, answer=f"answer to {question}", refused="refuse" in question, latency_s=0.5
    )


def records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


class TestReadQuestions:
    def test_jsonl_with_bad_lines(self, tmp_path):
        f = tmp_path / "q.jsonl"
        f.write_text(
            '{"id": "a", "question": "one?"}\nnot json\n{"id": "b"}\n'
            '{"question": "two?", "extra": 1}\n{"id": "a", "question": "again?"}\n'
            '{"id": "h", "question": "it?", "history": "oops"}\n'
        )
        items = read_questions(f)
        assert [(i.id, i.error is None) for i in items] == [
            ("a", True),
            ("line-2", False),
            ("b", False),  # the id the user gave, so the error can be matched to its row
            ("line-4", True),
            ("a#dup2", False),
            ("h", False),
        ]
        assert items[1].error.startswith("line 2 is not valid JSON (Expecting value at column 1); write")
        assert items[2].error.startswith('line 3 has no "question" string; write {"id"')
        assert "duplicate id 'a'" in items[4].error
        assert "history" in items[5].error

    def test_csv_and_txt(self, tmp_path):
        (tmp_path / "q.csv").write_text("id,question\nx,First?\n,Second?\n")
        assert [(i.id, i.question) for i in read_questions(tmp_path / "q.csv")] == [
            ("x", "First?"),
            ("line-3", "Second?"),
        ]
        (tmp_path / "q.txt").write_text("First?\n\nSecond?\n")
        assert [i.id for i in read_questions(tmp_path / "q.txt")] == ["line-1", "line-3"]

    @pytest.mark.parametrize("encoding", ["utf-16", "utf-8-sig", "cp1252"])
    def test_questions_keep_their_letters_in_the_encodings_excel_saves(self, tmp_path, encoding):
        (tmp_path / "q.csv").write_bytes("id,question\nq1,Who runs Café Société?\n".encode(encoding))
        assert [(i.id, i.question) for i in read_questions(tmp_path / "q.csv")] == [
            ("q1", "Who runs Café Société?")
        ]
        (tmp_path / "q.csv").write_bytes(b"id,question\n\x00\x01\x02")
        with pytest.raises(InputError, match=r"binary content \(NUL bytes\); save it as UTF-8 text"):
            read_questions(tmp_path / "q.csv")

    def test_csv_without_question_column(self, tmp_path):
        (tmp_path / "q.csv").write_text("id,text\n1,hello\n")
        with pytest.raises(InputError, match="no 'question' column"):
            read_questions(tmp_path / "q.csv")

    def test_missing_file_and_bad_extension(self, tmp_path):
        with pytest.raises(InputError, match="does not exist"):
            read_questions(tmp_path / "nope.jsonl")
        (tmp_path / "q.xlsx").write_text("x")
        with pytest.raises(InputError, match=r"use \.jsonl, \.csv or \.txt"):
            read_questions(tmp_path / "q.xlsx")


class TestRunBatch:
    def test_every_line_gets_a_record_in_order(self, tmp_path):
        q = tmp_path / "q.txt"
        q.write_text("first?\nboom?\nplease refuse?\nbad?\nlast?\n")
        out = tmp_path / "a.jsonl"
        summary = run_batch(fake_answer, q, out, progress=False)
        rows = records(out)
        assert [r["id"] for r in rows] == ["line-1", "line-2", "line-3", "line-4", "line-5"]
        assert (
            rows[1]["error"].startswith("internal error: RuntimeError")
            and rows[3]["error"] == "a domain error"
        )
        assert rows[0]["answer"] == "answer to first?" and rows[2]["refused"] is True
        assert (summary.answered, summary.refused, summary.failed) == (3, 1, 2)
        assert summary.median_latency == 0.5

    def test_resume_skips_answered_and_survives_a_cut_line(self, tmp_path):
        q = tmp_path / "q.txt"
        q.write_text("one?\ntwo?\nthree?\n")
        out = tmp_path / "a.jsonl"
        out.write_text(
            json.dumps(
                {"id": "line-2", "question": "two?", "answer": "old", "refused": False, "latency_s": 1.0}
            )
            + '\n{"id": "line-3", "quest'
        )  # killed mid-write
        calls = []

        def counting(question, history=None):
            calls.append(question)
            return fake_answer(question)

        summary = run_batch(counting, q, out, progress=False)
        assert calls == ["one?", "three?"] and summary.skipped == 1
        rows = records(out)
        assert [r["id"] for r in rows] == ["line-1", "line-2", "line-3"]
        assert rows[1]["answer"] == "old"

    def test_an_out_file_that_is_not_ours_is_never_written(self, tmp_path):
        q = tmp_path / "q.jsonl"
        q.write_text('{"id": "q1", "question": "one?"}\n')
        other = tmp_path / "notes.jsonl"
        other.write_text('{"id": "x", "text": "my notes"}\n')
        cases = [
            (q, "the answers would go into the questions file"),
            (other, "line 1 is not an answer of a batch run; choose a new --out file"),
            (tmp_path, "is a folder; --out takes a file"),
        ]
        for out, message in cases:
            with pytest.raises(InputError, match=message):
                run_batch(fake_answer, q, out, progress=False)
        assert q.read_text() == '{"id": "q1", "question": "one?"}\n'
        assert other.read_text() == '{"id": "x", "text": "my notes"}\n'

    def test_failed_lines_are_retried_on_resume(self, tmp_path):
        q = tmp_path / "q.txt"
        q.write_text("boom?\n")
        out = tmp_path / "a.jsonl"
        run_batch(fake_answer, q, out, progress=False)
        q.write_text("fixed?\n")
        run_batch(fake_answer, q, out, progress=False)
        assert [r.get("error") for r in records(out)] == [None]


class TestBatchCli:
    def test_exit_code_and_summary(self, hash_assistant, tmp_path, monkeypatch):
        from rag.faces import cli as cli_module

        monkeypatch.setattr(cli_module, "_assistant", lambda ctx, **kw: hash_assistant)
        q = tmp_path / "q.jsonl"
        q.write_text('{"id": "1", "question": "How many graphics cards can the SuperPoD link?"}\nnot json\n')
        result = CliRunner().invoke(cli_module.cli, ["batch", str(q), "--out", str(tmp_path / "a.jsonl")])
        assert result.exit_code == 1
        assert "1 answered, 0 refused, 1 failed" in result.output
