"""A live screen as a browser keeps it, in Python: for tests that compare it with a reload.

`Screen` is one tab. Its server half is the consumer's own `SocketView` (seminar/delivery.py:
audiences, version order, gap detection), its browser half mirrors static/seminar/live.js:
frames are applied strictly in version order, one after a gap is held until the gap fills or
time runs out (then a snapshot is asked for), elements replace the element with their id,
`data-into` upserts into a list, `data-remove` removes, `data-prune` keeps only the listed items
of a list, and then the per-student overlay (from #me) and the list order are applied, as on a
page load. HTTP responses are applied as htmx
would (hx-target, outerHTML).

`normalized(tree)` is what a person sees of a page, minus what differs between two renders of
the same state (CSRF tokens, fresh idempotency tokens) and the connection status.
"""

import random

import lxml.html
from django.test import Client

from seminar import screens, ticks
from seminar.changes import Change
from seminar.delivery import SocketView
from seminar.models import Participant, Session


def parse_page(html: str):
    return lxml.html.document_fromstring(html)


def by_id(root, element_id: str):
    found = root.xpath("//*[@id=$id]", id=element_id)
    return found[0] if found else None


def replace(old, new) -> None:
    new.tail = old.tail
    old.getparent().replace(old, new)


def remove(element) -> None:
    parent = element.getparent()
    if parent is not None:
        element.drop_tree()


def tidy(root) -> None:
    """What live.js does after every frame and on load: the console's current question, the
    overlay, then the list order."""
    agenda = by_id(root, "agenda")
    if agenda is not None:
        current = f"cq-{agenda.get('data-question') or ''}"
        for card in root.xpath('//article[contains(@class, "console-question")]'):
            if card.get("id") == current:
                card.set("data-current", "")
            elif "data-current" in card.attrib:
                del card.attrib["data-current"]
    me = by_id(root, "me")
    if me is not None:
        mine = {f"answer-{i}" for i in (me.get("data-answers") or "").split()}
        voted = {f"answer-{i}" for i in (me.get("data-votes") or "").split()}
        for li in root.xpath('//li[contains(concat(" ", @class, " "), " answer ")]'):
            if li.get("id") in mine:
                li.set("data-mine", "1")
            elif "data-mine" in li.attrib:
                del li.attrib["data-mine"]
            # Its own controls, not those of the replies threaded inside it.
            actions = './div[contains(@class, "answer-actions")]'
            for button in li.xpath(f'{actions}//*[contains(@class, "upvote")]'):
                button.set("aria-pressed", "true" if li.get("id") in voted else "false")
            vote_values = f'{actions}//form[contains(@class, "vote-form")]//input[@name="value"]'
            for value in li.xpath(vote_values):
                value.set("value", "0" if li.get("id") in voted else "1")
    for ol in root.xpath('//ol[contains(@class, "answer-list")][@data-sort]'):
        mode = ol.get("data-sort") or "newest"
        items = [li for li in ol if li.tag == "li"]

        def key(li, mode=mode):
            votes = int(li.get("data-votes") or 0) if mode == "votes" else 0
            return (
                li.get("data-waiting") != "1",
                li.get("data-pinned") != "1",
                -votes,
                _desc(li.get("data-created") or ""),
            )

        ordered = sorted(items, key=key)
        if ordered != items:
            for li in items:
                ol.remove(li)
            for li in ordered:
                ol.append(li)
    sort_terms(root)


def sort_terms(root) -> None:
    """Key terms: used by the most students first, then by the term (live.js `sortTerms`)."""
    for ol in root.xpath('//ol[contains(@class, "term-list")][@data-sort]'):
        items = [li for li in ol if li.tag == "li"]
        ordered = sorted(
            items, key=lambda li: (-int(li.get("data-count") or 0), li.get("data-term"))
        )
        if ordered != items:
            for li in items:
                ol.remove(li)
            for li in ordered:
                ol.append(li)


def prune(root, el) -> None:
    """`<i data-prune="list" data-keep="ids">`: the list keeps those items only (live.js)."""
    target = by_id(root, el.get("data-prune"))
    if target is None:
        return
    keep = set((el.get("data-keep") or "").split())
    for item in [child for child in target if isinstance(child.tag, str) and child.get("id")]:
        if item.get("id") not in keep:
            remove(item)


def _same(a, b) -> bool:
    """The DOM's isEqualNode, near enough: the same markup (tails aside)."""
    return lxml.html.tostring(a, with_tail=False) == lxml.html.tostring(b, with_tail=False)


def _desc(text: str) -> tuple:
    # Strings of equal length (seconds, then an 8-digit id) sort newest first.
    return tuple(-ord(c) for c in text)


def normalized(root) -> str:
    """The page's body as text a test can compare, whitespace folded."""
    body = root.find("body")
    body = lxml.html.fromstring(lxml.html.tostring(body))  # a copy to strip
    for el in body.xpath('//input[@name="csrfmiddlewaretoken"]'):
        remove(el)
    for el in body.xpath('//input[@name="client_token"]'):
        el.set("value", "")
    for el in body.xpath('//ul[@class="messages"]'):
        remove(el)  # Django's one-time messages ("The session has ended."): shown once, then gone
    for element_id in ("live-status", "announcer"):
        el = by_id(body, element_id)
        if el is not None:
            remove(el)
    body.attrib.pop("hx-headers", None)
    for el in body.xpath("//*[@data-now]"):
        del el.attrib["data-now"]  # the server's clock when it was rendered (countdowns)
    lines = []

    def walk(el, depth):
        attrs = " ".join(f'{k}="{v}"' for k, v in sorted(el.attrib.items()))
        text = " ".join((el.text or "").split())
        lines.append(f"{'  ' * depth}<{el.tag} {attrs}>{text}")
        for child in el:
            if isinstance(child.tag, str):
                walk(child, depth + 1)
            tail = " ".join((child.tail or "").split())
            if tail:
                lines.append(f"{'  ' * (depth + 1)}{tail}")

    walk(body, 0)
    return "\n".join(lines)


class Screen:
    """One open tab: a page, its socket, and what it shows."""

    def __init__(self, client: Client, path: str, role: str, participant_id: int | None = None):
        self.client = client
        self.path = path
        self.role = role
        self.participant_id = participant_id
        self.view = SocketView(role, participant_id)  # the consumer's side of the socket
        self.version = -1  # the browser's side: the version shown
        self.held: dict[int, str] = {}
        self.behind = False  # a heartbeat said there is more
        self.root = None
        self.frames_applied = 0

    # -- the page and its socket ---------------------------------------------------------------

    def load(self) -> None:
        response = self.client.get(self.path)
        assert response.status_code == 200, (self.path, response.status_code)
        self.root = parse_page(response.content.decode())
        self.version = -1
        self.held = {}
        self.behind = False
        tidy(self.root)
        self.resync()

    def resync(self) -> None:
        """The socket's snapshot: the consumer reads it and the page applies it."""
        session_id = self._session_id()
        st = screens.State.load(session_id)
        participant = None
        if self.role == "participant":
            participant = Participant.objects.get(pk=self.participant_id)
        snapshot = screens.snapshot(st, self.role, participant)
        self.view.reset(snapshot)
        self.receive(snapshot["html"])

    def _session_id(self) -> int:
        code = self.path.strip("/").split("/")[1]
        return Session.objects.values_list("pk", flat=True).get(code=code)

    # -- the stream ------------------------------------------------------------------------------

    def consume(self, message: dict) -> str:
        """The consumer's half: the frame text this socket sends for a message."""
        return self.view.take(message)

    def receive(self, text: str) -> None:
        """The browser's half: live.js's `receive`."""
        import re

        marks = list(re.finditer(r"<!--v:(\d+)(?:-(\d+))?( snapshot| hb| refresh)?-->", text))
        for i, mark in enumerate(marks):
            end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
            first = int(mark.group(1))
            last = int(mark.group(2)) if mark.group(2) else first
            kind = (mark.group(3) or "").strip()
            self._frame(first, last, kind, text[mark.end() : end])

    def _frame(self, first: int, version: int, kind: str, html: str) -> None:
        if kind == "snapshot":
            self.apply(html)
            self.version = version
            self.held = {k: f for k, f in self.held.items() if f[0] > version}
            self.behind = False
            self._drain()
            return
        if kind == "hb":
            self.behind = self.behind or version > self.version
            return
        if kind == "refresh":
            if version == self.version and not self.held:
                self.apply(html)
            return
        if self.version < 0 or version <= self.version:
            return
        if first > self.version + 1:
            self.held[first] = (version, html)
            return
        self.apply(html)
        self.version = version
        self._drain()

    def _drain(self) -> None:
        while ready := sorted(k for k in self.held if k <= self.version + 1):
            for k in ready:
                version, html = self.held.pop(k)
                if version > self.version:
                    self.apply(html)
                    self.version = version

    def time_passes(self) -> None:
        """A second or more with nothing new: each side repairs a gap with a snapshot."""
        if self.view.gap or self.held or self.behind:
            self.resync()

    def apply(self, html: str) -> None:
        self.frames_applied += 1
        if not html.strip():
            return
        for el in lxml.html.fragments_fromstring(html):
            if isinstance(el, str):
                continue
            if "data-prune" in el.attrib:
                prune(self.root, el)
                continue
            element_id = el.get("id")
            old = by_id(self.root, element_id) if element_id else None
            if "data-remove" in el.attrib:
                if old is not None:
                    remove(old)
                continue
            into = el.attrib.pop("data-into", None)
            if into is not None and old is None:
                target = by_id(self.root, into)
                if target is not None:
                    target.append(el)
                continue
            if into is not None and _same(old, el):
                continue  # sent again as it is: live.js leaves the element alone
            if old is not None:
                replace(old, el)
        tidy(self.root)

    # -- htmx ------------------------------------------------------------------------------------

    def swap_response(self, html: str, target_id: str) -> None:
        """An htmx response with hx-target="#target_id" hx-swap="outerHTML"."""
        old = by_id(self.root, target_id)
        assert old is not None, f"no #{target_id} on {self.path}"
        fragments = [e for e in lxml.html.fragments_fromstring(html) if not isinstance(e, str)]
        replace(old, fragments[0])
        tidy(self.root)

    def text(self) -> str:
        return normalized(self.root)

    def reload_text(self) -> str:
        response = self.client.get(self.path)
        root = parse_page(response.content.decode())
        tidy(root)
        return normalized(root)


class Published:
    """What the stream carried for one change: the raw message, and its rendering at the
    moment it was published (what a quiet room's tick renders at once), with the refresh of
    the panels it touched that follows it (None: none here)."""

    def __init__(self, session_id: int, message: dict):
        self.session_id = session_id
        self.message = message
        self.rendered = self.panels = None
        if message.get("type") == "change":
            v = message["version"]
            change = Change.from_message(message["change"])
            self.rendered = ticks.render(session_id, v, v, change)
            self.panels = ticks.render_refresh(session_id, v, change)


class Network:
    """Between the stream and browsers, with the coalescing of seminar/ticks.py on, as chosen
    by a seed. Each time it delivers, every screen is served by one of two processes:

    - a quiet process renders each change as it is published, and its socket may get them
      out of order (concurrent commits; the socket's own ordering must cope);
    - a busy process coalesces: it cuts the versions it got into ticks of random length and
      renders each tick once, later, from the database as it is then (newer than the tick's
      last version), holding the panels back as seminar/ticks.py does under load (`Panels`,
      a tick a random fraction of a second after the one before) and sending what it held as
      a refresh once the time to deliver is over (time passes);

    and frames reaching a browser may be dropped, except a refresh: a websocket loses frames
    only with its connection, and a new connection starts with a snapshot; versioned frames
    are dropped here to prove the repair by heartbeats, which a refresh needs none of.
    """

    def __init__(self, seed: int, *, drop: float = 0.1, shuffle: float = 0.3):
        self.random = random.Random(seed)
        self.drop = drop
        self.shuffle = shuffle
        self.dropped = 0
        self.coalesced = 0  # ticks that carried more than one version
        self.refreshes = 0  # refresh frames the busy process sent
        self.panels = ticks.Panels()  # the busy process's, on a clock of its own
        self.clock = 0.0

    def _ticks(self, published: list[Published]) -> list[dict]:
        changes = sorted(
            (p for p in published if p.rendered is not None), key=lambda p: p.message["version"]
        )
        out = []
        i = 0
        while i < len(changes):
            n = self.random.randint(1, 4)
            run = changes[i : i + n]
            i += n
            merged = Change()
            for p in run:
                merged = merged.merge(Change.from_message(p.message["change"]))
            first, last = run[0].message["version"], run[-1].message["version"]
            self.clock += self.random.choice((0.05, 0.3, 0.6))
            panels = self.panels.take(merged, self.clock)
            rendered = ticks.render(run[0].session_id, first, last, merged)
            if rendered is not None:
                out.append(rendered)
                self.coalesced += first != last
            if panels is not None:  # due: they follow the tick at once, as its refresh
                refresh = ticks.render_refresh(run[0].session_id, last, panels)
                if refresh is not None:
                    out.append(refresh)
                    self.refreshes += 1
        if changes:
            self.clock += ticks.PANEL_SECONDS  # time passes: what is held goes out
            held = self.panels.flush(self.clock)
            if held is not None:
                refresh = ticks.render_refresh(changes[0].session_id, last, held)
                if refresh is not None:
                    out.append(refresh)
                    self.refreshes += 1
        return out

    def _quiet_panels(self, published: list[Published]) -> list[dict]:
        """The quiet process's refreshes, one per change, each right after its tick: as one
        refresh of the last version, rendered now (a socket there applies it; a socket whose
        frames came out of order or were dropped is at another version, and re-syncs)."""
        changes = [p for p in published if p.panels is not None]
        if not changes:
            return []
        merged = Change()
        for p in changes:
            merged = merged.merge(Change.from_message(p.message["change"]))
        last = max(p.message["version"] for p in published if p.rendered is not None)
        refresh = ticks.render_refresh(changes[0].session_id, last, merged)
        return [] if refresh is None else [refresh]

    def deliver(self, published: list[Published], screens_: list[Screen]) -> None:
        quiet = [p.rendered for p in published if p.rendered is not None]
        quiet_panels = self._quiet_panels(published)
        busy = self._ticks(published)
        for screen in screens_:
            if self.random.random() < 0.5:
                batch = list(quiet)
                if len(batch) > 1 and self.random.random() < self.shuffle:
                    self.random.shuffle(batch)
                batch += quiet_panels
            else:
                batch = busy
            for message in batch:
                text = screen.consume(message)
                if not text:
                    continue
                if self.random.random() < self.drop and not message.get("refresh"):
                    self.dropped += 1
                    continue
                screen.receive(text)
