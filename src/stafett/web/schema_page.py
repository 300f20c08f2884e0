"""The browsable API page at `/schema`: Swagger UI served by Stafett itself.

Litestar's own viewers load their script and stylesheet from a public CDN (unpinned,
without subresource integrity) and start with an inline script: the service's CSP
(`web/headers.py`: scripts and styles from 'self' or with the response's nonce only)
forbids all three, so the page stayed blank. Here the page names only files under
`/static`: Swagger UI's bundle and stylesheet from the npm registry, pinned in
`package-lock.json` and copied by `make install`, and `schema-ui.js`, which starts it
on `/schema/openapi.json`. Nothing is fetched from elsewhere (Swagger UI's online
validator badge is off).
"""

from typing import Any

from litestar import Request
from litestar.enums import MediaType
from litestar.openapi.plugins import OpenAPIRenderPlugin

PAGE = b"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Stafett API</title>
<link rel="stylesheet" href="/static/vendor/swagger-ui.css">
</head>
<body>
<main id="swagger-ui" data-schema="/schema/openapi.json"></main>
<script src="/static/vendor/swagger-ui-bundle.js"></script>
<script src="/static/schema-ui.js"></script>
</body>
</html>
"""


class LocalSwaggerPlugin(OpenAPIRenderPlugin):
    """Swagger UI at `path`, from this service's static files only."""

    def __init__(self, path: str = "/") -> None:
        super().__init__(path=path, media_type=MediaType.HTML)

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        return PAGE
