"""Turn Answers into what the page shows: escaped text, citation links, highlighted passages.

Everything that came from an article or a model is escaped for HTML and for Markdown, so an
article cannot inject markup, links or scripts into the page; only the markup built here is live.
"""

from __future__ import annotations

import html
import re
from typing import Any

from rag.core.types import Answer, Chunk

MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~>])")
MARKER = re.compile(r"\\\[(\d+)\\\]")  # a [n] marker after escaping
LABELS = {
    "refusal": "🚫 **Not in the articles.**",
    "premise": "⚠️ **The articles do not support this premise.**",
    "conflict": "⚖️",  # the answer itself says "The articles disagree: ..."
}


def escape(text: str) -> str:
    """Safe for both HTML and Markdown rendering."""
    return MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=True))


def attribute(text: str) -> str:
    """For an HTML attribute inside Markdown: HTML-escaped, and Markdown punctuation as numeric
    entities, so the tooltip reads normally but no link or emphasis can form from it."""
    return MD_SPECIAL.sub(lambda m: f"&#{ord(m.group(1))};", html.escape(text, quote=True))


def answer_markdown(answer: Answer) -> str:
    """The chat bubble: labelled when it is a refusal, premise or conflict; [n] become links
    whose tooltip shows the title and the supporting sentence."""
    by_marker = {c.marker: c for c in answer.citations}

    def link(match: re.Match[str]) -> str:
        c = by_marker.get(int(match.group(1)))
        if c is None:
            return match.group(0)
        tip = attribute(f"{c.title} — “{c.text}”")
        return f'<a class="cite" href="#cite-{c.marker}" title="{tip}"><sup>[{c.marker}]</sup></a>'

    body = MARKER.sub(link, escape(answer.answer))
    label = LABELS.get(answer.mode)
    return f"{label} {body}" if label else body


def draft_markdown(draft: str) -> str:
    return f"{escape(draft)} _(drafting; citations are checked before the answer is shown…)_"


def sources_html(answer: Answer, chunks: dict[str, Chunk]) -> str:
    """The sources panel: each cited passage with its supporting sentence highlighted."""
    if not answer.citations:
        return '<div class="sources-empty">No sources for this answer.</div>'
    parts = []
    for c in answer.citations:
        chunk = chunks.get(c.chunk_id)
        if chunk is not None and chunk.start <= c.start and c.end <= chunk.end:
            a, b = c.start - chunk.start, c.end - chunk.start
            passage = (
                html.escape(chunk.text[:a])
                + f"<mark>{html.escape(chunk.text[a:b])}</mark>"
                + html.escape(chunk.text[b:])
            )
        else:
            passage = f"<mark>{html.escape(c.text)}</mark>"
        parts.append(
            f'<div class="source" id="cite-{c.marker}"><div class="source-head">[{c.marker}] '
            f"{html.escape(c.title)} <code>{html.escape(c.chunk_id)}</code></div>"
            f'<p class="passage">{passage.replace(chr(10), "<br>")}</p></div>'
        )
    return "\n".join(parts)


def export_markdown(turns: list[dict[str, Any]]) -> str:
    """The conversation with its citations, as a Markdown document."""
    out = ["# Conversation", ""]
    for i, turn in enumerate(turns, 1):
        record = turn["record"]
        out += [f"## {i}. {turn['question']}", ""]
        if record.get("rewritten_question"):
            out += [f"_Searched for: {record['rewritten_question']}_", ""]
        out += [record["answer"], ""]
        for c in record["citations"]:
            where = f"{c['chunk_id']}, chars {c['start']}-{c['end']}"
            out.append(f"- [{c['marker']}] {c['title']} ({where}): “{c['text']}”")
        out.append("")
    return "\n".join(out)
