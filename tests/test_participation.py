"""Participation, for the facilitator only (issue 17, part 3): the figures, the console's panel,
that it never reaches the board, the room or a moderator, and that it follows the class live."""

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from seminar import services
from seminar.models import Session
from seminar.participation import gini, participation, top_count, top_share

# --- the figures, by hand ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("present", "top"),
    [(0, 0), (1, 1), (6, 1), (7, 2), (13, 2), (14, 3), (20, 3), (21, 4), (100, 15), (101, 16)],
)
def test_the_most_active_15_percent_is_rounded_up_and_at_least_one_student(present, top):
    # 15% of 7 is 1.05 students: 2; of 20 exactly 3 (floating point would say 4).
    assert top_count(present) == top


def test_the_share_of_the_most_active_students_by_hand():
    assert top_share([3, 2, 2, 2]) == pytest.approx(3 / 9)  # 1 of 4 students: 3 of 9 posts
    assert top_share([5, 1, 1, 1, 1, 1]) == pytest.approx(0.5)  # 1 of 6: 5 of 10
    assert top_share([10, 0, 0, 0, 0, 0, 0]) == 1.0  # 2 of 7, one wrote everything
    assert top_share([1, 1, 1, 1, 1, 1, 1]) == pytest.approx(2 / 7)  # equal: their headcount
    assert top_share([0, 0, 0]) is None  # nobody posted: no share to speak of
    assert top_share([]) is None


def test_the_gini_coefficient_by_hand():
    assert gini([1, 1, 1]) == 0  # everyone posted as much
    assert gini([1, 3]) == pytest.approx(0.25)  # mean |difference| 1, over twice the mean 2
    assert gini([2, 2, 2, 3]) == pytest.approx(1 / 12)
    assert gini([3, 1, 2, 0, 0]) == pytest.approx(8 / 15)
    assert gini([0, 0, 0, 4]) == pytest.approx(0.75)  # one of four wrote all: (n - 1) / n
    assert gini([0, 0]) is None
    assert gini([]) is None


posts = st.lists(st.integers(0, 40), min_size=1, max_size=60)


def brute_gini(xs: list[int]) -> Fraction:
    """The definition itself: the mean absolute difference over twice the mean."""
    n, total = len(xs), sum(xs)
    return Fraction(sum(abs(a - b) for a in xs for b in xs), 2 * n * total)


@given(posts)
def test_the_share_is_between_the_headcount_share_and_one(xs):
    share = top_share(xs)
    if sum(xs) == 0:
        assert share is None
        return
    # The most active k of n students wrote at least k/n of the posts, and at most all.
    assert top_count(len(xs)) / len(xs) - 1e-9 <= share <= 1


@given(posts)
def test_the_gini_is_the_definition_and_within_its_bounds(xs):
    g = gini(xs)
    if sum(xs) == 0:
        assert g is None
        return
    n = len(xs)
    assert 0 <= g <= (n - 1) / n + 1e-9
    assert g == pytest.approx(float(brute_gini(xs)), abs=1e-9)
    assert gini(list(reversed(xs))) == pytest.approx(g)  # whose count is whose does not matter
    assert gini([3 * x for x in xs]) == pytest.approx(g)  # nor the scale


@given(st.integers(1, 60), st.integers(1, 20))
def test_equal_posting_is_gini_0_and_the_headcount_share(n, each):
    assert gini([each] * n) == 0
    assert top_share([each] * n) == pytest.approx(top_count(n) / n)


# --- a class --------------------------------------------------------------------------------


@pytest.fixture
def seminar_class(session, facilitator):
    """Five students here for questions 1 and 2, one who joined and never connected.

    Ana answers 1 and 2 and replies on 1 (3 posts); Ben answers 1, then it is hidden (1);
    Cleo only replies, on 1 and 2 (2); Dev only upvotes; "<b>Eve</b>" does nothing; Fay is
    not here. Answer-first is off, so Cleo and Dev may read before answering."""
    Session.objects.filter(pk=session.pk).update(answer_first=False)
    names = ["Ana", "Ben", "Cleo", "Dev", "<b>Eve</b>", "Fay"]
    people = {n: services.participant_join(session=session, name=n) for n in names}
    for name in names[:5]:
        services.connection_open(participant=people[name], channel_name=f"tab-{name}")
    for number in (1, 2):
        services.question_set_open(session=session, by=facilitator, number=number, is_open=True)

    def post(name, number):
        return services.answer_post(
            participant=people[name], number=number, text=f"{name} on {number}", client_token=None
        )[0]

    def reply(name, answer, move):
        services.reply_post(
            participant=people[name], answer_id=answer.pk, move=move, text="Yes.", client_token=None
        )

    ana1, ben1, ana2 = post("Ana", 1), post("Ben", 1), post("Ana", 2)
    reply("Ana", ben1, "build")
    reply("Cleo", ana1, "challenge")
    reply("Cleo", ana2, "question")
    services.vote_toggle(participant=people["Dev"], answer_id=ana1.pk)
    services.answer_set_hidden(session=session, by=facilitator, answer_id=ben1.pk, hidden=True)
    session.refresh_from_db()
    return people


def test_the_figures_of_a_class_by_hand(session, seminar_class, django_assert_num_queries):
    with django_assert_num_queries(5):
        p = participation(session)
    assert (p.present, p.posted, p.answered, p.replied, p.voted) == (5, 3, 2, 2, 1)
    assert p.posts == 6  # the hidden answer is a post: moderation is not silence
    assert p.top_count == 1 and p.top_share == pytest.approx(0.5)  # Ana: 3 of 6
    assert p.gini == pytest.approx(8 / 15)  # posts 3, 1, 2, 0, 0
    assert [s.name for s in p.silent_students] == ["Dev", "<b>Eve</b>"]
    assert [s.voted for s in p.silent_students] == [True, False]
    q1, q2, q3 = p.questions
    assert (q1.present, q1.answered, q1.replied, q1.voted, q1.silent, q1.posts) == (
        5,
        2,
        2,
        1,
        2,
        4,
    )
    assert (q2.present, q2.answered, q2.replied, q2.voted, q2.silent, q2.posts) == (
        5,
        1,
        1,
        0,
        3,
        2,
    )
    assert (q3.present, q3.opened) == (0, False)
    by_name = {s.name: s for s in p.students}
    assert [
        (by_name[n].posts, by_name[n].questions_present, by_name[n].silent_questions)
        for n in by_name
    ] == [
        (3, 2, 0),
        (1, 2, 1),
        (2, 2, 0),
        (0, 2, 2),
        (0, 2, 2),
        (0, 0, 0),  # Fay was never here while a question was open
    ]
    assert not by_name["Fay"].present and not by_name["Fay"].silent


def test_the_figures_cost_the_same_queries_for_a_large_class(
    session, seminar_class, facilitator, django_assert_num_queries
):
    for i in range(40):
        person = services.participant_join(session=session, name=f"Student {i}")
        services.connection_open(participant=person, channel_name=f"big-{i}")
        if i % 2:
            services.answer_post(participant=person, number=1, text="Me too.", client_token=None)
    with django_assert_num_queries(5):
        p = participation(session)
    assert p.present == 45 and p.posted == 23


def test_a_student_who_only_voted_on_a_closed_question_was_there_for_it(session, facilitator):
    """Present for a question: here while it was open, or took part in it in any way."""
    Session.objects.filter(pk=session.pk).update(answer_first=False)
    ana = services.participant_join(session=session, name="Ana")
    services.question_set_open(session=session, by=facilitator, number=1, is_open=True)
    answer, _ = services.answer_post(participant=ana, number=1, text="Hi", client_token=None)
    services.question_set_open(session=session, by=facilitator, number=1, is_open=False)
    ben = services.participant_join(session=session, name="Ben")  # came after it closed
    services.vote_toggle(participant=ben, answer_id=answer.pk)
    p = participation(session)
    assert (p.questions[0].present, p.questions[0].voted, p.questions[0].silent) == (2, 1, 1)
    assert [s.name for s in p.silent_students] == ["Ben"]
