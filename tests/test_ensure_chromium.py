"""`make test` on a fresh machine without internet: bin/ensure-chromium, with Debian's chromium
hidden and Playwright's download failing, installs chromium with apt-get when it can (root) and
otherwise stops with one clear line."""

import os
import subprocess
from pathlib import Path

from tests.servers import ROOT

SCRIPT = ROOT / "bin" / "ensure-chromium"


def fake(bin_dir: Path, name: str, body: str) -> None:
    path = bin_dir / name
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(0o755)


def run(tmp_path, *, root: bool, apt: bool):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    system = tmp_path / "usr-bin-chromium"
    # A python whose `playwright install` fails, as it does offline.
    fake(bin_dir, "python", 'echo "download failed" >&2; exit 1')
    fake(bin_dir, "id", f"echo {0 if root else 1000}")
    if apt:
        log = tmp_path / "apt.log"
        fake(
            bin_dir,
            "apt-get",
            f'echo "$@" >> {log}; case "$*" in *install*) '
            f'printf "#!/bin/sh\\n" > {system}; chmod +x {system};; esac',
        )
    env = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "SEMINAR_SYSTEM_CHROMIUM": str(system),
        "HOME": str(tmp_path),
    }
    if not apt:
        env["PATH"] = f"{bin_dir}:/bin"  # no apt-get anywhere
    result = subprocess.run(
        ["bash", str(SCRIPT), str(bin_dir / "python")],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    return result, system


def test_offline_as_root_with_apt_installs_debians_chromium(tmp_path):
    result, system = run(tmp_path, root=True, apt=True)
    assert result.returncode == 0, result.stderr
    assert "installing Debian's chromium" in result.stdout
    assert os.access(system, os.X_OK)
    assert "install -y -qq chromium" in (tmp_path / "apt.log").read_text()


def test_offline_without_root_stops_with_one_line_saying_what_to_install(tmp_path):
    result, system = run(tmp_path, root=False, apt=False)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "apt-get install chromium" in lines[0]
    assert "SEMINAR_CHROMIUM" in lines[0]
    assert not system.exists()


def test_with_debians_chromium_nothing_is_done(tmp_path):
    system = tmp_path / "chromium"
    system.write_text("#!/bin/sh\n")
    system.chmod(0o755)
    result = subprocess.run(
        ["bash", str(SCRIPT), "/nonexistent/python"],
        env={"PATH": "/usr/bin:/bin", "SEMINAR_SYSTEM_CHROMIUM": str(system)},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0 and result.stdout == ""
