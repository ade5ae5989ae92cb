/* A pulse's page: every 3 seconds, fetch the same page with ?fragment=1 (the results region
   only, rendered and escaped by the server) and swap it in. Without this script the page
   works: its "Actualiser" link reloads it. */
(function () {
  "use strict";
  var problems = document.getElementById("pu-problems");
  if (problems) { problems.focus(); }  // the form came back: say why first
  var region = document.getElementById("pulse-live");
  if (!region || !window.fetch) { return; }
  var url = new URL(window.location.href);
  url.searchParams.set("fragment", "1");
  url.hash = "";

  function refresh() {
    fetch(url.toString(), {credentials: "same-origin", headers: {"Accept": "text/html"}})
      .then(function (response) {
        if (response.redirected) { window.location.reload(); throw new Error("signed out"); }
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.text();
      })
      .then(function (html) {
        var parsed = document.createElement("template");
        parsed.innerHTML = html;
        region.replaceChildren(parsed.content);
      })
      .catch(function () { /* keep the last figures: the time says how old they are */ })
      .then(function () { window.setTimeout(refresh, 3000); });
  }
  window.setTimeout(refresh, 3000);
}());
