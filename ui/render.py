"""What the page shows for questions and answers, as HTML built here and nowhere else.

Every bubble is one HTML block, so the chat's Markdown renderer leaves its content alone, and
there is one escaping function for everything that came from a user, a document or a model:
`escape`. "Huawei's" stays "Huawei's", and `<script>`, `[x](y)`, `**b**` or `#` stay text. Only
the markup built here is live: citation links, their popovers and each answer's sources.

Anchors are unique per turn (`t3-c1`), so a citation in an earlier answer opens that answer's
own source. A popover is plain CSS on a focusable link, so it opens on hover, on tap and on
keyboard focus alike.
"""

from __future__ import annotations

import html
import re
from typing import Any

from rag.core.text import flat
from rag.core.types import Answer, Chunk, Citation
from rag.documents.sentences import is_heading

MARKER = re.compile(r"\[(\d+)\]")
BADGES = {
    "refusal": "not in the documents",
    "premise": "premise not supported",
    "conflict": "sources disagree",
}


def escape(text: str) -> str:
    """The one escaping function: safe as element text and inside attribute values."""
    return html.escape(text, quote=True)


def question_html(question: str) -> str:
    return f'<div class="question">{escape(question)}</div>'


def _link(turn: int, c: Citation) -> str:
    words = f"{escape(c.title)} — “{escape(c.text)}”"
    tip = f'<span class="tip" role="tooltip" id="t{turn}-tip{c.marker}">{words}</span>'
    return (
        f'<a class="cite" href="#t{turn}-c{c.marker}" aria-describedby="t{turn}-tip{c.marker}">'
        f"[{c.marker}]{tip}</a>"
    )


def _body(text: str, turn: int, citations: list[Citation]) -> str:
    """The answer's text escaped, its [n] markers made into citation links."""
    by_marker = {c.marker: c for c in citations}
    out, last = [], 0
    for m in MARKER.finditer(text):
        c = by_marker.get(int(m.group(1)))
        if c is None:
            continue
        out.append(escape(text[last : m.start()]))
        out.append(_link(turn, c))
        last = m.end()
    out.append(escape(text[last:]))
    return "".join(out)


def _passage(c: Citation, chunk: Chunk | None) -> str:
    """The cited sentence highlighted between its neighbours: enough to read it in context,
    without the rest of the chunk (captions, credit lines, headings)."""
    if chunk is None:
        return f"<mark>{escape(c.text)}</mark>"
    sentences = chunk.sentences
    i = next((k for k, s in enumerate(sentences) if s.start == c.start), None)
    if i is None:
        return f"<mark>{escape(c.text)}</mark>"
    before = [s for s in sentences[max(0, i - 1) : i] if not is_heading(s)]
    after = [s for s in sentences[i + 1 : i + 2] if not is_heading(s)]
    return " ".join(
        [escape(flat(s.text)) for s in before]
        + [f"<mark>{escape(flat(sentences[i].text))}</mark>"]
        + [escape(flat(s.text)) for s in after]
    )


def answer_html(answer: Answer, turn: int, chunks: dict[str, Chunk] | None = None) -> str:
    """The chat bubble: the answer with its citation links, a badge for refusals, conflicts and
    unchecked answers, and the answer's own sources under it."""
    chunks = chunks or {}
    kind = f" {answer.mode}" if answer.mode in BADGES else ""
    badges = [BADGES[answer.mode]] if answer.mode in BADGES else []
    if not answer.checked:
        badges.append("unchecked: citations not verified")
    badge = "".join(f'<span class="badge">{escape(b)}</span>' for b in badges)
    parts = [f'<div class="answer{kind}{" unchecked" if not answer.checked else ""}">', badge]
    parts.append(f"<p>{_body(answer.answer, turn, answer.citations)}</p>")
    if answer.rewritten_question and answer.rewritten_question != answer.question:
        parts.append(f'<p class="rewritten">Searched for: <em>{escape(answer.rewritten_question)}</em></p>')
    if answer.citations:
        parts.append('<div class="sources" role="list" aria-label="Sources">')
        for c in answer.citations:
            parts.append(
                f'<div class="source" role="listitem" id="t{turn}-c{c.marker}">'
                f'<div class="source-head">[{c.marker}] {escape(c.title)}</div>'
                f'<p class="passage">{_passage(c, chunks.get(c.chunk_id))}</p></div>'
            )
        parts.append("</div>")
    parts.append("</div>")
    return "".join(parts)


def pending_html(text: str, checked: bool) -> str:
    """While an answer is worked on: what has been checked so far, and a neutral state line."""
    state = "checking…" if checked else "writing (unchecked)…"
    shown = f"<p>{escape(MARKER.sub('', text).strip())}</p>" if text.strip() else ""
    return f'<div class="answer pending">{shown}<p class="state" aria-live="polite">{state}</p></div>'


def notice_html(text: str) -> str:
    return f'<div class="answer notice"><p>{escape(text)}</p></div>'


def export_markdown(turns: list[dict[str, Any]]) -> str:
    """The conversation with its citations, as a Markdown document, text as it was written."""
    out = ["# Conversation", ""]
    for i, turn in enumerate(turns, 1):
        record = turn["record"]
        out += [f"## {i}. {turn['question']}", ""]
        if record.get("rewritten_question") and record["rewritten_question"] != turn["question"]:
            out += [f"_Searched for: {record['rewritten_question']}_", ""]
        if not record.get("checked", True):
            out += ["_(unchecked: citations not verified)_", ""]
        out += [record["answer"], ""]
        for c in record["citations"]:
            where = f"{c['doc_id']}, chars {c['start']}-{c['end']}"
            out.append(f"- [{c['marker']}] {c['title']} ({where}): “{c['text']}”")
        out.append("")
    return "\n".join(out)
