"""Text cleaning: repair what ftfy can, then strip junk whose original bytes are lost.

Some scraped articles were UTF-8 decoded as Thai code page 874 with the undefined bytes
dropped, leaving runs such as `๐ญ๐ฐ` (an emoji) or `โข` (a bullet). ftfy cannot undo that.
We strip a Thai-block run only when it has exactly the shape such mojibake takes: each unit
is a UTF-8 lead byte seen through cp874 (U+0E40..U+0E54) followed by up to three
continuation bytes (U+0E01..U+0E1F). Real Thai words use letters outside those ranges, so
genuine Thai, CJK, accented letters, curly quotes and dashes all survive.
"""

from __future__ import annotations

import re
import unicodedata

import ftfy

_THAI_RUN = re.compile(r"[\u0E00-\u0E7F]+")
_CP874_MOJIBAKE = re.compile(r"(?:[\u0E40-\u0E54][\u0E01-\u0E1F]{0,3})+")
_SPACES = re.compile(r"[ \t\u00A0\u2000-\u200B\u202F\u205F\u3000]+")
_BLANK_LINES = re.compile(r"\n{3,}")
# Footnote markers ("[3]") carry no content, and in our answers [n] means a checked citation:
# article text must not be able to forge one.
_FOOTNOTE = re.compile(r"\s?\[\d{1,3}\]")
# Bullets doubled by scrapers ("- •item") read as one bullet.
_DOUBLE_BULLET = re.compile(r"^([-*])\s*[•·]\s*", re.MULTILINE)


def _strip_mojibake(match: re.Match[str]) -> str:
    run = match.group(0)
    return " " if _CP874_MOJIBAKE.fullmatch(run) else run


def _is_junk_char(ch: str) -> bool:
    if ch in "\n\t":
        return False
    category = unicodedata.category(ch)
    # control, unassigned, private use, surrogates; U+FFFD marks bytes already lost
    return category in {"Cc", "Cn", "Co", "Cs"} or ch == "\ufffd"


def has_junk(text: str) -> bool:
    """True when the text holds mojibake that cleaning would strip."""
    return any(_CP874_MOJIBAKE.fullmatch(m.group(0)) for m in _THAI_RUN.finditer(text))


def clean_text(text: str) -> str:
    """Return article text fit for chunking: repaired, de-junked, whitespace tidied."""
    # keep curly quotes: they are real punctuation, not damage
    text = ftfy.fix_text(text, normalization="NFC", uncurl_quotes=False)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _THAI_RUN.sub(_strip_mojibake, text)
    text = "".join(ch for ch in text if not _is_junk_char(ch))
    text = _DOUBLE_BULLET.sub(r"\1 ", text)
    text = _FOOTNOTE.sub("", text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
