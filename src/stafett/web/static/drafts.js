// Nothing typed is lost: what a person writes in a form marked `data-draft` is kept in this
// tab's sessionStorage until a page confirms the write. A session that timed out, a lost
// connection or a closed page brings the text back when the form is shown again (after
// logging in). Passwords and codes are never kept: only forms marked data-draft, and
// never their password fields. sessionStorage ends with the tab.
(function () {
  "use strict";
  var SUBMITTED = "stafett:submitted";
  var RETURN = "stafett:return";

  function keyOf(form) {
    return "stafett:draft:" + (form.getAttribute("action") || location.pathname) + "#" +
      (form.getAttribute("data-draft") || "");
  }

  function fields(form) {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && el.name !== "csrf_token" && el.name !== "expected_version" &&
        el.type !== "password" && el.type !== "hidden" && el.type !== "submit" &&
        el.type !== "file";
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

  function restore(form) {
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

  // Sent to the login page by an expired session: come back to the form's page afterwards.
  function returnAfterLogin() {
    var back = sessionStorage.getItem(RETURN);
    var next = document.querySelector("form[action='/login'] input[name='next']");
    if (back && next && /[?&]expired=1/.test(location.search) && back.charAt(0) === "/" &&
        back.charAt(1) !== "/") {
      next.value = back;
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    returnAfterLogin();
    var confirmed = document.querySelector("[data-confirmation]");
    var submitted = sessionStorage.getItem(SUBMITTED);
    if (confirmed && submitted) { sessionStorage.removeItem(submitted); }
    if (confirmed) { sessionStorage.removeItem(SUBMITTED); }
    document.querySelectorAll("form[data-draft]").forEach(function (form) {
      restore(form);
      form.addEventListener("input", function () { save(form); });
      form.addEventListener("change", function () { save(form); });
      form.addEventListener("submit", function () {
        save(form);
        sessionStorage.setItem(SUBMITTED, keyOf(form));
        sessionStorage.setItem(RETURN, location.pathname + location.search);
      });
    });
  });
})();
