// Starts Swagger UI (web/schema_page.py) on the schema the page names; no inline script,
// so the service's CSP holds, and no online validator.
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  window.SwaggerUIBundle({
    url: root.getAttribute("data-schema"),
    dom_id: "#swagger-ui",
    validatorUrl: null,
    deepLinking: true,
  });
})();
