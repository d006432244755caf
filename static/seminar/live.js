/* Seminar's live pages: the ordered stream, and what htmx and its ws extension do not do.

   The server sends each change as one frame, `<!--v:N-->` then the regions it touched (see
   seminar/screens.py). This file applies frames strictly in version order:
   - a frame at or below the version shown is old news: dropped;
   - a frame after a gap is held; if the gap is not filled within a second, ask for a
     snapshot (`resync`), which replaces every region and sets the version;
   - a heartbeat (`<!--v:N hb-->`) above the version shown means frames were lost: same.
   - a refresh (`<!--v:N refresh-->`) brings panels the server held back (it renders the
     costly ones at most once a second); it applies only to a screen showing exactly N.
   A frame's elements replace the element with the same id; `data-into="list"` appends an
   item that is not there yet (and leaves one sent again unchanged alone); `data-remove`
   removes one; `data-prune="list"` keeps only the items it lists. Then the per-student overlay (which
   answers are mine, which I upvoted, from #me) and the list order are applied, exactly as
   on a page load, so a live screen equals a reload.

   Also: connection status for screen readers, a watchdog for dead links, drafts kept on the
   device, console keys. */
(function () {
  "use strict";

  var HEARTBEAT_GRACE_MS = 65000;   // server heartbeats every 25 s
  var GAP_WAIT_MS = 1000;           // a frame after a gap waits this long for the missing ones
  var version = -1;                 // the version this screen shows; -1 until the snapshot
  var held = {};                    // version -> frame html, waiting for a gap to fill
  var gapTimer = null;
  var lastFrameAt = Date.now();
  var socket = null;

  function $(sel, root) { return (root || document).querySelector(sel); }
  function $all(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }

  function announce(text) {
    var el = $("#announcer");
    if (!el || !text) return;
    el.textContent = "";
    window.setTimeout(function () { el.textContent = text; }, 50);
  }

  function setStatus(state, text) {
    var el = $("#live-status");
    if (!el) return;
    if (el.dataset.state === state) return;
    el.dataset.state = state;
    $(".live-text", el).textContent = text;
  }

  /* --- connection ------------------------------------------------------------------- */

  document.addEventListener("htmx:wsConnecting", function () {
    setStatus("connecting", version < 0 ? "Connecting…" : "Reconnecting…");
  });
  document.addEventListener("htmx:wsOpen", function (evt) {
    socket = evt.detail.socketWrapper;
    lastFrameAt = Date.now();
    setStatus("live", "Live");
  });
  document.addEventListener("htmx:wsClose", function (evt) {
    var code = evt.detail.event && evt.detail.event.code;
    if (code === 1000) {
      setStatus("closed", "Not live");
    } else if (code === 4403) {
      setStatus("closed", "Not allowed: reload the page");
    } else {
      setStatus("reconnecting", "Reconnecting…");
    }
  });

  function resync() {
    if (socket) socket.send(JSON.stringify({ type: "resync" }));
  }

  /* --- the ordered stream ------------------------------------------------------------- */

  /* `<!--v:N-->` is one version; `<!--v:A-B-->` a tick's frame bringing the screen from A-1 to B
     (every region in it is whole, so a screen anywhere from A-1 to B-1 may apply it). */
  var MARK = /<!--v:(\d+)(?:-(\d+))?( snapshot| hb| refresh)?-->/g;

  document.addEventListener("htmx:wsBeforeMessage", function (evt) {
    var message = evt.detail.message;
    evt.preventDefault();                      // frames are applied here, in order
    lastFrameAt = Date.now();
    if (typeof message !== "string") return;
    if (message.charAt(0) === "{") {          // an error for us, not HTML
      try { announce(JSON.parse(message).error); } catch (e) { /* ignore */ }
      return;
    }
    receive(message);
  });

  /* One websocket message may carry several frames (a consumer releasing a filled gap). */
  function receive(message) {
    var marks = [], m;
    MARK.lastIndex = 0;
    while ((m = MARK.exec(message)) !== null) {
      var first = parseInt(m[1], 10);
      marks.push({ at: m.index, end: MARK.lastIndex, from: first, v: m[2] ? parseInt(m[2], 10) : first, kind: (m[3] || "").trim() });
    }
    marks.forEach(function (mark, i) {
      var html = message.slice(mark.end, i + 1 < marks.length ? marks[i + 1].at : message.length);
      frame(mark.from, mark.v, mark.kind, html);
    });
  }

  /* The version shown, on <body data-version>: for people debugging, and for tests waiting
     until every screen has caught up. */
  function shown(v) {
    version = v;
    document.body.setAttribute("data-version", String(v));
  }

  function frame(from, v, kind, html) {
    if (kind === "snapshot") {
      apply(html);
      shown(v);
      Object.keys(held).forEach(function (k) { if (held[k].v <= v) delete held[k]; });
      drain();
      return;
    }
    if (kind === "hb") {
      if (v > version) watchGap();
      return;
    }
    if (kind === "refresh") {                  // panels held back until now, at version v
      if (v === version && !Object.keys(held).length) apply(html);
      return;
    }
    if (version < 0 || v <= version) return;   // before our snapshot, or already shown
    if (from > version + 1) { held[from] = { v: v, html: html }; watchGap(); return; }
    apply(html);
    shown(v);
    drain();
  }

  /* Apply held frames that now follow on, in order (held by their first version). */
  function drain() {
    var ready;
    do {
      ready = Object.keys(held).map(Number).filter(function (k) { return k <= version + 1; }).sort(function (a, b) { return a - b; });
      ready.forEach(function (k) {
        var f = held[k];
        delete held[k];
        if (f.v > version) { apply(f.html); shown(f.v); }
      });
    } while (ready.length);
    if (gapTimer && !Object.keys(held).length) { window.clearTimeout(gapTimer); gapTimer = null; }
  }

  /* Something is missing: give it a moment (it may be in flight), then ask for a snapshot. */
  function watchGap() {
    if (gapTimer) return;
    var behind = version;
    gapTimer = window.setTimeout(function () {
      gapTimer = null;
      if (version === behind || Object.keys(held).length) resync();
    }, GAP_WAIT_MS);
  }

  window.setInterval(function () {
    if (socket && Date.now() - lastFrameAt > HEARTBEAT_GRACE_MS) {
      lastFrameAt = Date.now();
      setStatus("reconnecting", "Reconnecting…");
      socket.reconnect();
    }
  }, 5000);

  /* --- applying a frame ----------------------------------------------------------------- */

  function apply(html) {
    var template = document.createElement("template");
    template.innerHTML = html;
    Array.prototype.slice.call(template.content.children).forEach(function (el) {
      if (el.hasAttribute("data-prune")) { prune(el); return; }
      var old = el.id ? document.getElementById(el.id) : null;
      if (el.hasAttribute("data-remove")) {
        if (old) old.remove();
        return;
      }
      var into = el.getAttribute("data-into");
      if (into !== null) {
        el.removeAttribute("data-into");
        if (!old) {
          var list = document.getElementById(into);
          if (list) { list.appendChild(el); htmx.process(el); }
          return;
        }
        // An item sent again as it is (a word cloud sends all its terms): nothing to redraw.
        if (old.isEqualNode(el)) return;
      }
      if (old) swapIn(old, el);
    });
    tidy();
  }

  /* `<i data-prune="list" data-keep="id id …">`: the items of that list are these, the others
     leave (a term no longer among the key terms). */
  function prune(el) {
    var list = document.getElementById(el.getAttribute("data-prune"));
    if (!list) return;
    var keep = {};
    (el.getAttribute("data-keep") || "").split(" ").forEach(function (id) { if (id) keep[id] = true; });
    $all(":scope > [id]", list).forEach(function (item) { if (!keep[item.id]) item.remove(); });
  }

  /* Replace a region, keeping what someone is typing in it (and their caret) as it is. */
  function swapIn(old, el) {
    var active = document.activeElement;
    if (active && active.id && old.contains(active) && /^(TEXTAREA|INPUT)$/.test(active.tagName)) {
      var twin = el.querySelector("#" + CSS.escape(active.id));
      if (twin) {
        if (active.tagName === "TEXTAREA") active.defaultValue = twin.defaultValue;
        twin.replaceWith(active);
      }
    }
    // A folded list or an open "Edit your answer" stays as the person left it.
    $all("details[id]", old).forEach(function (d) {
      var twin = el.querySelector("#" + CSS.escape(d.id));
      if (twin) twin.open = d.open;
    });
    // A reply fold whose form was fetched keeps it as it is: its text, its chosen move and its
    // token (the new item brings only the fold).
    $all("details.reply-box[id]", old).forEach(function (d) {
      var twin = el.querySelector("#" + CSS.escape(d.id));
      var form = $(".reply-form", d);
      var slot = twin && $(".reply-slot", twin);
      if (form && slot) slot.replaceChildren(form);
    });
    // A search typed into a region keeps its text (and keeps filtering the new list).
    $all("input[type=search][id]", old).forEach(function (input) {
      var twin = el.querySelector("#" + CSS.escape(input.id));
      if (twin && twin !== active) twin.value = input.value;
    });
    // Keyboard focus on a control of the old region (an agenda step, a button) moves to the
    // same control of the new one: a re-render never drops someone navigating by keys.
    var FOCUSABLE = "a[href], button, input, select, textarea, summary, [tabindex]";
    var at = active && old.contains(active) ? $all(FOCUSABLE, old).indexOf(active) : -1;
    old.replaceWith(el);
    htmx.process(el);
    if (active && el.contains(active)) active.focus();
    else if (at !== -1) {
      var same = $all(FOCUSABLE, el)[at];
      if (same) same.focus();
    }
  }

  /* The console's "Find a name" narrows the list of who is here. */
  function filterPeople() {
    var input = document.getElementById("people-search");
    if (!input) return;
    var q = input.value.trim().toLowerCase();
    $all("#people .people-list li").forEach(function (li) {
      li.hidden = q !== "" && li.textContent.toLowerCase().indexOf(q) === -1;
    });
  }
  document.addEventListener("input", function (evt) {
    if (evt.target && evt.target.id === "people-search") filterPeople();
  });
  document.addEventListener("seminar:applied", filterPeople);

  /* A "Find a name" box with data-filters="LIST-ID" narrows that list (the console's silent
     students); the list is re-rendered live, so the filter runs again after every frame. */
  function filterLists() {
    $all("input[type=search][data-filters]").forEach(function (input) {
      var q = input.value.trim().toLowerCase();
      $all("#" + CSS.escape(input.getAttribute("data-filters")) + " li").forEach(function (li) {
        li.hidden = q !== "" && li.textContent.toLowerCase().indexOf(q) === -1;
      });
    });
  }
  document.addEventListener("input", function (evt) {
    if (evt.target && evt.target.hasAttribute && evt.target.hasAttribute("data-filters")) filterLists();
  });
  document.addEventListener("seminar:applied", filterLists);

  /* --- what a page load does too: overlay, order, announcements --------------------------- */

  function idSet(text) {
    var set = {};
    (text || "").split(" ").forEach(function (id) { if (id) set["answer-" + id] = true; });
    return set;
  }

  /* A student's own marks on the shared lists, from #me (never rendered per student). */
  function overlay() {
    var me = document.getElementById("me");
    if (!me) return;
    var mine = idSet(me.dataset.answers), voted = idSet(me.dataset.votes);
    $all("li.answer").forEach(function (li) {
      if (mine[li.id]) li.setAttribute("data-mine", "1"); else li.removeAttribute("data-mine");
      // Its own controls, not those of the replies threaded inside it.
      var actions = $(":scope > .answer-actions", li);
      var button = actions && $(".upvote", actions), value = actions && $(".vote-form input[name=value]", actions);
      if (button) button.setAttribute("aria-pressed", voted[li.id] ? "true" : "false");
      if (value) value.value = voted[li.id] ? "0" : "1";
      if (value) value.setAttribute("value", voted[li.id] ? "0" : "1");
    });
  }

  /* Code point order, as Python compares strings (JavaScript's < compares UTF-16 units). */
  function byCodePoints(a, b) {
    var x = Array.from(a), y = Array.from(b);
    for (var i = 0; i < Math.min(x.length, y.length); i++) {
      var d = x[i].codePointAt(0) - y[i].codePointAt(0);
      if (d) return d;
    }
    return x.length - y.length;
  }

  /* Key terms: used by the most students first, then by the term (seminar/terms.py). */
  function sortTerms(list) {
    var items = $all(":scope > li", list);
    var sorted = items.slice().sort(function (a, b) {
      var d = parseInt(b.dataset.count || "0", 10) - parseInt(a.dataset.count || "0", 10);
      return d || byCodePoints(a.dataset.term || "", b.dataset.term || "");
    });
    var same = sorted.every(function (li, i) { return li === items[i]; });
    if (!same) sorted.forEach(function (li) { list.appendChild(li); });
  }

  /* Pinned first, then most votes (where the list asks for it), then newest: the server's
     answer_sort_key. */
  function sortList(list) {
    var mode = list.dataset.sort || "newest";
    if (mode === "terms") return sortTerms(list);
    var items = $all(":scope > li", list);
    function key(li) {
      return {
        waiting: li.dataset.waiting === "1" ? 1 : 0,  // approve-first's queue, on the console
        pinned: li.dataset.pinned === "1" ? 1 : 0,
        votes: mode === "votes" ? parseInt(li.dataset.votes || "0", 10) : 0,
        created: li.dataset.created || ""
      };
    }
    var sorted = items.slice().sort(function (a, b) {
      var ka = key(a), kb = key(b);
      if (ka.waiting !== kb.waiting) return kb.waiting - ka.waiting;
      if (ka.pinned !== kb.pinned) return kb.pinned - ka.pinned;
      if (ka.votes !== kb.votes) return kb.votes - ka.votes;
      return ka.created < kb.created ? 1 : ka.created > kb.created ? -1 : 0;
    });
    var same = sorted.every(function (li, i) { return li === items[i]; });
    if (!same) sorted.forEach(function (li) { list.appendChild(li); });
  }

  var stageAnnounced = null;
  var questionStates = {};

  /* Console: the card of the question on screen (#agenda's data-question) is marked, as the
     page marks it when rendered; CSS brings it first and whole. */
  function markCurrentQuestion() {
    var agenda = $("#agenda");
    if (!agenda) return;
    var id = "cq-" + (agenda.dataset.question || "");
    $all(".console-question").forEach(function (card) {
      if (card.id === id) card.setAttribute("data-current", "");
      else card.removeAttribute("data-current");
    });
  }

  function tidy() {
    markCurrentQuestion();
    overlay();
    $all("ol.answer-list[data-sort], ol.term-list[data-sort]").forEach(sortList);
    restoreDrafts();
    var stage = $("#stage") || $("#agenda");
    if (stage && stage.dataset.announce && stage.dataset.announce !== stageAnnounced) {
      if (stageAnnounced !== null) announce("Now: " + stage.dataset.announce);
      stageAnnounced = stage.dataset.announce;
    }
    // Console: a freshly swapped agenda list scrolls its current step into view (once).
    var current = $(".agenda-list .is-current");
    if (current && !current.parentElement.dataset.scrolled) {
      var list = current.parentElement;
      list.dataset.scrolled = "1";
      // Not while someone moves through the list by keys: their step stays where it is.
      if (!list.contains(document.activeElement)) {
        list.scrollTop += current.getBoundingClientRect().top - list.getBoundingClientRect().top - list.clientHeight / 3;
      }
    }
    $all(".q-state").forEach(function (el) {
      var n = el.dataset.number, status = el.dataset.status;
      if (questionStates[n] !== undefined && questionStates[n] !== status) {
        if (status === "open") { announce("Question " + n + " is open for answers."); cue(n); }
        if (status === "closed") announce("Question " + n + " is closed.");
      }
      questionStates[n] = status;
    });
    // For what lays a screen out after each change (board.js).
    document.dispatchEvent(new CustomEvent("seminar:applied"));
  }

  /* A question just opened: bring its answer box into view, with a moment's highlight, unless
     the student is typing somewhere else (never pull a page out from under someone). */
  function cue(n) {
    var card = document.getElementById("q-" + n);
    if (!card || document.body.dataset.live !== "room") return;
    var active = document.activeElement;
    var typing = active && /^(TEXTAREA|INPUT)$/.test(active.tagName) && !card.contains(active);
    card.classList.add("just-opened");
    window.setTimeout(function () { card.classList.remove("just-opened"); }, 4000);
    // The question's heading first, so its text is read with the box beneath it.
    if (!typing) card.scrollIntoView({ block: "start", behavior: "smooth" });
  }

  document.addEventListener("htmx:afterSettle", tidy);
  document.addEventListener("DOMContentLoaded", tidy);

  /* A refused action whose form swaps nothing (votes, console buttons): say why. */
  document.addEventListener("htmx:responseError", function (evt) {
    var xhr = evt.detail.xhr;
    var type = xhr && xhr.getResponseHeader("Content-Type") || "";
    if (ownAnswer(xhr) && type.indexOf("text/plain") === 0) announce(xhr.responseText);
  });

  /* --- sends that failed: nothing on screen is replaced, nothing typed is lost ---------- */

  /* The app marks its own answers (seminar/middleware.py): only its refusals (4xx) say
     something to put in the page. Anything else that fails (a proxy's 502 while a worker
     restarts, a timeout, no network) leaves the form and its text where they are, says it
     was not sent, and sends it again: by itself, with backoff, when the form carries a
     client token (the server takes a token once, so a post that did land is not doubled),
     else when the student presses "Try again". */
  var RETRIES = [2, 4, 8];  // seconds before each automatic try

  function ownAnswer(xhr) { return !!(xhr && xhr.getResponseHeader("Seminar-App")); }
  function sourceOf(evt) {
    var config = evt.detail.requestConfig;
    return (config && config.elt) || evt.detail.elt || evt.target;
  }

  document.addEventListener("htmx:beforeSwap", function (evt) {
    var xhr = evt.detail.xhr;
    if (xhr.status < 400 || (xhr.status < 500 && ownAnswer(xhr))) return;
    evt.detail.shouldSwap = false;
    notSent(sourceOf(evt), "The server could not take it just now (error " + xhr.status + ")");
  });
  document.addEventListener("htmx:timeout", function (evt) {
    notSent(sourceOf(evt), "The server took too long to answer");
  });
  document.addEventListener("htmx:sendError", function (evt) {
    notSent(sourceOf(evt), "Could not reach the server");
  });

  function notSent(elt, why) {
    var form = elt && elt.closest ? elt.closest("form") : null;
    if (!form || !form.isConnected) { announce(why + ". Try again in a moment."); return; }
    var tries = parseInt(form.dataset.tries || "0", 10);
    var token = $("input[name=client_token]", form);
    var slot = $(".send-error", form);
    if (!slot) {
      slot = document.createElement("div");
      slot.className = "send-error error";
      slot.setAttribute("role", "alert");
      form.appendChild(slot);
    }
    var message = document.createElement("p");
    var button = document.createElement("button");
    button.type = "button";
    button.className = "small secondary";
    button.textContent = "Try again now";
    button.addEventListener("click", function () { resend(form); });
    if (token && token.value && tries < RETRIES.length) {
      form.dataset.tries = String(tries + 1);
      message.textContent = why + ": not sent yet. Your text is kept; trying again in " +
        RETRIES[tries] + " s.";
      window.clearTimeout(form.retryTimer);
      form.retryTimer = window.setTimeout(function () { resend(form); }, RETRIES[tries] * 1000);
    } else {
      message.textContent = why + ": not sent. Your text is kept.";
      button.textContent = "Try again";
    }
    slot.replaceChildren(message, button);
  }

  function resend(form) {
    window.clearTimeout(form.retryTimer);
    if (!form.isConnected || form.classList.contains("htmx-request")) return;
    if (form.requestSubmit) form.requestSubmit(); else htmx.trigger(form, "submit");
  }

  /* Sent at last (or answered by the app): the form is itself again. */
  document.addEventListener("htmx:afterRequest", function (evt) {
    var source = sourceOf(evt);
    var form = source && source.closest ? source.closest("form") : null;
    var xhr = evt.detail.xhr;
    if (!form || !xhr || !xhr.status || (xhr.status >= 400 && !ownAnswer(xhr))) return;
    delete form.dataset.tries;
    window.clearTimeout(form.retryTimer);
    var slot = $(".send-error", form);
    if (slot) slot.remove();
  });

  /* --- drafts: nothing typed is lost to a reload, a swap or a dropped connection -------- */

  function draftKey(el) { return "seminar-draft:" + el.dataset.draft; }

  function restoreDrafts() {
    $all("textarea[data-draft]").forEach(function (el) {
      if (el.dataset.restored) return;
      el.dataset.restored = "1";
      try {
        var saved = window.localStorage.getItem(draftKey(el));
        if (saved && !el.value) el.value = saved;
      } catch (e) { /* private mode: no drafts */ }
    });
  }

  document.addEventListener("input", function (evt) {
    var el = evt.target;
    if (!el.matches || !el.matches("textarea[data-draft]")) return;
    try { window.localStorage.setItem(draftKey(el), el.value); } catch (e) { /* ignore */ }
  });

  document.addEventListener("htmx:afterRequest", function (evt) {
    var form = evt.detail.elt;
    if (!evt.detail.successful || !form || !form.querySelectorAll) return;
    $all("textarea[data-draft]", form).forEach(function (el) {
      try { window.localStorage.removeItem(draftKey(el)); } catch (e) { /* ignore */ }
    });
  });

  /* --- rounds: countdowns to the server's deadline ------------------------------------ */

  /* Each round region carries the server's clock when it was rendered (data-now): the
     difference from this device's clock, taken as the region arrives, turns the server's
     deadline into this device's time, so every screen reaches zero together. */
  var askedDue = {};
  function tickCountdowns() {
    $all(".round[data-now]").forEach(function (round) {
      if (!round.dataset.offset) round.dataset.offset = String(parseInt(round.dataset.now, 10) - Date.now());
      var el = $(".countdown[data-ends-at]", round);
      if (!el) return;
      var left = parseInt(el.dataset.endsAt, 10) - (Date.now() + parseInt(round.dataset.offset, 10));
      var secs = Math.max(0, Math.ceil(left / 1000));
      var text = secs > 0 ? Math.floor(secs / 60) + ":" + ("0" + (secs % 60)).slice(-2) : "Time's up";
      var time = $(".countdown-time", el);
      if (time.textContent !== text) time.textContent = text;
      el.classList.toggle("is-low", secs > 0 && secs <= 10);
      // At zero a phase that moves on by itself asks the server (which checks its own clock).
      if (secs === 0 && el.dataset.advances && socket && !askedDue[el.dataset.endsAt]) {
        askedDue[el.dataset.endsAt] = true;
        socket.send(JSON.stringify({ type: "due" }));
      }
    });
  }
  window.setInterval(tickCountdowns, 250);
  document.addEventListener("seminar:applied", tickCountdowns);

  /* --- replies: a move, its sentence starter, and a fresh token per reply ---------- */

  function newToken() {
    // crypto.randomUUID needs a secure context; a classroom LAN is often plain http.
    var b = window.crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  /* "Build on", "Challenge", "Question": one is chosen (aria-pressed); an empty reply, or one
     that is still only another move's starter, takes the chosen move's starter. */
  document.addEventListener("click", function (evt) {
    var button = evt.target.closest ? evt.target.closest(".move-button") : null;
    if (!button) return;
    evt.preventDefault();  // it chooses the move; "Post reply" sends
    var form = button.closest("form");
    var text = $("textarea[name=text]", form);
    var starters = $all(".move-button", form).map(function (b) { return b.dataset.starter; });
    $all(".move-button", form).forEach(function (b) { b.setAttribute("aria-pressed", b === button ? "true" : "false"); });
    $("input[type=hidden][name=move]", form).value = button.value;
    if (!text.value.trim() || starters.indexOf(text.value) !== -1) {
      text.value = button.dataset.starter;
      text.dispatchEvent(new Event("input", { bubbles: true }));  // kept as a draft too
    }
    text.focus();
    text.setSelectionRange(text.value.length, text.value.length);
  });

  /* A Reply fold fetches its form the first time it opens (each answer sent to the whole
     class then carries a fold, not a form); the link it replaces opens the form on a page of
     its own where JavaScript is off. */
  document.addEventListener("toggle", function (evt) {
    var box = evt.target;
    if (!box.matches || !box.matches("details.reply-box[data-form]") || !box.open) return;
    if ($(".reply-form", box) || box.dataset.loading) return;
    box.dataset.loading = "1";
    var slot = $(".reply-slot", box);
    slot.setAttribute("aria-busy", "true");
    htmx.ajax("GET", box.dataset.form, { target: slot, swap: "innerHTML" }).then(function () {
      delete box.dataset.loading;
      slot.removeAttribute("aria-busy");
      var first = $(".move-button", slot);
      if (first && box.contains(document.activeElement)) first.focus();
    }, function () {
      delete box.dataset.loading;
      slot.removeAttribute("aria-busy");
    });
  }, true);

  /* Each reply goes with its own token: a retried request is the same reply, a second reply
     to the same answer is a new one. */
  document.addEventListener("submit", function (evt) {  // capture: before htmx reads the form
    var form = evt.target;
    if (!form.classList || !form.classList.contains("reply-form")) return;
    var token = $("input[name=client_token]", form);
    if (!token.value) token.value = newToken();
  }, true);

  document.addEventListener("htmx:afterRequest", function (evt) {
    var form = evt.detail.elt;
    if (!form.classList || !form.classList.contains("reply-form")) return;
    var status = $(".reply-status", form);
    if (!evt.detail.successful) { if (status) status.removeAttribute("data-ok"); return; }
    form.reset();
    $("input[name=client_token]", form).value = "";
    $("input[type=hidden][name=move]", form).value = "";
    $all(".move-button", form).forEach(function (b) { b.setAttribute("aria-pressed", "false"); });
    if (status) status.setAttribute("data-ok", "1");
    var box = form.closest("details");
    if (box) box.open = false;
    announce(evt.detail.xhr.responseText);
  });

  /* --- console: discussion ------------------------------------------------- */

  /* "Not yet discussed / Discussed / All": the list's data-show, which CSS reads; kept on the
     card, outside the regions the stream re-renders. */
  document.addEventListener("change", function (evt) {
    var input = evt.target;
    var set = input && input.closest ? input.closest("[data-filter-for]") : null;
    if (!set) return;
    set.closest(".console-question").setAttribute("data-show", input.value);
  });

  /* Key terms: a term's button shows only the answers to its question that use the term
     (each facilitator's item lists its terms in data-terms); pressed again, or "Show all",
     shows every answer again. The chosen term is kept on the card, outside the regions the
     stream re-renders, and applied again after every frame. */
  document.addEventListener("click", function (evt) {
    var button = evt.target.closest ? evt.target.closest(".term-button, .term-all") : null;
    var card = button && button.closest(".console-question");
    if (!card) return;
    var term = button.classList.contains("term-button") ? button.dataset.term : "";
    if (term && card.dataset.term !== term) card.setAttribute("data-term", term);
    else card.removeAttribute("data-term");
    filterTerms();
    var status = $(".term-status", card);
    if (status) announce(status.textContent || "Showing every answer.");
  });

  function filterTerms() {
    $all(".console-question").forEach(function (card) {
      var term = card.dataset.term || "";
      $all(".term-button", card).forEach(function (b) {
        var pressed = term && b.dataset.term === term ? "true" : "false";
        if (b.getAttribute("aria-pressed") !== pressed) b.setAttribute("aria-pressed", pressed);
      });
      var shown = 0;
      $all(".moderation > li.answer", card).forEach(function (li) {
        var uses = !term || (" " + (li.dataset.terms || "") + " ").indexOf(" " + term + " ") !== -1;
        if (uses) shown++;
        li.classList.toggle("term-miss", !uses);
      });
      var status = $(".term-status", card);
      if (status) {
        var pressed = $(".term-button[aria-pressed=true]", card);
        var word = pressed ? pressed.firstChild.textContent.trim() : term;
        status.textContent = term ? (shown === 1 ? "1 answer uses" : shown + " answers use") + " “" + word + "”." : "";
      }
    });
  }
  document.addEventListener("seminar:applied", filterTerms);

  /* The Spotlight button of the answer after (or before) the one on the board, among the
     shown answers to the question on screen. */
  function spotlightStep(direction) {
    var agenda = $("#agenda");
    var n = agenda && agenda.dataset.question;
    var list = n ? document.getElementById("answers-" + n) : null;
    if (!list) return null;
    var items = $all(":scope > li.answer:not(.is-hidden)", list).filter(function (li) { return li.offsetParent !== null; });
    if (!items.length) return null;
    var at = items.findIndex(function (li) { return li.classList.contains("is-spotlit"); });
    var next = at === -1 ? (direction > 0 ? 0 : items.length - 1) : at + direction;
    if (next < 0 || next >= items.length) return null;
    return $("button.spotlight-button", items[next]);
  }

  function shownButton(sel) {
    return $all(sel).filter(function (b) { return b.offsetParent !== null; })[0] || null;
  }

  /* --- console keys -------------------------------------------------------- */

  document.addEventListener("keydown", function (evt) {
    if (document.body.dataset.live !== "console" || evt.altKey || evt.ctrlKey || evt.metaKey) return;
    var t = evt.target;
    if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
    var button = evt.key === "ArrowRight" ? $("#step-next") : evt.key === "ArrowLeft" ? $("#step-prev") : null;
    if (evt.key === "n" || evt.key === "N" || evt.key === "p" || evt.key === "P") {
      button = spotlightStep(evt.key.toLowerCase() === "n" ? 1 : -1);
    }
    if (evt.key === "[") button = shownButton(".board-previous");  // the board's pages
    if (evt.key === "]") button = shownButton(".board-next");
    if (evt.key === "o" || evt.key === "O") {  // open or close the question on screen
      var agenda = $("#agenda");
      var n = agenda && agenda.dataset.question;
      button = n ? $("#qc-" + n + " form:not(.board-view) button[type=submit]") : null;
    }
    if (button && !button.disabled) { evt.preventDefault(); button.click(); }
  });
})();
