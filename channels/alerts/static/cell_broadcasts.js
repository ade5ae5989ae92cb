/* The cell's broadcasts page: every 2 seconds, fetch the same page with ?fragment=1 (the
   broadcasts region only, rendered and escaped by the server) and swap it in, keeping the
   focused element (by id); keys: j / k move between broadcasts, x stops the chosen one (the
   server asks to confirm), r refreshes now. Without this script the page works: its
   "Actualiser" link reloads it and the stop button leads to the confirmation. */
(function () {
  "use strict";
  var region = document.getElementById("broadcasts-live");
  if (!region || !window.fetch) { return; }
  var PERIOD_MS = 2000;
  var url = new URL(window.location.href);
  url.searchParams.set("fragment", "1");
  url.hash = "";
  var timer = null;

  function swap(html) {
    var active = document.activeElement;
    var key = active && region.contains(active) && active.id ? active.id : null;
    var parsed = document.createElement("template");
    parsed.innerHTML = html;
    region.replaceChildren(parsed.content);
    var again = key && document.getElementById(key);
    if (again) { again.focus(); }
  }

  function refresh() {
    window.clearTimeout(timer);
    fetch(url.toString(), {credentials: "same-origin", headers: {"Accept": "text/html"}})
      .then(function (response) {
        // Signed out meanwhile: the fetch followed the redirect to the login page.
        if (response.redirected) { window.location.reload(); throw new Error("signed out"); }
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.text();
      })
      .then(swap)
      .catch(function () { /* keep the last figures: the time says how old they are */ })
      .then(function () { timer = window.setTimeout(refresh, PERIOD_MS); });
  }

  function typing(target) {
    var name = target && target.tagName;
    return name === "INPUT" || name === "TEXTAREA" || name === "SELECT";
  }

  function chosen() {
    var active = document.activeElement;
    return active && active.closest ? active.closest("[data-broadcast]") : null;
  }

  function move(step) {
    var items = Array.prototype.slice.call(region.querySelectorAll("[data-broadcast]"));
    if (!items.length) { return; }
    var index = items.indexOf(chosen());
    index = index < 0 ? (step > 0 ? 0 : items.length - 1)
                      : Math.min(items.length - 1, Math.max(0, index + step));
    items[index].focus();
  }

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || typing(event.target)) { return; }
    if (event.key === "j") { event.preventDefault(); move(1); }
    else if (event.key === "k") { event.preventDefault(); move(-1); }
    else if (event.key === "r") { event.preventDefault(); refresh(); }
    else if (event.key === "x") {
      var item = chosen();
      var stop = item && item.querySelector("button[id^='stop-']");
      if (stop) { event.preventDefault(); stop.click(); }
    }
  });

  timer = window.setTimeout(refresh, PERIOD_MS);
}());
