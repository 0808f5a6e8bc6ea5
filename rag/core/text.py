"""Small text helpers shared by the gate, the verifier, the conflict and premise checks, and
the readers of documents and question files.

Deliberately lexical and transparent: a claim's numbers and names either appear in its
passage or they do not, which is easier to trust than a model's opinion.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from functools import lru_cache
from pathlib import PurePath

from rag.core.errors import InputError

WORD = re.compile(r"\d+[A-Za-z][A-Za-z0-9]*|[A-Za-z][A-Za-z0-9\-]*[A-Za-z0-9]|[A-Za-z]|\d[\d,.]*\d|\d")
# a number, optionally with a scale suffix ($10B); never part of a code such as 910C or 5G
NUMBER = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?:bn|[BMTK])?(?!\w|\.\d)")
MONEY = re.compile(
    r"(?:US)?\$\s?(\d+(?:[.,]\d+)*)\s*(billion|million|trillion|bn|B|M|T)?\b"
    r"|(\d+(?:[.,]\d+)*)\s*(billion|million|trillion)\s+(yuan|dollars|euros)",
    re.IGNORECASE,
)
QUOTED_PATH = re.compile(r"'((?:[A-Za-z]:)?[\\/][^']*)'")  # '/srv/rag/index/.lock', 'C:\\rag\\x'
THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")  # "15,000" -> "15000" before matching
SCALE = {"billion": 1e9, "bn": 1e9, "b": 1e9, "million": 1e6, "m": 1e6, "trillion": 1e12, "t": 1e12}
# longest first: UTF-32's little-endian mark begins with UTF-16's
UNICODE_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Question words and fillers: never evidence of anything.
STOPWORDS = frozenset(
    """
    a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not now of off on once only or other our ours
    out over own same she should so some such than that the their theirs them themselves then
    there these they this those through to too under until up very was we were what when where
    which while who whom why will with would you your yours say says said according many much
    new one two tell give called name named kind year years articles article
    """.split()  # noqa: SIM905 - a word list reads best as words
)


def normalise(text: str) -> str:
    """Lower-case, straight quotes, no thousands separators: for matching, not display."""
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    text = THOUSANDS.sub("", text)
    return " ".join(text.lower().split())


@lru_cache(maxsize=1)
def stemmer():
    """The one Snowball stemmer, shared by term matching here and BM25 in index/lexical.py."""
    import Stemmer

    return Stemmer.Stemmer("english")


@lru_cache(maxsize=4096)
def stem(word: str) -> str:
    return stemmer().stemWord(word)


def words(text: str) -> list[str]:
    return WORD.findall(text)


def content_terms(text: str) -> set[str]:
    """Stemmed, lower-cased words that carry meaning."""
    out = set()
    for w in words(normalise(text)):
        w = w.strip("-")
        if w and w not in STOPWORDS and (len(w) > 2 or w.isdigit()):
            out.add(stem(w))
    return out


def stems(text: str) -> set[str]:
    """Every word's stem, stop words included ("years" -> "year")."""
    return {stem(w.lower()) for w in words(normalise(text))}


def numbers(text: str) -> set[str]:
    """Numbers as canonical strings: '15,000' -> '15000', '11.70' -> '11.7'."""
    out = set()
    for raw in NUMBER.findall(text):
        value = raw.replace(",", "")
        if "." in value:
            value = value.rstrip("0").rstrip(".")
        out.add(value)
    return out


def money(text: str) -> list[tuple[float, str, str]]:
    """Currency amounts as (value in units, currency, original text): '$10 billion', 'US$11.7B',
    '180 billion yuan'. Amounts in different currencies never compare equal or unequal."""
    out = []
    for m in MONEY.finditer(text):
        digits = (m.group(1) or m.group(3)).replace(",", "")
        scale = (m.group(2) or m.group(4) or "").lower()
        currency = "USD" if m.group(1) else {"yuan": "CNY", "euros": "EUR"}.get(m.group(5).lower(), "USD")
        try:
            value = float(digits) * SCALE.get(scale, 1.0)
        except ValueError:
            continue
        out.append((value, currency, m.group(0).strip()))
    return out


def flat(text: str) -> str:
    """One line, single spaces: how a sentence that crossed a hard wrap is shown."""
    return " ".join(text.split())


# numbers written as words, which a reply may give as digits ("five years" -> "5 years")
ONES = (  # noqa: SIM905
    "one two three four five six seven eight nine ten "
    "eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen"
).split()
TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()  # noqa: SIM905
SPELLED = {w: i for i, w in enumerate(ONES, 1)} | {w: 10 * i for i, w in enumerate(TENS, 2)}
SPELLED_NUMBER = re.compile(
    rf"\b({'|'.join(TENS)})(?:-({'|'.join(ONES[:9])}))?\b|\b({'|'.join(ONES)})\b", re.IGNORECASE
)


def spelled_numbers(text: str) -> set[str]:
    """Numbers written as words, as canonical strings: "five years" -> '5', "twenty-one" -> '21'."""
    out = set()
    for tens, ones, alone in SPELLED_NUMBER.findall(text):
        if tens:
            out.add(str(SPELLED[tens.lower()] + (SPELLED[ones.lower()] if ones else 0)))
        else:
            out.add(str(SPELLED[alone.lower()]))
    return out


class Haystack:
    """Text searched for names and terms, normalised once. Its numbers include those it spells
    out, so that a reply's "5 years" or "1 generation" is found in "five years", "one generation"."""

    def __init__(self, text: str) -> None:
        self.normal = normalise(text)
        self.terms = content_terms(text)
        self.numbers = numbers(text) | spelled_numbers(text)

    def mentions(self, name: str) -> bool:
        """The text names `name`: as a phrase (case, quotes and separators aside), or word by word."""
        target = normalise(name)
        if target and re.search(rf"(?<!\w){re.escape(target)}(?!\w)", self.normal):
            return True
        wanted = content_terms(name) or {stem(w.lower()) for w in words(name)}
        return bool(wanted) and wanted <= self.terms


def question_text(question: str | None, max_chars: int) -> str:
    """A question as asked, on one line: control characters become spaces. Raises InputError
    for a question with no words ("", "?") or one over max_chars."""
    question = " ".join("".join(ch if ch.isprintable() else " " for ch in question or "").split())
    if not question:
        raise InputError("the question is empty; type a question about the documents")
    if not any(ch.isalnum() for ch in question):
        raise InputError(f"the question {question!r} has no words; type a question about the documents")
    if len(question) > max_chars:
        raise InputError(
            f"the question is {len(question)} characters long; the limit is {max_chars} "
            "(max_question_chars): shorten it"
        )
    return question


def without_paths(message: str) -> str:
    """A message as a remote user reads it: each quoted absolute path on the server ('/srv/rag/
    index/.lock', 'C:\\rag\\x') becomes its quoted file name."""
    return QUOTED_PATH.sub(lambda m: repr(PurePath(m.group(1).replace("\\", "/")).name), message)


def decode_text(raw: bytes) -> str:
    """Text by its byte-order mark (Windows tools save "Unicode" text as UTF-16), else UTF-8,
    else Windows-1252, else Latin-1, which never fails (ftfy repairs documents afterwards).
    Raises ValueError for bytes that are not text: NUL bytes without a mark, or a mark that lies."""
    for bom, encoding in UNICODE_BOMS:
        if raw.startswith(bom):
            try:
                return raw[len(bom) :].decode(encoding)
            except UnicodeDecodeError:
                raise ValueError(f"not valid {encoding} despite its byte-order mark") from None
    if b"\x00" in raw[:8192]:
        raise ValueError("binary content (NUL bytes)")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")
