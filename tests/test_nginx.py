"""The deploy guide, followed as an operator would: its own nginx.conf in front of two workers.

docs/nginx.conf runs here under Debian's nginx (1.22), with only what a site must change
swapped in (ports, a certificate, the static root), in front of two `manage.py serve` workers
on one PostgreSQL and one Redis, over TLS on a port that is not 443 (where `Host $host` used to
drop the port and break CSRF and the websocket origin check). A class goes through it: the
facilitator signs in, students join and post, the board and a phone follow over wss, static
files come from nginx; then a worker is killed with posts in flight, and the posts, sent again
with their tokens as live.js sends them, land exactly once.

Needs nginx, openssl, PostgreSQL and Redis: `.ci/run` installs and starts them. It fails (is
never skipped) without them, like the scale-out test.
"""

import http.client
import os
import re
import secrets
import shutil
import ssl
import subprocess
import time
import urllib.parse
import uuid
from contextlib import ExitStack

import pytest

from tests.servers import ROOT, Server, bare_class, free_port
from tests.test_scaleout import shared_backends  # noqa: F401 (a fixture)

pytestmark = pytest.mark.scaleout

PASSWORD = "nginx-test-pass"


def nginx_site(static_root, cert, key, upstreams, http_port, https_port) -> str:
    """docs/nginx.conf with a site's own values put in; each must still be where it was."""
    site = (ROOT / "docs" / "nginx.conf").read_text()
    swaps = [
        ("server 127.0.0.1:8001;", f"server 127.0.0.1:{upstreams[0]};"),
        ("server 127.0.0.1:8002;", f"server 127.0.0.1:{upstreams[1]};"),
        ("listen 80;", f"listen 127.0.0.1:{http_port};"),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
        ("/etc/ssl/certs/seminar.pem", str(cert)),
        ("/etc/ssl/private/seminar.key", str(key)),
        ("/srv/seminar/staticfiles/", f"{static_root}/"),
    ]
    for old, new in swaps:
        assert site.count(old) == 1, f"docs/nginx.conf no longer has {old!r}"
        site = site.replace(old, new)
    return site


def start_nginx(tmp_path, site: str, https_port: int) -> subprocess.Popen:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.path.exists(nginx):
        pytest.fail("nginx is not installed (apt-get install nginx-light; .ci/run does)")
    (tmp_path / "site.conf").write_text(site)
    temp = {name: tmp_path / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for path in temp.values():
        path.mkdir()
    (tmp_path / "nginx.conf").write_text(
        ("user root;\n" if os.geteuid() == 0 else "")
        + f"""worker_processes 1;
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    access_log off;
    client_body_temp_path {temp["body"]};
    proxy_temp_path {temp["proxy"]};
    fastcgi_temp_path {temp["fastcgi"]};
    uwsgi_temp_path {temp["uwsgi"]};
    scgi_temp_path {temp["scgi"]};
    include {tmp_path}/site.conf;
}}
"""
    )
    check = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, f"nginx refuses the guide's configuration:\n{check.stderr}"
    process = subprocess.Popen(
        [nginx, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-g", "daemon off;"]
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            Browser(https_port).get("/")
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError(f"nginx did not answer; see {tmp_path}/error.log")


class Browser:
    """One person's browser against nginx over TLS: cookies, CSRF and the page's origin."""

    def __init__(self, port: int, sockets: ExitStack | None = None):
        self.port = port
        self.sockets = sockets  # where its websockets are closed
        self.origin = f"https://127.0.0.1:{port}"
        self.cookies = {"csrftoken": secrets.token_hex(16)}
        self.context = ssl.create_default_context()
        self.context.check_hostname = False
        self.context.verify_mode = ssl.CERT_NONE

    def request(self, method, path, form=None, headers=None):
        conn = http.client.HTTPSConnection("127.0.0.1", self.port, context=self.context, timeout=20)
        body = urllib.parse.urlencode(form).encode() if form is not None else None
        head = {
            "Host": f"127.0.0.1:{self.port}",
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
            **(headers or {}),
        }
        if method == "POST":
            head |= {
                "Origin": self.origin,
                "Referer": self.origin + path,
                "X-CSRFToken": self.cookies["csrftoken"],
                "Content-Type": "application/x-www-form-urlencoded",
            }
        conn.request(method, path, body=body, headers=head)
        response = conn.getresponse()
        data = response.read().decode("utf-8", "replace")
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";")[0]
        conn.close()
        return response, data

    def get(self, path):
        return self.request("GET", path)

    def post(self, path, form):
        return self.request("POST", path, form)

    def socket(self, path):
        from websockets.sync.client import connect

        ws = self.sockets.enter_context(
            connect(
                f"wss://127.0.0.1:{self.port}{path}",
                ssl=self.context,
                additional_headers={
                    "Origin": self.origin,
                    "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
                },
                open_timeout=10,
            )
        )
        assert "snapshot" in ws.recv(timeout=10).split("-->")[0]
        return ws


def frame_with(ws, pattern: str, timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    while True:
        frame = ws.recv(timeout=max(0.01, deadline - time.monotonic()))
        if re.search(pattern, frame):
            return frame


def test_a_class_through_the_guides_own_nginx_conf(shared_backends, tmp_path):  # noqa: F811
    env = {
        **shared_backends,
        "HTTPS": "1",
        # The workers' own readiness probe is plain HTTP on loopback; behind nginx every
        # request says https (X-Forwarded-Proto), so nothing is redirected either way.
        "SECURE_SSL_REDIRECT": "0",
        "TRUSTED_PROXY_HEADER": "X-Forwarded-For",
        "STATIC_ROOT": str(tmp_path / "static"),
        "STATIC_MANIFEST": "1",
        "SEMINAR_POST_RATE": "1000",
        "SEMINAR_JOIN_RATE": "1000",
        "BENCH_FACILITATOR_PASSWORD": PASSWORD,
    }
    code = bare_class(env, static=True)["code"]
    workers = [Server(env=env, log_name=f"nginx-worker-{i}").start() for i in (1, 2)]
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    https_port = free_port()
    site = nginx_site(
        tmp_path / "static", cert, key, [w.port for w in workers], free_port(), https_port
    )
    nginx = start_nginx(tmp_path, site, https_port)
    try:
        run_a_class(https_port, code, workers, shared_backends["DATABASE_URL"])
    finally:
        nginx.terminate()
        nginx.wait(timeout=10)
        for worker in workers:
            worker.stop()


def run_a_class(port, code, workers, database_url):
    with ExitStack() as sockets:
        _run_a_class(port, code, workers, database_url, sockets)


def _run_a_class(port, code, workers, database_url, sockets):
    # The front page, through nginx; its stylesheet from nginx's disk (no app header), cached.
    visitor = Browser(port)
    response, page = visitor.get("/")
    assert response.status == 200 and response.getheader("Seminar-App") == "1"
    css = re.search(r'href="(/static/seminar/app\.[0-9a-f]{12}\.css)"', page).group(1)
    response, _ = visitor.get(css)
    assert response.status == 200 and response.getheader("Seminar-App") is None
    assert "immutable" in response.getheader("Cache-Control")

    # The facilitator signs in on a port that is not 443: CSRF holds with the port kept.
    teacher = Browser(port, sockets)
    teacher.get("/accounts/login/")
    response, body = teacher.post(
        "/accounts/login/", {"username": "bench-facilitator", "password": PASSWORD}
    )
    assert response.status == 302, f"sign-in through nginx gave {response.status}: {body[:300]}"
    console = teacher.socket(f"/ws/facilitate/{code}/")
    board = Browser(port, sockets).socket(f"/ws/s/{code}/board/")

    students = []
    for name in ("Ana", "Ben", "Cleo", "Dev"):
        student = Browser(port, sockets)
        response, _ = student.post(f"/j/{code}", {"name": name})
        assert response.status == 302, f"{name} could not join through nginx"
        student.ws = student.socket(f"/ws/s/{code}/")
        students.append((name, student))
    frame_with(board, r'id="presence"[^>]*><strong>4</strong>')

    def post(student, text, token):
        return student.post(f"/s/{code}/q/1/answer/", {"text": text, "client_token": token})

    for name, student in students[:2]:
        response, _ = post(student, f"{name} answers through nginx.", str(uuid.uuid4()))
        assert response.status == 302
        frame_with(board, rf"{name} answers through nginx\.")
        frame_with(console, rf"{name} answers through nginx\.")
    frame_with(students[0][1].ws, r"Ben answers through nginx\.")

    # A worker dies. Posts sent meanwhile come back 502 (or land); sent again with the same
    # token, as live.js does, each lands exactly once.
    workers[0].stop(kill=True)
    for name, student in students[2:]:
        token, text = str(uuid.uuid4()), f"{name} answers after a crash."
        statuses = []
        for _ in range(10):
            response, _ = post(student, text, token)
            statuses.append(response.status)
            if response.status == 302:
                break
            assert response.status in (502, 504), statuses
            time.sleep(0.5)
        assert statuses[-1] == 302, statuses
    import psycopg

    with psycopg.connect(database_url) as conn:
        texts = [t for (t,) in conn.execute("SELECT text FROM seminar_answer ORDER BY id")]
    assert sorted(texts) == sorted(
        [f"{n} answers through nginx." for n, _ in students[:2]]
        + [f"{n} answers after a crash." for n, _ in students[2:]]
    ), texts
    board_now = survivor_text(port, code)  # a reload, served by the living worker
    for name, _ in students[2:]:
        assert f"{name} answers after a crash." in board_now


def survivor_text(port, code) -> str:
    """The board page as a reload shows it now (through nginx, from the living worker)."""
    _, page = Browser(port).get(f"/s/{code}/board/")
    return page
