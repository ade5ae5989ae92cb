/* The site's service worker: it only shows the centre's alerts (no fetch handler, no cache:
   the pages are always the network's). A push carries {title, body, url, lang}, encrypted
   by the push service's protocol to this browser; a click opens the URL (the site's). */
"use strict";

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

self.addEventListener("push", function (event) {
  var data = {};
  if (event.data) {
    try { data = event.data.json(); } catch (error) { data = {body: event.data.text()}; }
  }
  var url = new URL(data.url || "/", self.location.origin);
  if (url.protocol !== "https:" && url.origin !== self.location.origin) {
    url = new URL("/", self.location.origin);  // only the site or an https page is opened
  }
  event.waitUntil(self.registration.showNotification(data.title || "Alerte", {
    body: data.body || "", lang: data.lang || "fr", icon: "/favicon.svg",
    tag: data.url || "alerte", data: {url: url.href}
  }));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var target = (event.notification.data && event.notification.data.url) || "/";
  event.waitUntil(self.clients.matchAll({type: "window", includeUncontrolled: true})
    .then(function (windows) {
      for (var i = 0; i < windows.length; i += 1) {
        if (windows[i].url === target && "focus" in windows[i]) { return windows[i].focus(); }
      }
      return self.clients.openWindow(target);
    }));
});
