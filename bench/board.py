"""The board with many answers: what a projector's browser loads and how long it takes.

    python bench/board.py                  # 48 and 1,000 answers at 1920×1080
    python bench/board.py --answers 48 1000 5000

For each count it starts the app (embedded, as `make run` serves it), seeds a class that
answered the question on the board, opens the board in headless Chromium and prints: the
page's HTML size, the time until it is laid out (board.js's data-fitted), the cost of one
re-layout (what every live frame triggers), of turning a page and of going back from the
first page to the last, the answers shown whole on the first page, DOM nodes and JS heap.
Needs Debian's chromium (SEMINAR_CHROMIUM to use another).
"""

import argparse
import os
import secrets
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import PY, embedded  # noqa: E402

SEED = """
import django, sys
django.setup()
from django.contrib.auth import get_user_model
from seminar import selectors, services
from seminar.models import Session
session = Session.objects.get(code=sys.argv[1])
number = selectors.current_step(session).number
for i in range(int(sys.argv[2])):
    person = services.participant_join(session=session, name=f"Student {i + 1:04d}")
    text = f"Answer {i + 1}: " + "the class wrote something worth reading here. " * (1 + i % 4)
    services.answer_post(participant=person, number=number, text=text, client_token=None)
"""

MEASURE = """async () => {
  const list = document.querySelector('#stage [data-pages]');
  const whole = Array.from(list.children).filter((li) => {
    const r = li.getBoundingClientRect();
    return r.height > 0 && r.bottom <= window.innerHeight;
  }).length;
  const time = (fn) => { const t = performance.now(); fn(); return performance.now() - t; };
  const relayout = time(() => document.dispatchEvent(new Event('seminar:applied')));
  const key = (k) => document.dispatchEvent(new KeyboardEvent('keydown', {key: k}));
  const turn = time(() => key('ArrowRight'));
  key('ArrowLeft');
  const back = time(() => key('ArrowLeft'));  // from the first page to the last: every page
  return {
    whole, relayout, turn, back,
    pager: document.querySelector('#board-pager').textContent,
    nodes: document.getElementsByTagName('*').length,
    heap: performance.memory ? performance.memory.usedJSHeapSize : null,
  };
}"""


def measure(count: int, chromium: str) -> dict:
    from playwright.sync_api import sync_playwright

    app = embedded("uvicorn")
    password = secrets.token_urlsafe(12)
    app.env["BENCH_FACILITATOR_PASSWORD"] = password
    try:
        code = app.prepare()["code"]
        subprocess.run(
            [PY, "-c", SEED, code, str(count)],
            cwd=ROOT,
            env={**app.env, "DJANGO_SETTINGS_MODULE": "seminar.settings"},
            check=True,
        )
        app.start()
        base = f"http://127.0.0.1:{app.ports[0]}"
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=chromium, args=["--enable-precise-memory-info"]
            )
            page = browser.new_page(viewport={"width": 1920, "height": 1080})
            page.goto(f"{base}/accounts/login/")
            page.fill("input[name=username]", "bench-facilitator")
            page.fill("input[name=password]", password)
            page.click("button[type=submit]")
            page.wait_for_load_state()
            url = f"{base}/s/{code}/board/"
            cookies = "; ".join(f"{c['name']}={c['value']}" for c in page.context.cookies())
            request = urllib.request.Request(url, headers={"Cookie": cookies})
            with urllib.request.urlopen(request) as response:
                html_bytes = len(response.read())
            start = time.perf_counter()
            page.goto(url)
            page.wait_for_selector('#stage[data-fitted="1"]', state="attached")
            loaded = (time.perf_counter() - start) * 1000
            figures = page.evaluate(MEASURE)
            browser.close()
        return {"answers": count, "html_kb": html_bytes / 1024, "loaded_ms": loaded, **figures}
    finally:
        app.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--answers", type=int, nargs="+", default=[48, 1000])
    args = parser.parse_args()
    chromium = os.environ.get("SEMINAR_CHROMIUM", "/usr/bin/chromium")
    print(
        f"{'answers':>8} {'HTML KB':>8} {'load ms':>8} {'relayout ms':>11} {'turn ms':>8}"
        f" {'back ms':>8} {'on page':>8} {'DOM nodes':>10} {'JS heap MB':>10}  pager"
    )
    for count in args.answers:
        r = measure(count, chromium)
        heap = f"{r['heap'] / 2**20:10.1f}" if r["heap"] else f"{'—':>10}"
        print(
            f"{r['answers']:>8} {r['html_kb']:8.0f} {r['loaded_ms']:8.0f} {r['relayout']:11.1f}"
            f" {r['turn']:8.1f} {r['back']:8.1f} {r['whole']:>8} {r['nodes']:>10} {heap}"
            f"  {r['pager']}",
            flush=True,
        )


if __name__ == "__main__":
    main()
