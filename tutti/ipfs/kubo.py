"""The Kubo RPC backend: ``/api/v0`` over HTTP with httpx.

Works with Kubo (go-ipfs) and with js-ipfs, which serves the same RPC API (the test suite runs
against js-ipfs when no Kubo is available). Differences smoothed over here:

* CIDs in responses are re-encoded the way Kubo prints them (js-ipfs answers CIDv1 in base58);
* a CID the node lacks makes it search the network indefinitely (js-ipfs does so even with
  ``--offline``), so reads first ask ``block/stat`` for the root with a short server-side
  ``timeout`` and turn a timeout into :class:`CidNotFound`;
* connection failures are retried with exponential backoff, then raise :class:`IpfsUnavailable`.
"""

from __future__ import annotations

import io
import json
import logging
import os
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote

import httpx

from .car import read_car
from .cid import Cid, split_cid_path
from .errors import CidNotFound, InvalidCid, IpfsError, IpfsUnavailable, NotAFile, NotPinned
from .store import CarDestination, CarSource
from .tree import DirectorySource, FileContent, directory_tree, iter_entries
from .unixfs import CHUNK_SIZE

logger = logging.getLogger(__name__)

_ROOT_NAME = "tutti-root"  # name of the top directory in an add request; not part of any CID
_NOT_FOUND_HINTS = (
    "not found",
    "no link named",
    "does not exist",
    "timed out",
    "deadline exceeded",
    "no such",
)
_NOT_A_FILE_HINTS = ("is a directory", "not a file", "not unixfs file")
_INVALID_HINTS = ("invalid cid", "invalid path", "invalid request query", "selected encoding")
_RETRYABLE_STATUS = {502, 503, 504}


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounded exponential backoff for transient connection errors."""

    attempts: int = 4
    initial_delay: float = 0.25
    multiplier: float = 2.0
    max_delay: float = 4.0

    def delays(self) -> Iterator[float]:
        """The sleeps between attempts (``attempts - 1`` of them)."""
        delay = self.initial_delay
        for _ in range(max(self.attempts - 1, 0)):
            yield min(delay, self.max_delay)
            delay *= self.multiplier


class KuboStore:
    """:class:`~tutti.ipfs.store.IpfsStore` talking to a Kubo RPC API at ``url``."""

    def __init__(
        self,
        url: str = "http://127.0.0.1:5001",
        *,
        retry: RetryPolicy = RetryPolicy(),
        lookup_timeout: float = 30.0,
        request_timeout: float = 300.0,
        client: httpx.Client | None = None,
    ) -> None:
        """
        ``lookup_timeout``: how long the node may search for a root CID before it counts as
        not found. ``request_timeout``: httpx timeout for each request (connect, read, write).
        """
        self.url = url.rstrip("/")
        self.retry = retry
        self.lookup_timeout = lookup_timeout
        self._client = client or httpx.Client(
            base_url=f"{self.url}/api/v0", timeout=httpx.Timeout(request_timeout, connect=5.0)
        )

    def __repr__(self) -> str:
        return f"KuboStore({self.url!r})"

    def __enter__(self) -> KuboStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    # --- transport ------------------------------------------------------------------------
    def _send(
        self,
        endpoint: str,
        params: dict[str, str] | list[tuple[str, str]] | None = None,
        *,
        body: Callable[[], tuple[dict[str, str], Iterator[bytes] | bytes]] | None = None,
    ) -> httpx.Response:
        """POST ``endpoint`` and return the (streamed, still open) successful response.

        ``body`` builds headers and content afresh for each attempt, so a retried upload
        starts again from the beginning of its files.
        """
        delays = self.retry.delays()
        attempt = 0
        while True:
            attempt += 1
            headers, content = body() if body else ({}, b"")
            request = self._client.build_request(
                "POST", endpoint, params=params, headers=headers, content=content
            )
            try:
                response = self._client.send(request, stream=True)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.RemoteProtocolError) as exc:
                error: Exception = exc
            else:
                if response.status_code not in _RETRYABLE_STATUS:
                    if response.status_code != 200:
                        raise self._error_from(endpoint, params, response)
                    return response
                response.close()
                error = IpfsError(f"HTTP {response.status_code}")
            delay = next(delays, None)
            if delay is None:
                raise IpfsUnavailable(
                    f"Kubo RPC at {self.url} unreachable ({endpoint}) after {attempt} "
                    f"attempt(s): {error}"
                ) from error
            logger.warning(
                "Kubo %s failed (%s); retry %d in %.2fs", endpoint, error, attempt, delay
            )
            time.sleep(delay)

    def _error_from(self, endpoint: str, params, response: httpx.Response) -> IpfsError:
        """Turn an error response into the matching exception, keeping the node's message."""
        response.read()
        response.close()
        try:
            payload = response.json()
            message = payload.get("Message") or payload.get("message") or response.text
        except (json.JSONDecodeError, AttributeError, UnicodeDecodeError):
            message = response.text
        argument = dict(params or {}).get("arg", "")
        text = f"Kubo {endpoint} {argument}: {message} (HTTP {response.status_code})"
        lowered = message.lower()
        if "not pinned" in lowered:
            return NotPinned(text)
        if any(hint in lowered for hint in _NOT_A_FILE_HINTS):
            return NotAFile(text)
        if any(hint in lowered for hint in _NOT_FOUND_HINTS):
            return CidNotFound(text)
        if any(hint in lowered for hint in _INVALID_HINTS):
            return InvalidCid(text)
        return IpfsError(text)

    def _json(self, endpoint: str, params=None, **kwargs) -> list[dict]:
        """Call an endpoint answering JSON or newline-delimited JSON; return the objects."""
        response = self._send(endpoint, params, **kwargs)
        try:
            text = response.read().decode("utf-8")
        finally:
            response.close()
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    def _ensure_available(self, cid: Cid) -> None:
        """Fail fast with CidNotFound when the node cannot get the root block in time."""
        params = {"arg": str(cid), "timeout": f"{self.lookup_timeout}s"}
        self._json("block/stat", params)

    # --- add ------------------------------------------------------------------------------
    @staticmethod
    def _add_params(cid_version: int, pin: bool) -> dict[str, str]:
        # Every import setting explicit, so node-side config (Import.*) cannot change the CIDs.
        return {
            "cid-version": str(cid_version),
            "raw-leaves": "true" if cid_version == 1 else "false",
            "chunker": f"size-{CHUNK_SIZE}",
            "hash": "sha2-256",
            "pin": "true" if pin else "false",
            "progress": "false",
        }

    def _add(
        self,
        parts: Callable[[], Iterator[tuple[str, FileContent | None]]],
        root_name: str,
        cid_version: int,
        pin: bool,
    ) -> str:
        def body():
            boundary = uuid.uuid4().hex
            headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
            return headers, _multipart(boundary, parts())

        entries = self._json("add", self._add_params(cid_version, pin), body=body)
        for entry in entries:
            if entry.get("Name") == root_name and "Hash" in entry:
                cid = _normalize(entry["Hash"])
                logger.info("added %s to %s", cid, self.url)
                return cid
        raise IpfsError(f"Kubo add returned no entry for {root_name!r}: {entries!r}")

    def add_bytes(self, data: bytes, *, cid_version: int = 0, pin: bool = True) -> str:
        payload = bytes(data)
        return self._add(lambda: iter([("data", payload)]), "data", cid_version, pin)

    def add_file(self, path: str | os.PathLike, *, cid_version: int = 0, pin: bool = True) -> str:
        file_path = Path(path)
        if not file_path.is_file():
            raise IpfsError(f"not a file: {file_path}")
        return self._add(lambda: iter([("data", file_path)]), "data", cid_version, pin)

    def add_directory(
        self, source: DirectorySource, *, cid_version: int = 0, pin: bool = True
    ) -> str:
        tree = directory_tree(source)

        def parts():
            yield _ROOT_NAME, None
            for relative, content in iter_entries(tree):
                yield f"{_ROOT_NAME}/{relative}", content

        return self._add(parts, _ROOT_NAME, cid_version, pin)

    # --- read -----------------------------------------------------------------------------
    def cat(self, cid_path: str) -> bytes:
        root, segments = split_cid_path(cid_path)
        self._ensure_available(root)
        argument = "/".join([str(root), *segments])
        response = self._send("cat", {"arg": argument})
        try:
            data = response.read()
        except httpx.HTTPError as exc:
            raise IpfsError(f"Kubo cat {argument} broke off: {exc}") from exc
        finally:
            response.close()
        # Kubo reports errors that happen mid-stream only in an HTTP trailer, which httpx does
        # not expose; the announced length at least catches a truncated file.
        expected = response.headers.get("X-Content-Length")
        if expected is not None and expected.isdigit() and int(expected) != len(data):
            raise IpfsError(f"Kubo cat {argument}: got {len(data)} of {expected} bytes")
        return data

    # --- pins -----------------------------------------------------------------------------
    def pin(self, cid: str) -> None:
        root = Cid.parse(cid)
        self._ensure_available(root)
        self._json("pin/add", {"arg": str(root), "recursive": "true"})

    def unpin(self, cid: str) -> None:
        self._json("pin/rm", {"arg": str(Cid.parse(cid)), "recursive": "true"})

    def pins(self) -> list[str]:
        answers = self._json("pin/ls", {"type": "recursive"})
        keys: set[str] = set()
        for answer in answers:
            if "Keys" in answer:  # Kubo and js-ipfs without stream=true
                keys.update(answer["Keys"])
            elif "Cid" in answer:  # streamed form
                keys.add(answer["Cid"])
        return sorted(_normalize(key) for key in keys)

    # --- CAR ------------------------------------------------------------------------------
    def export_car(self, cid: str, destination: CarDestination) -> int:
        root = Cid.parse(cid)
        self._ensure_available(root)
        response = self._send("dag/export", {"arg": str(root)})
        try:
            if hasattr(destination, "write"):
                return _copy_response(response, destination)  # type: ignore[arg-type]
            with open(destination, "wb") as handle:  # type: ignore[arg-type]
                return _copy_response(response, handle)
        except httpx.HTTPError as exc:
            raise IpfsError(f"Kubo dag/export {root} broke off: {exc}") from exc
        finally:
            response.close()

    def import_car(self, source: CarSource, *, pin: bool = True) -> list[str]:
        if isinstance(source, (bytes, bytearray, memoryview)):
            car_bytes: bytes | None = bytes(source)
            car_path = None
        elif hasattr(source, "read"):
            car_bytes, car_path = source.read(), None  # type: ignore[union-attr]
        else:
            car_bytes, car_path = None, Path(source)  # type: ignore[arg-type]
        # Roots come from our own reading of the header: the node reports them only when pinning.
        with io.BytesIO(car_bytes) if car_bytes is not None else open(car_path, "rb") as head:
            roots = [str(root) for root in read_car(head)[0]]

        def body():
            boundary = uuid.uuid4().hex
            headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
            content = car_bytes if car_bytes is not None else car_path
            return headers, _multipart(boundary, iter([("import.car", content)]))

        answers = self._json("dag/import", {"pin-roots": "true" if pin else "false"}, body=body)
        for answer in answers:
            failure = (answer.get("Root") or {}).get("PinErrorMsg")
            if failure:
                raise IpfsError(f"Kubo dag/import could not pin a root: {failure}")
        return roots


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------
def _normalize(cid_text: str) -> str:
    """Re-encode a CID from the node the way Kubo prints it (js-ipfs uses base58 for v1)."""
    try:
        return str(Cid.parse(cid_text))
    except InvalidCid as exc:
        raise IpfsError(f"node returned a malformed CID {cid_text!r}") from exc


def _copy_response(response: httpx.Response, out: BinaryIO) -> int:
    written = 0
    for piece in response.iter_bytes():
        written += out.write(piece)
    return written


def _multipart(boundary: str, parts: Iterator[tuple[str, FileContent | None]]) -> Iterator[bytes]:
    """Stream a multipart/form-data body the way Kubo's client builds one.

    Each part is named ``file``; its filename is the URL-escaped relative path (``/`` as ``%2F``,
    so the server does not cut it to a base name), and directories are parts with content type
    ``application/x-directory`` that come before their contents. ``quote`` rather than
    ``quote_plus`` keeps spaces as ``%20``, which both Go's and JavaScript's unescaping read
    back the same way.
    """
    for name, content in parts:
        kind = "application/x-directory" if content is None else "application/octet-stream"
        yield (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="file"; filename="{quote(name, safe="")}"\r\n'
            f"Content-Type: {kind}\r\n\r\n"
        ).encode()
        if isinstance(content, bytes):
            yield content
        elif content is not None:
            with open(content, "rb") as handle:
                while piece := handle.read(CHUNK_SIZE):
                    yield piece
        yield b"\r\n"
    yield f"--{boundary}--\r\n".encode()
