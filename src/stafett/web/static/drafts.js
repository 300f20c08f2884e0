// Nothing typed is lost: what a person writes in a form marked `data-draft` is kept in this
// tab's sessionStorage until a page confirms the write. A session that timed out, a lost
// connection or a closed page brings the text back when the form is shown again (after
// logging in). Passwords and codes are never kept: only forms marked data-draft, and
// never their password or hidden fields (nor a password shown as text: password.js). sessionStorage ends with the tab, and logging
// out clears it (Clear-Site-Data).
//
// A draft belongs to the person who typed it. Every page of a logged-in person names
// them (`data-draft-owner` on <body>: a digest, not an identifier); the first such page
// of another person in this tab drops every draft kept before, so on a shared computer
// the next person never sees, nor sends, what the last one typed.
//
// Forms that htmx swaps into the page are handled as those of a page that loads.
(function () {
  "use strict";
  var PREFIX = "stafett:";
  var SUBMITTED = "stafett:submitted";
  var RETURN = "stafett:return";
  var OWNER = "stafett:owner";

  function keyOf(form) {
    return "stafett:draft:" + (form.getAttribute("action") || location.pathname) + "#" +
      (form.getAttribute("data-draft") || "");
  }

  function fields(form) {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && el.name !== "csrf_token" && el.name !== "expected_version" &&
        el.type !== "password" && el.type !== "hidden" && el.type !== "submit" &&
        el.type !== "file" && !el.hasAttribute("data-reveal");
    });
  }

  function save(form) {
    var values = {};
    fields(form).forEach(function (el) {
      if (el.type === "checkbox" || el.type === "radio") {
        if (el.checked) { values[el.name + "=" + el.value] = true; }
      } else if (el.value) {
        values[el.name] = el.value;
      }
    });
    try { sessionStorage.setItem(keyOf(form), JSON.stringify(values)); } catch (e) { /* full or off */ }
  }

  // A form the server shows back (refused, after a conflict, or kept over a login:
  // `data-draft-shown`) holds what was typed already, and after a conflict the fields
  // the person left alone hold what others saved since: a draft filled into one of
  // those left empty would put back what someone else emptied. A form the server fills
  // in (a reply to a message: its sender, its subject) is marked so too: an older
  // draft of the form would tick more recipients and put in another text.
  function restore(form) {
    if (form.hasAttribute("data-draft-shown")) { return; }
    var stored;
    try { stored = JSON.parse(sessionStorage.getItem(keyOf(form)) || "null"); } catch (e) { stored = null; }
    if (!stored) { return; }
    var restored = false;
    fields(form).forEach(function (el) {
      if (el.type === "checkbox" || el.type === "radio") {
        if (stored[el.name + "=" + el.value] && !el.checked) { el.checked = true; restored = true; }
      } else if (!el.value && typeof stored[el.name] === "string") {
        el.value = stored[el.name];
        restored = true;
      }
    });
    if (restored) { form.setAttribute("data-draft-restored", ""); }
  }

  // Another person's first page in this tab: what was kept before is not theirs.
  function ownedBy(owner) {
    if (sessionStorage.getItem(OWNER) === owner) { return; }
    // The keys first: removing one may reorder the rest, so an index could skip one.
    var keys = [];
    for (var i = 0; i < sessionStorage.length; i++) { keys.push(sessionStorage.key(i)); }
    keys.forEach(function (key) {
      if (key && key.indexOf(PREFIX) === 0) { sessionStorage.removeItem(key); }
    });
    sessionStorage.setItem(OWNER, owner);
  }

  // Sent to the login page by an expired session: come back to the form's page afterwards
  // (unless the server kept the form itself and returns to it: `kept=1`, pages/kept.py).
  function returnAfterLogin() {
    var back = sessionStorage.getItem(RETURN);
    var next = document.querySelector("form[action='/login'] input[name='next']");
    if (back && next && /[?&]expired=1/.test(location.search) && back.charAt(0) === "/" &&
        back.charAt(1) !== "/" && !/[?&]kept=1/.test(next.value)) {
      next.value = back;
    }
  }

  function bind(form) {
    if (form.stafettDraft) { return; }
    form.stafettDraft = true;
    restore(form);
    form.addEventListener("input", function () { save(form); });
    form.addEventListener("change", function () { save(form); });
    form.addEventListener("submit", function () {
      save(form);
      sessionStorage.setItem(SUBMITTED, keyOf(form));
      // Back to this page after a login, at the form (its block's id is its key).
      var anchor = form.getAttribute("data-draft");
      var at = anchor && document.getElementById(anchor) ? "#" + anchor : "";
      sessionStorage.setItem(RETURN, location.pathname + location.search + at);
    });
  }

  // A page, or a part of one htmx swapped in: a confirmed write ends its form's draft
  // (before the forms shown are filled from what is kept). Only a write done says so
  // (`data-confirmation="done"`); a notice (`"notice"`: a code sent for the step-up a form's
  // action waits for, a login step) is no write, and the draft waits for the form's return.
  function settle(root) {
    var confirmed = root.querySelector("[data-confirmation='done']");
    var submitted = sessionStorage.getItem(SUBMITTED);
    if (confirmed && submitted) { sessionStorage.removeItem(submitted); }
    if (confirmed) { sessionStorage.removeItem(SUBMITTED); }
    root.querySelectorAll("form[data-draft]").forEach(bind);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var owner = document.body.getAttribute("data-draft-owner");
    if (owner) { ownedBy(owner); }
    returnAfterLogin();
    settle(document);
    document.body.addEventListener("htmx:afterSwap", function () { settle(document); });
  });
})();
