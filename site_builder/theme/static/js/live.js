/* Keeps a built page's "coming up" lists right as time passes (docs/theme.md, "Lists that stay right").
   Progressive enhancement: without JavaScript the page shows the list as it was built.

   [data-live-list]    a list; its element children with data-ends are its items, in order.
                       An item is live until data-ends.  Of the live items, those at positions
                       data-live-offset (default 0) to offset + data-live-limit (default all) are
                       shown, the others hidden.  Ended items are hidden, or moved into the element
                       whose id is data-live-past (newest data-starts first) and shown there.
   [data-live-window]  shown from data-starts until data-ends (either may be left out), hidden
                       outside them: notices, "nothing coming up" texts, action alerts.
   [data-live-count]   its text becomes the number of shown children of the element with that id.
   [data-live-from-start]  on a list: an item is live only from its data-starts (action alerts).
   [data-live-any="ID"]    shown while the element with that id has a shown child;
   [data-live-none="ID"]   shown while it has none ("No actions right now").
   [data-live-days="YYYY-MM-DD"]  its text becomes the days from today (in the zone data-live-zone)
                       to that date, in the words of its data-text-future / -tomorrow / -today /
                       -yesterday / -past attributes, {n} standing for the number (contract expiries).

   Times are ISO 8601 with an offset ("2026-11-24T18:30:00-06:00").  The page is checked again
   when the next start or end comes (at least every 10 minutes) and when it becomes visible. */
(function () {
  "use strict";
  var MAX_WAIT = 10 * 60 * 1000;
  var timer = null;

  function at(el, name) {
    var value = el.getAttribute(name);
    return value ? Date.parse(value) : NaN;
  }

  function show(el, on) {
    if (el.hidden === on) el.hidden = !on;
  }

  function moveToPast(item, past) {
    var starts = at(item, "data-starts");
    var kids = past.children;
    for (var i = 0; i < kids.length; i++) {
      if (kids[i] !== item && at(kids[i], "data-starts") < starts) {
        past.insertBefore(item, kids[i]);
        return;
      }
    }
    past.appendChild(item);
  }

  // The date (YYYY-MM-DD) at `now` in the site's time zone, or null where the browser cannot say.
  function dayIn(zone, now) {
    try {
      var parts = {};
      new Intl.DateTimeFormat("en-US", {timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit"})
        .formatToParts(new Date(now)).forEach(function (p) { parts[p.type] = p.value; });
      return parts.year + "-" + parts.month + "-" + parts.day;
    } catch (e) {
      return null;
    }
  }

  function check() {
    var now = Date.now();
    var next = Infinity;
    function note(t) {
      if (t > now && t < next) next = t;
    }
    var lists = document.querySelectorAll("[data-live-list]");
    for (var l = 0; l < lists.length; l++) {
      var list = lists[l];
      var limit = parseInt(list.getAttribute("data-live-limit"), 10);
      var offset = parseInt(list.getAttribute("data-live-offset"), 10) || 0;
      var fromStart = list.hasAttribute("data-live-from-start");
      var pastId = list.getAttribute("data-live-past");
      var past = pastId ? document.getElementById(pastId) : null;
      if (isNaN(limit)) limit = Infinity;
      var items = [];
      for (var c = 0; c < list.children.length; c++) {
        if (list.children[c].hasAttribute("data-ends")) items.push(list.children[c]);
      }
      var live = 0;
      for (var i = 0; i < items.length; i++) {
        var ends = at(items[i], "data-ends");
        var begins = fromStart ? at(items[i], "data-starts") : NaN;
        if (begins > now && !(ends <= now)) {
          note(begins);
          show(items[i], false);
        } else if (!(ends <= now)) {
          note(ends);
          show(items[i], live >= offset && live < offset + limit);
          live++;
        } else if (past) {
          moveToPast(items[i], past);
          show(items[i], true);
        } else {
          show(items[i], false);
        }
      }
    }
    var windows = document.querySelectorAll("[data-live-window]");
    for (var w = 0; w < windows.length; w++) {
      var starts = at(windows[w], "data-starts"), until = at(windows[w], "data-ends");
      note(starts);
      note(until);
      show(windows[w], !(starts > now) && !(until <= now));
    }
    var some = document.querySelectorAll("[data-live-any], [data-live-none]");
    for (var a = 0; a < some.length; a++) {
      var any = some[a].hasAttribute("data-live-any");
      var of = document.getElementById(some[a].getAttribute(any ? "data-live-any" : "data-live-none"));
      if (!of) continue;
      var anyShown = false;
      for (var m = 0; m < of.children.length; m++) {
        if (!of.children[m].hidden) anyShown = true;
      }
      show(some[a], any === anyShown);
    }
    var counts = document.querySelectorAll("[data-live-count]");
    for (var n = 0; n < counts.length; n++) {
      var target = document.getElementById(counts[n].getAttribute("data-live-count"));
      if (!target) continue;
      var shown = 0;
      for (var k = 0; k < target.children.length; k++) {
        if (!target.children[k].hidden) shown++;
      }
      if (counts[n].textContent !== String(shown)) counts[n].textContent = String(shown);
    }
    var grids = document.querySelectorAll("[data-live-today]");  // month grids: mark today's date
    for (var g = 0; g < grids.length; g++) {
      var day = dayIn(grids[g].getAttribute("data-live-today"), now);
      var cells = grids[g].querySelectorAll("[data-day]");
      for (var d = 0; day && d < cells.length; d++) {
        var isToday = cells[d].getAttribute("data-day") === day;
        cells[d].classList.toggle("today", isToday);
        if (isToday) cells[d].setAttribute("aria-current", "date");
        else cells[d].removeAttribute("aria-current");
      }
    }
    var counters = document.querySelectorAll("[data-live-days]");  // "Expires in 120 days"
    for (var z = 0; z < counters.length; z++) {
      var el = counters[z];
      var today = dayIn(el.getAttribute("data-live-zone"), now);
      var target = Date.parse(el.getAttribute("data-live-days") + "T00:00:00Z");
      if (!today || isNaN(target)) continue;
      var left = Math.round((target - Date.parse(today + "T00:00:00Z")) / 86400000);
      var word = left > 1 ? "future" : left === 1 ? "tomorrow" : left === 0 ? "today" : left === -1 ? "yesterday" : "past";
      var text = (el.getAttribute("data-text-" + word) || "").replace("{n}", Math.abs(left).toLocaleString("en-US"));
      if (text && el.textContent !== text) el.textContent = text;
    }
    clearTimeout(timer);
    timer = setTimeout(check, Math.max(1, Math.min(next - now, MAX_WAIT)));
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") check();
  });
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) check();
  });
  check();
})();
