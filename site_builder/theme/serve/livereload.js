/* serve's live reload (site_builder/serve.py puts it, inline, into every HTML page it serves;
   built sites never carry it): reloads the tab when its page changes, shows a failed build over
   the page.  data-build, data-version and data-url on its <script> element say which build the
   page is from and where the event stream is. */
(function () {
  var given = document.currentScript.dataset,
      build = +given.build, version = +given.version, box = null,
      here = location.pathname.replace(/index\.html$/, "");
  try {
    var y = sessionStorage.getItem("site-builder-scroll");
    if (y !== null) { sessionStorage.removeItem("site-builder-scroll");
      addEventListener("load", function () { scrollTo(0, +y); }); }
  } catch (e) {}
  function reload() {
    try { sessionStorage.setItem("site-builder-scroll", String(scrollY)); } catch (e) {}
    location.reload();
  }
  function clear() { if (box) { box.remove(); box = null; } }
  function show(lines) {
    clear();
    box = document.createElement("div");
    box.id = "site-builder-error";
    box.setAttribute("role", "alert");
    box.style.cssText = "position:fixed;inset:0;z-index:2147483647;overflow:auto;background:rgba(20,0,0,.92);" +
      "color:#fff;font:15px/1.5 ui-monospace,Menlo,Consolas,monospace;padding:2rem;white-space:pre-wrap";
    var h = document.createElement("h2");
    h.textContent = "Build failed \u2014 showing the last good build. Fix the file and save.";
    h.style.cssText = "font:bold 18px system-ui,sans-serif;color:#ffb4b4;margin:0 0 1rem";
    box.appendChild(h);
    lines.forEach(function (line) {
      var p = document.createElement("p");
      p.className = "site-builder-problem";
      p.style.margin = "0 0 .5rem";
      p.textContent = line;
      box.appendChild(p);
    });
    (document.body || document.documentElement).appendChild(box);
  }
  var status = window.siteBuilderLiveReload = {build: build, version: version, connected: false};
  /* Changes announced before this stream opened are not lost: the server answers "state" with
     the pages changed since the version this page was served at. */
  function changed(r) {
    if (r.version <= version) { return false; }
    if (r.paths === null || r.paths.indexOf(here) >= 0) { source.close(); reload(); return true; }
    build = status.build = r.build;  /* this page did not change: stay, and stay up to date */
    version = status.version = r.version;
    return false;
  }
  var source = new EventSource(given.url);
  source.addEventListener("state", function (e) {
    var s = JSON.parse(e.data);
    status.connected = true;
    if (s.paths === null) { source.close(); reload(); return; }  /* the server cannot tell: reload */
    if (changed(s)) { return; }
    if (s.problems.length) { show(s.problems); } else { clear(); }
  });
  source.addEventListener("reload", function (e) {
    if (!changed(JSON.parse(e.data))) { clear(); }
  });
  source.addEventListener("error-state", function (e) { show(JSON.parse(e.data).problems); });
})();
