/* The "receive the alerts" block: Web Push where the browser can, the e-mail form by fetch
   (the form still posts by itself without this script). Texts come from the block's data-
   attributes (the site's message table); requests go to the centre's API on this origin,
   without cookies (an anonymous subscription: no session, no CSRF token). */
(function () {
  "use strict";
  var block = document.getElementById("alertes");
  if (!block || !window.fetch) { return; }
  var form = block.querySelector("form");
  var status = block.querySelector(".alerts-status");
  var areasInput = block.querySelector("#alert-areas");
  var pushPart = block.querySelector(".alerts-push");
  var pushButton = block.querySelector(".alert-push");
  var stopButton = block.querySelector(".alert-push-stop");
  var lang = block.getAttribute("data-lang") || "fr";

  function say(key, values) {
    var text = block.getAttribute("data-msg-" + key) || "";
    Object.keys(values || {}).forEach(function (name) {
      text = text.replace("{" + name + "}", values[name]);
    });
    status.textContent = text;
  }

  function areaList() {
    return areasInput.value.split(/[\s,;]+/).filter(function (code) { return code; });
  }

  function send(method, path, body) {
    return fetch(path, {method: method, credentials: "omit",
                        headers: {"Content-Type": "application/json"},
                        body: JSON.stringify(body)}).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          throw new Error((data.error && data.error.message) || String(response.status));
        }
        return data;
      });
    });
  }

  function keyBytes(base64url) {
    var text = (base64url + "===".slice((base64url.length + 3) % 4))
      .replace(/-/g, "+").replace(/_/g, "/");
    var raw = window.atob(text);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i += 1) { bytes[i] = raw.charCodeAt(i); }
    return bytes;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    say("working");
    send("POST", "/api/alerts/email", {email: form.elements.email.value,
                                       areas: areaList(), lang: lang})
      .then(function () { say("email-sent"); })
      .catch(function (error) { say("failed", {reason: error.message}); });
  });

  var canPush = "serviceWorker" in navigator && "PushManager" in window &&
    "Notification" in window && window.isSecureContext;
  if (!canPush) { return; }  // the push part stays hidden: e-mail is offered
  pushPart.hidden = false;
  var registering = navigator.serviceWorker.register("/sw.js", {scope: "/"});

  function showStop(subscription) { stopButton.hidden = !subscription; }
  registering.then(function (registration) {
    return registration.pushManager.getSubscription();
  }).then(showStop).catch(function () { /* no push service: the button will say so */ });

  pushButton.addEventListener("click", function () {
    if (!areasInput.reportValidity()) { return; }
    if (Notification.permission === "denied") { say("denied"); return; }
    say("working");
    Notification.requestPermission().then(function (permission) {
      if (permission !== "granted") { throw new Error("denied"); }
      return Promise.all([registering.then(function () {
        return navigator.serviceWorker.ready;
      }), fetch("/api/alerts/push/key", {credentials: "omit"}).then(function (r) {
        return r.json();
      })]);
    }).then(function (both) {
      return both[0].pushManager.subscribe({userVisibleOnly: true,
                                            applicationServerKey: keyBytes(both[1].publicKey)});
    }).then(function (subscription) {
      return send("POST", "/api/alerts/push", {subscription: subscription.toJSON(),
                                               areas: areaList(), lang: lang})
        .then(function (data) {
          showStop(subscription);
          say("subscribed", {areas: data.areas.join(", ")});
        });
    }).catch(function (error) {
      if (error.message === "denied") { say("denied"); }
      else if (error.name === "AbortError" || error.name === "NotSupportedError" ||
               error.name === "NotAllowedError") { say("unavailable"); }
      else { say("failed", {reason: error.message}); }
    });
  });

  stopButton.addEventListener("click", function () {
    registering.then(function (registration) {
      return registration.pushManager.getSubscription();
    }).then(function (subscription) {
      if (!subscription) { return null; }
      return send("DELETE", "/api/alerts/push", {subscription: subscription.toJSON()})
        .then(function () { return subscription.unsubscribe(); });
    }).then(function () {
      showStop(null);
      say("unsubscribed");
    }).catch(function (error) { say("failed", {reason: error.message}); });
  });
}());
