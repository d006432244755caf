"""Lean and offline: nothing leaves the app's origin, a strict CSP holds, the room is light, and
static files are served compressed with far-future cache headers in production."""

import gzip
import os
import re
import subprocess
import sys
import urllib.request

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import start_server
from tests.browser.support import (
    LIVE_MS,
    act_as,
    same_origin,
    seed_class,
    sign_in,
    wait_live,
    wait_snapshot,
)
from tests.servers import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOM_BUDGET_BYTES = 150 * 1024


def test_pages_fetch_only_from_the_app_under_a_strict_csp(server, pages):
    session, people, _ = seed_class()
    code, base = session.code, server.url
    documents = []

    def track(page):
        page.on(
            "response",
            lambda r: documents.append(r) if r.request.resource_type == "document" else None,
        )
        return page

    visitor = track(pages.open("visitor"))
    for path in [
        "/",
        f"/j/{code}",
        "/accounts/login/",
        "/guides/",
        session.guide.get_absolute_url(),
    ]:
        visitor.goto(path)
    student = track(pages.open("student"))
    act_as(student, base, people["Eve"])
    student.goto(f"/s/{code}/")
    wait_snapshot(student)
    student.locator("#q-1").get_by_label("Your answer").fill("Posted under a strict CSP.")
    student.locator("#q-1").get_by_role("button", name="Post answer").click()
    expect(student.locator("#q-1-answers")).to_contain_text("Pair on the prompts", timeout=LIVE_MS)
    board = track(pages.open("board"))
    board.goto(f"/s/{code}/board/")
    wait_snapshot(board)
    console = track(pages.open("facilitator"))
    sign_in(console, base)
    console.goto(f"/facilitate/{code}/")
    wait_live(console)
    console.get_by_label("Dark (dimmed rooms)").check()
    console.locator("#settings").get_by_role("button", name="Apply").click()
    expect(board.locator("#stage")).to_have_attribute("data-theme", "dark", timeout=LIVE_MS)
    console.get_by_role("button", name="Next step").click()
    expect(student.locator("#stage")).to_have_attribute("data-kind", "question", timeout=LIVE_MS)

    requested = [url for rec in pages.opened for url in rec.requests + rec.websockets]
    assert len(requested) > 20
    foreign = [url for url in requested if not same_origin(url, base)]
    assert not foreign, f"requests to other hosts: {foreign}"
    assert any(url.startswith(f"ws://127.0.0.1:{server.port}/ws/") for url in requested)

    assert documents
    for response in documents:
        csp = response.headers.get("content-security-policy", "")
        assert "default-src 'self'" in csp, f"{response.url}: {csp!r}"
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, f"{response.url}: {csp!r}"
    assert not pages.csp_violations(), pages.csp_violations()


def test_the_room_weighs_under_150_kb(server, pages):
    session, people, _ = seed_class()
    student = pages.open("student")
    responses = []
    student.on("response", lambda response: responses.append(response))
    act_as(student, server.url, people["Ana"])
    student.goto(f"/s/{session.code}/")
    wait_snapshot(student)
    student.wait_for_load_state("networkidle")
    sizes = {}
    for response in responses:
        if 300 <= response.status < 400:
            continue
        sizes[response.url] = len(response.body())
    total = sum(sizes.values())
    kinds = {re.sub(r"^.*\.", "", url.split("?")[0].rsplit("/", 1)[-1]) or "html" for url in sizes}
    assert {"css", "js"} <= kinds, sizes
    assert total < ROOM_BUDGET_BYTES, f"the room downloads {total} bytes: {sizes}"


def _get(url: str, **headers) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()


def test_static_files_are_compressed_and_cached_for_good_in_production(transactional_db, tmp_path):
    env = {
        **os.environ,
        "STATIC_ROOT": str(tmp_path),
        "STATIC_MANIFEST": "1",
        "DEBUG": "0",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or "test-only-not-secret",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=120,
    )
    assert (tmp_path / "staticfiles.json").exists()
    server = start_server(env={k: env[k] for k in ("STATIC_ROOT", "STATIC_MANIFEST")})
    try:
        _, _, html = _get(server.url + "/")
        match = re.search(rb'href="(/static/seminar/app\.[0-9a-f]{12}\.css)"', html)
        assert match, "the page links no hashed stylesheet"
        url = server.url + match.group(1).decode()

        status, headers, body = _get(url, **{"Accept-Encoding": "gzip"})
        assert status == 200
        assert headers.get("cache-control") == "max-age=315360000, public, immutable"
        assert headers.get("content-encoding") == "gzip"
        assert b".board" in gzip.decompress(body)
        assert "accept-encoding" in headers.get("vary", "").lower()

        _, plain_headers, plain = _get(url, **{"Accept-Encoding": "identity"})
        assert "content-encoding" not in plain_headers
        assert len(body) < len(plain) / 2

        try:
            import brotli  # noqa: F401 - WhiteNoise makes .br files only when it is installed
        except ImportError:
            pass
        else:
            _, br_headers, _ = _get(url, **{"Accept-Encoding": "br"})
            assert br_headers.get("content-encoding") == "br"
    finally:
        server.stop()
