"""Bench websocket clients: one asyncio process holding many sockets.

    python bench/clients.py SPEC.json

SPEC: {"sockets": [{"url": "ws://…", "headers": {"Cookie": …, "Origin": …}, "board": bool}, …]}.
Connects every socket (a bounded number at a time), prints `connected N FAILED`, then records,
for every socket, the first arrival time (time.time()) of every bench answer it sees (answers
carry `bench-<k>-x` in their text), and frame counts per 100 ms. On `stop` on stdin (or after
`max_seconds`) it closes the sockets and prints one JSON line with what it saw.
"""

import asyncio
import json
import re
import sys
import time
from collections import Counter

from websockets.asyncio.client import connect

KEY = re.compile(r"bench-(\d+)-x")
CONNECT_CONCURRENCY = 20


async def main(spec: dict) -> None:
    n = len(spec["sockets"])
    seen: list[dict[int, float]] = [{} for _ in range(n)]
    frames = Counter()
    snapshots = [0] * n
    closed = [None] * n
    sockets = [None] * n
    sem = asyncio.Semaphore(CONNECT_CONCURRENCY)
    first_frame = [asyncio.Event() for _ in range(n)]

    async def reader(i, ws):
        mine = seen[i]
        try:
            async for frame in ws:
                now = time.time()
                frames[int(now * 10)] += 1
                if frame.startswith("<!--v:") and " snapshot-->" in frame[:40]:
                    snapshots[i] += 1
                    first_frame[i].set()
                for k in KEY.findall(frame):
                    k = int(k)
                    if k not in mine:
                        mine[k] = now
        except Exception as error:  # noqa: BLE001 - recorded, not fatal to the run
            closed[i] = repr(error)
        else:
            closed[i] = f"closed {ws.close_code}"

    tasks = []

    async def open_one(i, s):
        async with sem:
            try:
                ws = await connect(
                    s["url"],
                    additional_headers=s["headers"],
                    compression=None,
                    max_queue=None,
                    open_timeout=60,
                    ping_interval=None,
                    max_size=2**24,
                )
            except Exception as error:  # noqa: BLE001
                closed[i] = f"connect failed: {error!r}"
                first_frame[i].set()
                return
            sockets[i] = ws
            tasks.append(asyncio.create_task(reader(i, ws)))
            try:
                await asyncio.wait_for(first_frame[i].wait(), 60)
            except TimeoutError:
                closed[i] = "no snapshot"

    await asyncio.gather(*(open_one(i, s) for i, s in enumerate(spec["sockets"])))
    failed = sum(1 for c in closed if c)
    boards = sum(
        1 for s, c in zip(spec["sockets"], closed, strict=True) if s.get("board") and not c
    )
    print(f"connected {n - failed} {failed}", flush=True)

    loop = asyncio.get_running_loop()
    stop = loop.create_future()

    def on_stdin():
        line = sys.stdin.readline()
        if (not line or line.strip() == "stop") and not stop.done():
            stop.set_result(None)

    loop.add_reader(sys.stdin.fileno(), on_stdin)
    try:
        await asyncio.wait_for(stop, spec.get("max_seconds", 600))
    except TimeoutError:
        pass
    for ws in sockets:
        if ws is not None:
            await ws.close()
    for t in tasks:
        t.cancel()
    arrivals: dict[int, list[float]] = {}
    for i in range(n):
        for k, t in seen[i].items():
            arrivals.setdefault(k, []).append(round(t, 4))
    print(
        json.dumps(
            {
                "sockets": n,
                "failed": failed,
                "boards": boards,
                "errors": Counter(
                    c for c in closed if c and not c.startswith("closed")
                ).most_common(5),
                "extra_snapshots": sum(max(0, s - 1) for s in snapshots),
                "arrivals": arrivals,
                "frames": frames,
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    with open(sys.argv[1]) as f:
        asyncio.run(main(json.load(f)))
