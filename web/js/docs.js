// The API docs page (/docs, web/docs.html): Swagger UI over /openapi.json. A classic
// deferred script after the vendored bundle, which defines window.SwaggerUIBundle.
const root = document.getElementById("swagger-ui");
window.SwaggerUIBundle({
  url: root.dataset.openapiUrl,
  domNode: root,
  deepLinking: true,
  presets: [window.SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
});
