"""Real servers for tests: the app served as `make run` serves it (manage.py serve), on a free
loopback port, sharing the test database.

Used by browser tests, crash tests and the scale-out test. The process gets the same settings
as the test run (from the environment) plus the test database's name.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import closing
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_database_url() -> str:
    """The URL of the database the current test run uses (SQLite file or PostgreSQL)."""
    settings = connection.settings_dict
    if settings["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{settings['NAME']}"
    user = settings.get("USER") or ""
    host = settings.get("HOST") or "127.0.0.1"
    port = settings.get("PORT") or 5432
    return f"postgres://{user}@{host}:{port}/{settings['NAME']}"


class Server:
    """One server process. `stop(kill=True)` is a crash (SIGKILL); `start()` again reuses the port.
    `args` are extra options for `manage.py serve` (e.g. ["--ping-interval", "2"])."""

    def __init__(
        self,
        *,
        port: int | None = None,
        env: dict | None = None,
        log_name: str = "server",
        args: list[str] | None = None,
    ):
        self.args = list(args or [])
        self.port = port or free_port()
        self.env = {
            **os.environ,
            "DATABASE_URL": test_database_url(),
            "SECRET_KEY": os.environ.get("SECRET_KEY", "test-only-not-secret"),
            "STATIC_MANIFEST": "0",
            "DEBUG": "0",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
        self.log_path = ROOT / "artifacts" / f"{log_name}-{self.port}.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 20) -> "Server":
        self.log_path.parent.mkdir(exist_ok=True)
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                *self.args,
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"The server exited early; see {self.log_path}")
            try:
                with urllib.request.urlopen(self.url + "/", timeout=1) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"The server did not answer within {timeout}s; see {self.log_path}")

    def stop(self, *, kill: bool = False) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def bare_class(env: dict, *, static: bool = False) -> dict:
    """Migrate the database `env` names (and collect static files, if asked) and start a
    class on a bare question there, as bench/prepare.py --bare does; its info (the code)."""
    full_env = {**os.environ, "SECRET_KEY": "test-only-not-secret", "STATIC_MANIFEST": "0", **env}
    commands = [["migrate", "--noinput", "-v0"]]
    if static:
        commands.append(["collectstatic", "--noinput", "-v0"])
    for command in commands:
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=full_env, check=True)
    prepared = subprocess.run(
        [sys.executable, "bench/prepare.py", "--bare"],
        cwd=ROOT,
        env=full_env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(prepared.stdout.strip().splitlines()[-1])
