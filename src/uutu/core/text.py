"""Vietnamese text helpers: accent folding for search and the Vietnamese sort order.

``fold("Nguyễn Thị Hòa") == "nguyen thi hoa"``: the search column stores the folded
name, and the search box folds the query the same way, so a search is accent- and
case-insensitive on SQLite and PostgreSQL alike without any database extension.

``sort_key`` builds a string of digits that sorts names the Vietnamese way: by the
given name first, then the middle and family names, with the letters in the
Vietnamese alphabet order (a ă â b c d đ e ê g h i k l m n o ô ơ p q r s t u ư v x y)
and tones as a last tie-break. Digits sort the same under every collation, so the
database can do the ordering with a plain index.
"""

import functools
import re
import unicodedata

_COMBINING_TONES = {
    "\u0300": 1,  # huyền (grave)
    "\u0309": 2,  # hỏi (hook above)
    "\u0303": 3,  # ngã (tilde)
    "\u0301": 4,  # sắc (acute)
    "\u0323": 5,  # nặng (dot below)
}
# Marks that change the letter itself (ă, â, ê, ô, ơ, ư) rather than the tone.
_LETTER_MARKS = {"\u0306": "(", "\u0302": "^", "\u031b": "+"}

_ALPHABET = [
    "a",
    "a(",
    "a^",
    "b",
    "c",
    "d",
    "đ",
    "e",
    "e^",
    "f",
    "g",
    "h",
    "i",
    "j",
    "k",
    "l",
    "m",
    "n",
    "o",
    "o^",
    "o+",
    "p",
    "q",
    "r",
    "s",
    "t",
    "u",
    "u+",
    "v",
    "w",
    "x",
    "y",
    "z",
]
_LETTER_CODE = {letter: f"{i + 11:02d}" for i, letter in enumerate(_ALPHABET)}
_DIGIT_CODE = {str(d): f"{d + 1:02d}" for d in range(10)}  # 01..10, before letters
_WORD_SEP = "00"
_SPACE_RE = re.compile(r"\s+")


def _decompose(text: str) -> list[tuple[str, int]]:
    out: list[list] = []
    for ch in unicodedata.normalize("NFD", text.lower()):
        if ch in _COMBINING_TONES:
            if out:
                out[-1][1] = _COMBINING_TONES[ch]
        elif ch in _LETTER_MARKS:
            if out:
                out[-1][0] += _LETTER_MARKS[ch]
        elif unicodedata.combining(ch):
            continue
        else:
            out.append([ch, 0])
    return [(base, tone) for base, tone in out]


def fold(text: str | None) -> str:
    """Lower-case ``text`` and strip Vietnamese diacritics (``đ`` becomes ``d``)."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACE_RE.sub(" ", stripped).strip()


def normalize_name(text: str | None) -> str:
    """Tidy a typed name: NFC, single spaces, each word capitalised ("nguyễn thị HOA")."""
    if not text:
        return ""
    # str.split() splits on the characters ``\s`` matches (str.isspace), with no
    # empty words: the same words as collapsing the spaces and splitting on " "
    return " ".join(
        [w[:1].upper() + w[1:].lower() for w in unicodedata.normalize("NFC", text).split()]
    )


def split_full_name(full_name: str) -> tuple[str, str, str]:
    """Split a Vietnamese full name into (family, middle, given)."""
    words = normalize_name(full_name).split(" ")
    if not words or words == [""]:
        return "", "", ""
    if len(words) == 1:
        return "", "", words[0]
    return words[0], " ".join(words[1:-1]), words[-1]


@functools.lru_cache(maxsize=16384)
def _word_key(word: str) -> tuple[str, str]:
    """A word's letter codes and tone digits. Remembered: names repeat the same few
    thousand family, middle and given names (an import of 10,000 members, a list
    sorted by name), and the codes of a word never change."""
    primary, tones = [], []
    for base, tone in _decompose(word):
        code = _LETTER_CODE.get(base) or _DIGIT_CODE.get(base)
        if code is None:
            continue  # punctuation and foreign marks do not affect the order
        primary.append(code)
        tones.append(str(tone))
    return "".join(primary), "".join(tones)


def sort_key(full_name: str) -> str:
    """A digit string that orders names the Vietnamese way (given name first).

    Each word contributes its letters, a ``00`` separator (lower than any letter,
    so "An" sorts before "Anh") and then its tones, so "Hoa" sorts before "Hòa"
    before the middle and family names are compared.
    """
    family, middle, given = split_full_name(full_name)
    words = [given, *middle.split(" "), family] if middle else [given, family]
    parts = []
    for word in words:
        if word:
            primary, tones = _word_key(word)
            parts.append(f"{primary}{_WORD_SEP}{tones}")
    return "".join(parts)[:250]


def name_fields(full_name: str | None) -> tuple[str, str, str, str, str, str]:
    """What a member's name columns hold, derived from the name as typed: the
    normalised full name, its family, middle and given parts, the folded search
    form and the Vietnamese sort key."""
    full = normalize_name(full_name)
    family, middle, given = split_full_name(full)
    return full, family, middle, given, fold(full), sort_key(full)
