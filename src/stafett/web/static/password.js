// A password can be seen while it is typed (SEC-PWP-07): after each password field that
// offers it (`data-reveal`, from the field macro) a button shows the password as text and
// hides it again. It is hidden again before its form is sent, so a password manager sees
// a password field, and drafts never keep it (drafts.js skips `data-reveal` fields, and
// the server keeps no password field of a form). Without scripts the field stays hidden:
// there is then no button that would do nothing.
(function () {
  "use strict";

  function hide(input, button) {
    input.type = "password";
    button.textContent = input.getAttribute("data-reveal");
  }

  function offer(input) {
    if (input.hasAttribute("data-reveal-offered")) { return; }
    input.setAttribute("data-reveal-offered", "");
    var button = document.createElement("button");
    button.type = "button";
    button.className = "ds-button password-reveal";
    button.setAttribute("data-variant", "tertiary");
    button.setAttribute("data-size", "sm");
    button.setAttribute("aria-controls", input.id);
    button.textContent = input.getAttribute("data-reveal");
    button.addEventListener("click", function () {
      if (input.type === "password") {
        input.type = "text";
        button.textContent = input.getAttribute("data-conceal");
      } else {
        hide(input, button);
      }

    });
    input.insertAdjacentElement("afterend", button);
    if (input.form) {
      input.form.addEventListener("submit", function () { hide(input, button); });
    }
  }

  function offerAll(root) {
    Array.prototype.forEach.call(root.querySelectorAll("input[data-reveal]"), offer);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { offerAll(document); });
  } else {
    offerAll(document);
  }
  document.addEventListener("htmx:load", function (event) { offerAll(event.target); });
})();
