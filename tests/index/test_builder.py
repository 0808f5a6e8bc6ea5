from pathlib import Path

import numpy as np
import pytest

from index.store import FORMAT, IndexStore
from rag.core.errors import (
    IndexCorruptError,
    IndexLockedError,
    IndexMismatchError,
    IndexMissingError,
    NothingIndexed,
    RagError,
)
from rag.core.settings import load_settings
from tests.conftest import HashEmbedder, load_index, make_builder

DOC_004 = "004_dd3f690923d793e8"


@pytest.fixture
def builder(settings, embedder):
    return make_builder(settings, embedder)


def _load(settings):
    return load_index(settings)


class TestBuild:
    def test_build_saves_everything_the_manifest_promises(self, builder, settings, corpus_copy):
        report = builder.build([corpus_copy])
        assert sorted(report.added) == sorted(p.stem for p in corpus_copy.iterdir())
        index = _load(settings)
        m = index.manifest
        assert m.format == FORMAT
        assert (m.embedder, m.dim, m.index_type) == ("hash-test", 64, "flat")
        assert m.chunking == {"sentences": 4, "overlap": 1, "max_chars": 900, "embed_title": True}
        assert all(len(info["sha256"]) == 64 for info in m.documents.values())
        assert len(index.chunks) == m.num_chunks == index.store.size == len(index.vectors)
        assert report.embedded_chunks == m.num_chunks

    def test_changing_one_file_reembeds_only_its_chunks(self, builder, embedder, settings, corpus_copy):
        builder.build([corpus_copy])
        before = _load(settings)
        path = corpus_copy / f"{DOC_004}.txt"
        path.write_text(path.read_text() + "\nHuawei also showed a new liquid cooling rack.\n")
        embedder.calls.clear()
        report = builder.build([corpus_copy])
        after = _load(settings)
        n_004 = len(after.chunks_of(DOC_004))
        assert report.updated == [DOC_004] and not report.added
        assert embedder.calls == [n_004]  # one batch: the changed document's chunks
        for doc_id in after.documents:
            if doc_id != DOC_004:
                old_rows = [i for i, c in enumerate(before.chunks) if c.doc_id == doc_id]
                new_rows = [i for i, c in enumerate(after.chunks) if c.doc_id == doc_id]
                np.testing.assert_array_equal(before.vectors[old_rows], after.vectors[new_rows])
        assert any("liquid cooling" in c.text for c in after.chunks_of(DOC_004))

    def test_stored_sentence_vectors_are_carried_over(self, embedder, settings, corpus_copy):
        with_sentences = settings.model_copy(update={"embed_sentences": True})
        builder = make_builder(with_sentences, embedder)
        builder.build([corpus_copy])
        before = load_index(with_sentences)
        path = corpus_copy / f"{DOC_004}.txt"
        path.write_text(path.read_text() + "\nHuawei also showed a new liquid cooling rack.\n")
        embedder.calls.clear()
        builder.build([corpus_copy])
        after = load_index(with_sentences)
        sentences_004 = {s.start for c in after.chunks_of(DOC_004) for s in c.sentences}
        assert embedder.calls == [len(after.chunks_of(DOC_004)), len(sentences_004)]
        for key, row in after.sentence_rows.items():  # carried-over sentence vectors are the old ones
            if key[0] != DOC_004:
                np.testing.assert_array_equal(
                    after.sentence_vectors[row], before.sentence_vectors[before.sentence_rows[key]]
                )
        stored = after.sentence_matrix([(DOC_004, min(sentences_004))])
        fresh = embedder.embed([after.chunks_of(DOC_004)[0].sentences[0].text])
        np.testing.assert_allclose(stored, fresh, atol=1e-6)

    def test_unchanged_rebuild_embeds_nothing(self, builder, embedder, corpus_copy):
        builder.build([corpus_copy])
        embedder.calls.clear()
        report = builder.build([corpus_copy])
        assert embedder.calls == [] and len(report.unchanged) == 5

    def test_removed_file_is_dropped(self, builder, settings, corpus_copy):
        builder.build([corpus_copy])
        (corpus_copy / f"{DOC_004}.txt").unlink()
        report = builder.build([corpus_copy])
        assert report.removed == [DOC_004]
        assert DOC_004 not in _load(settings).documents

    def test_add_and_remove(self, builder, embedder, settings, corpus_copy, tmp_path: Path):
        builder.build([corpus_copy])
        new = tmp_path / "new_story.md"
        new.write_text("Chip news\nA new fab opened in Dresden. It makes 300mm wafers.")
        embedder.calls.clear()
        report = builder.add([new])
        assert report.added == ["new_story"] and len(report.unchanged) == 5
        added = _load(settings).chunks_of("new_story")
        assert embedder.calls == [len(added)]  # only the new article is embedded
        builder.remove(["new_story"])
        assert "new_story" not in _load(settings).documents
        with pytest.raises(RagError, match="no such document id"):
            builder.remove(["nope"])

    def test_a_copy_of_an_indexed_document_is_not_added_twice(self, builder, settings, corpus_copy, tmp_path):
        """As a build skips the second of two equal files, an add skips a file with the same
        bytes as a document indexed under another name; its own name may still change."""
        builder.build([corpus_copy])
        original = corpus_copy / "004_dd3f690923d793e8.txt"
        copy = tmp_path / "superpod.txt"
        copy.write_bytes(original.read_bytes())
        new = tmp_path / "new_story.md"
        new.write_text("Chip news\nA new fab opened in Dresden. It makes 300mm wafers.")
        report = builder.add([copy, new])
        assert report.added == ["new_story"] and [(s.path, s.reason) for s in report.skipped] == [
            (str(copy), f"duplicate of {original}")
        ]
        with pytest.raises(NothingIndexed, match=r"superpod\.txt: duplicate of"):
            builder.add([copy])
        copy.write_bytes(original.read_bytes().replace(b"\n", b"\r\n"))  # saved on Windows: other bytes
        with pytest.raises(NothingIndexed, match=r"superpod\.txt: duplicate of"):
            builder.add([copy])
        new.write_bytes(original.read_bytes())  # an indexed document's new version, equal to another
        with pytest.raises(NothingIndexed, match=r"new_story\.md: duplicate of .*004_dd3f690923d793e8\.txt"):
            builder.add([new])
        assert "Dresden" in _load(settings).documents["new_story"].text

    def test_an_add_that_adds_nothing_names_each_files_reason(self, builder, corpus_copy, tmp_path: Path):
        builder.build([corpus_copy])
        (tmp_path / "empty.txt").write_text("")
        (tmp_path / "tool.txt").write_bytes(b"\x7fELF\x00")
        with pytest.raises(NothingIndexed) as caught:
            builder.add([tmp_path / "empty.txt", tmp_path / "tool.txt"])
        message = str(caught.value)
        assert message.startswith("none of the files could be indexed (") and "\n" not in message
        assert f"{tmp_path / 'empty.txt'}: empty file" in message and "tool.txt: binary content" in message
        assert [Path(path).name for path, _ in caught.value.skipped] == ["empty.txt", "tool.txt"]
        (tmp_path / "nothing").mkdir()
        with pytest.raises(NothingIndexed, match=r"no document files in .*nothing; supported: \.docx"):
            builder.add([tmp_path / "nothing"])

    def test_files_the_build_skips_are_recorded_until_they_become_readable(
        self, builder, settings, corpus_copy
    ):
        binary = corpus_copy / "ninja"  # no type, so read by content: NUL bytes, a program
        binary.write_bytes(b"\x7fELF\x00\x00")
        report = builder.build([corpus_copy])
        assert [Path(s.path).name for s in report.skipped] == ["ninja"]
        recorded = _load(settings).manifest.skipped
        assert list(recorded) == [str(binary)] and "binary content" in recorded[str(binary)]["reason"]
        notes = corpus_copy / "notes.md"
        notes.write_text("Fab notes\nA new fab opened in Dresden.")
        builder.add([notes])  # an update keeps what earlier builds skipped
        assert list(_load(settings).manifest.skipped) == [str(binary)]
        builder.remove(["notes"])
        assert list(_load(settings).manifest.skipped) == [str(binary)]
        binary.write_text("Readable now: the fab opened in Dresden.")
        builder.add([binary])
        index = _load(settings)
        assert "ninja" in index.documents and index.manifest.skipped == {}

    def test_empty_corpus_is_a_clear_error(self, builder, tmp_path: Path):
        (tmp_path / "empty").mkdir()
        with pytest.raises(NothingIndexed, match=r"no document files in .*empty; supported: \.docx"):
            builder.build([tmp_path / "empty"])

    def test_missing_path(self, builder, tmp_path: Path):
        with pytest.raises(RagError, match="path not found"):
            builder.build([tmp_path / "nowhere"])

    @pytest.mark.parametrize("kind", ["hnsw", "ivf", "auto"])
    def test_other_index_types(self, tmp_path, embedder, corpus_copy, kind):
        s = load_settings(home=tmp_path / "h", embedder="hash-test", index_type=kind)
        make_builder(s, embedder).build([corpus_copy])
        index = _load(s)
        assert index.manifest.index_type == ("flat" if kind == "auto" else kind)
        _scores, rows = index.dense(index.vectors[3], 5)
        assert rows[0] == 3


class TestLoadChecks:
    def test_missing_index(self, settings):
        with pytest.raises(IndexMissingError, match="run `python -m rag index build`"):
            _load(settings)

    def test_other_embedder(self, builder, settings, corpus_copy):
        builder.build([corpus_copy])
        with pytest.raises(IndexMismatchError, match=r"built with embedder 'hash-test'.*--rebuild"):
            load_index(settings, "all-MiniLM-L6-v2@openvino")

    def test_sentence_vectors_are_stored_when_asked(self, embedder, settings, corpus_copy):
        with_sentences = settings.model_copy(update={"embed_sentences": True})
        make_builder(with_sentences, embedder).build([corpus_copy])
        index = load_index(with_sentences)
        assert index.sentence_vectors is not None and len(index.sentence_vectors) == len(index.sentence_rows)

    def test_markdown_links_are_indexed_as_their_text(self, embedder, settings, tmp_path):
        corpus = tmp_path / "md"
        corpus.mkdir()
        text = "You can use the [status](https://rich.readthedocs.io/x.html#status) method for spinners."
        (corpus / "readme.txt").write_text(f"# Rich\n\n{text}\n")  # Markdown as text: .md is rendered
        with_sentences = settings.model_copy(update={"embed_sentences": True})
        make_builder(with_sentences, embedder).build([corpus])
        index = load_index(with_sentences)
        read = "You can use the status method for spinners."
        (row,) = [
            r
            for (doc, start), r in index.sentence_rows.items()
            if start == index.documents["readme"].text.index("You")
        ]
        np.testing.assert_allclose(index.sentence_vectors[row], embedder.embed([read])[0], atol=1e-6)
        (chunk,) = index.chunks
        chunk_read = f"{chunk.title}\n{chunk.text.replace(text, read)}"
        np.testing.assert_allclose(index.vectors[0], embedder.embed([chunk_read])[0], atol=1e-6)
        assert index.store.bm25("status", 1)[1].tolist() == [0]
        assert index.store.bm25("readthedocs", 1)[1].tolist() == []

    def test_other_chunking(self, builder, settings, corpus_copy):
        builder.build([corpus_copy])
        other = settings.model_copy(update={"chunk_sentences": 6})
        with pytest.raises(IndexMismatchError, match="chunked with other settings"):
            _load(other)

    def test_other_format(self, builder, settings, corpus_copy):
        builder.build([corpus_copy])
        store = IndexStore(settings.index_path)
        manifest = store.current_dir() / "manifest.json"
        manifest.write_text(manifest.read_text().replace(FORMAT, "news-rag-index v0"))
        with pytest.raises(IndexMismatchError, match="format"):
            _load(settings)

    def test_truncated_faiss_file_is_detected_and_build_repairs(self, builder, settings, corpus_copy):
        builder.build([corpus_copy])
        faiss_file = IndexStore(settings.index_path).current_dir() / "faiss.index"
        faiss_file.write_bytes(faiss_file.read_bytes()[:100])
        with pytest.raises(IndexCorruptError, match="index build"):
            _load(settings)
        builder.build([corpus_copy])
        assert len(_load(settings).chunks) > 0

    def test_chunks_and_vectors_disagree(self, builder, settings, corpus_copy):
        builder.build([corpus_copy])
        folder = IndexStore(settings.index_path).current_dir()
        lines = (folder / "chunks.jsonl").read_text().splitlines()
        (folder / "chunks.jsonl").write_text("\n".join(lines[:-2]) + "\n")
        with pytest.raises(IndexCorruptError, match="disagree in size"):
            _load(settings)


class TestAtomicWrites:
    def test_crash_mid_write_leaves_previous_index_loadable(
        self, builder, settings, corpus_copy, monkeypatch
    ):
        builder.build([corpus_copy])
        before = _load(settings)
        (corpus_copy / f"{DOC_004}.txt").unlink()

        def crash(*args, **kwargs):
            raise KeyboardInterrupt("killed mid-write")

        monkeypatch.setattr("index.stores.save_faiss", crash)
        with pytest.raises(KeyboardInterrupt):
            builder.build([corpus_copy])
        monkeypatch.undo()
        after = _load(settings)
        assert after.manifest.documents == before.manifest.documents
        assert len(after.chunks) == len(before.chunks)
        # the next build cleans the half-written generation up
        builder.build([corpus_copy])
        leftovers = [p.name for p in settings.index_path.iterdir() if p.name.startswith((".tmp", "gen-"))]
        assert len(leftovers) == 1

    def test_second_writer_is_refused(self, builder, settings, corpus_copy):
        store = IndexStore(settings.index_path)
        with store.lock(), pytest.raises(IndexLockedError, match="another process is writing"):
            make_builder(settings, HashEmbedder()).build([corpus_copy])
        builder.build([corpus_copy])  # the lock is free again afterwards


class TestIncremental:
    """Updates reuse what the index already holds: IVF keeps its trained centroids until it
    has grown past retrain_growth; HNSW and flat indexes only add appended rows."""

    @staticmethod
    def corpus(folder: Path, n: int, start: int = 0) -> Path:
        folder.mkdir(exist_ok=True)
        rng = np.random.default_rng(start)
        words = [f"w{i}" for i in range(500)]
        for d in range(start, start + n):
            paragraphs = [" ".join(f"{' '.join(rng.choice(words, 8))}." for _ in range(4)) for _ in range(3)]
            (folder / f"doc{d:03d}.txt").write_text(f"Document {d}\n\n" + "\n\n".join(paragraphs) + "\n")
        return folder

    @staticmethod
    def centroids(index) -> np.ndarray:
        quantizer = index.store.faiss_index.quantizer
        return quantizer.reconstruct_n(0, quantizer.ntotal)

    def test_ivf_adds_and_removes_without_retraining_until_it_grows(self, tmp_path, embedder):
        import faiss

        docs = self.corpus(tmp_path / "docs", 40)
        s = load_settings(home=tmp_path / "h", embedder="hash-test", index_type="ivf", retrain_growth=1.5)
        builder = make_builder(s, embedder)
        builder.build([docs])
        first = _load(s)
        trained = first.manifest.store["trained_on"]
        assert isinstance(first.store.faiss_index, faiss.IndexIVF) and trained == first.manifest.num_chunks
        centroids = self.centroids(first)

        builder.add([self.corpus(tmp_path / "more", 2, start=100)])
        added = _load(s)
        assert added.manifest.store["trained_on"] == trained  # not retrained
        np.testing.assert_array_equal(self.centroids(added), centroids)
        assert added.store.size == added.manifest.num_chunks > trained
        _scores, rows = added.dense(added.vectors[-1], 1)
        assert rows[0] == len(added.vectors) - 1  # the new chunk is found

        builder.remove(["doc000"])
        assert _load(s).manifest.store["trained_on"] == trained

        builder.add([self.corpus(tmp_path / "many", 30, start=200)])  # past 1.5x: retrained
        grown = _load(s)
        assert grown.manifest.store["trained_on"] == grown.manifest.num_chunks > trained * 1.5

    def test_hnsw_appends_added_documents(self, tmp_path, embedder, monkeypatch):
        import index.stores

        docs = self.corpus(tmp_path / "docs", 10)
        s = load_settings(home=tmp_path / "h", embedder="hash-test", index_type="hnsw")
        builder = make_builder(s, embedder)
        builder.build([docs])
        before = _load(s).manifest.num_chunks
        built = []
        monkeypatch.setattr(index.stores, "build_faiss", lambda *a: built.append(a) or None)
        builder.add([self.corpus(tmp_path / "more", 1, start=100)])  # appended: no rebuild
        after = _load(s)
        assert not built and after.store.size == after.manifest.num_chunks > before
        _scores, rows = after.dense(after.vectors[-1], 1)
        assert rows[0] == len(after.vectors) - 1
