"""`pip install .` gives a working assistant: the wheel holds every package of the source tree,
the prompt templates, the bundled corpus and the decision's weights, and declares the
`news-rag` command."""

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    # built from a copy: setuptools writes build/ and egg-info next to the sources, and a stale
    # build/ from an earlier run would hide a package the configuration no longer includes
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "requirements.txt", "README.md"):
        shutil.copy(REPO / name, source / name)
    for name in ("rag", "index", "ui", "prompts", "data/corpus"):
        shutil.copytree(REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(source),
        ],
        check=True,
        capture_output=True,
    )
    (path,) = out.glob("news_rag-*.whl")
    return zipfile.ZipFile(path)


def test_every_package_is_in_the_wheel(wheel):
    names = set(wheel.namelist())
    sources = sorted(
        p.relative_to(REPO).as_posix()
        for top in ("rag", "index", "ui")
        for p in (REPO / top).rglob("*.py")
        if "__pycache__" not in p.parts
    )
    assert [s for s in sources if s not in names] == []


def test_prompts_corpus_and_weights_travel_inside_rag(wheel):
    names = set(wheel.namelist())
    for folder, files in (
        ("rag/prompts", sorted((REPO / "prompts").glob("*.j2"))),
        ("rag/corpus", sorted((REPO / "data" / "corpus").glob("*.txt"))),
        ("rag/answering", sorted((REPO / "rag" / "answering").glob("*.json"))),
    ):
        assert files, folder
        assert [f.name for f in files if f"{folder}/{f.name}" not in names] == []


def test_the_command_is_declared(wheel):
    entry_points = next(n for n in wheel.namelist() if n.endswith("entry_points.txt"))
    assert "news-rag = rag.faces.cli:main" in wheel.read(entry_points).decode()
