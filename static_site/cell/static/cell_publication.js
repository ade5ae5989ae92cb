/* The publication form's alert block: a live count of the short message in SMS (GSM-7 or
   UCS-2 segments, with the alphabet the server sends from knowledge_base), and, while
   "Diffuser aux abonnés" is ticked, who would get it and how long sending takes, from
   GET /api/broadcasts/preview for the form's areas. Text only (textContent): nothing typed
   is ever put in the page as HTML. Without this script the form works as before. */
(function () {
  "use strict";
  var data = document.getElementById("publication-form-data");
  var push = document.getElementById("push");
  var sms = document.getElementById("sms");
  if (!data || !push || !sms) { return; }
  var config = JSON.parse(data.textContent);
  var words = config.words;
  var basic = new Set(Array.from(config.gsm7));
  var extended = new Set(Array.from(config.gsm7_extended));
  var count = document.getElementById("sms-count");
  var preview = document.getElementById("push-preview");
  var areas = document.getElementById("areas");
  var title = document.getElementById("title");
  var idField = document.getElementById("id");
  var langField = document.getElementById("plang");
  var lang = document.documentElement.lang === "en" ? "en" : "fr";
  var numbers = new Intl.NumberFormat(lang === "en" ? "en-GB" : "fr-FR");

  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (all, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : all;
    });
  }

  /* SMS segments: GSM-7 160 septets alone, 153 each when concatenated (an extended
     character takes two); UCS-2 70 UTF-16 units alone, 67 each when concatenated. */
  function segments(text) {
    var septets = 0, outside = null;
    Array.from(text).forEach(function (ch) {
      if (basic.has(ch)) { septets += 1; }
      else if (extended.has(ch)) { septets += 2; }
      else if (outside === null) { outside = ch; }
    });
    if (outside === null) {
      return {chars: septets, sms: septets <= 160 ? 1 : Math.ceil(septets / 153),
              encoding: "GSM-7", outside: null};
    }
    var units = text.length;
    return {chars: units, sms: units <= 70 ? 1 : Math.ceil(units / 67), encoding: "UCS-2",
            outside: outside};
  }

  /* The publication's address on the site, as long as the alert's link will be (the id is
     the id field, else a slug of the title: only its length matters here). */
  function link() {
    var id = idField.value.trim() || title.value.normalize("NFKD").replace(/[\u0300-\u036f]/g, "")
      .toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 80);
    var prefix = langField && langField.value !== "fr" ? "/" + langField.value : "";
    return config.site + prefix + "/publications/" + id + "/";
  }

  function line(text, warn) {
    var p = document.createElement("p");
    p.textContent = text;
    if (warn) { p.className = "warn"; }
    return p;
  }

  function updateCount() {
    var sentence = sms.value.trim();
    var shown = segments(sentence || title.value.trim());
    var full = segments((sentence || title.value.trim()) + " " + link() + " " + words.stop_hint);
    var lines = [];
    if (!sentence) { lines.push(line(words.title_sent)); }
    lines.push(line(fill(words.count, {chars: numbers.format(shown.chars), sms: shown.sms,
                                       encoding: shown.encoding}), shown.sms > 1));
    if (shown.outside !== null) { lines.push(line(fill(words.ucs2, {char: shown.outside}), true)); }
    lines.push(line(fill(words.count_full, {chars: numbers.format(full.chars), sms: full.sms}),
                    full.sms > 1));
    count.replaceChildren.apply(count, lines);
  }

  function duration(seconds) {
    var total = Math.round(seconds);
    if (total < 60) { return total + " s"; }
    var two = function (n) { return (n < 10 ? "0" : "") + n; };
    if (total < 3600) { return Math.floor(total / 60) + " min " + two(total % 60) + " s"; }
    return Math.floor(total / 3600) + " h " + two(Math.floor(total % 3600 / 60)) + " min";
  }

  /* "12 430 abonnés par SMS, 3 210 par Telegram ; envoi estimé : 2 h 05 min". */
  function sentence(body, national) {
    var parts = [];
    ["sms", "telegram", "email", "push"].forEach(function (channel) {
      var n = body.recipients[channel] || 0;
      if (!n) { return; }
      var key = parts.length ? "next" : (n === 1 ? "first.one" : "first.many");
      parts.push(fill(words[key], {n: numbers.format(n), channel: words["channel." + channel]}));
    });
    var start = national ? words.national : "";
    if (!parts.length) { return start + words.none; }
    return start + parts.join(", ") + words.sep + fill(words.eta, {d: duration(body.seconds)});
  }

  var asked = 0, timer = null;
  function updatePreview() {
    preview.hidden = !push.checked;
    if (!push.checked) { return; }
    var mine = ++asked;
    var codes = areas.value.trim();
    preview.textContent = words.loading;
    fetch("/api/broadcasts/preview?areas=" + encodeURIComponent(codes),
          {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) {
        if (response.status === 400) { throw new Error("areas"); }
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (body) { if (mine === asked) { preview.textContent = sentence(body, !codes); } })
      .catch(function (err) {
        if (mine === asked) { preview.textContent = err.message === "areas" ? words.bad_areas : words.failed; }
      });
  }
  function later() { window.clearTimeout(timer); timer = window.setTimeout(updatePreview, 400); }

  sms.addEventListener("input", updateCount);
  title.addEventListener("input", updateCount);
  idField.addEventListener("input", updateCount);
  if (langField) { langField.addEventListener("change", updateCount); }
  push.addEventListener("change", updatePreview);
  areas.addEventListener("input", later);
  updateCount();
  updatePreview();
}());
