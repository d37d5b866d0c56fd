// The API docs page (/docs, web/docs.html): Swagger UI over /openapi.json. A classic
// deferred script after the vendored bundle, which defines window.SwaggerUIBundle.
const root = document.getElementById("swagger-ui");
window.SwaggerUIBundle({
  url: root.dataset.openapiUrl,
  domNode: root,
  // Without deep links: with them, each operation's path is a link inside its toggle button
  // (a control nested in a control, which screen readers cannot reach).
  deepLinking: false,
  presets: [window.SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
});
