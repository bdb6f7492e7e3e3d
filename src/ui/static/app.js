// MCIAS console behaviour: copy buttons and confirmations. Loaded as a file (CSP allows
// only 'self' scripts); no inline handlers, no eval.
(function () {
  "use strict";
  document.addEventListener("click", function (ev) {
    var btn = ev.target instanceof Element ? ev.target.closest("[data-copy]") : null;
    if (!btn) return;
    var el = document.getElementById(btn.getAttribute("data-copy"));
    if (!el) return;
    var text = el.textContent || "";
    var done = function () { btn.textContent = "Copied"; setTimeout(function () { btn.textContent = "Copy"; }, 2000); };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(done, function () { selectText(el); });
    } else {
      selectText(el);
    }
  });
  function selectText(el) {
    var r = document.createRange();
    r.selectNodeContents(el);
    var sel = window.getSelection();
    if (sel) { sel.removeAllRanges(); sel.addRange(r); }
  }
  // Forms marked data-confirm ask before a destructive submit (works with and without htmx boost).
  document.addEventListener("submit", function (ev) {
    var f = ev.target;
    if (f instanceof HTMLFormElement && f.hasAttribute("data-confirm") && !window.confirm(f.getAttribute("data-confirm"))) {
      ev.preventDefault();
      ev.stopImmediatePropagation();
    }
  }, true);
  // Copy buttons only make sense with JavaScript; reveal them now.
  function reveal() { document.querySelectorAll("[data-copy][hidden]").forEach(function (b) { b.hidden = false; }); }
  document.addEventListener("DOMContentLoaded", reveal);
  document.addEventListener("htmx:afterSettle", reveal);
})();
