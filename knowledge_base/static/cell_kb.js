/* The cell's knowledge-base page: an article's "select all" box ticks or unticks its phrasings
   and follows them (ticked when all are, mixed when some are). Without this script the box
   still works: the server takes it as every phrasing of its article. (After a decision the
   redirect's #alternates-notice fragment focuses the message, with or without this script.)
   Keys (listed on the page): j / k next / previous box, Space ticks it, a ticks or unticks the
   focused phrasing's whole article, Alt+V validates and Alt+R refuses the selection: hundreds
   of proposals are decided without tabbing past each one. */
(function () {
  "use strict";
  var form = document.querySelector("form.kb-alternates");
  if (!form) { return; }

  function phrasings(article) {
    return Array.prototype.slice.call(
      form.querySelectorAll('input[name="ids"][data-article="' + CSS.escape(article) + '"]'));
  }

  function boxes() {
    return Array.prototype.slice.call(form.querySelectorAll('input[type="checkbox"]'));
  }

  function decide(value) {
    var button = form.querySelector('button[name="decision"][value="' + value + '"]');
    if (button) { form.requestSubmit(button); }
  }

  document.addEventListener("keydown", function (event) {
    if (event.altKey && !event.ctrlKey && !event.metaKey && (event.code === "KeyV" || event.code === "KeyR")) {
      event.preventDefault(); decide(event.code === "KeyV" ? "validate" : "reject"); return;
    }
    var target = event.target;
    var typing = target && (target.tagName === "TEXTAREA" ||
                            (target.tagName === "INPUT" && target.type !== "checkbox"));
    if (typing || event.altKey || event.ctrlKey || event.metaKey) { return; }
    if (event.key === "j" || event.key === "k") {
      var all = boxes();
      var index = all.indexOf(document.activeElement);
      var step = event.key === "j" ? 1 : -1;
      index = index < 0 ? (step > 0 ? 0 : all.length - 1) : Math.min(all.length - 1, Math.max(0, index + step));
      if (all[index]) { event.preventDefault(); all[index].focus(); }
    } else if (event.key === "a" && target && target.dataset && target.dataset.article) {
      var selectAll = form.querySelector('input[data-select-all="' + CSS.escape(target.dataset.article) + '"]');
      if (selectAll) {
        event.preventDefault();
        selectAll.checked = !selectAll.checked;
        selectAll.dispatchEvent(new Event("change", { bubbles: true }));
      }
    }
  });

  form.addEventListener("change", function (event) {
    var box = event.target;
    if (box.dataset.selectAll) {
      phrasings(box.dataset.selectAll).forEach(function (one) { one.checked = box.checked; });
    } else if (box.dataset.article) {
      var all = form.querySelector('input[data-select-all="' + CSS.escape(box.dataset.article) + '"]');
      var boxes = phrasings(box.dataset.article);
      var ticked = boxes.filter(function (one) { return one.checked; }).length;
      all.checked = ticked === boxes.length;
      all.indeterminate = ticked > 0 && ticked < boxes.length;
    }
  });
}());
