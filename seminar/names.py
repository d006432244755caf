"""When two display names are the same to a reader: equal ignoring case and width, or equal
but for look-alike characters (Cyrillic "А" for Latin "A", "l" for "I"), using Unicode's
confusables data (confusable-homoglyphs). A classmate must never be impersonated on the board
by a name that only differs in code points."""

import unicodedata
from functools import lru_cache

from confusable_homoglyphs.confusables import confusables_data


def _fold(name: str) -> str:
    return unicodedata.normalize("NFKC", name).casefold()


@lru_cache(maxsize=4096)
def _look_alikes(char: str) -> frozenset[str]:
    return frozenset(h["c"].strip("\u200e") for h in confusables_data.get(char, ())) | {char}


def _same_char(a: str, b: str) -> bool:
    return a == b or b in _look_alikes(a) or a in _look_alikes(b)


def look_alike(a: str, b: str) -> bool:
    a, b = _fold(a), _fold(b)
    if a == b:
        return True
    if len(a) != len(b):
        return False
    for x, y in zip(a, b, strict=True):
        if not _same_char(x, y) and not _same_char(x.upper(), y.upper()):
            return False
    return True


def is_taken(name: str, existing) -> bool:
    return any(look_alike(name, other) for other in existing)
