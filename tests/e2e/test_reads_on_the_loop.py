"""Reads served on the event loop answer only after their access-log entry is durable
(decision 0035): the app refuses to start when a route could skip the hook that commits it."""

from typing import Any

import pytest
from litestar import Controller, Litestar, Response, get
from litestar.types import AfterRequestHookHandler

from stafett.web.loop_reads import check_after_request, record_reads_before_answering


async def other_hook(response: Response[Any]) -> Response[Any]:
    return response


class Plain(Controller):
    path = "/plain"

    @get("/", sync_to_thread=False)
    def read(self) -> str:
        return "ok"


class OwnHook(Controller):
    path = "/own"
    # Quoted: at run time litestar's alias is a string, which `| None` cannot take.
    after_request: "AfterRequestHookHandler | None" = other_hook

    @get("/", sync_to_thread=False)
    def read(self) -> str:
        return "ok"


def test_an_app_whose_routes_all_use_the_hook_starts() -> None:
    app = Litestar([Plain], after_request=record_reads_before_answering)
    check_after_request(app)


def test_a_layer_with_its_own_after_request_is_refused() -> None:
    app = Litestar([Plain, OwnHook], after_request=record_reads_before_answering)
    with pytest.raises(RuntimeError, match="/own"):
        check_after_request(app)


def test_an_app_without_the_hook_is_refused() -> None:
    with pytest.raises(RuntimeError, match="/plain"):
        check_after_request(Litestar([Plain]))
