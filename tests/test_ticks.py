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

    def render(session_id, first, last, merged, *, here, panels):
        time.sleep(0.05)
        asked.append((first, last, sorted(merged.answers)))
        return {"type": "change", "from": first, "version": last, "parts": []}

    def render_refresh(session_id, version, panels, *, here):
        asked.append(("refresh", version, sorted(panels.answers)))
        return {"type": "change", "from": version, "version": version, "refresh": True}

    monkeypatch.setattr(ticks, "render", render)
    monkeypatch.setattr(ticks, "render_refresh", render_refresh)
    # No database here: the render thread's connection housekeeping is left out too.
    monkeypatch.setattr(ticks, "_in_job", lambda func, *args, **kwargs: func(*args, **kwargs))
    return asked


def spans(messages) -> list[tuple]:
    return [
        (m.get("from"), m.get("version")) if m["type"] == "change" else m["type"]
        for m in messages
        if not m.get("refresh")
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


@pytest.fixture
def panel_renders(monkeypatch, settings):
    """What each tick was asked to render the panels for (None: held back), and each
    refresh; renders take 10 ms."""
    settings.SEMINAR_TICK = 0.05
    asked = []

    def render(session_id, first, last, merged, *, here, panels):
        time.sleep(0.01)
        asked.append(("tick", first, last, None if panels is None else sorted(panels.answers)))
        return {"type": "change", "from": first, "version": last, "parts": []}

    def render_refresh(session_id, version, panels, *, here):
        asked.append(("refresh", version, sorted(panels.answers), here))
        return {"type": "change", "from": version, "version": version, "refresh": True}

    monkeypatch.setattr(ticks, "render", render)
    monkeypatch.setattr(ticks, "render_refresh", render_refresh)
    # No database here: the render thread's connection housekeeping is left out too.
    monkeypatch.setattr(ticks, "_in_job", lambda func, *args, **kwargs: func(*args, **kwargs))
    monkeypatch.setattr(ticks, "PANEL_SECONDS", 0.3)
    return asked


def test_panels_go_out_at_most_once_a_period_and_nothing_held_is_lost(panel_renders):
    """A steady trickle: every change goes out at once, but the panels (Participation, not
    answered yet, key terms, the word cloud) render with the first, then once the period is
    up, for everything held meanwhile, as a refresh of the version the sockets are at."""

    async def scenario():
        sent = []
        ticker = ticks.Ticker(
            1, asyncio.get_running_loop(), sent.append, here=lambda: frozenset({"facilitator"})
        )
        for version in range(1, 6):  # every 60 ms: each change its own tick
            ticker.take(change(version))
            await asyncio.sleep(0.06)
        await asyncio.sleep(0.5)
        return sent, ticker

    sent, ticker = asyncio.run(scenario())
    assert spans(sent) == [(1, 1), (2, 2), (3, 3), (4, 4), (5, 5)]
    ticks_asked = [a for a in panel_renders if a[0] == "tick"]
    assert ticks_asked[0] == ("tick", 1, 1, [101])  # a quiet room's change: panels at once
    assert all(a[3] is None for a in ticks_asked[1:])  # held back within the period
    refreshes = [a for a in panel_renders if a[0] == "refresh"]
    assert refreshes == [("refresh", 5, [102, 103, 104, 105], frozenset({"facilitator"}))]
    assert [m["version"] for m in sent if m.get("refresh")] == [5]
    assert ticker.idle  # nothing left held
