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

  // A failed htmx request is shown, never left looking saved. htmx swaps nothing when
  // the answer is a 4xx/5xx, the server cannot be reached or it does not answer in time,
  // so a value typed into a week-grid cell stayed there as if logged. Here the cell or
  // row is marked (aria-invalid, .save-failed, a "Not saved" note) and #request-alert
  // says what happened. Refused input is not a failure: forms answer htmx with 200 and
  // their errors, which htmx swaps in as usual.
  var FAILED = "save-failed";

  function loginUrl() { return document.body.getAttribute("data-login-url") || "/login/"; }

  function isLoginAnswer(detail) {
    // A session that ended answers with the login page (a redirect the browser follows).
    var path = detail.pathInfo || {};
    return (path.responsePath || "").indexOf(loginUrl()) === 0 &&
      (path.requestPath || "").indexOf(loginUrl()) !== 0;
  }

  function failureText(evt) {
    var detail = evt.detail;
    var loading = ((detail.requestConfig && detail.requestConfig.verb) || "get") === "get";
    var head = loading ? "Could not load this part of the page" : "Not saved";
    var tail = loading ? " Reload the page to try again." : " Your change was not recorded: try again.";
    if (evt.type === "htmx:timeout") {
      return head + ": the server did not answer in time." +
        (loading ? tail : " Reload the page to see whether your change was recorded.");
    }
    if (evt.type === "htmx:sendError") return head + ": the server could not be reached." + tail;
    if (isLoginAnswer(detail)) return head + ": your session has ended. Log in again, then retry.";
    var xhr = detail.xhr;
    return head + ": the server answered " + xhr.status + (xhr.statusText ? " " + xhr.statusText : "") + "." + tail;
  }

  // The cell or row the person was working in: a week-grid cell's <td>, the row holding
  // the button that submitted the form (the entries panel's forms sit outside the table).
  function failedPlace(detail) {
    var cause = detail.requestConfig && detail.requestConfig.triggeringEvent;
    var from = (cause && cause.submitter) || detail.elt;
    return from.closest("td.cell, tr, form") || from;
  }

  function showFailure(evt) {
    var alert = document.getElementById("request-alert");
    if (alert) {
      alert.textContent = failureText(evt);
      alert.hidden = false;
    }
    var detail = evt.detail;
    if (((detail.requestConfig && detail.requestConfig.verb) || "get") === "get") return;
    var place = failedPlace(detail);
    place.classList.add(FAILED);
    place.classList.remove("cell-saved");
    var fields = detail.elt.matches("input, select, textarea") ? [detail.elt]
      : Array.prototype.slice.call(place.querySelectorAll("input:not([type=hidden]), select, textarea"));
    fields.forEach(function (field) {
      field.setAttribute("aria-invalid", "true");
      field.setAttribute("aria-describedby", "request-alert");
    });
    if (!place.querySelector(".unsaved-note")) {
      var note = document.createElement("span");
      note.className = "unsaved-note";
      note.textContent = "Not saved";
      (place.tagName === "TR" ? place.cells[place.cells.length - 1] : place).appendChild(note);
    }
  }

  document.addEventListener("htmx:beforeSwap", function (ev) {
    if (isLoginAnswer(ev.detail)) { ev.detail.shouldSwap = false; ev.detail.isError = true; }
    // A write that lost a lock race answers 503 with its message for #messages
    // (HX-Retarget): swap it in, and still mark the cell or row as not saved.
    if (ev.detail.xhr.status === 503) { ev.detail.shouldSwap = true; }
  });
  ["htmx:responseError", "htmx:sendError", "htmx:timeout"].forEach(function (name) {
    document.addEventListener(name, showFailure);
  });
  // Once no failed cell or row is left (saved again: htmx swapped it), the alert goes.
  // After the settle: until then htmx keeps the old element's classes on its new copy.
  document.addEventListener("htmx:afterSettle", function () {
    var alert = document.getElementById("request-alert");
    if (alert && !alert.hidden && !document.querySelector("." + FAILED)) {
      alert.hidden = true;
      alert.textContent = "";
    }
  });

  // Confirm before destructive htmx/forms actions: data-confirm="text".
  document.addEventListener("submit", function (ev) {
    var msg = ev.target.getAttribute && ev.target.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) ev.preventDefault();
  }, true);
})();
