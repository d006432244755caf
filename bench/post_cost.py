"""What one post costs the server, by class size and answers so far (issue 14).

    python bench/post_cost.py [--posts 200]

In one process, on a fresh SQLite database (the embedded default): for a class of 10 and of
1,000 students, with 1 and with 1,000 answers on the question, students post answers over
HTTP (Django's test client: middleware, view, service, commit and publish), and it prints
the CPU and queries per post. Then the other half of a post's cost: rendering one tick's
frame (seminar/ticks.py) that carries 1, 10 and 100 new answers, per answer.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB = Path(tempfile.gettempdir()) / f"seminar-post-cost-{os.getpid()}.sqlite3"
os.environ.update(
    DJANGO_SETTINGS_MODULE="seminar.settings",
    SECRET_KEY=os.environ.get("SECRET_KEY", "bench-only-not-secret"),
    DEBUG="0",
    STATIC_MANIFEST="0",
    DATABASE_URL=f"sqlite:///{DB}",
    REDIS_URL="",
    SEMINAR_POST_RATE="1000000",
    ALLOWED_HOSTS="testserver",
    SEMINAR_LOG_LEVEL="WARNING",
)

import django  # noqa: E402

django.setup()

from django.conf import settings as django_settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from guide.models import Guide  # noqa: E402
from seminar import identity, services, ticks  # noqa: E402
from seminar.changes import Change  # noqa: E402
from seminar.models import Answer, Participant  # noqa: E402


def setup(students: int, answers: int):
    guide = Guide.objects.order_by("-pk").first()
    user, _ = get_user_model().objects.get_or_create(username="bench-facilitator")
    session = services.session_start(facilitator=user, guide=guide, answer_first=False)
    services.question_set_open(session=session, by=user, number=1, is_open=True)
    Participant.objects.bulk_create(
        Participant(session=session, name=f"S{i}") for i in range(students)
    )
    question = guide.questions.get(number=1)
    writers = list(session.participants.order_by("pk")[:answers])
    Answer.objects.bulk_create(
        Answer(
            session=session,
            question=question,
            participant=p,
            text=f"Answer of {p.name}",
            client_token=uuid.uuid4(),
        )
        for p in writers
    )
    return session, user


def authors(session, count: int) -> list[str]:
    """Each author's session cookie (one client serves them all, as one server would)."""
    keys = []
    for i in range(count):
        participant = services.participant_join(session=session, name=f"Author {i}")
        client = Client()
        s = client.session
        identity.remember(s, participant)
        s.save()
        keys.append(s.session_key)
    return keys


CLIENT = None


def post_cost(students: int, answers: int, posts: int) -> dict:
    session, _ = setup(students, answers)
    global CLIENT
    CLIENT = CLIENT or Client()
    client = CLIENT
    url = f"/s/{session.code}/q/1/answer/"
    cpu, queries = [], []
    for key in authors(session, posts):
        client.cookies[django_settings.SESSION_COOKIE_NAME] = key
        data = {"text": "Pair on the prompt, review the diff.", "client_token": uuid.uuid4()}
        with CaptureQueriesContext(connection) as captured:
            t = time.process_time()
            response = client.post(url, data, HTTP_HX_REQUEST="true")
            cpu.append(time.process_time() - t)
        assert response.status_code == 200, response.status_code
        queries.append(len(captured))
    return {
        "cpu_ms_p50": statistics.median(cpu) * 1000,
        "cpu_ms_p90": sorted(cpu)[int(len(cpu) * 0.9)] * 1000,
        "queries": max(queries),
    }


def tick_cost(students: int, per_tick: int, ticks_: int = 5) -> float:
    """CPU per answer of rendering ticks that each carry `per_tick` new answers."""
    session, _ = setup(students, 0)
    parts = list(session.participants.order_by("pk"))
    question = session.guide.questions.get(number=1)
    spent = 0.0
    for t in range(ticks_):
        batch = parts[t * per_tick : (t + 1) * per_tick]
        made = Answer.objects.bulk_create(
            Answer(
                session=session,
                question=question,
                participant=p,
                text="Read the diff.",
                client_token=uuid.uuid4(),
            )
            for p in batch
        )
        change = Change(
            answers={a.pk for a in made},
            counts={question.pk},
            own={(p.pk, question.pk) for p in batch},
            access={(p.pk, question.pk) for p in batch},
        )
        start = time.process_time()
        ticks.render(session.pk, 1, len(batch), change)
        spent += time.process_time() - start
    return spent / (per_tick * ticks_) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=200, help="posts measured per case")
    args = parser.parse_args()
    try:
        call_command("migrate", "--noinput", verbosity=0)
        call_command(
            "load_guide", str(ROOT / "guide/data/dangerous-illusion-of-ai-coding.txt"), verbosity=0
        )
        print(f"{'students':>8} {'answers':>8} {'CPU ms/post p50':>16} {'p90':>6} {'queries':>8}")
        for students, answers in ((10, 1), (10, 1000), (1000, 1), (1000, 1000)):
            r = post_cost(students, answers, args.posts)
            print(
                f"{students:>8} {answers:>8} {r['cpu_ms_p50']:>16.2f} {r['cpu_ms_p90']:>6.2f}"
                f" {r['queries']:>8}",
                flush=True,
            )
        print(f"\n{'students':>8} {'answers/tick':>13} {'render CPU ms/answer':>21}")
        for per_tick in (1, 10, 100):
            ms = tick_cost(1000, per_tick)
            print(f"{1000:>8} {per_tick:>13} {ms:>21.2f}", flush=True)
    finally:
        connection.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{DB}{suffix}").unlink(missing_ok=True)


if __name__ == "__main__":
    main()
