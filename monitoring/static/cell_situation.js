/* The cell's situation page: every 5 seconds, fetch the same page with ?fragment=1 (the figures
   region only, rendered and escaped by the server) and swap it in, without reloading. Nothing is
   announced to screen readers on each refresh (no aria-live): the region shows "mis à jour à
   HH:MM:SS", and a focused link in it keeps the focus. Without this script the page works and
   its "Actualiser" link reloads it. A failed fetch leaves the last figures in place. */
(function () {
  "use strict";
  var region = document.getElementById("situation-figures");
  if (!region || !window.fetch) { return; }
  var PERIOD_MS = 5000;
  var url = new URL(window.location.href);
  url.searchParams.set("fragment", "1");
  url.hash = "";

  function focusKey() {
    var active = document.activeElement;
    if (!active || !region.contains(active)) { return null; }
    return active.id ? "#" + CSS.escape(active.id)
      : active.getAttribute("href") ? 'a[href="' + CSS.escape(active.getAttribute("href")) + '"]' : null;
  }

  function swap(html) {
    var key = focusKey();
    var parsed = document.createElement("template");
    parsed.innerHTML = html;
    region.replaceChildren(parsed.content);
    if (key) {
      var again = region.querySelector(key);
      if (again) { again.focus(); }
    }
  }

  function refresh() {
    fetch(url.toString(), {credentials: "same-origin", headers: {"Accept": "text/html"}})
      .then(function (response) {
        // Logged out meanwhile: the fetch followed the redirect to the login page; reload the
        // whole page (it goes to the login form) rather than swapping that form in.
        if (response.redirected) { window.location.reload(); throw new Error("logged out"); }
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.text();
      })
      .then(swap)
      .catch(function () { /* keep the last figures; the time shows how old they are */ })
      .then(function () { window.setTimeout(refresh, PERIOD_MS); });
  }

  window.setTimeout(refresh, PERIOD_MS);
}());
