// Web-chat widget: vanilla JS, no dependency. Loaded only when the citizen opens the chat.
// It keeps the conversation token, the last message seen and the unacknowledged messages in
// localStorage, so a dropped network or a reload neither loses nor duplicates a message.
(function () {
  "use strict";
  var root = document.getElementById("crisis-chat");
  if (!root) { return; }
  var lang = document.documentElement.lang === "en" ? "en" : "fr";
  var T = {
    fr: { you: "Vous", adviser: "Conseiller", auto: "Réponse automatique", send: "Envoyer",
          label: "Votre message", offline: "Connexion perdue, nouvelle tentative…", online: "Connecté" },
    en: { you: "You", adviser: "Adviser", auto: "Automatic answer", send: "Send",
          label: "Your message", offline: "Connection lost, retrying…", online: "Connected" }
  }[lang];
  var store = window.localStorage;
  var state = JSON.parse(store.getItem("crisis-chat") || "{}");
  state.pending = state.pending || [];
  var shown = {};
  var socket = null, delay = 500, retrying = null;

  root.innerHTML = "";
  var status = el("p", { "class": "chat-status", role: "status" });
  var log = el("ol", { "class": "chat-log", "aria-live": "polite", "aria-label": "Conversation" });
  var form = el("form", { "class": "chat-form" });
  var label = el("label", { "for": "crisis-chat-input" }); label.textContent = T.label;
  var input = el("textarea", { id: "crisis-chat-input", rows: "2", maxlength: "1000", required: "" });
  var button = el("button", { type: "submit" }); button.textContent = T.send;
  // The chat's own way to reach an adviser (SMS citizens reply 0): what it sends and its
  // label come from the server's welcome, in the page's language.
  var adviser = el("button", { type: "button", "class": "chat-ask-adviser", hidden: "" });
  form.append(label, input, button, adviser);
  root.append(status, log, form);

  function el(name, attrs) {
    var node = document.createElement(name);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    return node;
  }
  function save() { store.setItem("crisis-chat", JSON.stringify(state)); }
  function show(author, text, key, html) {
    if (key && shown[key]) { return; }
    if (key) { shown[key] = true; }
    var item = el("li", { "class": "chat-" + author });
    var who = el("strong", {}); who.textContent = (T[author] || T.adviser) + " : ";
    var body;
    if (html) {
      // Only the centre's automatic answers carry html: rendered from validated Markdown and
      // sanitised by the server. Everything else, the citizen's text above all, is text.
      body = el("div", { "class": "chat-text chat-formatted" }); body.innerHTML = html;
    } else {
      body = el("span", { "class": "chat-text" }); body.textContent = text;
    }
    item.append(who, body); log.append(item); item.scrollIntoView({ block: "nearest" });
  }
  function send(text) {
    var message = { id: "w" + Date.now().toString(36) + Math.random().toString(36).slice(2, 8), text: text };
    state.pending.push(message); save();
    show("you", text, "c:" + message.id);
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify({ type: "message", id: message.id, text: text }));
    }
  }
  function sendPending() {
    state.pending.forEach(function (m) {
      socket.send(JSON.stringify({ type: "message", id: m.id, text: m.text }));
    });
  }
  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + "/chat/ws");
    socket.onopen = function () {
      delay = 500; status.textContent = T.online;
      socket.send(JSON.stringify({ type: "hello", token: state.token || null,
                                   since: state.since || null, lang: lang }));
    };
    socket.onmessage = function (event) {
      var data = JSON.parse(event.data);
      if (data.type === "welcome") {
        state.token = data.token; save(); sendPending();
        if (data.adviser) {
          adviser.textContent = data.adviser.label; adviser.dataset.text = data.adviser.text;
          adviser.hidden = false;
        }
      }
      else if (data.type === "ack") {
        status.textContent = T.online;   // a waiting message got through: the warning is over
        state.pending = state.pending.filter(function (m) { return m.id !== data.id; }); save();
      } else if (data.type === "message") {
        if (data.author === "citizen") { show("you", data.text, "c:" + data.client_id); }
        else { show(data.author === "auto" ? "auto" : "adviser", data.text, "s:" + data.id,
                    data.author === "auto" ? data.html : null); }
        state.since = data.id; save();
      } else if (data.type === "error") {
        status.textContent = data.message;
        // Over the per-address limit, or the centre too far behind, the message was not
        // taken: it stays pending and goes again once the wait has passed.
        if ((data.code === "rate_limited" || data.code === "busy") && data.retry_after
            && !retrying) {
          retrying = setTimeout(function () {
            retrying = null;
            if (socket && socket.readyState === WebSocket.OPEN) { sendPending(); }
          }, data.retry_after * 1000);
        }
      }
    };
    socket.onclose = function () {
      status.textContent = T.offline;
      setTimeout(connect, delay); delay = Math.min(delay * 2, 15000);
    };
  }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) { return; }
    send(text);
    input.value = "";
  });
  adviser.addEventListener("click", function () { send(adviser.dataset.text); });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); form.requestSubmit(); }
  });
  state.pending.forEach(function (m) { show("you", m.text, "c:" + m.id); });
  connect();
})();
