"""Coalescing (seminar/ticks.py): a quiet room gets each change at once; when changes arrive
faster than a tick is rendered and sent, the next frame carries all of them, in version
order; a version that never arrives re-syncs the sockets instead of stalling them."""

import asyncio
import time

import pytest

from seminar import ticks


def change(version: int) -> dict:
    return {"type": "change", "version": version, "change": {"answers": [100 + version]}}


@pytest.fixture
def renders(monkeypatch, settings):
    """Rendering is replaced by a stand-in that takes 50 ms and records what it was asked."""
    settings.SEMINAR_TICK = 0.05
    asked = []

    def render(session_id, first, last, merged):
        time.sleep(0.05)
        asked.append((first, last, sorted(merged.answers)))
        return {"type": "change", "from": first, "version": last, "parts": []}

    monkeypatch.setattr(ticks, "_render_job", render)
    return asked


def spans(messages) -> list[tuple]:
    return [
        (m.get("from"), m.get("version")) if m["type"] == "change" else m["type"] for m in messages
    ]


def test_a_quiet_change_goes_out_at_once(renders):
    async def scenario():
        sent = []
        ticker = ticks.Ticker(1, asyncio.get_running_loop(), sent.append)
        started = time.monotonic()
        ticker.take(change(1))
        while not sent:
            await asyncio.sleep(0.005)
        return sent, time.monotonic() - started

    sent, took = asyncio.run(scenario())
    assert spans(sent) == [(1, 1)]
    assert took < 0.5  # the render's own 50 ms, no tick to wait for


def test_changes_arriving_during_a_render_go_out_as_one_frame(renders):
    async def scenario():
        sent = []
        ticker = ticks.Ticker(1, asyncio.get_running_loop(), sent.append)
        ticker.take(change(1))
        await asyncio.sleep(0.01)  # version 1 is being rendered
        for version in range(2, 42):  # a class posting meanwhile, one message each
            ticker.take(change(version))
        await asyncio.sleep(1.0)
        return sent

    sent = asyncio.run(scenario())
    assert spans(sent) == [(1, 1), (2, 41)]
    assert renders[1] == (2, 41, list(range(102, 142)))  # every change, merged, rendered once


def test_versions_out_of_order_wait_for_each_other(renders):
    async def scenario():
        sent = []
        ticker = ticks.Ticker(1, asyncio.get_running_loop(), sent.append)
        ticker.take(change(1))
        await asyncio.sleep(0.2)
        ticker.take(change(3))  # committed after 2, but here first
        await asyncio.sleep(0.2)
        ticker.take(change(2))
        await asyncio.sleep(0.5)
        return sent

    assert spans(asyncio.run(scenario())) == [(1, 1), (2, 3)]


def test_a_version_that_never_arrives_resyncs_the_sockets(renders, monkeypatch):
    monkeypatch.setattr(ticks, "GAP_SECONDS", 0.2)

    async def scenario():
        sent = []
        ticker = ticks.Ticker(1, asyncio.get_running_loop(), sent.append)
        ticker.take(change(1))
        await asyncio.sleep(0.1)
        ticker.take(change(3))  # 2 was lost on the way
        await asyncio.sleep(0.6)
        ticker.take(change(4))  # the stream goes on after the re-sync
        await asyncio.sleep(0.3)
        return sent

    assert spans(asyncio.run(scenario())) == [(1, 1), "live.resync", (4, 4)]
