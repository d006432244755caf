"""Scale-out for real: two ASGI processes sharing one PostgreSQL database and one Redis.

Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust auth) and Redis on 127.0.0.1:6379;
CI starts both. If either is unreachable this test FAILS (it is not skipped): a deployment
with several workers is a supported configuration, so it is always tested.
"""

import asyncio
import os
import re
import secrets
import urllib.parse

import pytest

from tests.servers import Server, bare_class

pytestmark = pytest.mark.scaleout

PG = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
REDIS_DB = 11


@pytest.fixture
def shared_backends():
    """A fresh PostgreSQL database and a flushed Redis db; their URLs."""
    try:
        import psycopg
        import redis
    except ImportError as error:  # pragma: no cover - the scale extra is part of `make install`
        pytest.fail(
            f"the scale-out test needs psycopg and redis (pip install -e '.[scale]'): {error}"
        )
    name = f"seminar_scaleout_{os.getpid()}"
    try:
        with psycopg.connect(PG, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {name}")
    except psycopg.OperationalError as error:
        pytest.fail(f"PostgreSQL is not reachable on 127.0.0.1:5432 as user postgres: {error}")
    redis_url = f"redis://127.0.0.1:6379/{REDIS_DB}"
    try:
        redis.Redis.from_url(redis_url, socket_connect_timeout=5).flushdb()
    except redis.exceptions.ConnectionError as error:
        pytest.fail(f"Redis is not reachable on 127.0.0.1:6379: {error}")
    yield {"DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{name}", "REDIS_URL": redis_url}
    with psycopg.connect(PG, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


async def http_post(port, path, form, cookies):
    """One POST with a browser's cookies and origin; (status, cookies set)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    body = urllib.parse.urlencode(form).encode()
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    writer.write(
        (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n"
            f"Origin: http://127.0.0.1:{port}\r\nCookie: {cookie}\r\n"
            f"X-CSRFToken: {cookies['csrftoken']}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        + body
    )
    data = await asyncio.wait_for(reader.read(), 20)
    writer.close()
    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    got = {}
    for line in head[1:]:
        name, _, value = line.partition(":")
        if name.lower() == "set-cookie":
            k, _, v = value.strip().split(";")[0].partition("=")
            got[k] = v
    return int(head[0].split()[1]), got


async def join(port, code, name):
    cookies = {"csrftoken": secrets.token_hex(16)}
    status, got = await http_post(port, f"/j/{code}", {"name": name}, cookies)
    assert status == 302, f"joining through :{port} gave HTTP {status}"
    return {**cookies, **got}


async def socket(port, path, cookies=None):
    from websockets.asyncio.client import connect

    headers = {"Origin": f"http://127.0.0.1:{port}"}
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    ws = await connect(f"ws://127.0.0.1:{port}{path}", additional_headers=headers, open_timeout=10)
    first = await asyncio.wait_for(ws.recv(), 10)
    assert "snapshot" in first.split("-->")[0]
    return ws, first


async def frame_with(ws, pattern, timeout=10.0):
    """The first frame matching `pattern` (a regex) within `timeout` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        frame = await asyncio.wait_for(ws.recv(), max(0.01, deadline - loop.time()))
        match = re.search(pattern, frame)
        if match:
            return frame, match


def test_two_workers_share_one_session(shared_backends):
    env = {
        **shared_backends,
        "SEMINAR_POST_RATE": "1000",
        "SEMINAR_JOIN_RATE": "1000",
        "BENCH_FACILITATOR_PASSWORD": "scale-out-test-pass",
    }
    info = bare_class(env)
    code = info["code"]
    first = Server(env=env, log_name="scaleout-a").start()
    second = Server(env=env, log_name="scaleout-b").start()
    try:
        asyncio.run(asyncio.wait_for(scenario(first.port, second.port, code), 90))
    finally:
        first.stop()
        second.stop()


async def scenario(a, b, code):
    board, _ = await socket(a, f"/ws/s/{code}/board/")
    ana = await join(a, code, "Ana")
    ben = await join(b, code, "Ben")
    ana_ws, _ = await socket(a, f"/ws/s/{code}/", ana)
    ben_ws, _ = await socket(b, f"/ws/s/{code}/", ben)

    # Presence: the two students are on different workers; the board on the first counts both.
    _, match = await frame_with(board, r'id="presence"[^>]*><strong>2</strong>')
    assert match

    # An answer posted through the second worker reaches the board on the first.
    status, _ = await http_post(
        b, f"/s/{code}/q/1/answer/", {"text": "Posted via B, seen on A"}, ben
    )
    assert status == 302
    frame, _ = await frame_with(board, r"Posted via B, seen on A")
    assert re.search(r'id="answer-\d+"', frame)
    # ...and the student on the first worker (answer-first is off in this session).
    await frame_with(ana_ws, r"Posted via B, seen on A")

    # A step change made through the second worker reaches a student on the first.
    fac = {"csrftoken": secrets.token_hex(16)}
    status, got = await http_post(
        b,
        "/accounts/login/",
        {"username": "bench-facilitator", "password": "scale-out-test-pass"},
        fac,
    )
    assert status == 302 and "sessionid" in got, (
        "facilitator sign-in through the second worker failed"
    )
    fac.update(got)
    status, _ = await http_post(b, f"/facilitate/{code}/step/", {"to": "next"}, fac)
    assert status == 302
    frame, _ = await frame_with(ana_ws, r'id="stage"')
    assert frame.startswith("<!--v:")

    # A student leaving the second worker is counted out on the first.
    await ben_ws.close()
    await frame_with(board, r'id="presence"[^>]*><strong>1</strong>')

    # Signing out through the second worker closes that browser's console on the first.
    from websockets.exceptions import ConnectionClosed

    console, _ = await socket(a, f"/ws/facilitate/{code}/", fac)
    status, _ = await http_post(b, "/accounts/logout/", {}, fac)
    assert status == 302
    frame, _ = await frame_with(console, r'"error": "Not allowed')
    try:
        await asyncio.wait_for(console.recv(), 10)
        raise AssertionError("the console stayed open after signing out")
    except ConnectionClosed as closed:
        assert closed.rcvd.code == 4403
    for ws in (board, ana_ws):
        await ws.close()
