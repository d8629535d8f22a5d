"""A plain HTTP GET for tests that check status codes: an error status is an answer, not an exception."""

from __future__ import annotations

import urllib.error
import urllib.request


def get(url: str, *, unreachable: tuple[int, bytes] | None = None) -> tuple[int, bytes]:
    """(status, body) of ``url``; ``unreachable``, when given, is returned where nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except OSError:
        if unreachable is None:
            raise
        return unreachable
