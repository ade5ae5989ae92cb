/* The cell's situation page, live: the server pushes the figures region (rendered and escaped
   by the server) over server-sent events (/cell/situation/stream) when a figure changes, and a
   "checked" time every period otherwise; this script swaps the region in, without reloading.
   Nothing is announced to screen readers on each update (no aria-live): the region shows
   "mis à jour à HH:MM:SS", and a focused link in it keeps the focus. When no event came for two
   periods the page is marked stale (the time shows how old the figures are); EventSource
   reconnects by itself. Without EventSource, or when the stream fails repeatedly (refused,
   503 when the process serves too many screens), the script falls back to fetching
   ?fragment=1 every 5 s, and tries the stream again every minute. Without this script the
   page works and its "Actualiser" link reloads it. */
(function () {
  "use strict";
  var region = document.getElementById("situation-figures");
  if (!region || !window.fetch) { return; }
  var status = document.getElementById("situation-live");
  var POLL_MS = 5000;
  var MAX_FAILURES = 3;  // stream errors in a row before falling back to polling
  var RETRY_STREAM_MS = 60000;  // while polling, try the stream again this often
  var period = 2000;
  var lastEvent = Date.now();
  var failures = 0;
  var polling = false;
  var pollingSince = 0;
  var source = null;
  var fragment = new URL(window.location.href);
  fragment.searchParams.set("fragment", "1");
  fragment.hash = "";
  var stream = new URL("/cell/situation/stream", window.location.href);
  stream.search = window.location.search;

  function say(key) {
    if (status && status.dataset[key]) { status.textContent = status.dataset[key]; }
    region.classList.toggle("stale", key === "stale");
  }

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

  function fresh() {
    lastEvent = Date.now();
    failures = 0;
    say("live");
  }

  // Logged out (or refused) meanwhile: the fetch follows the redirect to the login page;
  // reload the whole page (it goes to the login form) rather than swapping that form in.
  function poll() {
    // A wall screen stays up for days: after a restart or a busy spell, back to the stream.
    if (window.EventSource && Date.now() - pollingSince >= RETRY_STREAM_MS) {
      polling = false;
      listen();
      return;
    }
    fetch(fragment.toString(), {credentials: "same-origin", headers: {"Accept": "text/html"}})
      .then(function (response) {
        if (response.redirected) { window.location.reload(); throw new Error("logged out"); }
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.text();
      })
      .then(function (html) { swap(html); lastEvent = Date.now(); say("polling"); })
      .catch(function () { /* keep the last figures; the time shows how old they are */ })
      .then(function () { window.setTimeout(poll, POLL_MS); });
  }

  function fallBack() {
    if (source) { source.close(); source = null; }
    if (polling) { return; }
    polling = true;
    pollingSince = Date.now();
    failures = 0;
    say("polling");
    poll();
  }

  function listen() {
    source = new EventSource(stream.toString());
    source.addEventListener("hello", function (e) {
      try { period = JSON.parse(e.data).period_ms || period; } catch (ignored) { /* keep 2 s */ }
      fresh();
    });
    source.addEventListener("figures", function (e) { swap(e.data); fresh(); });
    source.addEventListener("checked", function (e) {
      try {
        var checked = JSON.parse(e.data);
        var time = document.getElementById("situation-updated");
        if (time) { time.textContent = checked.label; time.setAttribute("datetime", checked.at); }
      } catch (ignored) { /* a malformed event changes nothing */ }
      fresh();
    });
    source.addEventListener("error", function () {
      failures += 1;
      // CLOSED: refused for good (401 logged out, 403, 503 too many screens); the polling's
      // first fetch sends a logged-out page to the login. CONNECTING: the browser retries.
      if (source.readyState === EventSource.CLOSED || failures >= MAX_FAILURES) { fallBack(); }
    });
  }

  // Stale: no event for two periods (and a second of slack); the next event clears it.
  window.setInterval(function () {
    var limit = polling ? 2 * POLL_MS + 1000 : 2 * period + 1000;
    if (Date.now() - lastEvent > limit) { say("stale"); }
  }, 1000);

  if (window.EventSource) { listen(); } else { fallBack(); }
}());
