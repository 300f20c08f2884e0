"""The bare app the page benchmark compares with: litestar and msgspec answering `/health`.

Nothing of Stafett: no middleware, no guard, no store. Served by uvicorn with the
same defaults as `stafett serve` (`python -m uvicorn bench.bare:app`), it is the
most any page served by this stack on this machine could reach.
"""

import msgspec
from litestar import Litestar, get


class Health(msgspec.Struct):
    status: str


@get("/health", sync_to_thread=False)
def health() -> Health:
    return Health(status="ok")


app = Litestar(route_handlers=[health], openapi_config=None)
