"""The fan-out benchmark: POST → database → broadcast → every socket, measured end to end.

    python bench/run.py            # full: embedded and scale-out, N = 100, 300, 1000 (+2000)
    python bench/run.py --quick    # < 1 minute: embedded, N = 100, short phases
    python bench/run.py --configs embedded --sizes 1000 --seconds 60

For each configuration and N it starts the app on loopback, creates a session with real data
(bench/prepare.py, Django ORM), joins N - boards students and the posters over HTTP (real
session cookies), connects N websockets (students and boards, with Cookie and Origin), then
posts answers over HTTP as real students:

  steady    a fixed rate (default 10/s) for --seconds
  burst     --burst posts as fast as the posters can send them
  recovery  the fixed rate again for a few seconds: is latency back under the bound?
  post now  the whole class answers the question on the board within --postnow-seconds
            (--postnow posts, one per student, spread evenly): a think phase ends

For every (answer, socket) it records the time from sending the POST to the frame carrying
that answer arriving. It prints latency percentiles, answers accepted and delivered per second,
missing deliveries, server CPU per delivered frame and per delivery, and server memory per
1,000 sockets (what the second half of the sockets adds); and the same figures for a raw
`websockets` broadcast server (bench/reference.py) with each figure's ratio to it. Everything
is bounded: counts, phases and timeouts.
"""

import argparse
import asyncio
import json
import math
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from contextlib import closing
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
CLK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
PG_DB = "seminar_bench"
REDIS_DB = 9
BOUND_MS = 250
PHASES = ("steady", "burst", "recovery", "postnow")


# ---------------------------------------------------------------------------------------------
# Processes


def free_port() -> int:
    with closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK  # utime + stime, all threads


def rss_bytes(pid: int) -> int:
    return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE


def wait_http(port: int, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server on {port} exited early (code {proc.returncode})")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server on {port} did not start")


class App:
    """One configuration of the app: its environment, database, server processes."""

    def __init__(self, name: str, workers: int, env: dict, server: str):
        self.name, self.workers, self.server = name, workers, server
        self.env = {
            **os.environ,
            "SECRET_KEY": "bench-only-not-secret",
            "DEBUG": "0",
            "STATIC_MANIFEST": "0",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SEMINAR_POST_RATE": "1000000",
            "SEMINAR_JOIN_RATE": "1000000",
            "SEMINAR_LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
            **env,
        }
        self.procs: list[subprocess.Popen] = []
        self.ports: list[int] = []

    def manage(self, *args) -> None:
        subprocess.run(
            [PY, "manage.py", *args], cwd=ROOT, env=self.env, check=True, stdout=subprocess.DEVNULL
        )

    def prepare(self) -> dict:
        out = subprocess.run(
            [PY, "bench/prepare.py"],
            cwd=ROOT,
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        return json.loads(out.strip().splitlines()[-1])

    def start(self) -> None:
        log_dir = ROOT / "artifacts"
        log_dir.mkdir(exist_ok=True)
        for _ in range(self.workers):
            port = free_port()
            if self.server == "uvicorn":
                # The app's own server command, exactly as `make run` serves it.
                cmd = [PY, "manage.py", "serve", "--host", "127.0.0.1", "--port", str(port)]
            else:
                # As docs/deploy.md recommends: a whole class connecting at once can make a
                # handshake wait longer than Daphne's default 5 s.
                cmd = [
                    PY,
                    "-m",
                    "daphne",
                    "-b",
                    "127.0.0.1",
                    "-p",
                    str(port),
                    "--websocket_connect_timeout",
                    "30",
                    "seminar.asgi:application",
                ]
            log = open(log_dir / f"bench-{self.name}-{port}.log", "wb")
            proc = subprocess.Popen(
                cmd, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
            self.procs.append(proc)
            self.ports.append(port)
        for port, proc in zip(self.ports, self.procs, strict=True):
            wait_http(port, proc)

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.procs, self.ports = [], []

    def pids(self) -> list[int]:
        return [p.pid for p in self.procs]

    # How clients reach it
    def ws_url(self, i: int, code: str, board: bool) -> str:
        port = self.ports[i % len(self.ports)]
        return f"ws://127.0.0.1:{port}/ws/s/{code}/" + ("board/" if board else "")

    def post_target(self, k: int, code: str, number: int) -> tuple[int, str]:
        return self.ports[k % len(self.ports)], f"/s/{code}/q/{number}/answer/"


class Reference(App):
    def __init__(self):
        super().__init__("reference", 1, {}, "reference")

    def start(self) -> None:
        port = free_port()
        while True:  # the reference takes two ports: websockets on port, POST on port + 1
            try:
                with closing(socket.socket()) as s:
                    s.bind(("127.0.0.1", port + 1))
                break
            except OSError:
                port = free_port()
        proc = subprocess.Popen(
            [PY, "bench/reference.py", str(port)], cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL
        )
        self.procs, self.ports = [proc], [port]
        wait_http(port, proc)
        wait_http(port + 1, proc)

    def ws_url(self, i, code, board):
        return f"ws://127.0.0.1:{self.ports[0]}/ws/"

    def post_target(self, k, code, number):
        return self.ports[0] + 1, "/post"


# ---------------------------------------------------------------------------------------------
# HTTP, by hand (one request per connection, like a phone on a classroom Wi-Fi)


async def http(port: int, method: str, path: str, *, cookies: dict, form: dict | None = None):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        body = urllib.parse.urlencode(form or {}).encode()
        cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n"
            f"Origin: http://127.0.0.1:{port}\r\nCookie: {cookie}\r\n"
            f"X-CSRFToken: {cookies.get('csrftoken', '')}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        writer.write(head + body)
        await writer.drain()
        data = await asyncio.wait_for(reader.read(), 60)
    finally:
        writer.close()
    status = int(data.split(b" ", 2)[1])
    set_cookies = {}
    for line in data.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]:
        name, _, value = line.decode("latin-1").partition(":")
        if name.lower() == "set-cookie":
            k, _, v = value.strip().split(";")[0].partition("=")
            set_cookies[k] = v
    return status, set_cookies


async def join_all(app: App, code: str, count: int, prefix: str) -> list[dict]:
    """`count` students join over HTTP; returns their cookies (session + CSRF)."""
    sem = asyncio.Semaphore(8)

    async def one(i):
        cookies = {"csrftoken": secrets.token_hex(16)}
        async with sem:
            port = app.ports[i % len(app.ports)]
            status, got = await http(
                port, "POST", f"/j/{code}", cookies=cookies, form={"name": f"{prefix}{i}"}
            )
        if status != 302 or "sessionid" not in got:
            raise RuntimeError(f"join failed: HTTP {status}")
        return {**cookies, **got}

    return await asyncio.gather(*(one(i) for i in range(count)))


# ---------------------------------------------------------------------------------------------
# A run


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    return values[min(len(values) - 1, int(math.ceil(p / 100 * len(values))) - 1)]


class Run:
    def __init__(self, app: App, n: int, args, *, posts: int):
        self.app, self.n, self.args = app, n, args
        self.posts_total = posts
        self.sent: dict[int, float] = {}  # post key -> time the POST was sent
        self.answered: dict[int, float] = {}  # post key -> time its response arrived
        self.accepted: dict[int, int] = {}  # post key -> HTTP status
        self.phase_of: dict[int, str] = {}
        self.question_of: dict[int, int] = {}
        self.spans: dict[str, tuple[float, float]] = {}
        self.cpu: dict[str, float] = {}

    async def post(self, k: int, phase: str, *, cookies=None, question=None):
        app = self.app
        q = question or self.questions[(k // len(self.posters)) % len(self.questions)]
        port, path = app.post_target(k, self.code, q)
        cookies = cookies or self.posters[k % len(self.posters)]
        text = f"Answer bench-{k}-x: pair on the prompt, review the diff, keep the tests honest."
        self.phase_of[k] = phase
        self.question_of[k] = q
        self.sent[k] = time.time()
        try:
            status, _ = await http(
                port, "POST", path, cookies=cookies, form={"text": text, "client_token": ""}
            )
        except Exception:  # noqa: BLE001 - a refused post is counted, not fatal
            status = 0
        self.answered[k] = time.time()
        self.accepted[k] = status

    async def post_now(self, first: int, authors: list[dict], seconds: float):
        """Every author answers the question on the board once, spread evenly over `seconds`."""
        t0 = time.monotonic()
        tasks = []
        for j, cookies in enumerate(authors):
            delay = t0 + j * seconds / len(authors) - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(
                asyncio.create_task(
                    self.post(first + j, "postnow", cookies=cookies, question=self.focus)
                )
            )
        await asyncio.gather(*tasks)

    async def paced(self, phase: str, first: int, count: int, rate: float):
        t0 = time.monotonic()
        tasks = []
        for j in range(count):
            delay = t0 + j / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(self.post(first + j, phase)))
        await asyncio.gather(*tasks)

    async def flat_out(self, phase: str, first: int, count: int, concurrency: int):
        keys = iter(range(first, first + count))

        async def worker():
            for k in keys:
                await self.post(k, phase)

        await asyncio.gather(*(worker() for _ in range(concurrency)))

    def profile(self, phase: str, seconds: float):
        """Sample the (first) server with py-spy for `seconds` from now, if asked to."""
        args = self.args
        if args.profile and args.profile_phase == phase and not isinstance(self.app, Reference):
            out = ROOT / "artifacts" / f"profile-{self.app.name}-{self.n}-{phase}.txt"
            self.spy = subprocess.Popen(
                [
                    args.profile,
                    "record",
                    "-p",
                    str(self.app.pids()[0]),
                    "-d",
                    str(int(seconds)),
                    "-f",
                    "raw",
                    "-o",
                    str(out),
                    "-s",
                    "--nonblocking",
                    "--threads",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )

    def mark(self, phase: str, start: bool):
        t = time.time()
        cpu = sum(cpu_seconds(p) for p in self.app.pids())
        if start:
            self.spans[phase] = (t, t)
            self.cpu[phase] = cpu
        else:
            self.spans[phase] = (self.spans[phase][0], t)
            self.cpu[phase] = cpu - self.cpu[phase]

    async def settle(self, limit: float = 60):
        """Wait until the server is idle (the connect/presence storm is over)."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            before = sum(cpu_seconds(p) for p in self.app.pids())
            await asyncio.sleep(1)
            if sum(cpu_seconds(p) for p in self.app.pids()) - before < 0.05 * len(self.app.pids()):
                return

    async def execute(self) -> dict:
        args, app, n = self.args, self.app, self.n
        reference = isinstance(app, Reference)
        boards = 0 if reference else max(1, n // 250)
        if reference:
            self.code, self.questions, self.focus = "REF", [1], 1
            self.board_focus = 1
            students, self.posters = [], [{}]
            self.authors = [{}] * args.postnow
        else:
            info = app.prepare()
            self.code, self.questions, self.focus = info["code"], info["questions"], info["focus"]
            # The board shows the spotlight (bench/prepare.py), not answers.
            self.board_focus = self.focus if info.get("board_answers", True) else None
            t = time.monotonic()
            students = await join_all(app, self.code, n - boards, "S")
            n_posters = math.ceil(self.posts_total / len(self.questions))
            self.posters = await join_all(app, self.code, n_posters, "P")
            # Post now: the students on sockets answer, plus a few more if they are too few.
            extra = max(0, args.postnow - len(students))
            self.authors = students[: args.postnow] + await join_all(app, self.code, extra, "R")
            self.join_seconds = time.monotonic() - t
            await self.settle()
        rss0 = sum(rss_bytes(p) for p in app.pids())
        specs = []
        for i in range(n):
            board = i >= n - boards
            headers = {"Origin": f"http://127.0.0.1:{app.ports[i % len(app.ports)]}"}
            if not reference and not board:
                c = students[i]
                headers["Cookie"] = f"sessionid={c['sessionid']}; csrftoken={c['csrftoken']}"
            specs.append(
                {"url": app.ws_url(i, self.code, board), "headers": headers, "board": board}
            )
        if not reference:
            # The facilitator's console and a moderator's phone watch the class too (their
            # panels are part of what a tick costs); they receive every answer, as students do.
            for k, (path, cookie) in enumerate(
                (
                    ("facilitate/{}/", info["console_cookie"]),
                    ("facilitate/{}/moderate/", info["moderator_cookie"]),
                )
            ):
                port = app.ports[k % len(app.ports)]
                specs.insert(
                    k,
                    {
                        "url": f"ws://127.0.0.1:{port}/ws/" + path.format(self.code),
                        "headers": {
                            "Origin": f"http://127.0.0.1:{port}",
                            "Cookie": f"sessionid={cookie}",
                        },
                        "board": False,
                    },
                )
        # Sockets connect in two halves, and memory per socket is what the second half adds:
        # the first sockets also fill caches and reuse memory freed before them (a server
        # that has served more requests starts with more of it), which would blur the figure.
        clients = []
        connected = failed = 0
        t = time.monotonic()
        half = n // 2
        rss_half = rss0
        for part, (lo, hi) in enumerate(((0, half), (half, len(specs)))):
            count = hi - lo
            n_clients = max(1, math.ceil(count / args.per_client))
            started = []
            for c in range(n_clients):
                spec_path = Path(tempfile.gettempdir()) / (
                    f"seminar-bench-{os.getpid()}-{part}-{c}.json"
                )
                sockets = specs[lo:hi][c::n_clients]
                spec_path.write_text(json.dumps({"sockets": sockets, "max_seconds": 900}))
                started.append(
                    subprocess.Popen(
                        [PY, "bench/clients.py", str(spec_path)],
                        cwd=ROOT,
                        stdin=subprocess.PIPE,
                        stdout=subprocess.PIPE,
                        text=True,
                    )
                )
            for proc in started:
                line = proc.stdout.readline().split()
                if not line:
                    raise RuntimeError("a client process died while connecting")
                connected += int(line[1])
                failed += int(line[2])
            clients += started
            await self.settle()
            if part == 0:
                rss_half, connected_half = sum(rss_bytes(p) for p in app.pids()), connected
        self.connect_seconds = time.monotonic() - t
        rss1 = sum(rss_bytes(p) for p in app.pids())
        # Per socket: what the second half added (see above).
        rss0, self.memory_sockets = rss_half, connected - connected_half
        client_cpu0 = sum(cpu_seconds(p.pid) for p in clients)

        steady = int(args.rate * args.seconds)
        recovery = int(args.rate * args.recovery)
        self.spy = None
        self.profile("steady", args.seconds)
        self.mark("steady", True)
        await self.paced("steady", 0, steady, args.rate)
        await asyncio.sleep(args.drain)
        self.mark("steady", False)
        client_cpu = sum(cpu_seconds(p.pid) for p in clients) - client_cpu0
        self.mark("burst", True)
        await self.flat_out("burst", steady, args.burst, args.burst_concurrency)
        await asyncio.sleep(args.drain)
        self.mark("burst", False)
        self.mark("recovery", True)
        await self.paced("recovery", steady + args.burst, recovery, args.rate)
        await asyncio.sleep(args.drain)
        self.mark("recovery", False)
        if args.postnow:
            await self.settle()
            self.profile("postnow", args.postnow_seconds + args.drain)
            self.mark("postnow", True)
            await self.post_now(steady + args.burst + recovery, self.authors, args.postnow_seconds)
            await asyncio.sleep(args.drain)
            self.mark("postnow", False)
        if self.spy is not None:
            self.spy.wait(timeout=60)

        results = []
        for proc in clients:
            out, _ = proc.communicate("stop\n", timeout=120)
            results.append(json.loads(out.strip().splitlines()[-1]))
        return self.report(results, connected, failed, rss0, rss1, client_cpu)

    def report(self, results, connected, failed, rss0, rss1, client_cpu) -> dict:
        phases = PHASES if self.args.postnow else PHASES[:3]
        latencies = {p: [] for p in phases}
        delivered = dict.fromkeys(phases, 0)
        expected = dict.fromkeys(phases, 0)
        accepted = dict.fromkeys(phases, 0)
        timed_out = dict.fromkeys(phases, 0)
        post_ms = {p: [] for p in phases}
        ok = set()
        # Every student may read every answer (answer-first is off), and the console and the
        # moderator's phone list every one; a board shows the answers of the question the walk
        # is on (unless the spotlight has the board), so it must receive exactly those.
        boards = sum(r["boards"] for r in results)
        for k, status in self.accepted.items():
            phase = self.phase_of[k]
            if status in (200, 302):
                accepted[phase] += 1
                on_board = self.question_of[k] == self.board_focus
                expected[phase] += connected - (0 if on_board else boards)
                ok.add(k)
            elif status == 0:  # no answer within 60 s (a student would give up); may be saved later
                timed_out[phase] += 1
            if status:
                post_ms[phase].append((self.answered[k] - self.sent[k]) * 1000)
        for r in results:
            for k, times in r["arrivals"].items():
                k = int(k)
                phase = self.phase_of.get(k)
                if phase is None:
                    continue
                if k in ok:
                    delivered[phase] += len(times)
                s = self.sent[k]
                latencies[phase].extend((t - s) * 1000 for t in times)
        frames = {}
        for phase, (a, b) in self.spans.items():
            lo, hi = int(a * 10), int(b * 10)
            frames[phase] = sum(
                c for r in results for bucket, c in r["frames"].items() if lo <= int(bucket) <= hi
            )
        out = {
            "config": self.app.name,
            "n": self.n,
            "connected": connected,
            "connect_failed": failed,
            "resyncs": sum(r["extra_snapshots"] for r in results),
            "errors": [e for r in results for e in r["errors"]],
            "connect_s": round(self.connect_seconds, 1),
            "rss_per_1000_mb": round((rss1 - rss0) / max(1, self.memory_sockets) * 1000 / 2**20, 1),
            "client_cpu_share": round(
                client_cpu / max(1e-9, self.spans["steady"][1] - self.spans["steady"][0]), 2
            ),
        }
        for phase, lat in latencies.items():
            lat.sort()
            post_ms[phase].sort()
            a, b = self.spans[phase]
            posts = sum(1 for p in self.phase_of.values() if p == phase)
            last_sent = max(
                (self.sent[k] for k, p in self.phase_of.items() if p == phase), default=a
            )
            first_sent = min(
                (self.sent[k] for k, p in self.phase_of.items() if p == phase), default=a
            )
            send_span = max(1e-3, last_sent - first_sent)
            out[phase] = {
                "posts": posts,
                "accepted": accepted[phase],
                "timed_out": timed_out[phase],
                "accepted_per_s": round(accepted[phase] / send_span, 1) if posts > 1 else None,
                "deliveries_per_s": round(delivered[phase] / max(1e-3, b - a), 0),
                "missing": expected[phase] - delivered[phase],
                "p50": round(pct(lat, 50), 1),
                "p95": round(pct(lat, 95), 1),
                "p99": round(pct(lat, 99), 1),
                "max": round(lat[-1], 1) if lat else None,
                "cpu_s": round(self.cpu[phase], 2),
                "frames": frames[phase],
                "cpu_us_per_frame": round(self.cpu[phase] / max(1, frames[phase]) * 1e6, 1),
                "cpu_us_per_delivery": round(self.cpu[phase] / max(1, delivered[phase]) * 1e6, 1),
                "post_p50": round(pct(post_ms[phase], 50), 1),
                "post_p99": round(pct(post_ms[phase], 99), 1),
                "cpu_ms_per_post": round(self.cpu[phase] / max(1, accepted[phase]) * 1e3, 2),
            }
        return out


# ---------------------------------------------------------------------------------------------
# Configurations


def embedded(server: str) -> App:
    path = Path(tempfile.gettempdir()) / f"seminar-bench-{os.getpid()}.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    app = App("embedded", 1, {"DATABASE_URL": f"sqlite:///{path}", "REDIS_URL": ""}, server)
    app.manage("migrate", "--noinput", "-v0")
    return app


def scaleout(server: str, workers: int = 2) -> App:
    import psycopg

    try:
        with psycopg.connect(
            "host=127.0.0.1 port=5432 user=postgres dbname=postgres", autocommit=True
        ) as c:
            c.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
            c.execute(f"CREATE DATABASE {PG_DB}")
    except psycopg.OperationalError as error:
        raise SystemExit(
            f"scale-out needs PostgreSQL on 127.0.0.1:5432 (user postgres): {error}"
        ) from None
    redis_url = f"redis://127.0.0.1:6379/{REDIS_DB}"
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    app = App(
        "scale-out",
        workers,
        {"DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{PG_DB}", "REDIS_URL": redis_url},
        server,
    )
    app.manage("migrate", "--noinput", "-v0")
    return app


def fmt_row(r: dict, phase: str, ref: dict | None) -> str:
    p = r[phase]

    def ratio(key, src=p, refsrc=None):
        if ref is None or refsrc is None:
            return ""
        base = refsrc.get(key)
        return f" ({src[key] / base:.1f}×)" if base else ""

    refp = ref[phase] if ref else None
    return (
        f"{r['config']:<10} {r['n']:>5} {phase:<9} {p['accepted']:>4}/{p['posts']:<4} "
        f"{p['accepted_per_s'] or '':>6} {p['deliveries_per_s']:>8.0f} {p['missing']:>7} "
        f"{p['p50']:>7.1f} {p['p95']:>7.1f} {p['p99']:>7.1f}"
        f"{ratio('p99', refsrc=refp):<8} {p['max']:>7.1f} "
        f"{p['cpu_us_per_frame']:>6.1f}{ratio('cpu_us_per_frame', refsrc=refp):<9} "
        f"{p['cpu_us_per_delivery']:>6.1f}{ratio('cpu_us_per_delivery', refsrc=refp):<9}"
        f"{p['post_p50']:>7.1f} {p['post_p99']:>7.1f} {p['frames']:>8}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="under a minute: embedded, N=100")
    parser.add_argument("--confirming", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--check",
        action="store_true",
        help="the CI gate (make bench-check, 2 minutes; 4 when a bound is crossed and a second "
        "run confirms it): embedded, 1,000 sockets, steady and post now beside the reference; "
        "exits non-zero on a clear regression",
    )
    parser.add_argument("--configs", default="embedded,scale-out")
    parser.add_argument("--sizes", default="", help="comma-separated N (default per config)")
    parser.add_argument("--rate", type=float, default=10.0, help="answers per second, steady")
    parser.add_argument("--seconds", type=float, default=60.0, help="steady phase length")
    parser.add_argument("--burst", type=int, default=200, help="posts in the flat-out burst")
    parser.add_argument("--burst-concurrency", type=int, default=16)
    parser.add_argument(
        "--recovery", type=float, default=5.0, help="seconds at the steady rate after the burst"
    )
    parser.add_argument("--drain", type=float, default=2.0, help="seconds to wait after each phase")
    parser.add_argument(
        "--postnow", type=int, default=1000, help="posts in the post-now phase (0: skip it)"
    )
    parser.add_argument("--postnow-seconds", type=float, default=10.0)
    parser.add_argument("--per-client", type=int, default=1000, help="sockets per client process")
    parser.add_argument(
        "--server",
        default="uvicorn",
        choices=["daphne", "uvicorn"],
        help="uvicorn: manage.py serve, what make run uses (default); daphne: for comparison",
    )
    parser.add_argument("--workers", type=int, default=2, help="scale-out ASGI workers")
    parser.add_argument("--no-reference", action="store_true")
    parser.add_argument(
        "--profile", help="path to py-spy: sample the (first) server during --profile-phase"
    )
    parser.add_argument("--profile-phase", default="steady", choices=PHASES)
    parser.add_argument("--json", help="also write all results to this file")
    args = parser.parse_args()
    if args.quick:
        args.configs, args.seconds, args.burst, args.recovery, args.drain = (
            "embedded",
            8,
            60,
            3,
            1.5,
        )
        args.sizes = args.sizes or "100"
        args.postnow = min(args.postnow, 100)
    if args.check:
        machine_calm()
        args.configs, args.sizes, args.seconds, args.burst, args.recovery = (
            "embedded",
            "1000",
            20,
            0,
            0,
        )
        args.postnow, args.postnow_seconds, args.no_reference = 1000, 10, False
    configs = [c.strip() for c in args.configs.split(",") if c.strip()]
    default_sizes = {"embedded": [100, 300, 1000], "scale-out": [100, 300, 1000, 2000]}
    sizes_arg = [int(s) for s in args.sizes.split(",") if s.strip()]
    posts = int(args.rate * args.seconds) + args.burst + int(args.rate * args.recovery)

    all_results, references = [], {}
    print(
        f"{'config':<10} {'N':>5} {'phase':<9} {'ok/posts':>9} {'ans/s':>6} {'deliv/s':>8} "
        f"{'missing':>7} {'p50ms':>7} {'p95ms':>7} {'p99ms':>7}{'':<8} {'maxms':>7} "
        f"{'µs/frm':>6}{'':<9} {'µs/dlv':>6}{'':<9}{'POSTp50':>7} {'POSTp99':>7} {'frames':>8}",
        flush=True,
    )

    def run_one(app, n):
        try:
            app.start()
            result = asyncio.run(Run(app, n, args, posts=posts).execute())
        finally:
            app.stop()
        return result

    for config in configs:
        for n in sizes_arg or default_sizes[config]:
            if not args.no_reference and n not in references:
                references[n] = run_one(Reference(), n)
                all_results.append(references[n])
                for phase in PHASES:
                    if references[n].get(phase, {}).get("posts"):
                        print(fmt_row(references[n], phase, None), flush=True)
                print(
                    f"{'':<17}memory {references[n]['rss_per_1000_mb']} MB/1000 sockets", flush=True
                )
            app = (
                embedded(args.server)
                if config == "embedded"
                else scaleout(args.server, args.workers)
            )
            result = run_one(app, n)
            all_results.append(result)
            ref = references.get(n)
            for phase in PHASES:
                if result.get(phase, {}).get("posts"):  # a phase of 0 posts was skipped
                    print(fmt_row(result, phase, ref), flush=True)
            mem = result["rss_per_1000_mb"]
            ratio = (
                f" ({mem / ref['rss_per_1000_mb']:.1f}×)"
                if ref and ref["rss_per_1000_mb"] > 0
                else ""
            )
            print(
                f"{'':<17}memory {mem} MB/1000 sockets{ratio}; connected {result['connected']}"
                f" (failed {result['connect_failed']}) in {result['connect_s']} s; resyncs "
                f"{result['resyncs']}; client CPU {result['client_cpu_share']} core",
                flush=True,
            )
            if result["errors"]:
                print(f"{'':<17}socket errors: {result['errors']}", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(all_results, indent=1))
    bad = [r for r in all_results if any(r[p]["missing"] for p in PHASES if p in r)]
    if bad:
        print("MISSING deliveries in: " + ", ".join(f"{r['config']} N={r['n']}" for r in bad))
        sys.exit(1)
    if args.check:
        failures = check(all_results[-1], references[1000])
        if failures and not args.confirming:
            # A regression is clear when it shows twice: the reference's own steady p99 moves
            # between 16 and 22 ms on this shared 2-core machine, and so does a ratio to it.
            for failure in failures:
                print(f"over a bound, confirming with a second run: {failure}", flush=True)
            code = subprocess.run([PY, __file__, "--check", "--confirming"], cwd=ROOT).returncode
            sys.exit(code)
        for failure in failures:
            print(f"REGRESSION: {failure}")
        if failures:
            sys.exit(1)
        print("bench-check passed: steady and post now within their bounds, nothing missing")


def machine_calm(limit: float = 90.0) -> None:
    """Wait (at most `limit` seconds) until the machine's cores are mostly idle for three
    seconds in a row: in CI the gate runs right after the test suite, whose last processes
    may still be winding down."""

    def busy_idle():
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        return sum(fields) - fields[3] - fields[4], fields[3] + fields[4]

    deadline, calm = time.monotonic() + limit, 0
    busy0, idle0 = busy_idle()
    while calm < 3 and time.monotonic() < deadline:
        time.sleep(1)
        busy1, idle1 = busy_idle()
        total = (busy1 - busy0) + (idle1 - idle0)
        calm = calm + 1 if total and (idle1 - idle0) / total > 0.9 else 0
        busy0, idle0 = busy1, idle1


# The gate's bounds, about twice the targets (docs/performance.md) so that noise on a shared
# machine does not trip them; the tree before issue 24 failed every one.
CHECK_STEADY_RATIO = 5.0  # steady p99, times the reference's in the same run
CHECK_POSTNOW_MS = 1500.0  # post now p99, on a machine that carries the load...
# ...and on one that does not: where the reference itself cannot deliver 1,000 posts in 10 s
# to 1,000 sockets on time (a slower machine: its post-now p99 was 4 to 6 s on one, against
# 0.05 to 1.8 s on the machine the targets were set on), a fixed bound measures the machine,
# not the code; the bound is then this many times the reference's p99 in the same run.
CHECK_POSTNOW_RATIO = 1.5


def check(result: dict, reference: dict) -> list[str]:
    """What in `result` is a clear regression (make bench-check)."""
    failures = []
    steady, ref_steady = result["steady"]["p99"], reference["steady"]["p99"]
    if steady > CHECK_STEADY_RATIO * ref_steady:
        failures.append(
            f"steady p99 {steady:.0f} ms is over {CHECK_STEADY_RATIO:g}× the reference's "
            f"{ref_steady:.0f} ms"
        )
    postnow, ref_postnow = result["postnow"]["p99"], reference["postnow"]["p99"]
    bound = max(CHECK_POSTNOW_MS, CHECK_POSTNOW_RATIO * ref_postnow)
    if postnow > bound:
        failures.append(
            f"post now p99 {postnow:.0f} ms is over {bound:.0f} ms (the reference's: "
            f"{ref_postnow:.0f} ms)"
        )
    for phase in PHASES:
        if result.get(phase, {}).get("posts") and result[phase]["missing"]:
            failures.append(f"{result[phase]['missing']} deliveries missing in {phase}")
        if (
            result.get(phase, {}).get("posts")
            and result[phase]["accepted"] < result[phase]["posts"]
        ):
            failures.append(
                f"{phase}: {result[phase]['accepted']} of {result[phase]['posts']} posts accepted"
            )
    return failures


if __name__ == "__main__":
    main()
