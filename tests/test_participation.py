"""Participation, for the facilitator only (issue 17, part 3): the figures, the console's panel,
that it never reaches the board, the room or a moderator, and that it follows the class live."""

import re
from fractions import Fraction

import pytest
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from seminar import audiences, screens, services
from seminar.changes import Change
from seminar.models import Session
from seminar.participation import gini, participation, top_count, top_share
from tests.helpers import as_student

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


# --- the console -----------------------------------------------------------------------------


def panel(html: str) -> str:
    found = re.search(r'<section id="participation".*?</section>', html, re.S)
    assert found, "no Participation panel"
    return found.group(0)


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_the_console_shows_the_panel_with_the_figures(session, seminar_class, owner):
    html = owner.get(f"/facilitate/{session.code}/").content.decode()
    region = panel(html)
    text = text_of(region)
    assert "3 of 5 present posted · 2 silent · 6 posts" in text
    assert "The most active 15% (1 student) wrote 50% of the posts." in text
    assert "Spread 0.53 (0 = everyone posted equally, 1 = one student wrote everything)" in text
    assert "Present but silent (2)" in text
    assert "Dev (voted)" in text
    # Every name escaped: Eve's markup is text.
    assert "&lt;b&gt;Eve&lt;/b&gt;" in region and "<b>Eve</b>" not in region
    rows = re.findall(r"<tr><th scope=\"row\">(\w+)</th>(.*?)</tr>", region)
    table = {row: re.findall(r">(\d+)<", cells) for row, cells in rows}
    assert table == {
        "1": ["5", "2", "2", "1", "2"],
        "2": ["5", "1", "1", "0", "3"],
        "All": ["5", "2", "2", "1", "2"],
    }
    # Here now (a fresh connection): both silent students have a tab open.
    assert region.count('class="is-online"') == 2


def test_before_any_question_opens_the_panel_says_how_it_counts(session, owner):
    services.participant_join(session=session, name="Ana")
    text = text_of(panel(owner.get(f"/facilitate/{session.code}/").content.decode()))
    assert "Counted from the first question you open" in text


def test_a_long_silent_list_is_folded_with_a_name_filter(session, facilitator, owner):
    for i in range(13):
        person = services.participant_join(session=session, name=f"Student {i:02d}")
        services.connection_open(participant=person, channel_name=f"tab-{i}")
    services.question_set_open(session=session, by=facilitator, number=1, is_open=True)
    region = panel(owner.get(f"/facilitate/{session.code}/").content.decode())
    fold = re.search(r'<details id="participation-silent-fold"[^>]*>', region).group(0)
    assert " open" not in fold
    assert 'data-filters="participation-silent"' in region


def test_the_panel_costs_the_same_queries_for_5_or_60_students(session, facilitator):
    """Rendered at most once a tick, and then in a fixed number of queries (the figures' five
    and who is here now), whatever the size of the class."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    services.question_set_open(session=session, by=facilitator, number=1, is_open=True)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            screens.participation(screens.State.load(session.pk))
        return len(captured)

    def join(first, last):
        for i in range(first, last):
            person = services.participant_join(session=session, name=f"Student {i}")
            services.connection_open(participant=person, channel_name=f"tab-{i}")
            if i % 3:
                services.answer_post(participant=person, number=1, text="Hi", client_token=None)

    join(0, 5)
    small = queries()
    join(5, 60)
    assert queries() == small <= 8


# --- never for anyone else ---------------------------------------------------------------------

PANEL_MARKS = ("participation", "Participation", "silent", "Silent", "most active", "Spread")


def assert_no_panel(html: str, where: str) -> None:
    for mark in PANEL_MARKS:
        assert mark not in html, f"{mark!r} on {where}"


def test_the_board_room_and_moderator_never_show_it(session, seminar_class, facilitator, client):
    board = client.get(f"/s/{session.code}/board/").content.decode()
    assert_no_panel(board, "the board")
    for name in ("Ana", "<b>Eve</b>"):
        student = as_student(seminar_class[name])
        room = student.get(f"/s/{session.code}/").content.decode()
        assert_no_panel(room, f"{name}'s room")
        state = student.get(f"/s/{session.code}/state/").content.decode()
        assert_no_panel(state, f"{name}'s room state")
    _, token = services.moderator_link_create(session=session, by=facilitator)
    phone = Client()
    assert phone.post(f"/m/{token}").status_code == 302
    moderate = phone.get(f"/facilitate/{session.code}/moderate/")
    assert moderate.status_code == 200
    assert_no_panel(moderate.content.decode(), "the moderator's phone")
    st = screens.State.load(session.pk)
    for role in ("board", "moderator"):
        assert_no_panel(screens.snapshot(st, role)["html"], f"the {role} snapshot")


def tick_and_refresh(st, change) -> dict:
    """What a change sends: its tick's message, with the parts of the refresh of its panels
    that follows it (seminar/ticks.py)."""
    message = screens.message(st, 1, 1, change)
    return {**message, "parts": message["parts"] + screens.panel_parts(st, change)}


def test_frames_carry_it_to_the_console_alone(session, seminar_class):
    """Every kind of change at once: the panel goes to the facilitator, once, and to no other
    audience (board, students, readers, waiting, a student's own, the moderator)."""
    qids = set(screens.State.load(session.pk).states_by_question)
    pids = {p.pk for p in seminar_class.values()}
    everything = Change(
        step=True,
        settings=True,
        presence=True,
        notes=True,
        ended=True,
        spotlight=True,
        questions=qids,
        counts=qids,
        answers=set(session.answers.values_list("pk", flat=True)),
        own={(pid, qid) for pid in pids for qid in qids},
        access={(pid, qid) for pid in pids for qid in qids},
        voters=pids,
    )
    message = tick_and_refresh(screens.State.load(session.pk), everything)
    to_console = [html for a, html in message["parts"] if a == audiences.FACILITATOR]
    assert sum('id="participation"' in html for html in to_console) == 1
    others = [(a, html) for a, html in message["parts"] if a != audiences.FACILITATOR]
    assert {a if isinstance(a, str) else "students" for a, _ in others} >= {
        audiences.BOARD,
        audiences.STUDENTS,
        audiences.MODERATOR,
    }
    for audience, html in others:
        assert_no_panel(html, f"a frame to {audience}")


@pytest.mark.parametrize(
    ("change", "renders"),
    [
        (Change(own={(1, 1)}), True),  # a post, reply, edit or deletion
        (Change(voters={1}), True),  # a vote
        (Change(presence=True), True),  # someone joined, connected or left
        (Change(questions={1}), True),  # opening records who is here
        (Change(answers={1}), False),  # pinned, hidden, spotlit, discussed: no one spoke
        (Change(settings=True), False),
        (Change(step=True), False),
        (Change(notes=True), False),
    ],
)
def test_it_is_rendered_only_when_a_change_can_move_it(session, seminar_class, change, renders):
    st = screens.State.load(session.pk)
    qid = next(iter(st.states_by_question))
    pid = seminar_class["Ana"].pk
    change = Change(
        **{
            **change.__dict__,
            "own": {(pid, qid)} if change.own else set(),
            "voters": {pid} if change.voters else set(),
            "questions": {qid} if change.questions else set(),
            "answers": set(session.answers.values_list("pk", flat=True)[:1])
            if change.answers
            else set(),
        }
    )
    message = tick_and_refresh(st, change)
    sent = sum('id="participation"' in html for _, html in message["parts"])
    assert sent == (1 if renders else 0)


@pytest.mark.django_db(transaction=True)
def test_a_post_updates_the_panel_live(session, facilitator, broadcasts):
    Session.objects.filter(pk=session.pk).update(answer_first=False)
    ana = services.participant_join(session=session, name="Ana")
    ben = services.participant_join(session=session, name="Ben")
    for person in (ana, ben):
        services.connection_open(participant=person, channel_name=f"tab-{person.pk}")
    services.question_set_open(session=session, by=facilitator, number=1, is_open=True)
    broadcasts.clear()
    answer, _ = services.answer_post(participant=ana, number=1, text="Hi", client_token=None)
    text = text_of(panel(broadcasts.html_to(audiences.FACILITATOR)))
    assert "1 of 2 present posted · 1 silent · 1 post" in text
    assert "Present but silent (1)" in text and "Ben" in text
    broadcasts.clear()
    services.vote_toggle(participant=ben, answer_id=answer.pk)
    assert "Ben (voted)" in text_of(panel(broadcasts.html_to(audiences.FACILITATOR)))
    for audience in broadcasts.audiences - {audiences.FACILITATOR}:
        assert_no_panel(broadcasts.html_to(audience), f"frames to {audience}")


# --- the summary and the exports ---------------------------------------------------------------


def test_the_summary_data_has_the_figures_by_number_and_name(session, seminar_class):
    from seminar.summary import session_summary

    data = session_summary(session)
    p = data["participation"]
    assert {k: p[k] for k in ("present", "posted", "answered", "replied", "voted", "silent")} == {
        "present": 5,
        "posted": 3,
        "answered": 2,
        "replied": 2,
        "voted": 1,
        "silent": 2,
    }
    assert (p["posts"], p["top_percent"], p["top_count"]) == (6, 15, 1)
    assert (p["top_share"], p["gini"]) == (0.5, 0.5333)
    assert p["silent_students"] == [
        {"participant": 4, "name": "Dev", "voted": True},
        {"participant": 5, "name": "<b>Eve</b>", "voted": False},
    ]
    assert p["questions"] == [  # question 3 was never open: not listed
        {
            "number": 1,
            "present": 5,
            "answered": 2,
            "replied": 2,
            "voted": 1,
            "silent": 2,
            "posts": 4,
        },
        {
            "number": 2,
            "present": 5,
            "answered": 1,
            "replied": 1,
            "voted": 0,
            "silent": 3,
            "posts": 2,
        },
    ]
    by_name = {row["name"]: row for row in data["participants"]}
    assert [
        (r["posts"], r["questions_present"], r["silent_questions"]) for r in by_name.values()
    ] == [(3, 2, 0), (1, 2, 1), (2, 2, 0), (0, 2, 2), (0, 2, 2), (0, 0, 0)]


def test_pseudonyms_keep_every_figure_and_drop_every_name(session, seminar_class):
    from seminar.summary import session_summary

    real = session_summary(session)["participation"]
    pseudo = session_summary(session, names="pseudonyms")["participation"]
    assert {k: v for k, v in pseudo.items() if k != "silent_students"} == {
        k: v for k, v in real.items() if k != "silent_students"
    }
    assert pseudo["silent_students"] == [
        {"participant": 4, "name": "Participant 4", "voted": True},
        {"participant": 5, "name": "Participant 5", "voted": False},
    ]


def test_every_export_has_the_section(session, seminar_class, owner):
    from seminar import exports

    md = exports.export(session, "md").content.decode()
    section = md.split("## Participation", 1)[1].split("## Steps", 1)[0]
    assert "- Present but silent: 2" in section
    assert "the most active 15% (1 student) wrote 50% of them" in section
    assert "- Spread of posts (Gini): 0.53 (0 = everyone posted equally" in section
    assert "| 1 | 5 | 2 | 2 | 1 | 2 | 4 |" in section
    assert "Present but silent: **Dev** (voted), **\\<b>Eve\\</b>**." in section
    pseudo_md = exports.export(session, "md", names="pseudonyms").content.decode()
    assert "Present but silent: **Participant 4** (voted), **Participant 5**." in pseudo_md
    assert "Dev" not in pseudo_md and "Eve" not in pseudo_md

    html = exports.export(session, "html").content.decode()
    assert 'id="participation-heading"' in html
    assert "Dev (voted), &lt;b&gt;Eve&lt;/b&gt;." in html and "<b>Eve</b>" not in html
    page = owner.get(f"/facilitate/{session.code}/summary/").content.decode()
    section = page.split('id="participation-heading"', 1)[1].split("</section>", 1)[0]
    assert "Posts by the most active 15% (1 student) 50%" in text_of(section)
    assert "Dev (voted), &lt;b&gt;Eve&lt;/b&gt;." in section
    assert "0.53" in section

    rows = exports.export_participants(session, names="pseudonyms").content.decode("utf-8-sig")
    assert rows.splitlines()[0].endswith("posts,questions_present,silent_questions")
    dev = rows.splitlines()[4]
    assert dev.startswith("Participant 4,") and dev.endswith(",0,2,2")


def test_an_export_before_any_question_says_nobody_was_counted(session):
    from seminar import exports

    services.participant_join(session=session, name="Ana")
    md = exports.export(session, "md").content.decode()
    assert "Nobody was counted: no question was open while students were here." in md
    data = exports.session_summary(session)["participation"]
    assert data["top_share"] is None and data["gini"] is None and data["questions"] == []
