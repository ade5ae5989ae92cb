/* The cell's knowledge-base page: an article's "select all" box ticks or unticks its phrasings
   and follows them (ticked when all are, mixed when some are). Without this script the box
   still works: the server takes it as every phrasing of its article. (After a decision the
   redirect's #alternates-notice fragment focuses the message, with or without this script.) */
(function () {
  "use strict";
  var form = document.querySelector("form.kb-alternates");
  if (!form) { return; }

  function phrasings(article) {
    return Array.prototype.slice.call(
      form.querySelectorAll('input[name="ids"][data-article="' + CSS.escape(article) + '"]'));
  }

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
