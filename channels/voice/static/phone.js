// The phone simulator: sends each step to /sandbox/phone/step (signed there like Twilio),
// shows what the IVR says, and offers the keys and speech its Gather accepts.
"use strict";
(() => {
  const main = document.getElementById("main");
  const hook = main.dataset.hook;
  const $ = (id) => document.getElementById(id);
  const keys = Array.from(document.querySelectorAll("#keys button"));
  let call = "", gather = null, queue = null, queuedAt = 0;

  function line(text, cls, lang) {
    const li = document.createElement("li");
    li.className = cls;
    li.textContent = text;
    if (lang) li.lang = lang.slice(0, 2);
    $("transcript").appendChild(li);
  }

  function listen(accepting) {
    keys.forEach((b) => { b.disabled = !(accepting && accepting.includes("dtmf")); });
    $("speech").disabled = $("say").disabled = !(accepting && accepting.includes("speech"));
  }

  async function step(path, fields) {
    const response = await fetch("/sandbox/phone/step", {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": main.dataset.csrf},
      body: JSON.stringify(Object.assign({path: path, call: call}, fields || {})),
    });
    const data = await response.json();
    if (!response.ok) { $("status").textContent = data.error ? data.error.message : "Erreur"; return; }
    call = data.call;
    gather = null;
    let redirect = null;
    for (const action of data.actions) {
      if (action.verb === "Say") line(action.text, "say", action.language);
      else if (action.verb === "Play") line("(message enregistré : " + action.text + ")", "event");
      else if (action.verb === "Gather") { gather = action; break; }  // the rest: on silence
      else if (action.verb === "Pause") line("(pause de " + action.length + " s)", "event");
      else if (action.verb === "Redirect") redirect = action.text;
      else if (action.verb === "Enqueue") {
        queue = action; queuedAt = Date.now();
        line("(en file d'attente « " + action.text + " »)", "event");
        $("wait").disabled = false;
      } else if (action.verb === "Leave") line("(quitte la file d'attente)", "event");
      else if (action.verb === "Dial") line("(mise en relation avec " + action.to + ")", "event");
      else if (action.verb === "Hangup") { end("Le serveur vocal a raccroché."); return; }
    }
    listen(gather ? gather.input : null);
    $("status").textContent = gather ? "À vous : touche ou parole." :
      queue ? "En attente d'un conseiller." : "";
    if (queue && !gather && !redirect && data.actions.length && data.actions[data.actions.length - 1].verb === "Enqueue") {
      await step(queue.waitUrl, {QueuePosition: "1", QueueTime: "0"});  // Twilio's first wait round
    } else if (!gather && redirect) {
      await step(redirect);
    }
  }

  function end(message) {
    listen(null);
    $("hangup").disabled = true; $("wait").disabled = true; $("call").disabled = false;
    $("status").textContent = message;
    call = ""; queue = null;
  }

  $("call").addEventListener("click", async () => {
    $("transcript").textContent = "";
    call = ""; queue = null;
    $("call").disabled = true; $("hangup").disabled = false;
    await step(hook);
  });
  keys.forEach((b) => b.addEventListener("click", () => gather && step(gather.action, {Digits: b.dataset.key})));
  $("speech-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const words = $("speech").value.trim();
    if (!gather || !words) return;
    line(words, "caller");
    $("speech").value = "";
    await step(gather.action, {SpeechResult: words});
  });
  $("wait").addEventListener("click", () => queue && step(queue.waitUrl, {
    QueueTime: String(Math.round((Date.now() - queuedAt) / 1000))}));
  $("hangup").addEventListener("click", async () => {
    const active = call;
    if (queue) await step(queue.action, {QueueResult: "hangup",
      QueueTime: String(Math.round((Date.now() - queuedAt) / 1000))});
    call = active;
    await step(hook + "/status", {CallStatus: "completed"});
    end("Vous avez raccroché.");
  });
})();
