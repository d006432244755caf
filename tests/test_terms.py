"""Key terms of a question's answers (seminar/terms.py): hand-made examples, then properties."""

import random

from hypothesis import given
from hypothesis import strategies as st

from seminar import terms
from seminar.terms import SIZES, Term, key_terms, keys, singular, words


def test_words_are_case_folded_normalized_and_stripped_of_punctuation():
    assert keys("Read the DIFF! Read… the diff?") == ["diff", "read"]
    assert keys("«Prompts», (prompts); prompts.") == ["prompt"]
    # NFKC: a ligature and full-width letters are the plain word.
    assert keys("ﬁle") == keys("ＦＩＬＥ") == keys("file") == ["file"]
    # Case-folding, not just lower-casing.
    assert keys("STRASSE straße") == ["strasse"]
    # Hyphens and underscores separate words; digits alone are not terms.
    assert keys("read-write snake_case 2024 42") == ["case", "read", "snake", "write"]


def test_plurals_and_possessives_fold_into_one_term():
    assert keys("diffs diff diff's") == ["diff"]
    assert keys("the students' work, a student's work") == ["student", "work"]
    assert keys("studies study") == ["study"]
    assert keys("classes class") == ["class"]
    assert keys("matches match boxes box") == ["box", "match"]
    # Words that only look plural stay as they are.
    assert [singular(w) for w in ("focus", "analysis", "class", "bus", "gas")] == [
        "focus",
        "analysis",
        "class",
        "bus",
        "gas",
    ]
    # Curly apostrophes are apostrophes.
    assert keys("the model’s tests") == ["model", "test"]


def test_stop_words_and_fillers_are_not_terms():
    assert keys("I think it's really just a thing of the way we do it") == []
    assert keys("Don't, doesn't, won't, goes, does, others") == []
    assert keys("a I x") == []  # single letters
    assert keys("AI ML UI") == ["ai", "ml", "ui"]  # two-letter words are words


def test_a_term_counts_students_not_repetitions():
    cloud = key_terms(
        [
            ("ana", "Tests, tests, tests! Tests first."),
            ("ben", "Read the diff."),
            ("cleo", "Read the diff, then write tests."),
        ]
    )
    counts = {t.key: t.count for t in cloud}
    assert counts == {"test": 2, "diff": 2, "read": 2, "first": 1, "write": 1}
    # The same student twice (two answers, e.g. to one question across an edit) is one voice.
    assert key_terms([("ana", "diff"), ("ana", "diff")])[0].count == 1


def test_most_used_first_ties_by_key_and_the_top_n():
    answers = [("a", "zebra apple mango"), ("b", "zebra apple"), ("c", "zebra kiwi")]
    cloud = key_terms(answers)
    assert [(t.key, t.count) for t in cloud] == [
        ("zebra", 3),
        ("apple", 2),
        ("kiwi", 1),
        ("mango", 1),
    ]
    assert [t.key for t in key_terms(answers, limit=2)] == ["zebra", "apple"]
    assert key_terms(answers, limit=0) == []
    assert key_terms([]) == []


def test_sizes_go_from_one_to_the_top_step_by_students():
    answers = [
        (i, "diff" + (" tests" if i < 5 else "") + (" pair" if i < 1 else "")) for i in range(9)
    ]
    cloud = {t.key: t for t in key_terms(answers)}
    assert cloud["diff"].size == SIZES  # the most used
    assert cloud["pair"].size == 1  # one student
    assert 1 < cloud["test"].size < SIZES
    # Everyone said one thing each: all the same, small.
    assert {t.size for t in key_terms([(1, "alpha"), (2, "beta")])} == {1}


def test_the_label_is_the_spelling_students_used():
    cloud = {t.key: t for t in key_terms([(1, "Read the diffs"), (2, "read diffs"), (3, "AI")])}
    assert cloud["read"].label == "read"  # capitalised only at the start of a sentence
    assert cloud["diff"].label == "diffs"
    assert cloud["ai"].label == "AI"  # only ever written so
    assert cloud["diff"].students == "2 students" and cloud["ai"].students == "1 student"


def test_slugs_are_ascii_and_distinct():
    plain = Term(key="diff", label="diff", count=1, size=1)
    accented = Term(key="café", label="café", count=1, size=1)
    other = Term(key="cafè", label="cafè", count=1, size=1)
    assert plain.slug == "diff"
    assert accented.slug.isascii() and accented.slug.isalnum()
    assert accented.slug != other.slug != "cafe"


def test_hostile_text_gives_plain_words():
    """Markup is punctuation: its words may be terms, its brackets and quotes never are."""
    found = words('<script>alert("x")</script><img src=x onerror=alert(2)> {{ request }}')
    assert all(key.isalnum() for key, _ in found)
    assert all(written.replace("'", "").isalnum() for _, written in found)


# --- properties ------------------------------------------------------------------------------

vocabulary = st.sampled_from(
    ["diff", "diffs", "Diff's", "tests", "TEST", "pair", "the", "and", "ﬁle", "file", "AI", "read"]
)
texts = st.lists(st.one_of(vocabulary, st.text(max_size=12)), max_size=12).map(" ".join)
answer_lists = st.lists(st.tuples(st.integers(0, 30), texts), max_size=25)


@given(answer_lists, st.integers(0, 50))
def test_counts_never_exceed_the_students_who_answered(answers, limit):
    cloud = key_terms(answers, limit=limit)
    students = {student for student, _ in answers}
    assert len(cloud) <= limit
    for term in cloud:
        assert 1 <= term.count <= len(students) <= len(answers)
        # Each term was really used by that many of the students.
        users = {s for s, text in answers if term.key in keys(text)}
        assert len(users) == term.count
        assert 1 <= term.size <= SIZES
        assert term.key not in terms.STOP_WORDS


@given(answer_lists, st.randoms(use_true_random=False))
def test_the_same_answers_in_any_order_give_the_same_terms(answers, rnd):
    shuffled = list(answers)
    rnd.shuffle(shuffled)
    assert key_terms(shuffled) == key_terms(answers)


@given(answer_lists)
def test_most_used_first_then_by_key_and_sizes_follow_counts(answers):
    cloud = key_terms(answers)
    assert cloud == sorted(cloud, key=lambda t: (-t.count, t.key))
    assert len({t.slug for t in cloud}) == len(cloud)
    for a, b in zip(cloud, cloud[1:], strict=False):
        assert a.size >= b.size


@given(answer_lists, texts)
def test_an_answer_left_out_never_contributes(answers, hidden):
    """What the caller leaves out (hidden, waiting, replies) changes nothing: a word only the
    left-out answer uses is never a term, and no count includes it."""
    with_it = key_terms([*answers, ("hidden-student", hidden)], limit=1000)
    without = key_terms(answers, limit=1000)
    only_hidden = set(keys(hidden)) - {k for _, text in answers for k in keys(text)}
    assert not only_hidden & {t.key for t in without}
    assert {t.key: t.count for t in without} == {
        t.key: t.count - (t.key in keys(hidden)) for t in with_it if t.key not in only_hidden
    }


def test_a_class_of_answers_is_fast_enough_for_every_tick():
    """Recomputed per tick for the question on the board: 300 paragraphs in well under 50 ms."""
    import time

    rng = random.Random(1)
    words_ = "diff test prompt model review pair loop tool code attention design".split()
    answers = [(i, " ".join(rng.choice(words_) for _ in range(60))) for i in range(300)]
    start = time.perf_counter()
    key_terms(answers)
    assert time.perf_counter() - start < 0.5  # generous for a shared CI machine
