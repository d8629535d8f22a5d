"""Fixtures for gated content: three operators' key services (real FastAPI apps on 127.0.0.1,
reading the session's anvil), an IPFS store, and a gated work registered by the artist."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from ape import chain

from oracle.keys import ThreadedServer, build_service, create_app
from tutti.gated.client import fetch_operator_keys
from tutti.gated.manifest import ProtectedWork, protect_files
from tutti.ipfs.embedded import EmbeddedStore
from tutti.net import free_port
from tutti.works import Share, register_work

THRESHOLD = 2


@pytest.fixture(scope="session")
def gated_store(tmp_path_factory):
    return EmbeddedStore(tmp_path_factory.mktemp("gated-ipfs"))


@pytest.fixture(scope="session")
def key_services(tutti, operators, gated_store, tmp_path_factory):
    """One key service per operator: {operator address: (service, url)}."""
    keys_dir = tmp_path_factory.mktemp("operator-keys")
    started = {}
    servers = []
    for operator in operators:
        service = build_service(tutti.book, chain.provider.uri, operator, gated_store,
                                keys_dir / f"{operator.address}.x25519")
        server = ThreadedServer(create_app(service), free_port()).__enter__()
        servers.append(server)
        started[operator.address] = (service, server.url)
    yield started
    for server in servers:
        server.__exit__(None, None, None)


@dataclass(frozen=True)
class GatedWork:
    work_id: int
    split_id: int
    protected: ProtectedWork
    plaintext: bytes
    services: list[str]


@pytest.fixture
def gated_work(tutti, artist, producer, key_services, gated_store, tmp_path) -> GatedWork:
    """A 300 KiB recording, encrypted, its key split 2-of-3 among the operators, registered."""
    plaintext = chain.blocks.head.hash + bytes(range(256)) * 1200
    master = tmp_path / "master.wav"
    master.write_bytes(plaintext)
    urls = [url for _, url in key_services.values()]
    protected = protect_files(gated_store, {"master.wav": master}, fetch_operator_keys(urls, chain.chain_id), THRESHOLD,
                              chunk_size=64 * 1024)
    metadata_cid = gated_store.add_bytes(json.dumps({"title": "Gated", "gated": {
        "manifest": protected.manifest_cid}}).encode(), cid_version=1)
    work = register_work(tutti, artist, metadata_cid=metadata_cid, content_hash=protected.content_hash,
                         contributors=[Share(artist.address, 8_000), Share(producer.address, 2_000)],
                         license="Tutti-Licensed")
    return GatedWork(work.work_id, work.split_id, protected, plaintext, urls)
