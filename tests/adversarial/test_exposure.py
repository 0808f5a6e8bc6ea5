"""Exposure: loopback by default, uploads limited in size and type, no path traversal."""

from __future__ import annotations

import inspect
import io

import pytest

from index.status import skipped_lines, staleness
from rag.core.errors import UploadError
from rag.documents.uploads import save_upload, shown_reason
from rag.faces.cli import serve, ui
from ui.app import launch


@pytest.mark.parametrize(
    "name", ["../../etc/passwd.txt", "..\\..\\win.md", "/abs/path/x.html", ".hidden.txt", "a/../../b.pdf"]
)
def test_upload_names_cannot_escape_the_folder(tmp_path, name, figures):
    folder = tmp_path / "uploads"
    path = save_upload(folder, name, b"Some article text about chips.", 1000)
    ok = path.parent == folder.resolve() and path.is_file()
    figures.record("bad inputs", ok)
    assert ok


@pytest.mark.parametrize(
    ("name", "size", "status"), [("x.exe", 10, 415), ("photo.jpeg", 10, 415), ("big.txt", 2000, 413)]
)
def test_upload_type_and_size_are_limited(tmp_path, name, size, status, figures):
    with pytest.raises(UploadError) as caught:
        save_upload(tmp_path, name, b"x" * size, 1000)
    figures.record("bad inputs", caught.value.status == status)
    assert caught.value.status == status and "\n" not in str(caught.value)


def test_a_file_named_without_a_type_may_be_uploaded(tmp_path):
    path = save_upload(tmp_path, "README", b"Some notes about chips.", 1000)
    assert path == (tmp_path / "README").resolve() and path.read_bytes() == b"Some notes about chips."


def upload(assistant, *files: tuple[str, bytes]):
    return assistant.upload((name, io.BytesIO(data)) for name, data in files)


def outcomes(report) -> list[tuple[str, str, str]]:
    return [(f.name, f.outcome, f.reason) for f in report.files]


def test_an_unreadable_new_version_never_replaces_the_file_already_there(hash_assistant, figures):
    folder = hash_assistant.settings.uploads_path
    first = b"Chip news. A new fab opened in Dresden. It makes 300mm wafers for cars."
    upload(hash_assistant, ("fab.txt", first))
    report = upload(hash_assistant, ("fab.txt", b"\x00\x01 corrupted"))
    ((name, outcome, why),) = outcomes(report)
    kept = (
        (name, outcome) == ("fab.txt", "skipped")
        and why.startswith("binary content")
        and report.status == 400
    )
    kept = kept and why.endswith("; the version already indexed is kept")
    kept = kept and (folder / "fab.txt").read_bytes() == first
    figures.record("bad inputs", kept)
    assert kept and sorted(p.name for p in folder.iterdir()) == ["fab.txt"]  # nothing set aside is left
    assert staleness(hash_assistant.store.read_manifest()) == []
    sent_twice = [("fab.txt", b"Chip news. The Dresden fab doubles its output."), ("fab.txt", b"\x00 broken")]
    assert upload(hash_assistant, *sent_twice).status == 400  # the later bytes count, and are refused
    assert (folder / "fab.txt").read_bytes() == first
    assert sorted(p.name for p in folder.iterdir()) == ["fab.txt"]


def test_a_new_version_the_index_refuses_gives_the_indexed_one_back(hash_assistant, figures):
    """Readable, but refused by the build (here a duplicate of a file sent with it): the uploads
    folder gets the version the index holds back, and keeps no hidden copies."""
    folder = hash_assistant.settings.uploads_path
    first = b"Chip news. A new fab opened in Dresden. It makes 300mm wafers for cars."
    assert outcomes(upload(hash_assistant, ("fab.txt", first))) == [("fab.txt", "added", "")]
    assert outcomes(upload(hash_assistant, ("fab.txt", first))) == [("fab.txt", "unchanged", "")]
    again = b"Chip news. Samsung opened a foundry in Texas. It makes 2nm logic for phones."
    report = upload(hash_assistant, ("aardvark.txt", again), ("fab.txt", again))
    shown = "duplicate of aardvark.txt; the version already indexed is kept"
    kept = outcomes(report) == [("aardvark.txt", "added", ""), ("fab.txt", "skipped", shown)]
    kept = kept and (folder / "fab.txt").read_bytes() == first
    figures.record("bad inputs", kept)
    assert kept and sorted(p.name for p in folder.iterdir()) == ["aardvark.txt", "fab.txt"]
    manifest = hash_assistant.store.read_manifest()
    assert staleness(manifest) == [] and skipped_lines(manifest) == []  # on disk is what is indexed
    twice = [("fab.txt", first + extra) for extra in (b" Jobs: 900.", b" Output doubles in 2027.")]
    report = upload(hash_assistant, *twice)  # one name twice in one request: the later one is indexed
    assert outcomes(report) == [("fab.txt", "updated", "")]
    assert staleness(hash_assistant.store.read_manifest()) == []
    assert b"2027" in (folder / "fab.txt").read_bytes() and sorted(p.name for p in folder.iterdir()) == [
        "aardvark.txt",
        "fab.txt",
    ]
    indexed = (folder / "fab.txt").read_bytes()
    upload(hash_assistant, ("fab.txt", b"Chip news. The Dresden fab hires 200 more."), ("fab.txt", again))
    assert (folder / "fab.txt").read_bytes() == indexed  # the later one, a duplicate, is refused
    assert staleness(hash_assistant.store.read_manifest()) == []


def test_an_upload_reports_every_file_in_the_order_sent(hash_assistant):
    """Refused before the index (type, size) or by it (no text), each file keeps its reason,
    and the status is the first refusal's when nothing was added."""
    report = upload(hash_assistant, ("run.sh", b"rm -rf /"), ("blank.txt", b"x"))
    assert report.build is None and report.status == 415
    assert outcomes(report) == [
        ("run.sh", "skipped", report.files[0].reason),
        ("blank.txt", "skipped", "no usable text after cleaning (scanned PDF or empty page?)"),
    ] and report.files[0].reason.startswith("not a document file; upload one of")
    assert not (hash_assistant.settings.uploads_path / "blank.txt").exists()


def test_a_locked_index_refuses_every_upload_and_keeps_none(hash_assistant):
    folder = hash_assistant.settings.uploads_path
    with hash_assistant.store.lock():  # as if another process were writing the index
        report = upload(hash_assistant, ("fab.txt", b"Chip news. A new fab opened in Dresden."))
    ((name, _, why),) = outcomes(report)
    assert report.status == 409 and name == "fab.txt" and why.startswith("another process is writing")
    assert str(hash_assistant.settings.home) not in why and not (folder / "fab.txt").exists()


def test_reasons_shown_to_uploaders_name_files_not_server_paths(tmp_path, figures):
    folder = tmp_path / "uploads"
    reasons = {
        f"duplicate of {folder.resolve() / 'a.md'}": "duplicate of a.md",
        f"another process is writing the index (lock '{tmp_path / 'index' / '.lock'}'); wait": (
            "another process is writing the index (lock '.lock'); wait"
        ),
        "binary content (NUL bytes); it's a 'program'": "binary content (NUL bytes); it's a 'program'",
    }
    shown = {reason: shown_reason(folder, reason) for reason in reasons}
    figures.record("bad inputs", shown == reasons)
    assert shown == reasons


def test_everything_binds_to_loopback_by_default():
    assert inspect.signature(launch).parameters["host"].default == "127.0.0.1"
    assert inspect.signature(launch).parameters["share"].default is False
    for command in (ui, serve):
        host = next(p for p in command.params if p.name == "host")
        assert host.default == "127.0.0.1"
