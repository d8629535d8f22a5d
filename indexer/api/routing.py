"""Synchronous endpoints in one worker-thread hop, their database connection included."""

from __future__ import annotations

import functools
import inspect
from contextlib import ExitStack
from typing import Any, Callable

from fastapi.concurrency import run_in_threadpool
from fastapi.routing import APIRoute

from indexer.api.deps import ConnectionClaim


def _call_with_connections(endpoint: Callable[..., Any], arguments: dict[str, Any]) -> Any:
    """Run ``endpoint`` with each claimed connection checked out for the call and returned after."""
    with ExitStack() as stack:
        for name, value in arguments.items():
            if isinstance(value, ConnectionClaim):
                arguments[name] = stack.enter_context(value.connect())
        return endpoint(**arguments)


def in_one_hop(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """``endpoint`` as a coroutine that runs it (checkout, call, return) in one worker thread.

    FastAPI reads the original's parameters, name and docstring, so the OpenAPI document does not
    change.
    """

    async def run(**arguments: Any) -> Any:
        return await run_in_threadpool(_call_with_connections, endpoint, arguments)

    functools.update_wrapper(run, endpoint)
    del run.__wrapped__  # FastAPI must see a coroutine function, with the signature set below
    run.__signature__ = inspect.signature(endpoint, eval_str=True)
    return run


class ThreadedRoute(APIRoute):
    """An ``APIRoute`` that runs a ``def`` endpoint in a single worker-thread hop.

    FastAPI runs a ``def`` endpoint in its threadpool, then hops there again to validate the
    response, and checking a connection out and back in from the event loop took two hops more.
    Under load those hand-offs (a queue, a thread wake-up, a wake-up of the event loop, the GIL
    changing hands) cost more CPU than the endpoint. Wrapped as a coroutine, FastAPI validates
    the response on the event loop, and one hop checks the connection out, runs the endpoint and
    returns the connection. ``Db`` parameters receive the connection (see ``deps.get_connection``).
    """

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any):
        if not inspect.iscoroutinefunction(endpoint) and not inspect.isasyncgenfunction(endpoint):
            endpoint = in_one_hop(endpoint)
        super().__init__(path, endpoint, **kwargs)
