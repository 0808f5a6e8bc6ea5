"""Text out of HTML, PDF, Markdown, reStructuredText and Word as a reader sees it: paragraphs
intact, page furniture gone.

HTML: whitespace inside text is collapsible (the source wraps lines wherever it likes), inline
markup (<code>, <a>, <span>) joins its neighbours without a break, and block elements (<p>, <li>,
<dt>, headings, table rows) become paragraphs separated by blank lines. <pre> keeps its lines.
A table row under a header row reads each cell with its column's header ("Ratio: 2.887"), and an
item of a bulleted list keeps a bullet ("- Digest").

PDF: pypdf gives each page's lines. A line that opens or closes most pages (a running header,
a page number, with digits read as one) is furniture, not content; it is dropped so that a
paragraph flows on across the page break.

Markdown is rendered by markdown-it (CommonMark) and read as HTML: a README's paragraphs wrapped
at 80 columns become one, comments vanish, inline HTML, links and emphasis read as on GitHub's
page.

Plain text may hold a Markdown pipe table (scraped articles, text READMEs): the table alone is
read as the HTML table it stands for, so that its rows carry their column headers there too.

reStructuredText (most Python projects' READMEs and docs) is rendered to HTML by docutils, the
reference implementation, and read as HTML: "`the docs <https://...>`_" reads "the docs" and
"Install with::" loses its second colon, as on the rendered page.

Word (.docx) is converted to HTML by mammoth, which maps the document's styles to headings,
lists and tables and leaves out page layout, and read as HTML.
"""

from __future__ import annotations

import html
import io
import re
from collections import Counter
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bs4 import Tag

_BLOCK_TAGS = """address article aside blockquote body caption dd details dialog div dl dt fieldset
figcaption figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr li main nav ol p pre section summary
table tbody tfoot thead tr ul"""
BLOCKS = frozenset(_BLOCK_TAGS.split())
CELLS = frozenset({"td", "th"})
_SKIPPED_TAGS = "script style noscript template head nav header footer aside form"
SKIPPED = frozenset(_SKIPPED_TAGS.split())
_SPACE = re.compile(r"[ \t\r\n\f\v]+")
PARAGRAPH = "\n\n"
FURNITURE_MIN_PAGES = 3  # a header or footer must repeat on at least this many pages
FURNITURE_SHARE = 0.5  # ... and on at least this share of them
_DIGITS = re.compile(r"\d+")
# A bulleted item keeps its bullet, as the page shows it: "Digest" under "supported:" is an item
# of a list, not a heading. Put before the item's first text, past the breaks of a <p> inside it.
_BULLET = "\x02"
_BULLET_AT = re.compile(_BULLET + r"\s*")
# the line under a pipe table's header row: "|---|:---:|" or "--- | ---"
_TABLE_DELIMITER = re.compile(r"\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?")
_CELL_SEPARATOR = re.compile(r"(?<!\\)\|")  # "a \| b" is one cell holding a pipe


def html_text(raw: bytes) -> tuple[str, str | None]:
    """(text, <title>) of an HTML page; navigation, scripts and styles are left out."""
    from bs4 import BeautifulSoup, NavigableString, Tag
    from bs4.element import Comment, Doctype, ProcessingInstruction

    soup = BeautifulSoup(raw, "html.parser")
    title = soup.title.get_text(" ", strip=True) if soup.title else None
    pieces: list[str] = []
    # an explicit stack instead of recursion: deeply nested pages must not exhaust Python's stack
    stack: list[object] = [soup.body or soup]
    while stack:
        node = stack.pop()
        if isinstance(node, str) and not isinstance(node, NavigableString):
            pieces.append(node)  # a marker pushed below
        elif isinstance(node, (Comment, Doctype, ProcessingInstruction)):
            continue
        elif isinstance(node, NavigableString):
            in_pre = any(p.name == "pre" for p in node.parents)
            pieces.append(str(node) if in_pre else _SPACE.sub(" ", str(node)))
        elif isinstance(node, Tag):
            if node.name in SKIPPED or _permalink(node):
                continue
            if node.name == "br":
                pieces.append("\n")
                continue
            after = PARAGRAPH if node.name in BLOCKS else " | " if node.name in CELLS else ""
            stack.append(after)
            stack.extend(reversed(node.contents))
            if node.name in BLOCKS:
                pieces.append(PARAGRAPH)
                if node.name == "li" and node.parent is not None and node.parent.name == "ul":
                    pieces.append("" if _contents_entry(node) else _BULLET)
            elif node.name == "td" and (label := _column_label(node)):
                pieces.append(f"{label}: ")
    text = _BULLET_AT.sub("- ", "".join(pieces))
    return "\n".join(line.strip(" |") for line in text.split("\n")), title


def _column_label(cell: Tag) -> str:
    """The header of a data cell's column, read before the cell ("Ratio: 2.887"): a table row
    quoted alone is otherwise a run of values ("zstd -1 | 2.887 | 530 MB/s") that says nothing
    of what each one is. Only for a table whose first row is all headers and as wide as this
    row, so that each header stands over its own column."""
    row = cell.find_parent("tr")
    table = row.find_parent("table") if row is not None else None
    first = table.find("tr") if table is not None else None
    if first is None or first is row:
        return ""
    heads = first.find_all(CELLS, recursive=False)
    cells = row.find_all(CELLS, recursive=False)
    if not heads or any(h.name != "th" for h in heads) or len(heads) != len(cells):
        return ""
    if not cell.get_text(strip=True):
        return ""  # a badge or an empty cell: nothing to label
    column = next(i for i, c in enumerate(cells) if c is cell)
    return _SPACE.sub(" ", heads[column].get_text(" ")).strip()


def _contents_entry(item: Tag) -> bool:
    """An item whose own words (not its sublist's) are all links to places on its page: a table
    of contents entry ("Running Ninja"), which names a section as a heading does."""
    own = [t for t in item.find_all(string=True) if t.strip() and t.find_parent("li") is item]
    return bool(own) and all(_in_page(t.find_parent("a")) for t in own)


def _in_page(node: Tag | None) -> bool:
    """A link to a place on its own page ("#running_ninja")."""
    return node is not None and node.name == "a" and str(node.get("href", "")).startswith("#")


def _permalink(node: Tag) -> bool:
    """A link to a place on its own page that holds no word ("¶", "#") marks a heading or a
    definition for copying its address (Sphinx, Texinfo, MkDocs); a reader skips it."""
    return _in_page(node) and not any(ch.isalnum() for ch in node.get_text())


_ROLE = re.compile(r"(?<![\w`]):(?:[A-Za-z][\w+.-]*:)+`([^`]+)`")  # :mod:`email`, :py:func:`x`
_TITLED = re.compile(r"(.*?\S)\s*<[^<>]+>", re.S)
# documents are data, not programs: no file inclusion (".. include:: /etc/passwd"), no raw
# HTML passed through, no docutils.conf read, and markup errors are neither shown nor raised
_RST_SETTINGS = {
    "file_insertion_enabled": False,
    "raw_enabled": False,
    "_disable_config": True,
    "report_level": 5,
    "halt_level": 5,
}


def _role_text(match: re.Match[str]) -> str:
    """What Sphinx shows for a role: ":func:`~pkg.run`" -> "run", ":ref:`Install <setup>`" ->
    "Install"; as a literal, so docutils, which knows none of Sphinx's roles, keeps the text."""
    text = match.group(1)
    titled = _TITLED.fullmatch(text)
    if titled:
        return f"``{titled.group(1)}``"
    text = text.lstrip("!")
    return f"``{text[1:].rsplit('.', 1)[-1] if text.startswith('~') else text}``"


def rst_text(source: str) -> tuple[str, str | None]:
    """(text, title) of a reStructuredText document, read from the HTML docutils renders. The
    HTML 4 writer, because HTML5's <aside> holds notes and warnings that are content here."""
    from docutils.core import publish_parts

    source = _ROLE.sub(_role_text, source)
    parts = publish_parts(source, writer_name="html4css1", settings_overrides=_RST_SETTINGS)
    text, _ = html_text(parts["html_body"].encode())
    title = html_text(parts["title"].encode())[0].strip() if parts["title"] else ""
    return text, title or None


def docx_text(raw: bytes) -> str:
    """The text of a Word document, read from the semantic HTML mammoth makes of it."""
    import mammoth

    return html_text(mammoth.convert_to_html(io.BytesIO(raw)).value.encode())[0]


def markdown_text(source: str) -> str:
    """The text of a Markdown document as rendered (CommonMark, with GitHub's tables). Its inline
    HTML is rendered too ("<details><summary>", "<img>"): it is read like any page, never shown live."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    return html_text(md.render(source).encode())[0]


def pipe_tables(text: str) -> str:
    """Plain text with each Markdown pipe table (a row of cells over a delimiter row) read as the
    HTML table it stands for: "| Sensor Suite | LiDAR + Camera | Camera-only |" under "| Feature |
    Huawei ADS | Tesla FSD |" reads "Feature: Sensor Suite | Huawei ADS: LiDAR + Camera | Tesla
    FSD: Camera-only". Cells are text, never markup: "<MIME>" in a cell stays "<MIME>"."""
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        delimiter = lines[i + 1].strip() if i + 1 < len(lines) else ""
        if "|" in lines[i] and "|" in delimiter and _TABLE_DELIMITER.fullmatch(delimiter):
            end = i + 2
            while end < len(lines) and "|" in lines[end]:  # a row without its outer pipes too
                end += 1
            rows = [lines[i], *lines[i + 2 : end]]
            out.append(f"\n{html_text(_table_html(rows).encode())[0].strip()}\n")
            i = end
        else:
            out.append(lines[i])
            i += 1
    return "\n".join(out)


def _table_html(rows: list[str]) -> str:
    cells = [[html.escape(c) for c in _cells(row)] for row in rows]
    head = "".join(f"<th>{c}</th>" for c in cells[0])
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in cells[1:])
    return f"<table><tr>{head}</tr>{body}</table>"


def _cells(row: str) -> list[str]:
    """A row's cells: its outer pipes are optional, and "\\|" is a pipe inside a cell."""
    cells = _CELL_SEPARATOR.split(row.strip())
    cells = cells[1:] if cells[0] == "" else cells
    cells = cells[:-1] if cells and cells[-1] == "" else cells
    return [c.strip().replace("\\|", "|") for c in cells]


def pdf_text(pages: list[str]) -> str:
    """Pages joined, without the lines that repeat at the top or bottom of most pages. The first
    page keeps its top line: a running header there is the document's name, read once."""
    page_lines = [[ln for ln in page.split("\n") if ln.strip()] for page in pages]
    furniture: set[str] = set()
    for edge in (0, -1):
        counts = Counter(_DIGITS.sub("#", lines[edge].strip()) for lines in page_lines if lines)
        for line, n in counts.items():
            if n >= FURNITURE_MIN_PAGES and n >= FURNITURE_SHARE * len(pages):
                furniture.add(line)
    kept = []
    for n, lines in enumerate(page_lines):
        top = lines[0] if n == 0 and lines else ""
        head = [top] if any(ch.isalpha() for ch in top) else []  # a name, not a page number
        lines = lines[len(head) :]
        while lines and _DIGITS.sub("#", lines[0].strip()) in furniture:
            lines = lines[1:]
        while lines and _DIGITS.sub("#", lines[-1].strip()) in furniture:
            lines = lines[:-1]
        kept.append("\n".join(head + lines))
    return "\n".join(kept)
