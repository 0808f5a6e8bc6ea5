"""Reading a question typed in lower case: the truecaser's corpus look-ups (a BM25 query and a
scan of the chunks it finds, for each word) against spaCy's reading of the question, which is
the baseline. Questions are the dev questions of the bundled articles, typed in lower case; the
ones typed with capitals are read with no look-up at all."""

from __future__ import annotations

from bench.measure import Row, Section, Stat, repeat
from rag.answering.pipeline import Answerer

TIMES = 5
TARGET_SHARE = 0.5  # truecasing should cost at most half of what reading the question costs


def run(answerer: Answerer, questions: list[str]) -> Section:
    lowered = [q.lower() for q in questions]
    answerer.reader.run(lowered[0])  # spaCy loads on its first question
    cased = Stat.of([repeat(lambda q=q: answerer.truecaser.run(q), TIMES, 1).median * 1000 for q in lowered])
    read = Stat.of([repeat(lambda q=q: answerer.reader.run(q), TIMES, 1).median * 1000 for q in lowered])
    changed = sum(answerer.truecaser.run(q)[1:] != q[1:] for q in lowered)
    row = Row(
        "truecasing a lower-case question",
        cased,
        "ms",
        f"<= {TARGET_SHARE:.0%} of reading it",
        cased.median <= TARGET_SHARE * read.median,
        baseline=read,
        baseline_name="spaCy reading the question",
    )
    section = Section(f"Question reading ({len(lowered)} dev questions typed in lower case)", [row])
    section.details.append(f"{changed} of {len(lowered)} gained a capital beyond their first letter.")
    return section
