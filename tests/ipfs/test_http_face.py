"""The embedded store's HTTP face, over a real socket: Kubo's RPC subset (driven by the project's
own Kubo client, KuboStore, and by raw httpx) and the read-only gateway with byte ranges."""

from __future__ import annotations

import io
import random
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from tutti.ipfs import CidNotFound, InvalidCid, NotAFile, NotPinned
from tutti.ipfs.embedded import EmbeddedStore
from tutti.ipfs.http_face import create_app
from tutti.ipfs.kubo import KuboStore, RetryPolicy
from tutti.net import free_port

HELLO_V0 = "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o"
HELLO_V1 = "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4"
RANDOM_307200_V0 = "QmZ8u8B7QyESYxvHnS44vZtvoGS9voPiG9NPVjfpuPZn46"
RANDOM_1572871_V1 = "bafybeid7z52bjvagfkn4nklalyyk6mj2mm2u3vqluuwazmzxw6i4blqx3e"
UNKNOWN = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"


def random_bytes(size: int) -> bytes:
    return random.Random(size).randbytes(size)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, EmbeddedStore]]:
    store = EmbeddedStore(tmp_path_factory.mktemp("face") / "ipfs")
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(store), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the HTTP face did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}", store
    server.should_exit = True
    thread.join(5)


@pytest.fixture
def kubo(served) -> Iterator[KuboStore]:
    client = KuboStore(served[0], lookup_timeout=2, retry=RetryPolicy(attempts=1))
    yield client
    client.close()


@pytest.fixture
def http(served) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=served[0], timeout=30) as client:
        yield client


def test_kubo_client_adds_with_kubo_cids_and_reads_back(kubo: KuboStore, served) -> None:
    assert kubo.add_bytes(b"hello world\n") == HELLO_V0
    assert kubo.add_bytes(b"hello world\n", cid_version=1) == HELLO_V1
    assert kubo.add_bytes(random_bytes(307200)) == RANDOM_307200_V0
    big = random_bytes(1572871)
    assert kubo.add_bytes(big, cid_version=1) == RANDOM_1572871_V1
    assert kubo.cat(RANDOM_1572871_V1) == big
    assert {HELLO_V0, HELLO_V1, RANDOM_1572871_V1} <= set(kubo.pins())
    assert served[1].cat(HELLO_V1) == b"hello world\n"  # it went into the embedded store itself


def test_directory_add_matches_the_embedded_importer(kubo: KuboStore, tmp_path: Path) -> None:
    tree = {"index.html": b"<!doctype html><title>t</title>", "assets": {"app.js": b"console.log(1)", "a b.txt": b"x"}}
    expected = EmbeddedStore(tmp_path / "reference").add_directory(tree, cid_version=1)
    cid = kubo.add_directory(tree, cid_version=1)
    assert cid == expected
    assert kubo.cat(f"{cid}/assets/a b.txt") == b"x"
    listing = httpx.post(f"{kubo.url}/api/v0/ls", params={"arg": cid}).json()["Objects"][0]["Links"]
    assert [(link["Name"], link["Type"]) for link in listing] == [("assets", 1), ("index.html", 2)]
    assert listing[1]["Size"] == len(tree["index.html"])


def test_add_answers_one_line_per_entry_and_respects_pin_false(http: httpx.Client, served) -> None:
    files = [("file", ("song%2Fa.txt", b"aaa", "application/octet-stream")),
             ("file", ("song%2Fb.txt", b"bbb", "application/octet-stream"))]
    answer = http.post("/api/v0/add", params={"cid-version": "1", "pin": "false", "wrap-with-directory": "true"},
                       files=files)
    assert answer.status_code == 200
    lines = [httpx.Response(200, content=line).json() for line in answer.text.splitlines()]
    assert [line["Name"] for line in lines] == ["song/a.txt", "song/b.txt", "song", ""]
    assert lines[-1]["Hash"] not in served[1].pins()
    assert served[1].cat(f"{lines[-1]['Hash']}/song/b.txt") == b"bbb"


def test_errors_name_the_reason_with_a_4xx_status(kubo: KuboStore, http: httpx.Client) -> None:
    with pytest.raises(CidNotFound):
        kubo.cat(UNKNOWN)
    with pytest.raises(InvalidCid):
        kubo.cat("not-a-cid")
    with pytest.raises(NotPinned):
        kubo.unpin(UNKNOWN)
    directory = kubo.add_directory({"a.txt": b"a"})
    with pytest.raises(NotAFile):
        kubo.cat(directory)
    missing = http.post("/api/v0/cat", params={"arg": UNKNOWN})
    assert missing.status_code == 404 and missing.json()["Type"] == "error"
    assert http.post("/api/v0/cat").json()["Message"] == 'argument "arg" is required'
    odd_chunker = http.post("/api/v0/add", params={"chunker": "rabin"}, files={"file": ("x", b"x")})
    assert odd_chunker.status_code == 400 and "chunker" in odd_chunker.json()["Message"]
    assert http.get("/api/v0/cat", params={"arg": HELLO_V0}).status_code == 405


def test_car_round_trip_through_the_rpc(kubo: KuboStore, tmp_path: Path) -> None:
    cid = kubo.add_directory({"score.mid": random_bytes(300_000), "meta.json": b"{}"}, cid_version=1)
    car = io.BytesIO()
    kubo.export_car(cid, car)
    elsewhere = EmbeddedStore(tmp_path / "elsewhere")
    assert elsewhere.import_car(car.getvalue()) == [cid]
    kubo.unpin(cid)
    assert kubo.import_car(car.getvalue()) == [cid]
    assert cid in kubo.pins()


def test_gateway_serves_files_with_ranges(http: httpx.Client, served) -> None:
    data = random_bytes(1_048_576)
    cid = served[1].add_bytes(data, cid_version=1)
    whole = http.get(f"/ipfs/{cid}")
    assert whole.status_code == 200 and whole.content == data
    assert whole.headers["accept-ranges"] == "bytes" and whole.headers["etag"] == f'"{cid}"'
    middle = http.get(f"/ipfs/{cid}", headers={"Range": "bytes=262000-524500"})
    assert middle.status_code == 206 and middle.content == data[262000:524501]
    assert middle.headers["content-range"] == f"bytes 262000-524500/{len(data)}"
    tail = http.get(f"/ipfs/{cid}", headers={"Range": "bytes=-10"})
    assert tail.content == data[-10:]
    assert http.get(f"/ipfs/{cid}", headers={"Range": f"bytes={len(data)}-"}).status_code == 416
    head = http.head(f"/ipfs/{cid}")
    assert head.status_code == 200 and head.headers["content-length"] == str(len(data)) and head.content == b""
    wav = served[1].add_bytes(b"RIFF\0\0\0\0WAVEfmt ", cid_version=1)
    assert http.get(f"/ipfs/{wav}").headers["content-type"] == "audio/wav"
    assert http.get(f"/ipfs/{UNKNOWN}").status_code == 404
    assert http.get("/ipfs/nonsense").status_code == 400


def test_gateway_serves_a_site_with_relative_links(http: httpx.Client, served) -> None:
    site = served[1].add_directory({"index.html": b"<script src='./app.js'></script>", "app.js": b"1;",
                                    "docs": {"notes.txt": b"n"}}, cid_version=1)
    redirect = http.get(f"/ipfs/{site}", follow_redirects=False)
    assert redirect.status_code == 301 and redirect.headers["location"] == f"/ipfs/{site}/"
    page = http.get(f"/ipfs/{site}/")
    assert page.headers["content-type"].startswith("text/html") and b"app.js" in page.content
    assert http.get(f"/ipfs/{site}/app.js").headers["content-type"].split(";")[0] in (
        "text/javascript", "application/javascript")
    listing = http.get(f"/ipfs/{site}/docs/")
    assert 'href="./notes.txt"' in listing.text


def test_browsers_may_call_the_rpc_from_another_origin(http: httpx.Client) -> None:
    preflight = http.options("/api/v0/add", headers={"Origin": "http://127.0.0.1:9",
                                                     "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] in ("*", "http://127.0.0.1:9")


def test_serve_command_starts_and_refuses_a_kubo_store(tmp_path: Path) -> None:
    refused = subprocess.run([sys.executable, "-c", "from tutti.cli import main; main()", "ipfs", "--ipfs", "http://127.0.0.1:9", "serve"],
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode != 0 and "embedded store" in refused.stderr
    port = free_port()
    env = {"TUTTI_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin", "PYTHONPATH": str(Path.cwd())}
    server = subprocess.Popen([sys.executable, "-c", "from tutti.cli import main; main()", "ipfs", "serve", "--port", str(port)],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                answer = httpx.post(f"http://127.0.0.1:{port}/api/v0/version")
                break
            except httpx.ConnectError:
                assert time.monotonic() < deadline and server.poll() is None, server.stderr.read()
                time.sleep(0.1)
        assert answer.json()["System"] == "tutti-embedded"
        cid = httpx.post(f"http://127.0.0.1:{port}/api/v0/add", files={"file": ("a", b"hello world\n")}).json()["Hash"]
        assert cid == HELLO_V0 and (tmp_path / "ipfs" / "pins.json").exists()
        assert httpx.post(f"http://127.0.0.1:{port}/api/v0/cat", params={"arg": UNKNOWN}).status_code == 404
        assert httpx.get(f"http://127.0.0.1:{port}/ipfs/{cid}").content == b"hello world\n"
        # The service's own metrics and probes, beside the API.
        metrics = httpx.get(f"http://127.0.0.1:{port}/metrics").text
        assert 'tutti_ipfs_requests_total{op="add",outcome="ok"} 1.0' in metrics
        assert 'tutti_ipfs_requests_total{op="cat",outcome="error"} 1.0' in metrics
        assert 'tutti_ipfs_requests_total{op="gateway",outcome="ok"} 1.0' in metrics
        assert 'tutti_ipfs_request_seconds_count{op="add"} 1.0' in metrics
        assert "tutti_ipfs_bytes_out_total 12.0" in metrics  # the gateway's answer
        assert float(metrics.split("\ntutti_ipfs_bytes_in_total ")[1].split()[0]) > 12  # the multipart body
        assert httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200
        ready = httpx.get(f"http://127.0.0.1:{port}/readyz")
        assert ready.status_code == 200 and ready.json() == {"ready": True, "reasons": []}
        assert "tutti_ipfs_store_up 1.0" in httpx.get(f"http://127.0.0.1:{port}/metrics").text
        assert httpx.get(f"http://127.0.0.1:{port}/nothing-here").status_code == 404
    finally:
        server.terminate()
        server.wait(10)
