from pathlib import Path

import pytest
from click.testing import CliRunner

from rag.faces.cli import cli
from tests.conftest import SUPERPOD_Q


@pytest.fixture
def run(tmp_path: Path):
    def invoke(*args: str):
        return CliRunner().invoke(cli, ["--home", str(tmp_path / "home"), *args])

    return invoke


COMMANDS = [
    ["index", "build"],
    ["index", "add"],
    ["index", "remove"],
    ["index", "status"],
    ["search"],
    ["ask"],
    ["batch"],
    ["serve"],
    ["ui"],
]


class TestHelp:
    @pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
    def test_every_command_teaches_with_a_real_example(self, run, args):
        result = run(*args, "--help")
        assert result.exit_code == 0
        assert "Example" in result.output
        # an example line that runs this very command, as a user would type it
        assert f"python -m rag {' '.join(args)}" in result.output

    def test_generator_help_names_every_packaged_model_and_the_default_first(self, run):
        from rag.core.settings import Settings
        from rag.generation.models import PACKAGED_GENERATORS

        output = " ".join(run("ask", "--help").output.split())
        names = list(PACKAGED_GENERATORS)
        assert names[0] == Settings().generator
        assert f"({', '.join(names)}; the first is the default)" in output

    def test_top_level_help_shows_a_quick_start(self, run):
        output = run("--help").output
        assert "Quick start:" in output and "python -m rag index build" in output


class TestErrors:
    def test_search_without_index_is_one_clear_line(self, run):
        result = run("search", "anything")
        assert result.exit_code == 1
        assert len(result.output.strip().splitlines()) == 1
        assert result.output.startswith("Error: no index at ")
        assert "run `python -m rag index build` first" in result.output
        assert "Traceback" not in result.output

    def test_bad_setting_is_one_clear_line(self, run, monkeypatch):
        monkeypatch.setenv("RAG_TOP_K", "0")
        result = run("search", "anything")
        assert result.exit_code == 1
        assert "invalid setting top_k: Input should be greater than 0 (got '0')" in result.output

    def test_missing_config_file(self, run, tmp_path):
        result = run("--config", str(tmp_path / "nope.toml"), "index", "status")
        assert result.exit_code == 1 and "does not exist" in result.output

    @pytest.mark.parametrize(
        ("toml", "message"),
        [
            ("top_kk = 4\n", "unknown setting top_kk (got 4); did you mean top_k?"),
            ("zzz = 1\n", "unknown setting zzz (got 1); see Settings in README.md"),
            ("top_k = \n", "is not valid TOML (Invalid value (at line 1, column 9)); fix that line"),
        ],
    )
    def test_a_config_file_mistake_is_one_clear_line(self, run, tmp_path, toml, message):
        (tmp_path / "config.toml").write_text(toml)
        result = run("--config", str(tmp_path / "config.toml"), "index", "status")
        assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1
        assert message in result.output and "Traceback" not in result.output

    @pytest.mark.parametrize("command", ["serve", "ui"])
    def test_a_port_in_use_is_one_clear_line_before_anything_loads(self, run, command):
        import socket

        with socket.socket() as holder:
            holder.bind(("127.0.0.1", 0))
            holder.listen()
            port = holder.getsockname()[1]
            result = run(command, "--port", str(port))  # no index here: the port is checked first
        assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1
        assert f"cannot listen on 127.0.0.1:{port} (Address already in use)" in result.output
        assert "pick another port with --port" in result.output

    def test_openai_backend_without_url_is_one_clear_line(self, run):
        result = run("ask", "Who makes CANN?", "--backend", "openai")
        assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1
        assert "needs generator_url" in result.output and "RAG_GENERATOR_URL" in result.output

    def test_workers_must_be_positive(self, run, tmp_path):
        (tmp_path / "q.txt").write_text("Who makes CANN?\n")
        result = run("batch", str(tmp_path / "q.txt"), "-o", str(tmp_path / "a.jsonl"), "--workers", "0")
        assert result.exit_code == 2 and "0 is not in the range x>=1" in result.output


@pytest.mark.models
class TestRealCli:
    def test_build_status_search(self, run, corpus_copy):
        result = run("index", "build", str(corpus_copy))
        assert result.exit_code == 0, result.output
        assert "5 documents" in result.output and "5 added" in result.output
        status = run("index", "status")
        assert "documents: 5" in status.output and "stale:     no" in status.output
        (corpus_copy / "000_f1d9c9f888274f11.txt").write_text("Changed text about chips and clusters.")
        assert "1 changed (000_f1d9c9f888274f11)" in run("index", "status").output
        search = run("search", SUPERPOD_Q, "-k", "2")
        assert search.exit_code == 0
        assert search.output.startswith("[1] 004_dd3f690923d793e8:")

    def test_unreachable_model_server_is_one_clear_line(self, run, corpus_copy, monkeypatch):
        from tests.conftest import free_port

        assert run("index", "build", str(corpus_copy)).exit_code == 0
        url = f"http://127.0.0.1:{free_port()}/v1"
        monkeypatch.setenv("RAG_GENERATOR_URL", url)
        result = run("ask", SUPERPOD_Q, "--backend", "openai")
        assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1
        assert f"cannot reach the model server at {url}" in result.output

    def test_readers_follow_a_qdrant_index_and_take_the_same_options(self, tmp_path, corpus_copy):
        home = str(tmp_path / "qhome")
        cli_run = CliRunner().invoke
        built = cli_run(cli, ["index", "build", str(corpus_copy), "--store", "qdrant", "--home", home])
        assert built.exit_code == 0, built.output
        search = cli_run(cli, ["search", SUPERPOD_Q, "-k", "1", "--home", home])  # no --store
        assert search.exit_code == 0, search.output
        assert search.output.startswith("[1] 004_dd3f690923d793e8:")
        ask = cli_run(cli, ["ask", SUPERPOD_Q, "-g", "extractive", "--home", home, "--store", "qdrant"])
        assert ask.exit_code == 0 and "15,000" in ask.output
        status = cli_run(cli, ["index", "status", "--home", home])
        assert "documents: 5" in status.output
        wrong = cli_run(cli, ["search", SUPERPOD_Q, "--home", home, "--store", "faiss"])
        assert wrong.exit_code == 1 and len(wrong.output.strip().splitlines()) == 1
        assert "built for the 'qdrant' store, not 'faiss'" in wrong.output
