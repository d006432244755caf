"""Set up a bench session in the database named by DATABASE_URL; print it as JSON.

Run as a subprocess with the server's environment (so it writes the same database). The
session is run as a teacher runs one, every feature that costs a tick something on:

- the default guide, every question open, the walk on question 1: the boards show it;
- question 1 in a think-pair-share round, in Share (everyone reads every answer) with a
  ten-minute countdown running, and the board set to its word cloud;
- an answer to question 2 in the spotlight with three replies (the board shows the spotlight
  while it is on, so boards expect no answer text: `board_answers` is false);
- a facilitator's console and a moderator's phone (by a claimed moderator link) connect
  with the class: their cookies are printed, and the console shows the Participation panel.

`--bare` leaves out the round, the cloud, the spotlight and the watchers (the scale-out test's
session). Answer-first is off, so every student socket should receive every answer. Approve-first is
off too: it holds every answer back from the class until someone approves it, so the fan-out
this bench measures would not happen; what it adds to a tick (the queue on the console and
the phone) is counted by tests/test_tick_cost.py.
"""

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "seminar.settings")

import django  # noqa: E402

django.setup()

from importlib import import_module  # noqa: E402

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402

from guide.models import Guide  # noqa: E402
from seminar import identity, selectors, services  # noqa: E402


def cookie_of(**values) -> str:
    """A Django session holding `values`, saved as the server reads it: its session key."""
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    for key, value in values.items():
        store[key] = value
    store.save()
    return store.session_key


def main() -> None:
    call_command(
        "load_guide",
        str(ROOT / "guide" / "data" / "dangerous-illusion-of-ai-coding.txt"),
        verbosity=0,
    )
    guide = Guide.objects.order_by("-pk").first()
    user, _ = get_user_model().objects.get_or_create(username="bench-facilitator")
    if os.environ.get("BENCH_FACILITATOR_PASSWORD"):  # tests sign in as the facilitator
        user.set_password(os.environ["BENCH_FACILITATOR_PASSWORD"])
        user.save()
    session = services.session_start(
        facilitator=user, guide=guide, title="Bench", names_hidden=False, answer_first=False
    )
    numbers = sorted(guide.questions.values_list("number", flat=True))
    for number in numbers:
        services.question_set_open(session=session, by=user, number=number, is_open=True)
    steps = selectors.agenda(session)
    first_q = next(i for i, s in enumerate(steps) if s.kind == "question")
    session = services.step_go(session=session, by=user, to=first_q)
    focus = steps[first_q].number
    info = {
        "code": session.code,
        "session_id": session.pk,
        "questions": numbers,
        "focus": focus,
        "board_answers": True,
    }
    if "--bare" in sys.argv:  # a bare question, as tests/test_scaleout.py wants it
        print(json.dumps(info))
        return

    services.round_phase(session=session, by=user, number=focus, phase="share", seconds=600)
    services.question_set_board_view(session=session, by=user, number=focus, view="cloud")
    # The spotlight: a question-2 answer with three replies, the board's whole stage.
    speaker = services.participant_join(session=session, name="Spotlit")
    answer, _ = services.answer_post(
        participant=speaker,
        number=numbers[1],
        text="Vibe coding hides the design decisions we used to make on purpose.",
        client_token=None,
    )
    for i, move in enumerate(("build", "challenge", "question")):
        replier = services.participant_join(session=session, name=f"Replier {i}")
        services.reply_post(
            participant=replier,
            answer_id=answer.pk,
            move=move,
            text=f"Reply {i}: the tests still have to say what the code is for.",
            client_token=None,
        )
    services.answer_spotlight(session=session, by=user, answer_id=answer.pk)

    console = cookie_of(
        _auth_user_id=str(user.pk),
        _auth_user_backend="django.contrib.auth.backends.ModelBackend",
        _auth_user_hash=user.get_session_auth_hash(),
    )
    link, _ = services.moderator_link_create(session=session, by=user)
    key = identity.new_device_key()
    link = services.moderator_link_claim(link=link, device_key=key)
    moderator = cookie_of(
        **{
            identity.DEVICE_KEY: key,
            identity.MODERATING_KEY: {session.code: link.pk},
        }
    )
    info.update(board_answers=False, console_cookie=console, moderator_cookie=moderator)
    print(json.dumps(info))


if __name__ == "__main__":
    main()
