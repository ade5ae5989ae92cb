// Answering calls in the console's browser tab with the Twilio Voice JS SDK (vendored beside
// this file: twilio-voice-sdk.min.js, never from a CDN). Shown only when the centre has an
// API key and a TwiML App (channels/voice/browser_phone.py). The operator presses "Répondre
// dans le navigateur": the page gets an access token (GET /api/voice/token), registers the
// browser with Twilio, then saves client:<name> as where their calls go. "Prendre
// l'appel" is then sent without leaving the page (a reload would drop the registration), and
// the call that Twilio puts through (<Dial><Client>) is answered here.
(function () {
  "use strict";
  var section = document.getElementById("browser-phone");
  if (!section) { return; }
  var button = document.getElementById("answer-in-browser");
  var status = document.getElementById("browser-phone-status");
  var takeForm = document.getElementById("take-call-form");
  var device = null;
  var REGISTER_TIMEOUT_MS = 10000;  // then say so: the operator takes the call by phone

  function say(key) { status.textContent = section.getAttribute("data-msg-" + key) || ""; }

  function csrf() {
    var field = takeForm && takeForm.querySelector("input[name=csrf_token]");
    return field ? field.value : "";
  }

  function token() {
    return fetch("/api/voice/token", {credentials: "same-origin",
                                      headers: {"Accept": "application/json"}})
      .then(function (response) {
        if (!response.ok) { throw new Error("token " + response.status); }
        return response.json();
      });
  }

  function post(url, fields) {
    var body = new URLSearchParams(fields);
    body.set("csrf_token", csrf());
    return fetch(url, {method: "POST", body: body, credentials: "same-origin",
                       redirect: "manual"}).then(function (response) {
      // The console's forms answer 303 back to the page: an opaque redirect here.
      if (response.type !== "opaqueredirect" && !response.ok) {
        throw new Error(url + " " + response.status);
      }
    });
  }

  function answer(call) {
    call.on("disconnect", function () { say("ended"); });
    call.on("cancel", function () { say("ready"); });
    call.accept();
    say("talking");
  }

  // Twilio out of reach (or refusing): nothing was saved, the operator's phone still rings.
  function giveUp() {
    say("error");
    if (device) {
      var gone = device;
      device = null;
      gone.destroy();
    }
    button.disabled = false;
  }

  function start(grant) {
    device = new window.Twilio.Device(grant.token, {closeProtection: true});
    // No ringtones: they would be fetched from Twilio's sound servers; the page says it.
    device.audio.incoming(false);
    device.audio.outgoing(false);
    device.audio.disconnect(false);
    device.on("error", function () {
      if (device && device.state === "registered") { say("error"); } else { giveUp(); }
    });
    device.on("incoming", answer);
    device.on("tokenWillExpire", function () {
      token().then(function (fresh) { device.updateToken(fresh.token); });
    });
    var late = window.setTimeout(function () {
      if (device && device.state !== "registered") { giveUp(); }
    }, REGISTER_TIMEOUT_MS);
    // Calls go to this browser only once Twilio knows it: the address is saved then.
    device.on("registered", function () {
      window.clearTimeout(late);
      post("/console/voice-address", {address: grant.address, next: window.location.pathname})
        .then(function () { say("ready"); })
        .catch(function () { say("error"); });
    });
    return device.register();
  }

  button.addEventListener("click", function () {
    if (!window.Twilio || !window.Twilio.Device) { say("error"); return; }
    button.disabled = true;
    say("connecting");
    token().then(start).catch(giveUp);
  });

  if (takeForm) {
    takeForm.addEventListener("submit", function (event) {
      if (!device || device.state !== "registered") { return; }  // the usual form post
      event.preventDefault();
      say("bridging");
      post(takeForm.getAttribute("action"), {}).catch(function () { say("error"); });
    });
  }
}());
