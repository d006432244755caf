"""Key terms of a question's answers: the words that recur, for the board's word cloud and the
console's filter. Pure functions of text, no database, no NLP dependency.

A term is a word as a reader would count it: case-folded, NFKC-normalized (so "ﬁle" and "file",
full-width and plain letters are one word), punctuation stripped, a possessive ("model's") and a
plural ("diffs", "studies", "classes") folded into the singular, and common English words left
out. A term is sized by how many students used it, not how often: one student repeating a word
ten times is one voice. Everything is deterministic: the same answers, in any order, give the
same terms in the same order.
"""

import hashlib
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from functools import lru_cache

# The board shows this many terms at most: enough for a cloud, few enough to read at once.
LIMIT = 40
# Font steps of the cloud, smallest to largest (CSS sizes `data-size` 1..SIZES).
SIZES = 5

# Letters and digits, with apostrophes inside a word ("don't", "students'" keeps its own).
# Underscores and hyphens separate words: "read-only" is "read" and "only".
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*'?")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})

# Common English function words, with their contractions written without the apostrophe
# (apostrophes are dropped before this list is read), and a few fillers every seminar answer
# is full of ("I think", "really", "a lot of things").
STOP_WORDS = frozenset(
    """
    a about above after again against ago all almost also although always am among an and
    another any anybody anyone anything anyway are aren around as at away
    be became because become been before being below besides between both but by
    can cannot cant could couldnt
    did didnt do does doesnt doing done dont down during
    each eg either else enough especially etc even ever every everyone everything
    few for from further
    get gets getting go goes going gone got
    had hadnt has hasnt have havent having he hed hell her here hers herself hes him himself
    his how however
    i id ie if ill im in into is isnt it itd itll its itself ive
    just
    kind
    less let lets like likely lot lots
    made make makes many may maybe me might mine more most mostly much must my myself
    need needs neither never no nobody none nor not nothing now
    of off often oh ok okay on once one ones only onto or other others otherwise ought our ours
    ourselves out over own
    per perhaps please
    quite
    rather really
    said same say says see seem seems shall she shed shell shes should shouldnt since so some
    somebody someone something sometimes somewhat still such sure
    than that thatll thats the their theirs them themselves then there therefore theres these
    they theyd theyll theyre theyve thing things think this those though through thus to too
    toward towards
    under until up upon us use used uses using
    very via
    want wants was wasnt way ways we wed well were werent weve what whatever whats when
    whenever where whereas wherever whether which while who whoever whole whom whos whose why
    will with within without wont would wouldnt
    yeah yes yet you youd youll your youre yours yourself yourselves youve
    """.split()
)


@dataclass(frozen=True)
class Term:
    key: str  # the normalized word: what answers are matched on
    label: str  # the word as most of its students wrote it
    count: int  # how many students used it
    size: int  # 1..SIZES, by count relative to the most used term shown

    @property
    def slug(self) -> str:
        """A stable id part for HTML: the key itself when it is plain ASCII, else a short
        hash of it (ids stay ASCII, and two keys never share one)."""
        if self.key.isascii():
            return self.key
        return "x" + hashlib.sha1(self.key.encode()).hexdigest()[:12]

    @property
    def students(self) -> str:
        return f"{self.count} student{'' if self.count == 1 else 's'}"


def singular(word: str) -> str:
    """A light English plural and possessive folding of a case-folded word. Only a key: what a
    term shows is the spelling students used, so "movies" keyed as "movy" is never seen."""
    if word.endswith("'s"):
        word = word[:-2]
    word = word.rstrip("'")
    if len(word) > 4 and word.endswith("ies") and word[-4] not in "aeiou":
        return word[:-3] + "y"  # studies, stories
    if word.endswith("sses") or (len(word) > 4 and word.endswith(("ches", "shes", "xes"))):
        return word[:-2]  # classes, matches, wishes, boxes
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]  # diffs, tests, prompts (not "class", "focus", "analysis")
    return word


# Key terms are counted again from every answer whenever a question's answers change (once
# a second under load, seminar/ticks.py); an answer's words are read once while it is recent.
@lru_cache(maxsize=8192)
def words(text: str) -> tuple[tuple[str, str], ...]:
    """(key, as written) for each word of `text` that can be a term, in order."""
    text = unicodedata.normalize("NFKC", text or "").translate(_APOSTROPHES)
    out = []
    for match in _WORD.finditer(text):
        folded = match.group().casefold()
        # NFKC again: case-folding can leave a sequence that composition joins.
        key = unicodedata.normalize("NFKC", singular(folded).replace("'", ""))
        if len(key) < 2 or key.isdigit() or key in STOP_WORDS:
            continue
        if folded.replace("'", "") in STOP_WORDS:  # "goes", "does": stop words before folding
            continue
        written = match.group()
        written = written[:-2] if written.lower().endswith("'s") else written.rstrip("'")
        out.append((key, written))
    return tuple(out)


def keys(text: str) -> list[str]:
    """The distinct terms of one text, sorted: what the console filters an answer by."""
    return sorted({key for key, _ in words(text)})


def key_terms(answers: Iterable[tuple[Hashable, str]], *, limit: int = LIMIT) -> list[Term]:
    """The `limit` terms used by the most students, from (student, text) pairs (answers only:
    not hidden ones, not replies; the caller chooses). Most used first, ties in the order of
    their keys. Each term's label is its most common spelling (`_label`); its size is a step
    from 1 to SIZES by how many students used it, relative to the most used term shown (on a
    square-root scale)."""
    students: dict[str, set] = {}
    spellings: dict[str, Counter] = {}
    for student, text in answers:
        for key, written in words(text):
            students.setdefault(key, set()).add(student)
            spellings.setdefault(key, Counter())[written] += 1
    ranked = sorted(students, key=lambda k: (-len(students[k]), k))[: max(limit, 0)]
    if not ranked:
        return []
    top = len(students[ranked[0]])
    terms = []
    for key in ranked:
        count = len(students[key])
        # On a square-root scale: in a class a few words are used by many and most by a few,
        # and a linear scale would make all but the first few the smallest size.
        size = 1 if top == 1 else 1 + round((SIZES - 1) * math.sqrt((count - 1) / (top - 1)))
        terms.append(Term(key=key, label=_label(spellings[key]), count=count, size=size))
    return terms


def _label(spellings: Counter) -> str:
    """The spelling most used ("diffs" or "diff"), in lower case if anyone wrote it so: "Read"
    at the start of a sentence is "read", "AI" written only so stays "AI"."""
    folds = Counter()
    for written, n in spellings.items():
        folds[written.casefold()] += n
    fold = min(folds.items(), key=lambda f: (-f[1], f[0]))[0]
    variants = [(n, w) for w, n in spellings.items() if w.casefold() == fold]
    lower = [w for _, w in variants if w == w.lower()]
    if lower:
        return lower[0]
    return min(variants, key=lambda v: (-v[0], v[1]))[1]
