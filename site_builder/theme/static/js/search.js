/* The search page: starts Pagefind's UI on #search.  The index and the UI live in /pagefind/,
   written by the build; base-path aware through the data attributes of #search.
   ?q=words in the address runs that search at once. */
(function () {
  "use strict";
  var box = document.getElementById("search");
  if (!box || typeof PagefindUI === "undefined") return;
  document.documentElement.classList.add("js-search");
  var ui = new PagefindUI({
    element: "#search",
    bundlePath: box.getAttribute("data-bundle"),
    baseUrl: box.getAttribute("data-base"),
    showImages: false,
    showSubResults: true,
    resetStyles: false,
    autofocus: false,
    translations: { placeholder: box.getAttribute("data-placeholder") || "Search" }
  });
  // Pagefind's input has only a placeholder: give it a name screen readers announce.
  function label() {
    var input = box.querySelector("input");
    if (!input) return false;
    input.setAttribute("aria-label", box.getAttribute("data-placeholder") || "Search");
    return true;
  }
  if (!label()) {
    var watch = new MutationObserver(function () { if (label()) watch.disconnect(); });
    watch.observe(box, { childList: true, subtree: true });
  }
  var query = new URLSearchParams(window.location.search).get("q");
  if (query) ui.triggerSearch(query);
})();
