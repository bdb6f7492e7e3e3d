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
  // The phone menu: a button opens and closes the nav (hidden by CSS only once this runs).
  document.documentElement.classList.add("js-nav");
  document.addEventListener("click", function (ev) {
    var btn = ev.target instanceof Element ? ev.target.closest(".nav-toggle") : null;
    if (!btn) return;
    var nav = document.getElementById(btn.getAttribute("aria-controls"));
    var header = btn.closest("header");
    if (!nav) return;
    var open = !nav.classList.contains("open");
    nav.classList.toggle("open", open);
    if (header) header.classList.toggle("open", open);
    btn.setAttribute("aria-expanded", open ? "true" : "false");
  });
  // Copy buttons only make sense with JavaScript; reveal them now.
  function reveal() {
    document.querySelectorAll("[data-copy][hidden], .nav-toggle[hidden]").forEach(function (b) { b.hidden = false; });
  }
  document.addEventListener("DOMContentLoaded", reveal);
  document.addEventListener("htmx:afterSettle", reveal);
})();
