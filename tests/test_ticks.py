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

    def render(session_id, first, last, merged, *, here):
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
    ticks_rendered = [r for r in renders if r[0] != "refresh"]
    # Every change, merged, rendered once.
    assert ticks_rendered[1] == (2, 41, list(range(102, 142)))


def test_a_trickle_goes_out_change_by_change_after_a_tick_that_carried_two(renders):
    """Two answers that happen to arrive during one render share a frame; the room is not
    busy, so the answers after them still go out one by one, at once (a tick that carried
    several changes used to stretch the next, which then carried several too, and so on)."""

    async def scenario():
        sent = []
        ticker = ticks.Ticker(1, asyncio.get_running_loop(), sent.append)
        ticker.take(change(1))
        await asyncio.sleep(0.01)  # version 1 is being rendered
        ticker.take(change(2))
        ticker.take(change(3))
        await asyncio.sleep(0.15)
        for version in range(4, 10):  # about eight a second, each rendered in 50 ms
            ticker.take(change(version))
            await asyncio.sleep(0.12)
        await asyncio.sleep(0.3)
        return sent

    sent = asyncio.run(scenario())
    assert spans(sent)[:2] == [(1, 1), (2, 3)]
    covered = [v for first, last in spans(sent) for v in range(first, last + 1)]
    assert covered == list(range(1, 10))
    # Stretched, they would go out in pairs; one by one, only a render slowed by a busy
    # machine may let two meet.
    assert sum(1 for first, last in spans(sent)[2:] if last > first) <= 1, spans(sent)


def test_a_flood_of_changes_stretches_the_ticks(renders):
    """Changes arriving far faster than ticks could carry them one by one (a whole class
    posting at once): fewer, fuller frames, each tick LOAD times the last one's cost apart,
    and every change in them once, in order."""

    async def scenario():
        sent = []
        ticker = ticks.Ticker(1, asyncio.get_running_loop(), sent.append)
        started = time.monotonic()
        for version in range(1, 201):  # 200 in about a second
            ticker.take(change(version))
            await asyncio.sleep(0.005)
        took = time.monotonic() - started
        await asyncio.sleep(1.0)
        return sent, took

    sent, took = asyncio.run(scenario())
    covered = [v for first, last in spans(sent) for v in range(first, last + 1)]
    assert covered == list(range(1, 201))
    # Ticks of 50 ms back to back would carry what arrives in 50 ms; stretched to three
    # times a tick's cost, about three times that.
    per_tick = 200 / took * 0.05
    sizes = sorted(last - first + 1 for first, last in spans(sent))
    assert sizes[len(sizes) // 2] >= 2 * per_tick, (per_tick, spans(sent))


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
    """Each tick and each refresh (what its panels were rendered for) in the order asked;
    renders take 10 ms."""
    settings.SEMINAR_TICK = 0.05
    asked = []

    def render(session_id, first, last, merged, *, here):
        time.sleep(0.01)
        asked.append(("tick", first, last))
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
    answered yet, key terms, the word cloud) only as refreshes of the version the sockets are
    at: right after the first change's frames, then once the period is up, for everything
    held meanwhile. A tick's own message never waits for them."""

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
    console = frozenset({"facilitator"})
    assert panel_renders[:2] == [
        ("tick", 1, 1),
        ("refresh", 1, [101], console),  # a quiet room's change: its panels follow at once
    ]
    refreshes = [a for a in panel_renders if a[0] == "refresh"]
    # Held back within the period, then everything held, once.
    assert refreshes[1:] == [("refresh", 5, [102, 103, 104, 105], console)]
    assert [(m["version"], m.get("refresh")) for m in sent] == [
        (1, None),
        (1, True),
        (2, None),
        (3, None),
        (4, None),
        (5, None),
        (5, True),
    ]
    assert ticker.idle  # nothing left held


def test_the_panels_wait_for_the_changes_queued_behind_their_tick(panel_renders):
    """A change arriving while a tick renders goes out before that tick's panels: the panels
    read the whole class, and an answer does not wait for them. They follow, with its own."""

    async def scenario():
        sent = []
        ticker = ticks.Ticker(
            1, asyncio.get_running_loop(), sent.append, here=lambda: frozenset({"facilitator"})
        )
        ticker.take(change(1))
        await asyncio.sleep(0.005)  # version 1 is being rendered
        ticker.take(change(2))
        await asyncio.sleep(0.5)
        return sent, ticker

    sent, ticker = asyncio.run(scenario())
    assert panel_renders == [
        ("tick", 1, 1),
        ("tick", 2, 2),
        ("refresh", 2, [101, 102], frozenset({"facilitator"})),
    ]
    assert [(m["version"], m.get("refresh")) for m in sent] == [(1, None), (2, None), (2, True)]
    assert ticker.idle


def test_panels_wait_behind_changes_for_at_most_a_period(panel_renders):
    """Under a stream of changes that never leaves the ticker idle, the panels still go out
    about once a period."""

    async def scenario():
        sent = []
        ticker = ticks.Ticker(
            1, asyncio.get_running_loop(), sent.append, here=lambda: frozenset({"facilitator"})
        )
        for version in range(1, 41):  # one every 25 ms: always one waiting behind a tick
            ticker.take(change(version))
            await asyncio.sleep(0.025)
        await asyncio.sleep(0.5)
        return sent

    sent = asyncio.run(scenario())
    covered = [v for first, last in spans(sent) for v in range(first, last + 1)]
    assert covered == list(range(1, 41))
    refreshes = [a for a in panel_renders if a[0] == "refresh"]
    # About a second of changes with a period of 0.3 s: the panels went out more than once
    # before the end, and every change's panels went out.
    assert len(refreshes) >= 3, panel_renders
    assert sorted(v for r in refreshes for v in r[2]) == list(range(101, 141))
