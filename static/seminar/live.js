/* Seminar's live pages: what htmx and its ws extension do not do by themselves.
   - connection status, announced to screen readers;
   - version check on every frame: a gap means we missed something, so ask for a snapshot;
   - a watchdog: no frame (not even a heartbeat) for too long means a dead link: reconnect;
   - answer lists kept in order (pinned first, then newest or most votes), no duplicates;
   - drafts of answers and notes kept on this device until posted;
   - ← / → on the console move through the agenda. */
(function () {
  "use strict";

  var HEARTBEAT_GRACE_MS = 65000;   // server heartbeats every 25 s
  var GAP_WAIT_MS = 1500;           // frames from concurrent changes may arrive out of order
  var snapshotVersion = -1;
  var lastVersion = -1;
  var lastFrameAt = Date.now();
  var socket = null;
  var gapTimer = null;
  var wanted = null;

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
    setStatus("connecting", lastVersion < 0 ? "Connecting…" : "Reconnecting…");
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

  document.addEventListener("htmx:wsBeforeMessage", function (evt) {
    var message = evt.detail.message;
    lastFrameAt = Date.now();
    if (typeof message !== "string") return;
    if (message.charAt(0) === "{") {           // an error for us, not HTML
      evt.preventDefault();
      try { announce(JSON.parse(message).error); } catch (e) { /* ignore */ }
      return;
    }
    var m = /^<!--v:(\d+)( snapshot| hb)?-->/.exec(message);
    if (!m) return;                            // presence and other unversioned frames
    var version = parseInt(m[1], 10);
    var kind = m[2] ? m[2].trim() : "";
    if (kind === "snapshot") {
      snapshotVersion = lastVersion = version;
      wanted = null;
      return;
    }
    if (kind === "hb") {
      evt.preventDefault();
      if (version > lastVersion) expect(version);
      return;
    }
    if (version <= snapshotVersion) {          // already part of the snapshot we have
      evt.preventDefault();
      return;
    }
    if (version > lastVersion + 1) expect(version - 1);
    if (version > lastVersion) lastVersion = version;
  });

  /* We are missing everything up to `version`: wait a moment (it may be in flight), then ask. */
  function expect(version) {
    wanted = Math.max(wanted || 0, version);
    if (gapTimer) return;
    gapTimer = window.setTimeout(function () {
      gapTimer = null;
      if (wanted !== null && lastVersion < wanted) resync();
      wanted = null;
    }, GAP_WAIT_MS);
  }

  window.setInterval(function () {
    if (socket && Date.now() - lastFrameAt > HEARTBEAT_GRACE_MS) {
      lastFrameAt = Date.now();
      setStatus("reconnecting", "Reconnecting…");
      socket.reconnect();
    }
  }, 5000);

  /* --- keeping the page tidy after swaps ------------------------------------------------ */

  function sortKey(li, mode) {
    var body = $(".answer-body", li);
    var votes = $(".votes", li);
    return {
      pinned: body && body.dataset.pinned === "1" ? 1 : 0,
      votes: votes ? parseInt(votes.dataset.votes || "0", 10) : 0,
      created: li.dataset.created || ""
    };
  }

  function tidyList(list) {
    var seen = {};
    $all(":scope > li", list).forEach(function (li) {
      if (li.id && seen[li.id]) { li.remove(); } else if (li.id) { seen[li.id] = true; }
    });
    var mode = list.dataset.sort || "newest";
    var items = $all(":scope > li", list);
    var sorted = items.slice().sort(function (a, b) {
      var ka = sortKey(a, mode), kb = sortKey(b, mode);
      if (ka.pinned !== kb.pinned) return kb.pinned - ka.pinned;
      if (mode === "votes" && ka.votes !== kb.votes) return kb.votes - ka.votes;
      return ka.created < kb.created ? 1 : ka.created > kb.created ? -1 : 0;
    });
    var same = sorted.every(function (li, i) { return li === items[i]; });
    if (!same) sorted.forEach(function (li) { list.appendChild(li); });
  }

  var stageAnnounced = null;
  var questionStates = {};

  function tidy() {
    $all("ol.answer-list[data-sort]").forEach(tidyList);
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
      list.scrollTop += current.getBoundingClientRect().top - list.getBoundingClientRect().top - list.clientHeight / 3;
    }
    // Room: the question in focus comes first.
    var focus = stage && stage.dataset.focusQuestion;
    var listEl = $("#question-list");
    if (listEl) {
      $all(".question", listEl).forEach(function (q) { q.classList.remove("is-focus"); });
      if (focus) {
        var q = $("#q-" + focus);
        if (q) { q.classList.add("is-focus"); if (listEl.firstElementChild !== q) listEl.insertBefore(q, listEl.firstElementChild); }
      }
    }
    $all(".q-state").forEach(function (el) {
      var n = el.dataset.number, status = el.dataset.status;
      if (questionStates[n] !== undefined && questionStates[n] !== status) {
        if (status === "open") announce("Question " + n + " is open for answers.");
        if (status === "closed") announce("Question " + n + " is closed.");
      }
      questionStates[n] = status;
    });
  }

  document.addEventListener("htmx:wsAfterMessage", tidy);
  document.addEventListener("htmx:afterSettle", tidy);
  document.addEventListener("DOMContentLoaded", tidy);

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

  document.addEventListener("htmx:sendError", function () {
    announce("Could not reach the server. Your text is kept; try again in a moment.");
  });

  /* --- console keys, board theme -------------------------------------------------------- */

  document.addEventListener("keydown", function (evt) {
    if (document.body.dataset.live !== "console" || evt.altKey || evt.ctrlKey || evt.metaKey) return;
    var t = evt.target;
    if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
    var button = evt.key === "ArrowRight" ? $("#step-next") : evt.key === "ArrowLeft" ? $("#step-prev") : null;
    if (button && !button.disabled) { evt.preventDefault(); button.click(); }
  });

  function applyTheme(theme) {
    var root = document.documentElement;
    root.classList.toggle("theme-dark", theme === "dark");
    root.classList.toggle("theme-light", theme === "light");
    var toggle = $("#theme-toggle");
    if (toggle) toggle.setAttribute("aria-pressed", theme === "dark" ? "true" : "false");
  }

  document.addEventListener("DOMContentLoaded", function () {
    var toggle = $("#theme-toggle");
    if (!toggle) return;
    var saved = null;
    try { saved = window.localStorage.getItem("seminar-board-theme"); } catch (e) { /* ignore */ }
    if (!saved) saved = window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
    applyTheme(saved);
    toggle.addEventListener("click", function () {
      var next = document.documentElement.classList.contains("theme-dark") ? "light" : "dark";
      applyTheme(next);
      try { window.localStorage.setItem("seminar-board-theme", next); } catch (e) { /* ignore */ }
    });
  });
})();
