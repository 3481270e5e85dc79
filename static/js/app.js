// Billable: small progressive enhancements. Everything works without them except the tabs.
(function () {
  "use strict";

  // Accessible tabs: <div role="tablist"> of <button role="tab" aria-controls="panel-id">.
  function activateTab(tab) {
    var list = tab.closest("[role=tablist]");
    list.querySelectorAll("[role=tab]").forEach(function (t) {
      var selected = t === tab;
      t.setAttribute("aria-selected", selected ? "true" : "false");
      t.tabIndex = selected ? 0 : -1;
      var panel = document.getElementById(t.getAttribute("aria-controls"));
      if (panel) panel.hidden = !selected;
    });
    if (tab.id && history.replaceState) history.replaceState(null, "", "#" + tab.id);
  }

  document.addEventListener("click", function (ev) {
    var tab = ev.target.closest("[role=tab]");
    if (tab) { ev.preventDefault(); activateTab(tab); }
  });

  document.addEventListener("keydown", function (ev) {
    var tab = ev.target.closest && ev.target.closest("[role=tab]");
    if (!tab || (ev.key !== "ArrowRight" && ev.key !== "ArrowLeft")) return;
    var tabs = Array.prototype.slice.call(tab.closest("[role=tablist]").querySelectorAll("[role=tab]"));
    var i = tabs.indexOf(tab) + (ev.key === "ArrowRight" ? 1 : -1);
    var next = tabs[(i + tabs.length) % tabs.length];
    next.focus();
    activateTab(next);
  });

  document.addEventListener("DOMContentLoaded", function () {
    if (location.hash) {
      var tab = document.getElementById(location.hash.slice(1));
      if (tab && tab.getAttribute("role") === "tab") activateTab(tab);
    }
  });

  // A write that lost a lock race answers 503 with its message for #messages
  // (HX-Retarget); htmx swaps no error response unless told to.
  document.addEventListener("htmx:beforeSwap", function (ev) {
    if (ev.detail.xhr.status === 503) { ev.detail.shouldSwap = true; ev.detail.isError = false; }
  });

  // Confirm before destructive htmx/forms actions: data-confirm="text".
  document.addEventListener("submit", function (ev) {
    var msg = ev.target.getAttribute && ev.target.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) ev.preventDefault();
  }, true);
})();
