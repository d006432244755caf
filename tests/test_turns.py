"""While a tick's frames go out to a large class, a request's sync code and a render wait for
them (seminar/turns.py): beside a running thread, each socket write waits for the interpreter
lock and the frames take most of a second to go out."""

import threading
import time

from django.test import Client

from seminar import turns


def started_after_release(size: int, hold: float = 0.2) -> bool:
    """Whether a thread calling `wait_for_fan_out` during a fan-out to `size` sockets went
    on only once the fan-out was over."""
    went_on = []
    with turns.fan_out(size):
        waiter = threading.Thread(target=lambda: (turns.wait_for_fan_out(), went_on.append(1)))
        waiter.start()
        time.sleep(hold)
        during = bool(went_on)
    waiter.join(2)
    return not during and went_on == [1]


def test_a_render_or_request_waits_for_a_large_fan_out():
    assert started_after_release(turns.FAN_OUT_MIN)


def test_a_small_fan_out_holds_nobody_back():
    assert not started_after_release(turns.FAN_OUT_MIN - 1)


def test_nobody_waits_longer_than_the_limit(monkeypatch):
    monkeypatch.setattr(turns, "MAX_WAIT", 0.05)
    went_on = []
    with turns.fan_out(1000):
        waiter = threading.Thread(target=lambda: (turns.wait_for_fan_out(), went_on.append(1)))
        waiter.start()
        waiter.join(1)
        assert went_on == [1]  # the fan-out was still under way


def test_nested_fan_outs_release_requests_once_both_are_done():
    went_on = []
    with turns.fan_out(100):
        with turns.fan_out(100):
            pass
        waiter = threading.Thread(target=lambda: (turns.wait_for_fan_out(), went_on.append(1)))
        waiter.start()
        time.sleep(0.1)
        assert not went_on  # the outer one is still going
    waiter.join(2)
    assert went_on == [1]


def test_requests_wait_for_a_fan_out_under_way(db):
    """The middleware is in the chain: a page asked for during a fan-out is answered after."""
    answered = []

    def ask():
        answered.append((Client().get("/").status_code, time.monotonic()))

    with turns.fan_out(1000):
        asker = threading.Thread(target=ask)
        asker.start()
        time.sleep(0.2)
        released = time.monotonic()
        assert not answered
    asker.join(10)
    assert answered and answered[0][1] >= released
