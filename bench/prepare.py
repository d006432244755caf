"""Set up a bench session in the database named by DATABASE_URL; print it as JSON.

Run as a subprocess with the server's environment (so it writes the same database):
loads the default guide, makes a facilitator, starts a session with answer-first off (every
student may read every answer, so every socket should receive every answer), opens every
question, and puts the walk on the first question: the board shows that question's answers
(and only its: a board gets other questions' answers when the walk reaches them).
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

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402

from guide.models import Guide  # noqa: E402
from seminar import selectors, services  # noqa: E402


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
    print(
        json.dumps(
            {"code": session.code, "session_id": session.pk, "questions": numbers, "focus": focus}
        )
    )


if __name__ == "__main__":
    main()
