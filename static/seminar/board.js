/* The board on a projector never scrolls.

   - A step's text is scaled down (the stage's --fit) until it fits the screen: a long theme
     is smaller, a short one stays large.
   - What comes in many parts is shown a page at a time, at full size: a question's answers,
     the guide's quotes and its people ([data-pages] in the stage). As many whole items as fit,
     then the next ones, turning by themselves every TURN_MS, from the console, or with the
     arrow keys, Page Up/Down or the space bar on the projecting laptop. "Answers 7–12 of 48"
     says where the room is.

   Runs after every frame live.js applies ("seminar:applied") and on resize. Which page is on
   screen is the projector's own, like a scroll position: a reload starts at the first. */
(function () {
  "use strict";

  var TURN_MS = 15000;
  var MIN_FIT = 0.4;
  var LONG = 220, SHORT = 60;   // characters: smaller type for long answers, larger for short
  var start = 0;                // index of the first answer on screen
  var ends = [];                // pages before this one, by their first index (for "previous")
  var timer = null;

  function $(sel) { return document.querySelector(sel); }

  function overflows(el) { return el.scrollHeight > el.clientHeight + 1; }

  /* The largest --fit (up to 1) at which neither the stage nor `list` overflows. */
  function fit(stage, list) {
    function over() { return overflows(stage) || (list ? overflows(list) : false); }
    stage.style.setProperty("--fit", "1");
    if (over()) {
      var lo = MIN_FIT, hi = 1;
      for (var i = 0; i < 7; i++) {
        var mid = (lo + hi) / 2;
        stage.style.setProperty("--fit", mid.toFixed(3));
        if (over()) hi = mid; else lo = mid;
      }
      stage.style.setProperty("--fit", lo.toFixed(3));
    }
  }

  function items(list) {
    return Array.prototype.slice.call(list.children);
  }

  function pages(stage) { return stage ? stage.querySelector("[data-pages]") : null; }

  function sizeCards(all) {
    all.forEach(function (li) {
      var text = li.querySelector(".answer-text");
      var n = text ? text.textContent.length : 0;
      var size = n > LONG ? "long" : n < SHORT ? "short" : "";
      if (size) li.setAttribute("data-size", size); else li.removeAttribute("data-size");
    });
  }

  /* Shows answers from `from` on, as many as fit whole; returns the index after the last. */
  function fill(list, all, from) {
    all.forEach(function (li) { li.classList.add("off-page"); });
    var i = from;
    for (; i < all.length; i++) {
      all[i].classList.remove("off-page");
      if (i > from && overflows(list)) {
        all[i].classList.add("off-page");
        break;
      }
    }
    return i;
  }

  function cap(word) { return word.charAt(0).toUpperCase() + word.slice(1); }

  function label(list, all, end) {
    var pager = $("#board-pager");
    if (!pager) return;
    var noun = list.dataset.pages, one = list.dataset.one;
    var order = "";
    if (noun === "answers") order = " · " + (list.dataset.sort === "votes" ? "most votes first" : "newest first");
    // More answers than the board pages through (SEMINAR_BOARD_ANSWERS): say how many in all.
    if (list.dataset.total) order = " (" + Number(list.dataset.total).toLocaleString("en") + " in all)" + order;
    if (!all.length) pager.textContent = "No " + noun + " yet";
    else if (start === 0 && end >= all.length) pager.textContent = (all.length === 1 ? "1 " + one : "All " + all.length + " " + noun) + order;
    else if (end === start + 1) pager.textContent = cap(one) + " " + end + " of " + all.length + order;
    else pager.textContent = cap(noun) + " " + (start + 1) + "–" + end + " of " + all.length + order;
  }

  function layout() {
    var stage = $("#stage");
    if (!stage) return;
    var list = pages(stage);
    var all = list ? items(list) : [];
    if (list) {
      if (list.dataset.pages === "answers") sizeCards(all);
      all.forEach(function (li) { li.classList.add("off-page"); });
    }
    fit(stage);
    // A word cloud is shown whole: every word smaller, rather than one cut off.
    var cloud = stage.querySelector(".term-cloud");
    if (cloud && overflows(cloud)) fit(stage, cloud);
    if (list) {
      if (start >= all.length) { start = 0; ends = []; }
      var end = fill(list, all, start);
      // One item too long for the screen on its own (a very long quote): scale it down.
      if (overflows(list)) fit(stage, list);
      label(list, all, end);
      schedule(end < all.length || start > 0);
    } else {
      schedule(false);
    }
    stage.setAttribute("data-fitted", "1");
  }

  function turn(forward) {
    var list = pages($("#stage"));
    if (!list) return;
    var all = items(list);
    if (forward) {
      var end = fill(list, all, start);
      ends.push(start);
      start = end >= all.length ? 0 : end;
      if (start === 0) ends = [];
    } else if (ends.length) {
      start = ends.pop();
    } else {
      // From the first page back to the last: walk the pages forward to find its start.
      var s = 0, starts = [];
      while (s < all.length) { starts.push(s); s = fill(list, all, s); }
      start = starts[starts.length - 1] || 0;
      ends = starts.slice(0, -1);
    }
    layout();
  }

  function schedule(several) {
    if (timer) { window.clearInterval(timer); timer = null; }
    if (several) timer = window.setInterval(function () { if (!document.hidden) turn(true); }, TURN_MS);
  }

  document.addEventListener("keydown", function (evt) {
    if (evt.altKey || evt.ctrlKey || evt.metaKey) return;
    if (evt.key === "ArrowRight" || evt.key === "PageDown" || evt.key === " ") { evt.preventDefault(); turn(true); }
    else if (evt.key === "ArrowLeft" || evt.key === "PageUp") { evt.preventDefault(); turn(false); }
  });

  /* Pages turned from the console since this board last looked: turn as many. A reload
     starts counting afresh (it starts at the first page, like any reload). */
  var turns = null;
  function remote() {
    var el = $("#board-turns");
    if (!el) return;
    var n = Number(el.dataset.turns) || 0;
    var delta = turns === null ? 0 : n - turns;
    turns = n;
    for (var i = 0; i < Math.min(Math.abs(delta), 50); i++) turn(delta > 0);
  }

  var lastStep = null;
  document.addEventListener("seminar:applied", function () {
    var stage = $("#stage");
    var step = stage ? stage.dataset.announce : null;
    if (step !== lastStep) { start = 0; ends = []; lastStep = step; }
    layout();
    remote();
  });
  var resizing = null;
  window.addEventListener("resize", function () {
    window.clearTimeout(resizing);
    resizing = window.setTimeout(function () { start = 0; ends = []; layout(); }, 150);
  });
  document.addEventListener("DOMContentLoaded", function () { layout(); remote(); });
  if (document.fonts && document.fonts.ready) document.fonts.ready.then(layout);
})();
