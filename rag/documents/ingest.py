"""Read article files into Documents.

Supported: .txt (read as text: UTF-8, UTF-16 or -32 by its byte-order mark, else Windows-1252),
.md, .html/.htm, .pdf, .rst and .docx (their text as a reader sees it, rag/documents/markup.py).
A file named without a type (README, LICENSE, apache-2.0) is read by what it holds: a PDF or
HTML page by its opening bytes, Markdown by its code fences and links, anything else as text.
Other types, and files that are empty, binary, unreadable, too large or duplicates of an earlier
file, are skipped with one reason each so that the rest of the corpus still gets indexed.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from rag.core.errors import IngestError
from rag.core.text import decode_text, flat
from rag.core.types import Document
from rag.documents.clean import clean_text, has_junk
from rag.documents.injection import is_instruction
from rag.documents.markup import docx_text, html_text, markdown_text, pdf_text, pipe_tables, rst_text
from rag.documents.sentences import BULLET

log = logging.getLogger(__name__)

TEXT_SUFFIXES = {".txt"}
MARKDOWN_SUFFIXES = {".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm"}
PDF_SUFFIXES = {".pdf"}
RST_SUFFIXES = {".rst", ".rest"}
WORD_SUFFIXES = {".docx"}
SUPPORTED_SUFFIXES = (
    TEXT_SUFFIXES | MARKDOWN_SUFFIXES | HTML_SUFFIXES | PDF_SUFFIXES | RST_SUFFIXES | WORD_SUFFIXES
)
KINDS = ", ".join(sorted(SUPPORTED_SUFFIXES)) + ", or a file named without a type (README)"  # for messages
TITLE_MAX_CHARS = 120
MIN_TITLE_WORDS = 3
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")
# ![alt](src), and the badge link around it
_MD_IMAGE = re.compile(r"\[?!\[[^\]]*\]\([^)]*\)(?:\]\([^)]*\))?")
_MD_HEADING = re.compile(r"^#\s+\S")  # a level-1 heading names the document
_LINK_ONLY = re.compile(r"^\s*\[[^\]]*\]\([^)]*\)\s*$")  # a navigation link ("[English readme](...)")
TITLE_SEARCH_LINES = 60  # how far down a Markdown heading may stand and still name the document
_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
# an HTML tag ("<summary>", '<img src="logo.png">'), not an address in angle brackets ("<bug@gnu.org>")
_HTML_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>")
# code fences and inline links: what plain text rarely has twice (a "#" line may be a comment)
_MARKDOWN_SIGN = re.compile(r"^```|\[[^\]\n]+\]\([^)\s]+\)", re.MULTILINE)
MARKDOWN_MIN_SIGNS = 2
SNIFF_CHARS = 20_000
_MD_MARKS = re.compile(r"^\s{0,3}(?:#{1,6}\s+|>\s*|[-*+]\s+)|`+|(?<!\w)[*_]{1,3}|[*_]{1,3}(?!\w)|\s#+\s*$")


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str

    def __str__(self) -> str:
        return f"skipped {self.path}: {self.reason}"


def iter_files(paths: Iterable[Path]) -> Iterable[Path]:
    """Expand folders into their files, sorted, without following symlinked folders."""
    for path in paths:
        if path.is_dir():
            for root, dirs, files in os.walk(path, followlinks=False):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if not name.startswith("."):
                        yield Path(root) / name
        else:
            yield path


def has_type(path: Path) -> bool:
    """Whether a file's name says its type: ".txt" does; "README" and the ".0" of "apache-2.0" do not."""
    return any(ch.isalpha() for ch in path.suffix)


def readable(path: Path) -> bool:
    """Whether a file may hold a document: a type we read, or no type at all (read by content)."""
    return path.suffix.lower() in SUPPORTED_SUFFIXES or not has_type(path)


def document_id(path: Path) -> str:
    """The file stem; a name without a type ("LICENSE", "mpl-2.0") is its own id."""
    return path.stem if has_type(path) else path.name


def sniffed_suffix(raw: bytes) -> str:
    """The type of a file named without one: PDF and HTML announce themselves in their first
    bytes, Markdown shows code fences or links, and anything else is read as text. HTML and
    Markdown are looked for in the decoded text, so a UTF-16 page is still a page."""
    if raw.lstrip(b"\xef\xbb\xbf \t\r\n")[:5].lower() == b"%pdf-":
        return ".pdf"
    try:
        text = decode_text(raw)
    except ValueError:
        return ".txt"  # reading it as text names the problem
    head = text[:1024].lstrip().lower()
    if head.startswith("<") and "<html" in head:  # after a doctype, an XML prolog or a comment
        return ".html"
    signs = _MARKDOWN_SIGN.findall(text[:SNIFF_CHARS])
    return ".md" if len(signs) >= MARKDOWN_MIN_SIGNS else ".txt"


def _decode(raw: bytes) -> str:
    try:
        return decode_text(raw)
    except ValueError as exc:
        raise IngestError(f"{exc}; save the document as UTF-8 text, HTML, PDF or .docx") from None


def _pdf_text(path: Path) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        return pdf_text([page.extract_text() or "" for page in PdfReader(path).pages])
    except (PdfReadError, ValueError, KeyError) as exc:
        raise IngestError(f"unreadable PDF ({exc})") from None


def _docx_text(raw: bytes) -> str:
    try:
        return docx_text(raw)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise IngestError(f"unreadable Word document ({exc}); save it again as .docx, or as PDF") from None


def extract_title(raw_text: str, cleaned: str) -> str:
    """First meaningful line: enough words, not a line that held unrepairable junk, and not an
    instruction aimed at the assistant. A paragraph's first sentence stands for the paragraph."""
    lines = raw_text.splitlines()
    heading = next((ln for ln in lines[:TITLE_SEARCH_LINES] if _MD_HEADING.match(ln)), None)
    if heading is not None and len(plain(heading).split()) >= 1:
        return _shorten(plain(clean_text(heading)))  # a Markdown document's first heading
    for i, line in enumerate(lines):
        if not _may_title(line):
            continue
        first = _first_sentence(line)
        following = lines[i + 1] if i + 1 < len(lines) else ""
        if len(first.split()) == MIN_TITLE_WORDS - 1 and _may_title(following):
            # a title set over two lines: "Apache License" above "Version 2.0, January 2004"
            first = f"{first} {_first_sentence(following)}"
        if len(first.split()) >= MIN_TITLE_WORDS and not is_instruction(first):
            return _shorten(first)
    first = next((ln for ln in cleaned.splitlines() if ln.strip()), "")
    return _shorten(first)


def _may_title(line: str) -> bool:
    """Not junk, a list item or a navigation link, and not blank, a rule ("=====") or markup
    alone (a README's centred logo, '<p align="center"><img src="logo.png" alt="zstd"></p>')."""
    if has_junk(line) or BULLET.match(line) or _LINK_ONLY.match(line):
        return False
    return any(ch.isalpha() for ch in plain(line))


def _first_sentence(line: str) -> str:
    return _SENTENCE_END.split(plain(clean_text(line)), maxsplit=1)[0]


def plain(line: str) -> str:
    """A line without its Markdown marks and HTML tags: "# **Rich** [docs](url)" -> "Rich docs",
    "<summary>Status</summary>" -> "Status". Images and badges go altogether."""
    line = _MD_MARKS.sub("", _HTML_TAG.sub("", linked_text(line)))
    return " ".join(line.split()).strip(" |")


def linked_text(text: str) -> str:
    """Markdown links as their text, images and badges gone: "[status](url)" -> "status"."""
    return _MD_LINK.sub(r"\1", _MD_IMAGE.sub("", text))


def as_read(sentence: str) -> str:
    """A sentence as the models read it: on one line, Markdown links as their text. The URLs
    are most of a linked sentence's embedding tokens (a median of 68% in Rich's README), and
    "[status](url)" looks like a citation to the writer."""
    return linked_text(flat(sentence))


def _shorten(line: str) -> str:
    """A long first line is a lead paragraph: its first sentence, cut to fit, is the title."""
    if len(line) <= TITLE_MAX_CHARS:
        return line
    line = _SENTENCE_END.split(line, maxsplit=1)[0]
    if len(line) <= TITLE_MAX_CHARS:
        return line
    cut = line[:TITLE_MAX_CHARS].rsplit(" ", 1)[0]
    return cut + "…"


def load_document(path: Path, max_bytes: int) -> Document:
    """Read one file; raises IngestError with the reason it cannot be used."""
    suffix = path.suffix.lower()
    if not readable(path):
        raise IngestError(f"unsupported type {suffix!r}; supported: {KINDS}")
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise IngestError(
                f"too large ({size / 1e6:.1f} MB > {max_bytes / 1e6:.1f} MB); raise max_file_mb"
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise IngestError(f"unreadable ({exc.strerror or exc})") from None
    if not raw.strip():
        raise IngestError("empty file")
    sha = hashlib.sha256(raw).hexdigest()
    if not has_type(path):
        if raw.startswith(b"#!"):  # configure, gradlew, a bin/ folder: code, not prose to quote
            raise IngestError("a script (its first line starts with '#!'); name it .txt to index it anyway")
        suffix = sniffed_suffix(raw)
    html_title = None
    source = None
    if suffix in PDF_SUFFIXES:
        text = _pdf_text(path)
    elif suffix in WORD_SUFFIXES:
        text = _docx_text(raw)
    elif suffix in HTML_SUFFIXES:
        text, html_title = html_text(raw)
    elif suffix in RST_SUFFIXES:
        text, html_title = rst_text(_decode(raw))
    elif suffix in MARKDOWN_SUFFIXES:
        source = _decode(raw)
        text = markdown_text(source)
    else:
        text = pipe_tables(_decode(raw))
    cleaned = clean_text(text)
    if len(cleaned.split()) < MIN_TITLE_WORDS:
        raise IngestError("no usable text after cleaning (scanned PDF or empty page?)")
    html_title = clean_text(html_title) if html_title else None
    if html_title and not is_instruction(html_title):
        title = _shorten(html_title)
    else:
        title = extract_title(source or text, cleaned)
    return Document(doc_id=document_id(path), title=title, text=cleaned, source=str(path), sha256=sha)


def text_digest(doc: Document) -> str:
    """What makes two files one document: the same text as read, whatever the bytes (another
    encoding, other line endings)."""
    return hashlib.sha256(doc.text.encode()).hexdigest()


def load_documents(paths: Iterable[Path], max_bytes: int) -> tuple[list[Document], list[Skipped]]:
    """Load every usable file; one Skipped per file that cannot be used."""
    docs: list[Document] = []
    skipped: list[Skipped] = []
    seen_ids: dict[str, str] = {}
    seen_text: dict[str, str] = {}
    for path in iter_files(paths):
        try:
            doc = load_document(path, max_bytes)
        except IngestError as exc:
            skipped.append(Skipped(str(path), str(exc)))
            continue
        text_hash = text_digest(doc)
        if doc.doc_id in seen_ids:
            reason = f"duplicate id {doc.doc_id!r} (also {seen_ids[doc.doc_id]}); rename one file"
            skipped.append(Skipped(str(path), reason))
        elif text_hash in seen_text:
            skipped.append(Skipped(str(path), f"duplicate of {seen_text[text_hash]}"))
        else:
            seen_ids[doc.doc_id] = doc.source
            seen_text[text_hash] = doc.source
            docs.append(doc)
    for item in skipped:
        log.info("%s", item)
    return docs, skipped
