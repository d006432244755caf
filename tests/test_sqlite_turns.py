"""Writers take turns on SQLite (seminar.backends.sqlite3): a post never waits for SQLite's
busy handler to let it in, and a turn is always given back, however a transaction ends."""

import threading
import time

import pytest
from django.db import connection, connections, transaction

from guide.models import Guide

pytestmark = pytest.mark.django_db(transaction=True)


def make_guide(slug: str) -> Guide:
    return Guide.objects.create(slug=slug, title=slug, content_hash="x")


def write_in_another_thread(slug: str) -> float:
    """Seconds another thread (another request) needs to write one row."""
    took = {}

    def run():
        start = time.monotonic()
        try:
            with transaction.atomic():
                make_guide(slug)
            took["s"] = time.monotonic() - start
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(30)
    return took["s"]


def test_the_embedded_database_uses_the_turn_taking_backend():
    assert connection.settings_dict["ENGINE"] == "seminar.backends.sqlite3"


def test_a_turn_is_given_back_after_a_commit_a_rollback_an_error_and_a_close():
    with transaction.atomic():
        make_guide("committed")
    assert write_in_another_thread("after-commit") < 2
    with pytest.raises(ValueError), transaction.atomic():
        make_guide("rolled-back")
        raise ValueError
    assert write_in_another_thread("after-rollback") < 2
    with transaction.atomic():
        make_guide("closed")
        connection.close()
    assert write_in_another_thread("after-close") < 2
    assert not Guide.objects.filter(slug__in=["rolled-back", "closed"]).exists()


def test_a_writer_waits_for_the_transaction_in_progress_then_goes_straight_in():
    holding = 0.5
    with transaction.atomic():
        make_guide("first")
        started = time.monotonic()
        result = {}
        other = threading.Thread(target=lambda: result.update(s=write_in_another_thread("second")))
        other.start()
        time.sleep(holding)
    other.join(30)
    waited = result["s"]
    assert holding * 0.8 < waited < holding + 2, waited
    assert time.monotonic() - started < holding + 2
    assert set(Guide.objects.values_list("slug", flat=True)) >= {"first", "second"}
