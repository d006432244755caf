/* The board on a projector never scrolls.

   - A step's text is scaled down (the stage's --fit) until it fits the screen: a long theme
     or a step of many quotes is smaller, a short one stays large.
   - A question's answers are shown a page at a time: as many whole answers as fit, then the
     next ones, turning by themselves every TURN_MS (or with the arrow keys, Page Up/Down or
     the space bar on the projecting laptop). "Answers 7–12 of 48" says where the room is.

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

  function fit(stage) {
    stage.style.setProperty("--fit", "1");
    if (overflows(stage)) {
      var lo = MIN_FIT, hi = 1;
      for (var i = 0; i < 7; i++) {
        var mid = (lo + hi) / 2;
        stage.style.setProperty("--fit", mid.toFixed(3));
        if (overflows(stage)) hi = mid; else lo = mid;
      }
      stage.style.setProperty("--fit", lo.toFixed(3));
    }
  }

  function items(list) {
    return Array.prototype.slice.call(list.children).filter(function (li) { return li.tagName === "LI"; });
  }

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

  function label(list, all, end) {
    var pager = $("#board-pager");
    if (!pager) return;
    var order = list.dataset.sort === "votes" ? "most votes first" : "newest first";
    if (!all.length) pager.textContent = "No answers yet";
    else if (start === 0 && end >= all.length) pager.textContent = "All " + all.length + " answer" + (all.length === 1 ? "" : "s") + " · " + order;
    else pager.textContent = "Answers " + (start + 1) + "–" + end + " of " + all.length + " · " + order;
  }

  function layout() {
    var stage = $("#stage");
    if (!stage) return;
    var list = stage.querySelector("ol.board-answers");
    var all = list ? items(list) : [];
    if (list) {
      sizeCards(all);
      all.forEach(function (li) { li.classList.add("off-page"); });
    }
    fit(stage);
    if (list) {
      if (start >= all.length) { start = 0; ends = []; }
      var end = fill(list, all, start);
      label(list, all, end);
      schedule(end < all.length || start > 0);
    } else {
      schedule(false);
    }
    stage.setAttribute("data-fitted", "1");
  }

  function turn(forward) {
    var list = $("#stage ol.board-answers");
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
      var s = 0, pages = [];
      while (s < all.length) { pages.push(s); s = fill(list, all, s); }
      start = pages[pages.length - 1] || 0;
      ends = pages.slice(0, -1);
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

  var lastStep = null;
  document.addEventListener("seminar:applied", function () {
    var stage = $("#stage");
    var step = stage ? stage.dataset.announce : null;
    if (step !== lastStep) { start = 0; ends = []; lastStep = step; }
    layout();
  });
  var resizing = null;
  window.addEventListener("resize", function () {
    window.clearTimeout(resizing);
    resizing = window.setTimeout(function () { start = 0; ends = []; layout(); }, 150);
  });
  document.addEventListener("DOMContentLoaded", layout);
  if (document.fonts && document.fonts.ready) document.fonts.ready.then(layout);
})();
