// A session about to end for want of use says so two minutes before (SEC-SES-04): a
// logged-in page names, on <body>, how many seconds of quiet the server allows it at the
// least (`data-session-idle`). Two minutes before, a notice asks whether to stay logged
// in; its button asks the server about the session (which counts as use) and starts
// the count again. At the end the notice says the session is over, with a way back
// that returns here after the login; drafts.js has kept what was typed. Each request
// htmx makes is use too, so it starts the count again.
(function () {
  "use strict";
  var WARN_BEFORE = 120;  // seconds
  var idle = Number(document.body.getAttribute("data-session-idle"));
  if (!idle) { return; }
  var warnTimer = null;
  var endTimer = null;
  var shown = null;

  function show(id) {
    if (shown) { shown.remove(); }
    var template = document.getElementById(id);
    shown = template.content.firstElementChild.cloneNode(true);
    document.body.appendChild(shown);
    var stay = shown.querySelector("[data-stay]");
    if (stay) {
      stay.addEventListener("click", function () {
        fetch("/api/v1/me", { credentials: "same-origin", headers: { Accept: "application/json" } })
          .then(function (answer) { if (answer.ok) { restart(); } else { show("session-ended"); } })
          .catch(function () { /* no network: the notice stays, the button may be tried again */ });
      });
    }
  }

  function restart() {
    if (shown) { shown.remove(); shown = null; }
    clearTimeout(warnTimer);
    clearTimeout(endTimer);
    warnTimer = setTimeout(function () { show("session-ending"); }, (idle - WARN_BEFORE) * 1000);
    endTimer = setTimeout(function () { show("session-ended"); }, idle * 1000);
  }

  restart();
  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail && event.detail.successful) { restart(); }
  });
})();
