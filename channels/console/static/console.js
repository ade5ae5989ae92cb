// Operator console: keyboard shortcuts and live updates. Pages work without it (plain forms
// and links); this script only makes them faster. Citizen text is never put in the page as
// HTML here: fragments come already escaped from the server, inserts go through .value.
(function () {
  "use strict";
  var body = document.body;
  var kind = body.getAttribute("data-page");
  var conversation = body.getAttribute("data-conversation");
  var live = document.getElementById("live");
  var reply = document.getElementById("reply");
  var articleField = document.getElementById("article-id");

  function announce(text) { if (live) { live.textContent = text; } }
  function typing(target) {
    var name = target && target.tagName;
    return name === "INPUT" || name === "TEXTAREA" || name === "SELECT" || (target && target.isContentEditable);
  }

  // Inserting a suggestion or a canned reply at the cursor, then back to editing.
  function insertText(text, articleId) {
    if (!reply) { return; }
    var start = reply.selectionStart, end = reply.selectionEnd;
    if (!reply.value.trim()) { reply.value = text; }
    else { reply.setRangeText(text, start, end, "end"); }
    if (articleField && articleId !== undefined) { articleField.value = articleId; }
    reply.focus();
  }
  function insertSuggestion(n) {
    // The shown answer is formatted; the reply box gets the plain text of the conversation's
    // channel, carried by the link (the SMS form for SMS).
    var link = document.querySelector('[data-insert="' + n + '"]');
    if (link) { insertText(link.getAttribute("data-text"), link.getAttribute("data-article")); }
  }
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-insert], a[data-canned]");
    if (!link) { return; }
    event.preventDefault();
    if (link.hasAttribute("data-insert")) { insertSuggestion(link.getAttribute("data-insert")); }
    else { insertText(link.getAttribute("data-canned")); }
  });

  function move(step) {
    var items = Array.prototype.slice.call(document.querySelectorAll("[data-nav-item]"));
    if (!items.length) { return; }
    var index = items.indexOf(document.activeElement);
    index = index < 0 ? (step > 0 ? 0 : items.length - 1)
                      : Math.min(items.length - 1, Math.max(0, index + step));
    items[index].focus();
  }

  document.addEventListener("keydown", function (event) {
    var digit = /^(?:Digit|Numpad)([1-3])$/.exec(event.code || "");
    if (event.altKey && !event.ctrlKey && digit) {
      event.preventDefault(); insertSuggestion(digit[1]); return;
    }
    if (event.altKey && !event.ctrlKey && event.code === "KeyR" && reply) {
      event.preventDefault(); reply.focus(); return;
    }
    var target = document.getElementById("target");
    if (event.altKey && !event.ctrlKey && event.code === "KeyT" && target) {
      event.preventDefault(); target.focus(); return;
    }
    if ((event.ctrlKey || event.metaKey) && event.key === "Enter" && reply) {
      event.preventDefault(); reply.form.requestSubmit(); return;
    }
    if (typing(event.target) || event.altKey || event.ctrlKey || event.metaKey) { return; }
    if (event.key === "j") { event.preventDefault(); move(1); }
    else if (event.key === "k") { event.preventDefault(); move(-1); }
    else if (event.key === "Escape" && kind === "conversation") {
      var back = document.getElementById("back");
      if (back) { window.location.assign(back.getAttribute("href")); }
    }
  });

  // Live updates: refetch the server-rendered part the event concerns (debounced).
  function refresh(id) {
    var region = document.getElementById(id);
    if (!region) { return; }
    fetch(region.getAttribute("data-src"), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html === null) { return; }
        // Where the focus is now, not when the fetch started: a key pressed meanwhile counts.
        var focused = document.activeElement && region.contains(document.activeElement)
          ? document.activeElement.getAttribute("href") : null;
        region.innerHTML = html;   // server-rendered, escaped
        if (focused) {
          var again = region.querySelector('a[href="' + CSS.escape(focused) + '"]');
          if (again) { again.focus(); }
        }
      });
  }
  var pending = null;
  function onEvent(event) {
    if (kind === "conversation" && event.conversation !== conversation) { return; }
    if (pending) { return; }
    pending = setTimeout(function () {
      pending = null;
      if (kind === "index") { refresh("panel"); }
      else if (kind === "conversation") { refresh("history"); }
      else if (kind === "supervisor" && !typing(document.activeElement)) { window.location.reload(); }
      announce(live.getAttribute("data-update").replace("{what}", event.type));
    }, 200);
  }
  var delay = 500;
  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + location.host + "/console/ws");
    socket.onopen = function () {
      delay = 500; body.setAttribute("data-live", "on");
      // Whatever happened between the page's rendering and now was not relayed: catch up.
      if (kind === "index") { refresh("panel"); }
      else if (kind === "conversation") { refresh("history"); }
    };
    socket.onmessage = function (message) {
      try { onEvent(JSON.parse(message.data)); } catch (err) { /* not ours: ignore */ }
    };
    socket.onclose = function () {
      body.setAttribute("data-live", "off");
      announce(live.getAttribute("data-offline"));
      setTimeout(connect, delay); delay = Math.min(delay * 2, 15000);
    };
  }
  connect();
})();
